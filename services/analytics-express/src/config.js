// Settings from the environment. The service reads the same variables as its FastAPI twin
// (services/analytics/settings.py: the ANALYTICS_ prefix, "__" for nested settings), so
// one environment configures either; a bad value stops the service at start, with every
// problem named.
import { readFileSync, statSync } from "node:fs";
import { parseRateLimit } from "./rateLimit.js";

const PREFIX = "ANALYTICS_";
const ENVIRONMENTS = ["development", "test", "staging", "production"];
const LOG_LEVELS = ["debug", "info", "warning", "error"];

export class ConfigError extends Error {
  constructor(problems) {
    super(`invalid settings: ${problems.join("; ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

const packageJson = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

/** Reads one variable with a parser; records a problem instead of throwing. */
function reader(env, problems) {
  return (name, parse, fallback) => {
    const raw = env[name];
    if (raw === undefined || raw === "") {
      return fallback;
    }
    try {
      return parse(raw.trim());
    } catch (error) {
      problems.push(`${name} ${error.message} (got ${JSON.stringify(raw)})`);
      return fallback;
    }
  };
}

function oneOf(choices) {
  return (text) => {
    const value = text.toLowerCase();
    if (!choices.includes(value)) {
      throw new Error(`must be one of ${choices.join(", ")}`);
    }
    return value;
  };
}

function number({ min, max, above, integer = false }) {
  return (text) => {
    const value = Number(text);
    if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) {
      throw new Error(`must be ${integer ? "a whole number" : "a number"}`);
    }
    if (min !== undefined && value < min) {
      throw new Error(`must be at least ${min}`);
    }
    if (max !== undefined && value > max) {
      throw new Error(`must be at most ${max}`);
    }
    if (above !== undefined && value <= above) {
      throw new Error(`must be above ${above}`);
    }
    return value;
  };
}

// What pydantic takes as a boolean.
const TRUE = ["1", "on", "t", "true", "y", "yes"];
const FALSE = ["0", "off", "f", "false", "n", "no"];

function boolean(text) {
  const value = text.toLowerCase();
  if (TRUE.includes(value)) return true;
  if (FALSE.includes(value)) return false;
  throw new Error("must be true or false");
}

// A list setting, in JSON as pydantic-settings reads it: ["https://app.example"].
function stringList(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw new Error('must be a JSON list of strings, e.g. ["https://app.example"]');
  }
  return value;
}

function rateLimitText(text) {
  try {
    return parseRateLimit(text);
  } catch {
    throw new Error('must be a rate limit such as "100/second" or "10 per minute"');
  }
}

function memoryStorage(text) {
  if (text !== "memory://") {
    throw new Error("must be memory://: this service counts in process memory (shared stores are not supported yet)");
  }
  return text;
}

function port(text) {
  const value = number({ min: 1, integer: true })(text);
  if (value > 65535) {
    throw new Error("must be a TCP port, 1-65535");
  }
  return value;
}

function databaseUrl(text) {
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new Error("must be a URL such as postgresql://user@host:5432/db");
  }
  if (url.protocol !== "postgresql:" && url.protocol !== "postgres:") {
    throw new Error("must be a postgresql:// URL");
  }
  return text;
}

// Signature algorithms a bearer token may use: public-key ones only. "none" would accept
// unsigned tokens, and an HMAC algorithm verified with a public key (which anyone can read
// from the JWKS) would accept tokens anyone can sign.
const ASYMMETRIC_ALGORITHMS = ["EdDSA", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512"];
// Where a service may run without an identity provider's keys (docs/security.md).
const KEYLESS_ENVIRONMENTS = ["development", "test"];

function jsonValue(text) {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error("must be JSON");
  }
}

function algorithms(text) {
  const value = jsonValue(text);
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw new Error('must be a JSON list of algorithms, e.g. ["RS256", "ES256"]');
  }
  const refused = value.filter((name) => !ASYMMETRIC_ALGORITHMS.includes(name));
  if (refused.length > 0) {
    throw new Error(
      `lists algorithms that are not allowed (${refused.join(", ")}): only public-key algorithms ` +
        `(${ASYMMETRIC_ALGORITHMS.join(", ")}); never none or HMAC`,
    );
  }
  if (value.length === 0) throw new Error("must allow at least one algorithm");
  return value;
}

const CLIENT = /^[a-z][a-z0-9_.-]{0,63}$/;
const SHA256 = /^[0-9a-f]{64}$/;
// An OAuth 2.0 scope token (RFC 6749 section 3.3), e.g. analytics:read.
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

function apiKeys(text) {
  const value = jsonValue(text);
  const shape = 'must be a JSON list of {"client": "pricing", "sha256": "<64 hex digits>", "scopes": ["analytics:read"]}';
  if (!Array.isArray(value)) throw new Error(shape);
  const entries = value.map((entry) => {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) throw new Error(shape);
    const { client, sha256, scopes = [] } = entry;
    if (typeof client !== "string" || !CLIENT.test(client)) throw new Error(`has a client that is not a name like "pricing" (${JSON.stringify(client)})`);
    if (typeof sha256 !== "string" || !SHA256.test(sha256)) throw new Error(`needs the SHA-256 of ${client}'s key as 64 lower-case hex digits`);
    if (!Array.isArray(scopes) || !scopes.every((scope) => typeof scope === "string" && SCOPE.test(scope))) {
      throw new Error(`has scopes of ${client} that are not a list of scope names`);
    }
    return { client, sha256, scopes };
  });
  const clients = entries.map((entry) => entry.client);
  if (new Set(clients).size !== clients.length) throw new Error("may name each API key client once");
  return entries;
}

