// Several worker processes on one port (WEB_CONCURRENCY > 1), as servicekit.serve runs
// uvicorn's workers for the twin. node:cluster's primary forks the workers and hands
// them the connections of the port they all listen on; each worker is the whole service
// (its pool, its model, its drain). The primary forwards SIGTERM to every worker, waits
// for them and exits 0 when they all did.
//
// Metrics: each worker counts in its own registry. GET /metrics, answered by whichever
// worker the connection reached, asks the primary, which gathers every worker's registry
// with prom-client's AggregatorRegistry (sums, as prometheus_client sums the files of
// PROMETHEUS_MULTIPROC_DIR for the twin) and sends the text back.
import cluster from "node:cluster";
import client from "prom-client";

const METRICS_REQUEST = "analytics:metrics-request";
const METRICS_RESPONSE = "analytics:metrics-response";
// prom-client gives up on a worker that does not answer within 5 s; this is the
// worker's own limit on the whole exchange.
const METRICS_TIMEOUT_MS = 10_000;

/**
 * In a worker: makes `registry` the one the primary aggregates, and returns what GET
 * /metrics serves, the text of every worker's metrics summed by the primary.
 *
 * @param {import("prom-client").Registry} registry
 * @returns {() => Promise<string>}
 */
export function workerMetrics(registry) {
  client.AggregatorRegistry.setRegistries([registry]);
  // Constructing one adds prom-client's listener that answers the primary's requests.
  new client.AggregatorRegistry();
  const pending = new Map();
  let next = 0;
  process.on("message", (message) => {
    if (message?.type !== METRICS_RESPONSE) return;
    const request = pending.get(message.id);
    if (request === undefined) return;
    pending.delete(message.id);
    clearTimeout(request.timer);
    if (message.error !== undefined) request.reject(new Error(`metrics of the workers: ${message.error}`));
    else request.resolve(message.text);
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error("metrics of the workers: the primary did not answer"));
      }, METRICS_TIMEOUT_MS);
      pending.set(id, { resolve, reject, timer });
      process.send({ type: METRICS_REQUEST, id });
    });
}

/**
 * In the primary: forks `workers` workers running this same entry point, answers their
 * metrics requests, replaces a worker that dies while serving, and on SIGTERM (or
 * SIGINT) passes the signal to every worker and exits once they have: 0 when all exited
 * 0. A worker that exits before it listens means the service cannot start (a database
 * that never answered, a model that did not load): the others are stopped and the
 * primary exits 1, rather than forking again and again.
 *
 * @param {object} options
 * @param {number} options.workers how many
 * @param {import("pino").Logger} options.log
 */
export function runPrimary({ workers, log }) {
  const aggregator = new client.AggregatorRegistry();
  const listening = new Set();
  let stopping = false;
  let failed = false;

  cluster.on("message", (worker, message) => {
    if (message?.type !== METRICS_REQUEST) return;
    aggregator.clusterMetrics().then(
      (text) => worker.isConnected() && worker.send({ type: METRICS_RESPONSE, id: message.id, text }),
      (error) => worker.isConnected() && worker.send({ type: METRICS_RESPONSE, id: message.id, error: error.message }),
    );
  });
  cluster.on("listening", (worker) => {
    listening.add(worker.id);
    log.info({ worker: worker.id, pid: worker.process.pid }, "worker listening");
  });
  cluster.on("exit", (worker, code, signal) => {
    const served = listening.delete(worker.id);
    const status = { worker: worker.id, pid: worker.process.pid, code, signal };
    if (stopping) {
      if (code !== 0) failed = true;
      log.info(status, "worker stopped");
    } else if (!served) {
      log.fatal(status, "a worker could not start: stopping the service");
      failed = true;
      stopAll("SIGINT");
    } else {
      log.error(status, "a worker died: starting another");
      cluster.fork();
    }
    if (stopping && Object.keys(cluster.workers).length === 0) {
      log.info({ workers }, "service stopped");
      process.exit(failed ? 1 : 0);
    }
  });

  function stopAll(signal) {
    stopping = true;
    for (const worker of Object.values(cluster.workers)) {
      worker.process.kill(signal);
    }
  }

  process.on("SIGTERM", () => stopAll("SIGTERM"));
  process.on("SIGINT", () => stopAll("SIGINT"));
  log.info({ workers }, "starting workers");
  for (let i = 0; i < workers; i++) {
    cluster.fork();
  }
}
