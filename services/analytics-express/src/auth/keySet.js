// The identity provider's signing keys: a JSON Web Key Set (RFC 7517) from a file or a
// URL, cached, and fetched again when it is old or when a token names a key it lacks, as
// servicekit/auth/jwks.py does for the twin (docs/security.md, "The key set").
//
// Keys rotate without a restart: a token with an unknown `kid` makes the set refresh, at
// most once per refreshIntervalS, so made-up key IDs cannot turn the service into a flood
// of requests to its provider. Concurrent requests share one fetch; a failed fetch keeps
// the keys held so far.
import { readFile } from "node:fs/promises";
import { importJWK } from "jose";
import { Refusal } from "./principal.js";

export const MAX_JWKS_BYTES = 1_048_576;

// Which key types and curves may verify which algorithm: the token's header names the
// algorithm, and a key of another type must never be made to verify it.
const KEY_TYPES = {
  RS256: ["RSA"], RS384: ["RSA"], RS512: ["RSA"],
  PS256: ["RSA"], PS384: ["RSA"], PS512: ["RSA"],
  ES256: ["EC", "P-256"], ES384: ["EC", "P-384"], ES512: ["EC", "P-521"],
  EdDSA: ["OKP"],
};
const EDDSA_CURVES = new Set(["Ed25519", "Ed448"]);

export class JwksError extends Error {
  constructor(message) {
    super(message);
    this.name = "JwksError";
  }
}

/** A public signing key of a type some allowed algorithm uses: never "oct", never one with
 * private parts. */
function usable(jwk) {
  return (
    jwk !== null &&
    typeof jwk === "object" &&
    !Array.isArray(jwk) &&
    ["RSA", "EC", "OKP"].includes(jwk.kty) &&
    (jwk.use === undefined || jwk.use === "sig") &&
    !("d" in jwk) &&
    (jwk.kid === undefined || typeof jwk.kid === "string")
  );
}

/** The usable keys of a JWKS document by key ID (null for a key without one). */
export function parseJwks(document) {
  let data;
  try {
    data = JSON.parse(Buffer.isBuffer(document) ? document.toString("utf8") : document);
  } catch (error) {
    throw new JwksError(`not JSON: ${error.message}`);
  }
  if (data === null || typeof data !== "object" || !Array.isArray(data.keys)) {
    throw new JwksError('not a JWK Set: no "keys" list');
  }
  const keys = new Map();
  for (const jwk of data.keys) {
    if (usable(jwk)) keys.set(jwk.kid ?? null, jwk);
  }
  if (keys.size === 0) {
    throw new JwksError("no public signing key (RSA, EC or OKP with use sig) in it");
  }
  return keys;
}

function sameKeys(a, b) {
  if (a.size !== b.size) return false;
  for (const [kid, jwk] of a) {
    if (!b.has(kid) || JSON.stringify(b.get(kid)) !== JSON.stringify(jwk)) return false;
  }
  return true;
}

export class KeySet {
  /**
   * @param {object} options
   * @param {string} options.source a file path, or an http(s) URL
   * @param {number} options.cacheS age after which the set is read again
   * @param {number} options.refreshIntervalS least time between two reads
   * @param {number} options.timeoutS one read's time limit
   * @param {import("pino").Logger} options.log
   */
  constructor({ source, cacheS, refreshIntervalS, timeoutS, log }) {
    this.source = source;
    this.isUrl = /^https?:\/\//.test(source);
    this.cacheS = cacheS;
    this.refreshIntervalS = refreshIntervalS;
    this.timeoutS = timeoutS;
    this.log = log;
    this.version = 0; // changes whenever the keys do, so verified tokens are checked again
    this.fetches = 0;
    this.keys = new Map();
    this.prepared = new Map();
    this.loadedAt = -Infinity;
    this.attemptedAt = -Infinity;
    this.refreshing = null;
  }

  get loaded() {
    return this.keys.size > 0;
  }

  get keyIds() {
    return [...this.keys.keys()].filter((kid) => kid !== null);
  }