function httpUrl(text) {
  if (!/^https?:\/\//.test(text)) throw new Error("must be an http:// or https:// URL");
  return text;
}

/** The `auth` settings (docs/security.md, "Configuration"), and what they lack to start. */
function authSettings(read, environment, problems) {
  const name = (setting) => `${PREFIX}AUTH__${setting}`;
  const auth = {
    jwksUrl: read(name("JWKS_URL"), httpUrl, undefined),
    jwksFile: read(name("JWKS_FILE"), (text) => text, undefined),
    issuer: read(name("ISSUER"), (text) => text, undefined),
    audience: read(name("AUDIENCE"), (text) => text, undefined),
    algorithms: read(name("ALGORITHMS"), algorithms, ["RS256", "PS256", "ES256", "EdDSA"]),
    leewayS: read(name("LEEWAY_S"), number({ min: 0, max: 300 }), 30),
    jwksCacheS: read(name("JWKS_CACHE_S"), number({ above: 0 }), 600),
    jwksRefreshIntervalS: read(name("JWKS_REFRESH_INTERVAL_S"), number({ min: 0 }), 30),
    jwksTimeoutS: read(name("JWKS_TIMEOUT_S"), number({ above: 0 }), 5),
    apiKeys: read(name("API_KEYS"), apiKeys, []),
  };
  const hasJwks = auth.jwksUrl !== undefined || auth.jwksFile !== undefined;
  if (auth.jwksUrl !== undefined && auth.jwksFile !== undefined) {
    problems.push(`${name("JWKS_URL")} and ${name("JWKS_FILE")} are both set: set one of them`);
  } else if (hasJwks && auth.issuer === undefined) {
    problems.push(`${name("ISSUER")} is not set: a JWKS needs the issuer its tokens must name`);
  }
  if (auth.jwksFile !== undefined && !isFile(auth.jwksFile)) {
    problems.push(`${name("JWKS_FILE")}=${auth.jwksFile}: no such file; point it at the JWKS (JSON)`);
  } else if (!hasJwks && !KEYLESS_ENVIRONMENTS.includes(environment) && !problems.some((p) => p.startsWith(`${PREFIX}AUTH__JWKS_`))) {
    problems.push(
      `${name("JWKS_URL")} (or ${name("JWKS_FILE")}) is not set: in ${environment} bearer tokens are verified ` +
        `with the identity provider's keys; set it and ${name("ISSUER")} (docs/security.md)`,
    );
  }
  return auth;
}

function isFile(path) {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The service's settings from `env` (process.env).
 *
 * @throws {ConfigError} naming every variable with a bad value, and a missing database URL
 */
export function loadConfig(env) {
  const problems = [];
  const read = reader(env, problems);
  const config = {
    service: {
      name: env.EXPRESS_SERVICE_NAME || packageJson.name,
      title: env.EXPRESS_SERVICE_TITLE || "Analytics Express",
      version: env.EXPRESS_SERVICE_VERSION || packageJson.version,
      description: env.EXPRESS_SERVICE_DESCRIPTION ?? packageJson.description,
    },
    host: env.HOST || "0.0.0.0",
    port: read("PORT", port, read("EXPRESS_SERVICE_PORT", port, 4201)),
    drainSeconds: read("DRAIN_SECONDS", number({ min: 0 }), 5),
    // Worker processes sharing the port (uvicorn's variable, which servicekit.serve reads).
    workers: read("WEB_CONCURRENCY", number({ min: 1, integer: true }), 1),
    environment: read(`${PREFIX}ENVIRONMENT`, oneOf(ENVIRONMENTS), "development"),
    logLevel: read(`${PREFIX}LOG_LEVEL`, oneOf(LOG_LEVELS), "info"),
    // false: readable console lines for local work, as servicekit writes them.
    logJson: read(`${PREFIX}LOG_JSON`, boolean, true),
    maxBodyBytes: read(`${PREFIX}MAX_BODY_BYTES`, number({ min: 0, integer: true }), 1_048_576),
    healthCheckTimeoutS: read(`${PREFIX}HEALTH_CHECK_TIMEOUT_S`, number({ above: 0 }), 2),
    corsOrigins: read(`${PREFIX}CORS_ORIGINS`, stringList, []),
    rateLimit: {
      enabled: read(`${PREFIX}RATE_LIMIT__ENABLED`, boolean, true),
      default: read(`${PREFIX}RATE_LIMIT__DEFAULT`, rateLimitText, parseRateLimit("100/second")),
      storageUrl: read(`${PREFIX}RATE_LIMIT__STORAGE_URL`, memoryStorage, "memory://"),
    },
    database: {
      url: read(`${PREFIX}DATABASE__URL`, databaseUrl, undefined),
      maxPoolSize: read(`${PREFIX}DATABASE__MAX_POOL_SIZE`, number({ min: 1, integer: true }), 10),
      statementTimeoutMs: read(
        `${PREFIX}DATABASE__STATEMENT_TIMEOUT_MS`,
        number({ min: 0, integer: true }),
        5000,
      ),
      connectTimeoutS: read(`${PREFIX}DATABASE__CONNECT_TIMEOUT_S`, number({ above: 0 }), 5),
      startupRetryS: read(`${PREFIX}DATABASE__STARTUP_RETRY_S`, number({ min: 0 }), 30),
    },
  };
  if (config.database.url === undefined && !problems.some((p) => p.includes("DATABASE__URL"))) {
    const variable = `${PREFIX}DATABASE__URL`;
    problems.push(
      `${variable} is not set: give the service its PostgreSQL, ` +
        `e.g. ${variable}=postgresql://user:password@host:5432/database`,
    );
  }
  config.auth = authSettings(read, config.environment, problems);
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return config;
}
