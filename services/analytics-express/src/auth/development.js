// The development identity of docs/security.md ("Tokens for local work"): under
// `bazel run`, in development with no JWKS configured, the service trusts the RSA key pair
// that servicekit/auth/development.py keeps in $XDG_CACHE_HOME/fastapi_rules/dev_identity
// (else ~/.cache/...), the same files, so a token of the dev_token tool or of the twin's
// banner works here too, and prints a token to call it with. Made here on first use when
// neither service has made it yet. Never used elsewhere: tests and images do not set
// BUILD_WORKSPACE_DIRECTORY, and outside development the service needs a JWKS.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";

export const DEVELOPMENT_ISSUER = "urn:fastapi-rules:development";
export const DEFAULT_TTL_S = 12 * 3600;
const DEV_TOKEN_TOOL = "bazel run @fastapi_rules//tools/fastapi_rules/runtime:dev_token";
const ALGORITHM = "RS256";

export function defaultDirectory(env = process.env) {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "fastapi_rules", "dev_identity");
}

/** RFC 7638 thumbprint of an RSA key: the key ID servicekit gives it. */
function thumbprint(jwk) {
  const canonical = JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
  return createHash("sha256").update(canonical).digest("base64url");
}

function readIfExists(path) {
  try {
    return readFileSync(path);
  } catch (error) {
    if (error.code === "ENOENT") return undefined;
    throw error;
  }
}

export class DevelopmentIdentity {
  constructor(privateKey, directory) {
    this.privateKey = privateKey;
    this.directory = directory;
    const { kty, n, e } = createPublicKey(privateKey).export({ format: "jwk" });
    this.kid = thumbprint({ kty, n, e });
    this.publicJwk = { kty, key_ops: ["verify"], n, e, kid: this.kid, alg: ALGORITHM, use: "sig" };
  }

  get jwksFile() {
    return join(this.directory, "jwks.json");
  }

  /** The key pair in `directory`, made there if there is none (mode 0600). */
  static loadOrCreate(directory = defaultDirectory()) {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const keyFile = join(directory, "private_key.pem");
    if (readIfExists(keyFile) === undefined) {
      const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 65537 });
      const pem = privateKey.export({ type: "pkcs8", format: "pem" });
      try {
        // Two services starting at once may both get here: one key wins, both read it.
        writeFileSync(keyFile, pem, { flag: "wx", mode: 0o600 });
      } catch (error) {
        if (error.code !== "EEXIST") throw error;
      }
    }
    const key = createPrivateKey(readFileSync(keyFile));
    if (key.asymmetricKeyType !== "rsa") {
      throw new Error(`${keyFile} is not an RSA private key; delete it to make a new one`);
    }
    const identity = new DevelopmentIdentity(key, directory);
    // The public set beside it, as the twin writes it; left alone when it holds this key.
    let current;
    try {
      current = JSON.parse(readIfExists(identity.jwksFile)?.toString("utf8") ?? "null");
    } catch {
      current = null;
    }
    const holds = Array.isArray(current?.keys) && current.keys.some((jwk) => jwk?.kid === identity.kid && jwk?.n === identity.publicJwk.n);
    if (!holds) {
      const temporary = `${identity.jwksFile}.${process.pid}`;
      writeFileSync(temporary, JSON.stringify({ keys: [identity.publicJwk] }, null, 2), { mode: 0o644 });
      renameSync(temporary, identity.jwksFile);
    }
    return identity;
  }

  /** A token of this identity. */
  async mint({ audience, scopes, subject = "developer", client = "dev_token", ttlS = DEFAULT_TTL_S }) {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ client_id: client, scope: scopes.join(" "), jti: randomUUID().replaceAll("-", "") })
      .setProtectedHeader({ alg: ALGORITHM, kid: this.kid, typ: "JWT" })
      .setIssuer(DEVELOPMENT_ISSUER)
      .setAudience(audience)
      .setSubject(subject)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttlS)
      .sign(this.privateKey);
  }
}

/**
 * Under `bazel run` in development with no JWKS configured: makes `config` trust the
 * development identity and prints a token granting `scopes`, with `examples` (command
 * lines in which {token} and {url} are replaced), to standard error, never into the JSON
 * log. Else undefined: tests, images and configured services are left alone.
 */
export async function developmentIdentity(config, { scopes, examples = [], env = process.env, directory, write = (text) => process.stderr.write(text) }) {
  const auth = config.auth;
  const wanted = "BUILD_WORKSPACE_DIRECTORY" in env;
  if (!wanted || config.environment !== "development" || auth.jwksUrl !== undefined || auth.jwksFile !== undefined) {
    return undefined;
  }
  const identity = DevelopmentIdentity.loadOrCreate(directory ?? defaultDirectory(env));
  auth.jwksFile = identity.jwksFile;
  auth.issuer = DEVELOPMENT_ISSUER;
  const service = config.service.name;
  const audience = auth.audience ?? service;
  const token = await identity.mint({ audience, scopes });
  const url = `http://localhost:${config.port}`;
  const lines = [
    `${service}: development identity (bazel run without ANALYTICS_AUTH__JWKS_URL or ` +
      `ANALYTICS_AUTH__JWKS_FILE): tokens signed by ${identity.directory} are trusted.`,
    `  bearer token for ${audience}, valid ${DEFAULT_TTL_S / 3600} h, scopes ${scopes.join(" ") || "(none)"}:`,
    `    export TOKEN=${token}`,
    ...(examples.length > 0 ? ["  try:"] : []),
    ...examples.map((line) => `    ${line.replaceAll("{token}", token).replaceAll("{url}", url)}`),
    `  more tokens: ${DEV_TOKEN_TOOL} -- --audience ${audience} --scope SCOPE`,
  ];
  write(`${lines.join("\n")}\n`);
  return identity;
}