  async read() {
    if (!this.isUrl) {
      return readFile(this.source);
    }
    // Redirects are not followed: the configured URL is the one trusted.
    const response = await fetch(this.source, { redirect: "manual", signal: AbortSignal.timeout(this.timeoutS * 1000) });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new JwksError(`${this.source} answered ${response.status}`);
    }
    const chunks = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += chunk.length;
      if (size > MAX_JWKS_BYTES) {
        throw new JwksError(`${this.source} sent more than ${MAX_JWKS_BYTES} bytes`);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  async fetch() {
    this.attemptedAt = performance.now();
    this.fetches += 1;
    let keys;
    try {
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new JwksError(`no answer within ${this.timeoutS} s`)), this.timeoutS * 1000);
      });
      try {
        keys = parseJwks(await Promise.race([this.read(), timeout]));
      } finally {
        clearTimeout(timer);
      }
    } catch (error) {
      // The keys held so far stay in use: a provider's outage must not lock out callers
      // whose tokens the service can still verify.
      const detail = error.code ? `${error.code}: ${error.message}` : error.message || error.name;
      this.log.warn({ source: this.source, error: detail }, "JWKS not refreshed");
      if (!this.loaded) throw new JwksError(detail);
      return;
    }
    if (!sameKeys(keys, this.keys)) {
      this.log.info({ source: this.source, key_ids: [...keys.keys()].filter((kid) => kid !== null) }, "JWKS loaded");
      this.keys = keys;
      this.prepared = new Map();
      this.version += 1;
    }
    this.loadedAt = performance.now();
  }

  /** Fetches the set again unless it was tried less than refreshIntervalS ago (`force`: at
   * start). Concurrent callers wait for one fetch. Whether it ran. */
  async refresh({ force = false } = {}) {
    if (this.refreshing === null) {
      if (!force && performance.now() - this.attemptedAt < this.refreshIntervalS * 1000) {
        return false;
      }
      this.refreshing = this.fetch().finally(() => {
        this.refreshing = null;
      });
    }
    await this.refreshing;
    return true;
  }

  /** The key that must verify a token of `algorithm` naming `kid`; refreshes the set when
   * the key is unknown or the set is older than cacheS. */
  async key(kid, algorithm) {
    const stale = performance.now() - this.loadedAt > this.cacheS * 1000;
    if (stale || this.find(kid) === undefined) {
      try {
        await this.refresh();
      } catch (error) {
        if (error instanceof JwksError) throw new Refusal("the identity provider's keys are unavailable");
        throw error;
      }
    }
    const jwk = this.find(kid);
    if (jwk === undefined) {
      throw new Refusal(kid !== null ? "token signed with an unknown key" : "token names no key");
    }
    return this.prepare(kid ?? jwk.kid ?? null, jwk, algorithm);
  }

  find(kid) {
    if (kid !== null) return this.keys.get(kid);
    // A token without a key ID can only mean the set's one key.
    return this.keys.size === 1 ? [...this.keys.values()][0] : undefined;
  }

  async prepare(kid, jwk, algorithm) {
    const cacheKey = `${kid}\u0000${algorithm}`;
    const prepared = this.prepared.get(cacheKey);
    if (prepared !== undefined) return prepared;
    const [keyType, curve] = KEY_TYPES[algorithm];
    const notFor = new Refusal(`the token's key is not a key for ${algorithm}`);
    if (jwk.kty !== keyType || (jwk.alg !== undefined && jwk.alg !== algorithm)) throw notFor;
    if (curve !== undefined && jwk.crv !== curve) throw notFor;
    if (algorithm === "EdDSA" && !EDDSA_CURVES.has(jwk.crv)) throw notFor;
    let key;
    try {
      // The key is bound to the algorithm here: it verifies with this algorithm only,
      // whatever else the token's header says.
      key = await importJWK({ ...jwk, alg: algorithm }, algorithm);
    } catch (error) {
      this.log.warn({ kid, error: error.message }, "unusable key in the JWKS");
      throw new Refusal("the token's key is unusable");
    }
    this.prepared.set(cacheKey, key);
    return key;
  }
}
