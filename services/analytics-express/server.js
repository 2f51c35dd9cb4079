// The entry point (express_service's main): settings from the environment, the database
// and its schema, the model, then the HTTP server. On SIGTERM the service drains: readiness answers
// 503 for DRAIN_SECONDS so load balancers stop sending traffic, then the server stops
// accepting, finishes what is in flight and closes the pool. With WEB_CONCURRENCY > 1 this
// process is node:cluster's primary, and each of that many workers runs the service
// (src/cluster.js).
import cluster from "node:cluster";
import { READ_SCOPE, WRITE_SCOPE, createApp } from "./src/app.js";
import { Authenticator } from "./src/auth/index.js";
import { developmentIdentity } from "./src/auth/development.js";
import { runPrimary } from "./src/cluster.js";
import { ConfigError, loadConfig } from "./src/config.js";
import { Database } from "./src/db.js";
import { Inference } from "./src/inference/inference.js";
import { createLoggers } from "./src/logger.js";
import { loadMigrations, migrate } from "./src/migrations.js";

// In-flight requests get this long after the drain before connections are cut.
const GRACEFUL_SHUTDOWN_S = 30;

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // One plain line per problem on stderr, as servicekit.serve prints them for the twin.
  const service = process.env.EXPRESS_SERVICE_NAME ?? "analytics-express";
  for (const problem of error.problems) process.stderr.write(`${service}: cannot start: ${problem}\n`);
  process.exit(1);
}

// Printed beside the development token under `bazel run`: a trade recorded with it.
const EXAMPLE =
  "curl -s -X POST {url}/v1/trades -H 'Authorization: Bearer {token}' " +
  "-H 'content-type: application/json' -d '{\"client_trade_id\": \"try-1\", " +
  '"symbol": "AAPL", "size": "100", "price": "187.25", ' +
  "\"executed_at\": \"2026-01-05T14:30:00Z\"}'";

// Under `bazel run` in development with no JWKS: trust the development identity and print
// a token to call the service with (docs/security.md); elsewhere it needs a JWKS.
// The primary of several workers prints the banner; its workers trust the same key.
const identity = { scopes: [READ_SCOPE, WRITE_SCOPE], examples: [EXAMPLE] };
if (config.workers > 1 && cluster.isPrimary) {
  await developmentIdentity(config, identity);
  const loggers = createLoggers({ service: config.service.name, level: config.logLevel, json: config.logJson });
  runPrimary({ workers: config.workers, log: loggers.getLogger("analytics.cluster") });
} else {
  await developmentIdentity(config, cluster.isWorker ? { ...identity, write: () => {} } : identity);
  await serve();
}

async function serve() {
  const loggers = createLoggers({ service: config.service.name, level: config.logLevel, json: config.logJson });
  const log = loggers.getLogger("analytics");
  const database = new Database(config.database, loggers.getLogger("analytics.db"));
  const inference = new Inference();
  const authenticator = new Authenticator({
    auth: config.auth,
    service: config.service.name,
    environment: config.environment,
    log: loggers.getLogger("analytics.auth"),
  });
  try {
    // First, as the twin starts its authenticator: a JWKS file that cannot be read stops
    // the service before it touches the database.
    await authenticator.start();
    log.info({ component: authenticator.name }, "component started");
    await database.start();
    log.info({ component: database.name }, "component started");
    // Loading parses and optimises the model's graph: once, before serving.
    await inference.start();
    log.info({ component: inference.name, model: inference.model.name, sha256: inference.model.sha256 }, "component started");
    const applied = await migrate(database.pool, await loadMigrations());
    log.info({ applied }, "schema migrated");
  } catch (error) {
    log.fatal({ exception: error.stack }, `the service cannot start: ${error.message}`);
    await inference.stop();
    await database.stop();
    process.exit(1);
  }

  const { app, health } = createApp({ config, database, inference, loggers, authenticator });
  const server = app.listen(config.port, config.host, () => {
    log.info({ version: config.service.version, environment: config.environment, port: config.port }, "service ready");
  });
  server.on("error", (error) => {
    log.fatal({ exception: error.stack }, "the server cannot listen");
    process.exit(1);
  });

  let stopping = false;
  function stop() {
    if (stopping) return;
    stopping = true;
    // Stops accepting, closes idle keep-alive connections, and calls back once the
    // requests in flight have been answered.
    server.close(async () => {
      await inference.stop();
      await database.stop();
      log.info("service stopped");
      // A worker's channel to the primary would keep it alive.
      if (cluster.isWorker) process.exit(0);
    });
    setTimeout(() => server.closeAllConnections(), GRACEFUL_SHUTDOWN_S * 1000).unref();
  }

  process.on("SIGTERM", () => {
    if (stopping || health.draining || config.drainSeconds <= 0) {
      stop();
      return;
    }
    health.startDraining();
    log.info({ seconds: config.drainSeconds }, "draining before shutdown");
    setTimeout(stop, config.drainSeconds * 1000);
  });
  process.on("SIGINT", stop);
}
