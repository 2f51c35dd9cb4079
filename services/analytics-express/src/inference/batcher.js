// Micro-batching, as the twin's batcher.py does it: requests that arrive within a short
// window of the first share one model call. A call has a fixed cost (the hop to the model's
// thread, the runtime's dispatch) that dwarfs one more row, so under load stacking
// concurrent requests raises throughput; an idle service adds at most the window to a
// lone request.

/**
 * Stacks concurrent `submit` calls into batches of at most `maxBatch` rows (a larger
 * request goes alone) and runs at most `workers` batches at once; while they run, new
 * requests gather into the next batch.
 */
export class MicroBatcher {
  /**
   * @param {(rows: Float32Array, count: number) => Promise<Float32Array>} run one model
   *   call: `count` rows, one output each
   * @param {object} [options]
   * @param {number} [options.windowMs] how long a batch waits for company (2 ms)
   * @param {number} [options.maxBatch] rows per call (64)
   * @param {number} [options.workers] calls at once (1)
   * @param {number} [options.inputs] values per row (20)
   */
  constructor(run, { windowMs = 2, maxBatch = 64, workers = 1, inputs = 20 } = {}) {
    if (maxBatch < 1 || workers < 1 || windowMs < 0) {
      throw new Error("maxBatch and workers must be positive, windowMs not negative");
    }
    this.run = run;
    this.windowMs = windowMs;
    this.maxBatch = maxBatch;
    this.workers = workers;
    this.inputs = inputs;
    this.pending = [];
    this.pendingRows = 0;
    this.running = 0;
    this.timer = null;
    // A batch is due and waits for a worker to finish.
    this.waiting = false;
    this.stopped = false;
  }

  /** One output per row of `rows` (a Float32Array of whole rows), computed in a batch
   * with other callers' rows. */
  submit(rows) {
    if (this.stopped) {
      return Promise.reject(new Error("the batcher is stopped"));
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ rows, count: rows.length / this.inputs, resolve, reject });
      this.pendingRows += rows.length / this.inputs;
      this.#schedule();
    });
  }

  // The window opens with the first request of a batch and closes early once a batch is
  // full; a batch then waits for a free worker.
  #schedule() {
    if (this.pending.length === 0) return;
    if (this.pendingRows >= this.maxBatch) {
      clearTimeout(this.timer);
      this.timer = null;
      this.#dispatch();
    } else if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.#dispatch();
      }, this.windowMs);
    }
  }

  #dispatch() {
    if (this.running >= this.workers || this.pending.length === 0) {
      // Called again when a worker is free.
      this.waiting = this.pending.length > 0;
      return;
    }
    this.waiting = false;
    const batch = this.#take();
    this.running += 1;
    this.#execute(batch).finally(() => {
      this.running -= 1;
      if (this.waiting) {
        this.#dispatch();
      }
    });
    // What did not fit opens the next window.
    this.#schedule();
  }

  // Pending requests up to maxBatch rows, whole requests only.
  #take() {
    const batch = [];
    let rows = 0;
    while (this.pending.length > 0 && (batch.length === 0 || rows + this.pending[0].count <= this.maxBatch)) {
      const request = this.pending.shift();
      rows += request.count;
      batch.push(request);
    }
    this.pendingRows -= rows;
    return batch;
  }

  async #execute(batch) {
    const count = batch.reduce((sum, request) => sum + request.count, 0);
    const stacked = new Float32Array(count * this.inputs);
    let offset = 0;
    for (const request of batch) {
      stacked.set(request.rows, offset);
      offset += request.rows.length;
    }
    let outputs;
    try {
      outputs = await this.run(stacked, count);
    } catch (error) {
      // Every caller of the batch sees the failure.
      for (const request of batch) request.reject(error);
      return;
    }
    let start = 0;
    for (const request of batch) {
      request.resolve(outputs.subarray(start, start + request.count));
      start += request.count;
    }
  }

  /** Refuses new requests and fails the pending ones; batches running finish. */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = null;
    for (const request of this.pending.splice(0)) {
      request.reject(new Error("the batcher is stopped"));
    }
    this.pendingRows = 0;
  }
}
