// The volatility model, served as the twin serves it (services/analytics/inference): the
// same ONNX file, loaded once at start (readiness fails until it is), its calls
// micro-batched (2 ms window, 64 rows, one worker thread) and measured in the twin's
// metrics.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { Histogram } from "../observability.js";
import { MicroBatcher } from "./batcher.js";
import { describeModel } from "./model.js";

// Returns a caller sends per prediction, and returns the target covers.
export const WINDOW = 20;
export const HORIZON = 10;

// Copied here by the build from the twin's //services/analytics/inference:model.
export const DEFAULT_MODEL_PATH = fileURLToPath(new URL("../../model.onnx", import.meta.url));

export class ModelNotLoadedError extends Error {
  constructor() {
    super("the model is not loaded");
    this.name = "ModelNotLoadedError";
  }
}

/** Rows of WINDOW returns to the model's input: absolute returns as float32 (the twin's
 * features.py): volatility depends on the returns' size, not their sign. */
export function features(rows) {
  const input = new Float32Array(rows.length * WINDOW);
  rows.forEach((returns, row) => {
    if (returns.length !== WINDOW) {
      throw new Error(`expected rows of ${WINDOW} returns, got ${returns.length}`);
    }
    returns.forEach((value, column) => {
      input[row * WINDOW + column] = Math.abs(value);
    });
  });
  return input;
}

export class Inference {
  /**
   * @param {object} [options]
   * @param {string} [options.modelPath]
   * @param {number} [options.windowMs] micro-batching window (2 ms)
   * @param {number} [options.maxBatch] rows per model call (64)
   * @param {number} [options.workers] model calls at once, each on its own thread (1)
   * @param {number} [options.holdMs] for tests: each model call holds its thread this
   *   long, as a heavier model would
   */
  constructor({ modelPath = DEFAULT_MODEL_PATH, windowMs = 2, maxBatch = 64, workers = 1, holdMs = 0 } = {}) {
    this.name = "inference";
    this.modelPath = modelPath;
    this.windowMs = windowMs;
    this.maxBatch = maxBatch;
    this.workers = workers;
    this.holdMs = holdMs;
    this.info = null;
    this.calls = 0;
    this.threads = [];
    this.batcher = null;
    // The twin's metrics, registered in the service's registry by the app.
    this.batchRows = new Histogram({
      name: "inference_batch_rows",
      help: "Rows per model call: how much micro-batching stacks.",
      labelNames: ["model"],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [],
    });
    this.callSeconds = new Histogram({
      name: "inference_model_call_seconds",
      help: "Time of one model call in the inference thread pool.",
      labelNames: ["model"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers: [],
    });
    this.metrics = [this.batchRows, this.callSeconds];
  }

  /** Loads the model: reads its identity and starts its threads, each with a session. */
  async start() {
    const content = await readFile(this.modelPath);
    const description = describeModel(content, this.modelPath);
    const threads = [];
    try {
      for (let i = 0; i < this.workers; i += 1) {
        threads.push(await startThread(this.modelPath, this.holdMs));
      }
    } catch (error) {
      await Promise.all(threads.map((thread) => thread.worker.terminate()));
      throw error;
    }
    this.threads = threads;
    this.info = { ...description, inputs: threads[0].inputs };
    let next = 0;
    this.batcher = new MicroBatcher(
      (rows, count) => {
        // Round robin: with one call per worker at most, the next thread is a free one.
        const thread = this.threads[next];
        next = (next + 1) % this.threads.length;
        return this.#call(thread, rows, count);
      },
      { windowMs: this.windowMs, maxBatch: this.maxBatch, workers: this.workers, inputs: this.info.inputs },
    );
  }

  async #call(thread, rows, count) {
    this.calls += 1;
    const { outputs, seconds } = await thread.call(rows);
    this.batchRows.observe({ model: this.info.name }, count);
    this.callSeconds.observe({ model: this.info.name }, seconds);
    return outputs;
  }

  async stop() {
    const threads = this.threads;
    this.batcher?.stop();
    this.batcher = null;
    this.info = null;
    this.threads = [];
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
  }

  /** The model's name, version, sha256 and input width; only once loaded. */
  get model() {
    if (this.info === null) throw new ModelNotLoadedError();
    return this.info;
  }

  /** Readiness: the model is loaded. */
  async check() {
    if (this.batcher === null) throw new ModelNotLoadedError();
  }

  /** One volatility per row of returns; the rows of one call stay together in a batch. */
  async predictMany(rows) {
    if (this.batcher === null) throw new ModelNotLoadedError();
    const outputs = await this.batcher.submit(features(rows));
    return Array.from(outputs);
  }

  /** The volatility for one window of returns. */
  async predict(returns) {
    const [value] = await this.predictMany([returns]);
    return value;
  }
}

// A worker thread with a session of the model, ready for calls.
function startThread(modelPath, holdMs) {
  const worker = new Worker(new URL("./worker.js", import.meta.url), { workerData: { modelPath, holdMs } });
  const calls = new Map();
  let nextId = 0;
  return new Promise((resolve, reject) => {
    const fail = (error) => {
      for (const call of calls.values()) call.reject(error);
      calls.clear();
      reject(error);
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the model's thread exited with code ${code}`)));
    worker.on("message", (message) => {
      if (message.ready) {
        resolve({
          worker,
          inputs: message.inputs,
          call(rows) {
            const id = nextId++;
            return new Promise((resolveCall, rejectCall) => {
              calls.set(id, { resolve: resolveCall, reject: rejectCall });
              worker.postMessage({ id, rows }, [rows.buffer]);
            });
          },
        });
        return;
      }
      const call = calls.get(message.id);
      calls.delete(message.id);
      if (message.error !== undefined) {
        call.reject(new Error(message.error));
      } else {
        call.resolve({ outputs: message.outputs, seconds: message.seconds });
      }
    });
  });
}
