// Bearer token verification: a JWT (RFC 7519) signed by the identity provider, checked
// against its key set, issuer, audience, lifetime and algorithms, in the order and with
// the reasons of the twin's servicekit/auth/tokens.py (docs/security.md, "Verifying a
// bearer token"). jose verifies the signature; the claims are checked here, in PyJWT's
// order, so that a token wrong in two ways is refused for the same reason by both.
import { compactVerify, errors } from "jose";
import { Principal, Refusal } from "./principal.js";

// Longer than any token a provider issues, short enough that parsing stays cheap.
export const MAX_TOKEN_LENGTH = 8192;
const REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"];
// Verified tokens are remembered until they expire, so a caller reusing its token pays for
// the signature check once. Bounded; cleared when full.
export const CACHE_SIZE = 4096;

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The token's header, read only to choose the key. */
function header(token) {
  const dot = token.indexOf(".");
  if (dot < 0) throw new Refusal("malformed token");
  let parsed;
  try {
    parsed = JSON.parse(Buffer.from(token.slice(0, dot), "base64url").toString("utf8"));
  } catch {
    throw new Refusal("malformed token");
  }
  if (!isObject(parsed)) throw new Refusal("malformed token");
  return parsed;
}

/** A NumericDate as Python's int() reads it, or undefined when it cannot. */
function integer(value) {
  if (typeof value === "number") return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string" && /^\s*[+-]?\d+(_\d+)*\s*$/.test(value)) return Number(value.replaceAll("_", ""));
  return undefined;
}

/** RFC 9068 `scope` (space-separated), or `scp` as some providers write it. */
function scopes(claims) {
  const value = "scope" in claims ? claims.scope : "scp" in claims ? claims.scp : "";
  if (typeof value === "string") return new Set(value.split(/\s+/).filter(Boolean));
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return new Set(value);
  throw new Refusal("token scope claim is neither a string nor a list of strings");
}

function principal(claims) {
  const subject = claims.sub;
  if (typeof subject !== "string" || subject.length === 0 || subject.length > 256) {
    throw new Refusal("token subject is not a string of 1 to 256 characters");
  }
  const client = "client_id" in claims ? claims.client_id : claims.azp;
  if (client !== undefined && client !== null && typeof client !== "string") {
    throw new Refusal("token client_id is not a string");
  }
  return new Principal({ subject, client: client ?? null, scopes: scopes(claims), scheme: "bearer" });
}

export class BearerVerifier {
  /**
   * @param {import("./keySet.js").KeySet} keys
   * @param {object} options issuer, audience, algorithms, leewayS
   */
  constructor(keys, { issuer, audience, algorithms, leewayS }) {
    this.keys = keys;
    this.issuer = issuer;
    this.audience = audience;
    this.algorithms = new Set(algorithms);
    this.leewayS = leewayS;
    this.verified = new Map();
  }

  /** The Principal `token` proves, or throws a Refusal saying why not. */
  async verify(token) {
    const cached = this.verified.get(token);
    if (cached !== undefined) {
      if (cached.version === this.keys.version && Date.now() / 1000 <= cached.expires + this.leewayS) {
        return cached.principal;
      }
      this.verified.delete(token);
    }
    if (token.length > MAX_TOKEN_LENGTH) throw new Refusal("malformed token");
    const { alg: algorithm, kid = null } = header(token);
    // Checked before any key is looked up: "none" and HMAC never reach a key.
    if (typeof algorithm !== "string" || !this.algorithms.has(algorithm)) {
      throw new Refusal("token algorithm not allowed");
    }
    if (kid !== null && typeof kid !== "string") throw new Refusal("malformed token");
    const key = await this.keys.key(kid, algorithm);
    if (token.split(".").length !== 3) throw new Refusal("malformed token");
    let payload;
    try {
      ({ payload } = await compactVerify(token, key, { algorithms: [algorithm] }));
    } catch (error) {
      if (error instanceof errors.JWSSignatureVerificationFailed) throw new Refusal("token signature does not verify");
      if (error instanceof errors.JOSEAlgNotAllowed) throw new Refusal("token algorithm not allowed");
      throw new Refusal("malformed token");
    }
    let claims;
    try {
      claims = JSON.parse(Buffer.from(payload).toString("utf8"));
    } catch {
      throw new Refusal("malformed token");
    }
    if (!isObject(claims)) throw new Refusal("malformed token");
    this.validate(claims);
    const found = principal(claims);
    if (this.verified.size >= CACHE_SIZE) this.verified.clear();
    this.verified.set(token, { principal: found, expires: integer(claims.exp), version: this.keys.version });
    return found;
  }

  /** RFC 7519 claims, in PyJWT's order. */
  validate(claims) {
    for (const claim of REQUIRED_CLAIMS) {
      if (claims[claim] === undefined || claims[claim] === null) throw new Refusal(`token lacks the ${claim} claim`);
    }
    const now = Date.now() / 1000;
    const leeway = this.leewayS;
    if ("iat" in claims) {
      const iat = integer(claims.iat);
      if (iat === undefined) throw new Refusal("invalid token");
      if (iat > now + leeway) throw new Refusal("token not yet valid");
    }
    if ("nbf" in claims) {
      const nbf = integer(claims.nbf);
      if (nbf === undefined) throw new Refusal("malformed token");
      if (nbf > now + leeway) throw new Refusal("token not yet valid");
    }
    const exp = integer(claims.exp);
    if (exp === undefined) throw new Refusal("malformed token");
    if (exp <= now - leeway) throw new Refusal("token expired");
    if (claims.iss !== this.issuer) throw new Refusal("token from another issuer");
    const audiences = typeof claims.aud === "string" ? [claims.aud] : claims.aud;
    if (!Array.isArray(audiences) || !audiences.every((item) => typeof item === "string") || !audiences.includes(this.audience)) {
      throw new Refusal("token is for another audience");
    }
    if (typeof claims.sub !== "string") throw new Refusal("invalid token");
    if ("jti" in claims && typeof claims.jti !== "string") throw new Refusal("invalid token");
  }
}
