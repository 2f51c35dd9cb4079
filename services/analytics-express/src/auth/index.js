// Who may call the service, as docs/security.md specifies it and the twin's servicekit.auth
// does it: `authenticate()` finds out who is calling (before the rate limit, so the limit
// counts a principal as itself), and each route declares what it needs with
// `requireScopes(...)`: 401 problems with a WWW-Authenticate challenge for missing or
// refused credentials, 403 for a missing scope. Open paths ignore credentials altogether.
import { createHash, timingSafeEqual } from "node:crypto";
import { HttpProblem, PROBLEM_TYPE } from "../problems.js";
import { BearerVerifier } from "./bearer.js";
import { JwksError, KeySet } from "./keySet.js";
import { Principal, Refusal } from "./principal.js";

export { Principal, Refusal };

// servicekit's paths.OPEN_PATHS and OPEN_PREFIXES: credentials sent there are not read.
export const OPEN_PATHS = new Set(["/health/live", "/health/ready", "/metrics", "/docs", "/redoc", "/openapi.json"]);
export const OPEN_PREFIXES = ["/_docs/"];
// Where a service may run with no identity provider: bearer tokens are then all refused.
export const KEYLESS_ENVIRONMENTS = ["development", "test"];
// A key is 43 characters (32 random bytes, base64url). Longer input is refused unhashed.
const MAX_KEY_LENGTH = 256;
const API_KEY_HEADER = "X-API-Key";

function isAscii(text) {
  for (let i = 0; i < text.length; i += 1) {
    if (text.charCodeAt(i) > 0x7f) return false;
  }
  return true;
}

/** The service's API keys: the SHA-256 of each, never the key. */
class ApiKeys {
  constructor(entries) {
    this.entries = entries.map((entry) => ({
      digest: Buffer.from(entry.sha256, "hex"),
      principal: new Principal({ subject: entry.client, client: entry.client, scopes: new Set(entry.scopes), scheme: "api_key" }),
    }));
  }

  get clients() {
    return this.entries.map((entry) => entry.principal.subject);
  }

  verify(key) {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) throw new Refusal("malformed API key", "invalid_request");
    const digest = createHash("sha256").update(key, "ascii").digest();
    let found;
    // Every entry is compared, each in constant time: neither the time taken nor where a
    // search stopped tells a guesser how close a key came.
    for (const entry of this.entries) {
      if (timingSafeEqual(digest, entry.digest)) found = entry.principal;
    }
    if (found === undefined) throw new Refusal("unknown API key");
    return found;
  }
}

/** Verifies a request's bearer token or API key; a component with start, check and stop. */
export class Authenticator {
  /**
   * @param {object} options
   * @param {object} options.auth config.auth (loadConfig's)
   * @param {string} options.service the service's name: the realm, and the default audience
   * @param {string} options.environment
   * @param {import("pino").Logger} options.log
   */
  constructor({ auth, service, environment, log }) {
    this.name = "auth";
    this.realm = service;
    this.environment = environment;
    this.log = log;
    this.source = auth.jwksUrl ?? auth.jwksFile;
    this.keys =
      this.source === undefined
        ? null
        : new KeySet({
            source: this.source,
            cacheS: auth.jwksCacheS,
            refreshIntervalS: auth.jwksRefreshIntervalS,
            timeoutS: auth.jwksTimeoutS,
            log,
          });
    this.bearer =
      this.keys === null
        ? null
        : new BearerVerifier(this.keys, {
            issuer: auth.issuer,
            audience: auth.audience ?? service,
            algorithms: auth.algorithms,
            leewayS: auth.leewayS,
          });
    this.apiKeys = new ApiKeys(auth.apiKeys);
  }

  /** Reads the key set once before serving. A file that cannot be read stops the service;
   * a URL that does not answer leaves it not ready until it does. */
  async start() {
    if (this.keys === null && !KEYLESS_ENVIRONMENTS.includes(this.environment)) {
      throw new Error(`${this.environment} needs an identity provider's JWKS (auth.jwks_url or auth.jwks_file) to verify bearer tokens`);
    }
    if (this.keys === null) {
      this.log.warn({ environment: this.environment, api_key_clients: this.apiKeys.clients }, "no JWKS configured: every bearer token is refused");
      return;
    }
    try {
      await this.keys.refresh({ force: true });
    } catch (error) {
      if (!(error instanceof JwksError)) throw error;
      if (!this.keys.isUrl) throw new Error(`JWKS file ${this.source}: ${error.message}`, { cause: error });
      this.log.error({ source: this.source, error: error.message }, "JWKS unavailable at start");
    }
    this.log.info(
      {
        jwks: this.source,
        issuer: this.bearer.issuer,
        audience: this.bearer.audience,
        algorithms: [...this.bearer.algorithms].sort(),
        api_key_clients: this.apiKeys.clients,
      },
      "auth configured",
    );
  }

