// Test helpers: a fresh database per test file on the run's throwaway PostgreSQL
// (TEST_POSTGRES_URL, which express_service's :test provides), and the app served on a
// free port with its log lines captured.
import { createHash, randomBytes } from "node:crypto";
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

// The tests' own API key, with both scopes: service.get and service.post send it unless
// the request carries credentials of its own or `auth: false` (tests/auth.test.js).
export const TEST_API_KEY = "express-tests-0123456789abcdefghijklmnopqrstu";
export const TEST_API_KEYS = [
  { client: "tests", sha256: createHash("sha256").update(TEST_API_KEY).digest("hex"), scopes: ["analytics:read", "analytics:write"] },
];

// Tests send bursts a rate limit would rightly refuse; the rate limit tests turn it on.
const TEST_ENV = {
  EXPRESS_SERVICE_NAME: "analytics-express",
  ANALYTICS_RATE_LIMIT__ENABLED: "false",
  ANALYTICS_AUTH__API_KEYS: JSON.stringify(TEST_API_KEYS),
};

/** `init` for fetch with the tests' API key added, unless it has credentials or says
 * `auth: false`. */
function withKey(init = {}) {
  const { auth = true, ...rest } = init;
  const headers = { ...(rest.headers ?? {}) };
  const names = Object.keys(headers).map((name) => name.toLowerCase());
  if (auth && !names.includes("authorization") && !names.includes("x-api-key")) {
    headers["X-API-Key"] = TEST_API_KEY;
  }
  return { ...rest, headers };
}

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
  const { app, health, authenticator } = createApp({ config, database, inference, loggers });
  await authenticator.start();
  const server = await new Promise((resolve) => {
    const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
  });
  const baseUrl = `http://127.0.0.1:${server.address().port}`;
  return {
    baseUrl,
    database,
    inference,
    health,
    authenticator,
    logs,
    get: (path, init) => fetch(baseUrl + path, withKey(init)),
    /** POST `body` as JSON; `options.auth: false` sends no credentials of the tests'. */
    post: (path, body, headers = {}, { auth = true } = {}) =>
      fetch(
        baseUrl + path,
        withKey({ method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body), auth }),
      ),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await inference.stop();
      await database.stop();
    },
  };
}
