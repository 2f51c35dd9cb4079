// The Express app: the platform's middleware (request IDs, access lines, metrics, body
// limits, problem+json errors), health and metrics endpoints, and the analytics API.
import express from "express";
import { Health } from "./health.js";
import { createMetrics, metricsHandler, observability, requestId } from "./observability.js";
import { HttpProblem, PROBLEM_TYPE, errorHandler, notFound } from "./problems.js";
import { listSymbols } from "./routes/symbols.js";
import { RouteTemplates, route } from "./routing.js";

/**
 * @param {object} options
 * @param {object} options.config what loadConfig() returned
 * @param {import("./db.js").Database} options.database started, or to be started
 * @param {{ getLogger(name: string): import("pino").Logger }} options.loggers
 * @returns {{ app: import("express").Express, health: Health }}
 */
export function createApp({ config, database, loggers }) {
  const service = config.service.name;
  const health = new Health({ service, version: config.service.version, timeoutS: config.healthCheckTimeoutS });
  health.register(database.name, () => database.check());
  const metrics = createMetrics();
  const templates = new RouteTemplates();

  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  // Behind a proxy on this machine (a sidecar, the load balancer's agent), the client is
  // the one X-Forwarded-For names, as uvicorn's proxy headers give it to the twin.
  app.set("trust proxy", "loopback");
  app.use(requestId());
  app.use(observability({ service, metrics, log: loggers.getLogger("express.access") }));
  app.use(bodyLimit(config.maxBodyBytes, templates));
  // Any JSON value, as the twin's parser takes (strict: objects and arrays only).
  app.use(express.json({ limit: config.maxBodyBytes, strict: false }));

  const platform = express.Router();
  route(platform, templates, "", "/health/live", { get: health.live() });
  route(platform, templates, "", "/health/ready", { get: health.ready() });
  route(platform, templates, "", "/metrics", { get: metricsHandler(metrics) });
  app.use(platform);

  const v1 = express.Router();
  route(v1, templates, "/v1", "/symbols", { get: listSymbols(database) });
  app.use("/v1", v1);

  app.use(notFound);
  app.use(errorHandler(loggers.getLogger("express.errors"), config.maxBodyBytes));
  return { app, health };
}

/** Refuses a declared body over the limit before routing, as the twin does; a body that
 * grows past it unannounced is refused by the JSON parser. */
function bodyLimit(maxBytes, templates) {
  return (req, res, next) => {
    const declared = Number(req.get("content-length"));
    if (Number.isFinite(declared) && declared > maxBytes) {
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
