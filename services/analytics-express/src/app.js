// The Express app: the platform's middleware (request IDs, access lines, metrics, CORS,
// rate limits, body limits, problem+json errors), health and metrics endpoints, and the
// analytics API. The middleware runs in the twin's order: a request refused by a rate
// limit is still logged, counted and given CORS headers; a preflight is never limited.
import express from "express";
import { Authenticator, authenticate, requireScopes } from "./auth/index.js";
import { jsonBody } from "./body.js";
import { cors } from "./cors.js";
import { installDocs } from "./docs.js";
import { Health } from "./health.js";
import { createMetrics, metricsHandler, observability, requestId } from "./observability.js";
import { openApiDocument } from "./openapi/document.js";
import { HttpProblem, PROBLEM_TYPE, errorHandler, notFound } from "./problems.js";
import { rateLimit } from "./rateLimit.js";
import { listModels, predict, predictBatch } from "./routes/predictions.js";
import { symbolCandles, symbolStats } from "./routes/statistics.js";
import { listSymbols } from "./routes/symbols.js";
import { postTrade, postTradeBatch } from "./routes/trades.js";
import { RouteTemplates, route } from "./routing.js";

/**
 * @param {object} options
 * @param {object} options.config what loadConfig() returned
 * @param {import("./db.js").Database} options.database started, or to be started
 * @param {import("./inference/inference.js").Inference} options.inference the model, started or to be
 * @param {{ getLogger(name: string): import("pino").Logger }} options.loggers
 * @param {Authenticator} [options.authenticator] started, or to be started; made from
 *   config.auth when not given
 * @returns {{ app: import("express").Express, health: Health, metrics: object, authenticator: Authenticator, document: object }}
 */
export function createApp({ config, database, inference, loggers, authenticator }) {
  const service = config.service.name;
  const auth =
    authenticator ??
    new Authenticator({ auth: config.auth, service, environment: config.environment, log: loggers.getLogger("analytics.auth") });
  const health = new Health({ service, version: config.service.version, timeoutS: config.healthCheckTimeoutS });
  // First, as the twin's create_app registers its authenticator.
  health.register(auth.name, () => auth.check());
  health.register(database.name, () => database.check());
  health.register(inference.name, () => inference.check());
  const metrics = createMetrics();
  for (const metric of inference.metrics) {
    metrics.registry.registerMetric(metric);
  }
  const templates = new RouteTemplates();

  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  // JSON as the twin sends it: the bare media type (JSON is UTF-8 by definition, RFC 8259).
  app.response.json = function json(body) {
    // setHeader, not set: Express would add a charset to this type.
    if (!this.get("Content-Type")) this.setHeader("Content-Type", "application/json");
    return this.send(Buffer.from(JSON.stringify(body)));
  };
  // Behind a proxy on this machine (a sidecar, the load balancer's agent), the client is
  // the one X-Forwarded-For names, as uvicorn's proxy headers give it to the twin.
  app.set("trust proxy", "loopback");
  app.use(requestId());
  app.use(observability({ service, metrics, log: loggers.getLogger("express.access") }));
  if (config.corsOrigins.length > 0) {
    app.use(cors(config.corsOrigins));
  }
  // Who is calling, before the rate limit, which then counts a caller as itself.
  app.use(authenticate(auth));
  if (config.rateLimit.enabled) {
    app.use(rateLimit({ limit: config.rateLimit.default, templates }));
  }
  app.use(bodyLimit(config.maxBodyBytes, templates));

  const platform = express.Router();
  route(platform, templates, "", "/health/live", { get: health.live() });
  route(platform, templates, "", "/health/ready", { get: health.ready() });
  route(platform, templates, "", "/metrics", { get: metricsHandler(metrics) });
  app.use(platform);

  // Bodies are read by the routes that take one, after routing: a wrong method or path is
  // a 405 or 404 whatever the body, as in the twin.
  const body = jsonBody({ limit: config.maxBodyBytes });
  // Each route's policy (docs/security.md): reads and predictions need analytics:read,
  // recording trades analytics:write. After the body is read, as in the twin, where
  // FastAPI parses a body before the security dependency runs.
  const read = requireScopes(auth, READ_SCOPE);
  const write = requireScopes(auth, WRITE_SCOPE);
  const v1 = express.Router();
  route(v1, templates, "/v1", "/trades", { post: [...body, write, postTrade(database)] });
  route(v1, templates, "/v1", "/trades/batch", { post: [...body, write, postTradeBatch(database)] });
  route(v1, templates, "/v1", "/symbols/:symbol/stats", { get: [read, symbolStats(database)] });
  route(v1, templates, "/v1", "/symbols/:symbol/candles", { get: [read, symbolCandles(database)] });
  route(v1, templates, "/v1", "/symbols", { get: [read, listSymbols(database)] });
  route(v1, templates, "/v1", "/predictions", { post: [...body, read, predict(inference)] });
  route(v1, templates, "/v1", "/predictions/batch", { post: [...body, read, predictBatch(inference)] });
  route(v1, templates, "/v1", "/models", { get: [read, listModels(inference)] });
  app.use("/v1", v1);
  // The API documentation, listing the routes declared above; built here, so that a
  // route and its description that disagree stop the service at start.
  const document = openApiDocument({ service: config.service, routes: templates.routes() });
  installDocs(app, { title: config.service.title, document: () => document });

  app.use(notFound);
  app.use(errorHandler(loggers.getLogger("express.errors"), config.maxBodyBytes));
  return { app, health, metrics, authenticator: auth, document };
}

export const READ_SCOPE = "analytics:read";
export const WRITE_SCOPE = "analytics:write";

/** Refuses a declared body over the limit before routing, as the twin does; a body that
 * grows past it unannounced is refused by the route's body reader. */
function bodyLimit(maxBytes, templates) {
  return (req, res, next) => {
    const declared = Number(req.get("content-length"));
    if (maxBytes > 0 && Number.isFinite(declared) && declared > maxBytes) {
      const template = templates.find(req.path);
      if (template !== undefined) {
        res.locals.routeTemplate = template;
      }
      next(
        new HttpProblem(413, {
          detail: `Request bodies are limited to ${maxBytes} bytes.`,
          type: `${PROBLEM_TYPE}body-too-large`,
        }),
      );
      return;
    }
    next();
  };
}
