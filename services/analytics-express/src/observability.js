// Per request: the X-Request-ID, one access line, and the Prometheus metrics of the
// FastAPI services (servicekit/metrics.py), with the same names, labels and buckets.
// Metrics are labelled by route template, so their number is bounded by the number of
// routes: unknown paths get an access line but no metrics, and the platform's own paths
// (probes, scrapes) are not counted as traffic.
import cluster from "node:cluster";
import { randomBytes } from "node:crypto";
import client from "prom-client";
import { workerMetrics } from "./cluster.js";
import { requestContext } from "./context.js";

export const PLATFORM_PATHS = new Set(["/health/live", "/health/ready", "/metrics"]);

// prometheus_client's default buckets, which the FastAPI services' histogram has.
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const LABELS = ["app_name", "method", "path", "status_code"];
const MAX_REQUEST_ID = 128;

/**
 * A number as prometheus_client writes a bucket bound (Go's and Python's float text):
 * 1 is "1.0", 0.005 "0.005", 1e-05 and 1e+16 in exponent form. prom-client writes
 * JavaScript's text ("1"), and a selector such as {le="1.0"}, or a sum by (le) across
 * this service and the twin, would see other series (Prometheus 2 does not normalise
 * them; 3 does at ingestion).
 */
export function floatText(value) {
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : value < 0 ? "-Inf" : "NaN";
  // The shortest digits that read back as the same double, as Python's repr picks them.
  const [mantissa, exponentText] = value.toExponential().split("e");
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    return `${mantissa}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  const fixed = String(value);
  return Number.isInteger(value) ? `${fixed}.0` : fixed;
}

/**
 * prom-client's histogram with its bucket bounds written as prometheus_client writes
 * them (floatText). prom-client has no option for the label's text: its exposition and
 * its get() (which the cluster's aggregation reads) both take the samples from
 * getForPromString(), where the label is rewritten, so the exposition itself stays
 * prom-client's rather than a custom one.
 */
export class Histogram extends client.Histogram {
  async getForPromString() {
    const data = await super.getForPromString();
    const values = data.values.map((sample) =>
      typeof sample.labels?.le === "number" ? { ...sample, labels: { ...sample.labels, le: floatText(sample.labels.le) } } : sample,
    );
    return { ...data, values };
  }
}

/**
 * A registry with the request metrics and Node's process metrics, and `collect()`, the
 * text GET /metrics serves: this registry's, or in a worker of several (src/cluster.js)
 * every worker's, summed by the primary.
 *
 * @param {object} [options]
 * @param {boolean} [options.aggregate] ask the cluster's primary (default: when this
 *   process is a node:cluster worker)
 */
export function createMetrics({ aggregate = cluster.isWorker } = {}) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  return {
    registry,
    collect: aggregate ? workerMetrics(registry) : () => registry.metrics(),
    requests: new client.Counter({
      name: "http_requests_total",
      help: "HTTP requests by route template and status.",
      labelNames: LABELS,
      registers: [registry],
    }),
    duration: new Histogram({
      name: "http_request_duration_seconds",
      help: "Time from request to the end of the response.",
      labelNames: LABELS,
      buckets: BUCKETS,
      registers: [registry],
    }),
    inProgress: new client.Gauge({
      name: "http_requests_in_progress",
      help: "Requests being served.",
      labelNames: ["app_name", "method"],
      registers: [registry],
    }),
  };
}

// Callers' IDs are kept when short, printable ASCII without spaces.
function acceptable(value) {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_REQUEST_ID && /^[\x21-\x7e]+$/.test(value);
}

/** X-Request-ID: the caller's, or 32 new hex digits; on the response and every log line. */
export function requestId() {
  return (req, res, next) => {
    const incoming = req.get("x-request-id");
    req.id = acceptable(incoming) ? incoming : randomBytes(16).toString("hex");
    res.set("X-Request-ID", req.id);
    requestContext.run({ requestId: req.id }, next);
  };
}

/** The access line and request metrics of every request. */
export function observability({ service, metrics, log }) {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const method = req.method;
    // Read now: inside a mounted router req.path is relative to the mount point.
    const path = req.path;
    const measured = !PLATFORM_PATHS.has(path);
    if (measured) {
      metrics.inProgress.inc({ app_name: service, method });
    }
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
      // A client gone before an answer was started counts as a 500, as under uvicorn.
      const status = res.headersSent ? res.statusCode : 500;
      const route = res.locals.routeTemplate;
      if (measured) {
        metrics.inProgress.dec({ app_name: service, method });
        if (route !== undefined) {
          const labels = { app_name: service, method, path: route, status_code: String(status) };
          metrics.requests.inc(labels);
          metrics.duration.observe(labels, elapsed);
        }
      }
      const line = {
        method,
        route: route ?? "unmatched",
        path,
        status,
        duration_ms: Math.round(elapsed * 1e6) / 1e3,
        client: req.ip ?? "unknown",
      };
      // Who called (docs/logging.md), or why their credential was refused; never the
      // credential itself.
      const principal = res.locals.principal;
      if (principal !== undefined) {
        line.subject = principal.subject;
        line.client_id = principal.client;
        line.auth = principal.scheme;
      } else if (res.locals.authRefusal !== undefined) {
        line.auth_error = res.locals.authRefusal.reason;
      }
      line.request_id = req.id;
      log.info(line, "request");
    };
    res.on("finish", finish);
    res.on("close", finish);
    next();
  };
}

/** GET /metrics: Prometheus text format. */
export function metricsHandler(metrics) {
  return async (_req, res) => {
    res.set("Content-Type", metrics.registry.contentType);
    res.send(await metrics.collect());
  };
}
