// Test helpers: a fresh database per test file on the run's throwaway PostgreSQL
// (TEST_POSTGRES_URL, which express_service's :test provides), and the app served on a
// free port with its log lines captured.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createApp } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { Database } from "../src/db.js";
import { Inference } from "../src/inference/inference.js";
import { createLoggers } from "../src/logger.js";
import { loadMigrations, migrate } from "../src/migrations.js";

/** A new, empty database; returns its URL. */
export async function createDatabase() {
  const serverUrl = process.env.TEST_POSTGRES_URL;
  if (!serverUrl) {
    throw new Error("TEST_POSTGRES_URL is not set: run the tests with bazel test (express_service's :test starts PostgreSQL)");
  }
  const name = `test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Log lines written to memory, parsed. */
export function captureLogs() {
  const lines = [];
  return {
    lines,
    write(line) {
      lines.push(JSON.parse(line));
    },
  };
}

// Tests send bursts a rate limit would rightly refuse; the rate limit tests turn it on.
const TEST_ENV = { EXPRESS_SERVICE_NAME: "analytics-express", ANALYTICS_RATE_LIMIT__ENABLED: "false" };

/**
 * The service on a fresh, migrated database, listening on a free port of loopback.
 *
 * @param {object} [env] extra environment variables for loadConfig()
 * @param {object} [options]
 * @param {string} [options.databaseUrl] a database to use instead of a fresh one
 * @param {boolean} [options.startModel] load the model (default true)
 */
export async function startService(env = {}, { databaseUrl, startModel = true } = {}) {
  const url = databaseUrl ?? (await createDatabase());
  const config = loadConfig({ ...TEST_ENV, ANALYTICS_DATABASE__URL: url, ...env });
  const logs = captureLogs();
  const loggers = createLoggers({ service: config.service.name, level: "debug", destination: logs });
  const database = new Database(config.database, loggers.getLogger("analytics.db"));
  await database.start();
  await migrate(database.pool, await loadMigrations());
  const inference = new Inference();
  if (startModel) {
    await inference.start();
  }
  const { app, health } = createApp({ config, database, inference, loggers });
  const server = await new Promise((resolve) => {
    const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
  });
  const baseUrl = `http://127.0.0.1:${server.address().port}`;
  return {
    baseUrl,
    database,
    inference,
    health,
    logs,
    get: (path, init) => fetch(baseUrl + path, init),
    /** POST `body` as JSON. */
    post: (path, body, headers = {}) =>
      fetch(baseUrl + path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) }),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await inference.stop();
      await database.stop();
    },
  };
}
