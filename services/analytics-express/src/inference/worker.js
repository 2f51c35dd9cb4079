// The model's thread: one ONNX Runtime session, off the event loop, as the twin runs its
// session in a thread pool. onnxruntime-node's run() computes on the calling thread, so a
// heavier model would stall every request if it ran in the main one.
//
// Messages in: { id, rows (Float32Array, count x inputs) }; out: { id, outputs
// (Float32Array, count), seconds } or { id, error }.
import { parentPort, workerData } from "node:worker_threads";
import ort from "onnxruntime-node";

// Rows per session call. ONNX Runtime picks its kernels by batch size (a one-row product
// is a GEMV, more rows a GEMM), and their float32 sums differ in the last bits: a caller's
// answer would depend on who shared its micro-batch. Every call is padded to BLOCK rows so
// one kernel path computes every answer, as the twin's model.py does.
export const BLOCK = 64;

// ONNX Runtime writes its own log lines to standard error, not the service's JSON lines;
// only its errors are let through (a read-only image, where it cannot persist a telemetry
// ID, otherwise gets a warning line at start).
ort.env.logLevel = "error";

const session = await ort.InferenceSession.create(workerData.modelPath, {
  executionProviders: ["cpu"],
  // Each call is a small batch: one thread, so the model never competes with the
  // service's few cores.
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  logSeverityLevel: 3,
});
const [input] = session.inputMetadata;
const [output] = session.outputNames;
const inputs = Number(input.shape[1]);

// Tests stand a heavier model in for this one: each call then holds the thread this long.
const holdMs = workerData.holdMs ?? 0;

async function run(rows) {
  if (holdMs > 0) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, holdMs);
  }
  const count = rows.length / inputs;
  const blocks = Math.ceil(count / BLOCK);
  const padded = new Float32Array(blocks * BLOCK * inputs);
  padded.set(rows);
  const outputs = new Float32Array(count);
  for (let block = 0; block < blocks; block += 1) {
    const start = block * BLOCK * inputs;
    const feeds = { [input.name]: new ort.Tensor("float32", padded.slice(start, start + BLOCK * inputs), [BLOCK, inputs]) };
    const result = (await session.run(feeds))[output].data;
    outputs.set(result.subarray(0, Math.min(BLOCK, count - block * BLOCK)), block * BLOCK);
  }
  return outputs;
}

parentPort.on("message", async ({ id, rows }) => {
  const started = performance.now();
  try {
    const outputs = await run(rows);
    parentPort.postMessage({ id, outputs, seconds: (performance.now() - started) / 1000 }, [outputs.buffer]);
  } catch (error) {
    parentPort.postMessage({ id, error: `${error.name}: ${error.message}` });
  }
});
parentPort.postMessage({ ready: true, inputs });