  /** Readiness: the key set has been read (retried at most once per refresh interval). */
  async check() {
    if (this.keys === null || this.keys.loaded) return;
    try {
      await this.keys.refresh();
    } catch {
      // Said below.
    }
    if (!this.keys.loaded) throw new Error(`no signing keys from ${this.source} yet`);
  }

  /** The principal the credentials prove, or a Refusal. Called with at least one; header
   * values as Node gives them (latin-1 strings of the bytes). */
  async authenticate(authorization, apiKey) {
    if (authorization !== undefined && apiKey !== undefined) {
      throw new Refusal("send a bearer token or an API key, not both", "invalid_request");
    }
    if (apiKey !== undefined) {
      if (!isAscii(apiKey)) throw new Refusal("malformed API key", "invalid_request");
      return this.apiKeys.verify(apiKey);
    }
    const space = authorization.indexOf(" ");
    const scheme = space < 0 ? authorization : authorization.slice(0, space);
    const token = space < 0 ? "" : authorization.slice(space + 1);
    if (scheme.toLowerCase() !== "bearer" || token === "" || !isAscii(token) || token.includes(" ")) {
      throw new Refusal("malformed Authorization header: expected 'Bearer <token>'", "invalid_request");
    }
    if (this.bearer === null) {
      throw new Refusal("this service has no identity provider keys: bearer tokens are refused");
    }
    return this.bearer.verify(token);
  }
}

/** A request's Authorization and X-API-Key, from the raw headers: two Authorization
 * headers are malformed whatever they say (Node keeps only the first), and of several
 * keys the last counts, as the twin reads them. */
function credentials(req) {
  let authorization;
  let apiKey;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name === "authorization") {
      if (authorization !== undefined) return { authorization: "", apiKey };
      authorization = raw[i + 1];
    } else if (name === "x-api-key") {
      apiKey = raw[i + 1];
    }
  }
  return { authorization, apiKey };
}

function isOpen(path) {
  return OPEN_PATHS.has(path) || OPEN_PREFIXES.some((prefix) => path.startsWith(prefix));
}

/** The middleware: leaves the caller in `req.principal` (and res.locals.principal, for the
 * access line), or the refusal in `req.authRefusal`. Decides nothing: routes do. */
export function authenticate(authenticator) {
  return async (req, res, next) => {
    // Open paths ignore credentials: a probe or a docs page never fails over a token.
    if (isOpen(req.path)) {
      next();
      return;
    }
    const { authorization, apiKey } = credentials(req);
    if (authorization === undefined && apiKey === undefined) {
      next();
      return;
    }
    try {
      req.principal = await authenticator.authenticate(authorization, apiKey);
      res.locals.principal = req.principal;
    } catch (error) {
      if (!(error instanceof Refusal)) {
        next(error);
        return;
      }
      req.authRefusal = error;
      res.locals.authRefusal = error;
    }
    next();
  };
}

function quoted(text) {
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** An RFC 6750 `WWW-Authenticate: Bearer` challenge. */
function challenge(realm, scopes, error, description) {
  const parts = [`realm=${quoted(realm)}`];
  if (error !== undefined) parts.push(`error=${quoted(error)}`);
  if (description !== undefined) parts.push(`error_description=${quoted(description)}`);
  if (scopes.length > 0) parts.push(`scope=${quoted(scopes.join(" "))}`);
  return `Bearer ${parts.join(", ")}`;
}

/** A route's policy: an authenticated caller holding every one of `scopes` (none: any
 * authenticated caller). Middleware for the route, after the body is read, as the twin's
 * security dependency runs after FastAPI has parsed the body. */
export function requireScopes(authenticator, ...scopes) {
  const realm = authenticator.realm;
  return (req, _res, next) => {
    const principal = req.principal;
    if (principal === undefined) {
      const refusal = req.authRefusal;
      next(
        new HttpProblem(401, {
          title: "Authentication required",
          detail:
            refusal === undefined
              ? `Send a bearer token (Authorization: Bearer) or an API key (${API_KEY_HEADER}).`
              : `Credentials refused: ${refusal.reason}.`,
          type: `${PROBLEM_TYPE}unauthenticated`,
          headers: {
            "WWW-Authenticate":
              refusal === undefined ? challenge(realm, scopes) : challenge(realm, scopes, refusal.error, refusal.reason),
          },
        }),
      );
      return;
    }
    const missing = scopes.filter((scope) => !principal.scopes.has(scope));
    if (missing.length > 0) {
      const bearer = principal.scheme === "bearer";
      next(
        new HttpProblem(403, {
          title: "Insufficient scope",
          detail: `This operation needs the scope(s) ${missing.join(", ")}, which the ${bearer ? "token" : "API key"} does not grant.`,
          type: `${PROBLEM_TYPE}insufficient-scope`,
          headers: bearer
            ? { "WWW-Authenticate": challenge(realm, scopes, "insufficient_scope", "the token lacks a scope") }
            : undefined,
        }),
      );
      return;
    }
    next();
  };
}
