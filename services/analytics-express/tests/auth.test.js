// Authentication as docs/security.md specifies it and the twin answers it: bearer JWTs of
// an identity provider whose key set is served over HTTP here, API keys, and the attacks:
// expired, not yet valid, another audience or issuer, a forged signature, alg none, HS256
// keyed with the public key, a kid unknown after a rotation, a missing scope, malformed
// headers. No credential may ever appear in a log line.
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { startService } from "./helpers.js";

const ISSUER = "https://sso.example.test/realms/trading";
const AUDIENCE = "analytics-express";
const PROBLEM = "application/problem+json";
const READ = "analytics:read";
const WRITE = "analytics:write";
const SERVICE_KEY = "pricing-key-0123456789abcdefghijklmnopqrstuv";

async function signingKey(kid, alg = "RS256") {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

function b64(value) {
  return Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
}

const sent = new Set();

async function token(key, { claims = {}, header = {}, scope = `${READ} ${WRITE}` } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: ISSUER, aud: AUDIENCE, sub: "alice", client_id: "trading-ui", scope, iat: now, exp: now + 300, ...claims };
  for (const [name, value] of Object.entries(payload)) if (value === null) delete payload[name];
  const signed = await new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
  sent.add(signed);
  return signed;
}

const bearer = (value) => ({ Authorization: `Bearer ${value}` });

describe("authentication", () => {
  let service;
  let provider;
  let jwks;
  let keys;
  let fetches = 0;

  before(async () => {
    keys = { current: await signingKey("key-1"), next: await signingKey("key-2"), ec: await signingKey("key-ec", "ES256") };
    jwks = { keys: [keys.current.jwk, keys.ec.jwk] };
    provider = createServer((_req, res) => {
      fetches += 1;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(jwks));
    });
    provider.listen(0, "127.0.0.1");
    await once(provider, "listening");
    service = await startService({
      ANALYTICS_ENVIRONMENT: "production",
      ANALYTICS_AUTH__JWKS_URL: `http://127.0.0.1:${provider.address().port}/certs`,
      ANALYTICS_AUTH__ISSUER: ISSUER,
      ANALYTICS_AUTH__JWKS_REFRESH_INTERVAL_S: "1",
      ANALYTICS_AUTH__API_KEYS: JSON.stringify([
        { client: "pricing", sha256: createHash("sha256").update(SERVICE_KEY).digest("hex"), scopes: [READ] },
      ]),
    });
  });

  after(async () => {
    await service?.close();
    provider?.close();
  });

  const get = (headers, path = "/v1/symbols") => service.get(path, { headers, auth: false });

  async function refused(answer, reason, status = 401) {
    assert.equal(answer.status, status, await answer.clone().text());
    assert.equal(answer.headers.get("content-type"), PROBLEM);
    const problem = await answer.json();
    if (status === 401) {
      assert.equal(problem.type, "urn:fastapi-rules:problem:unauthenticated");
      assert.equal(problem.title, "Authentication required");
      if (reason !== undefined) {
        assert.equal(problem.detail, `Credentials refused: ${reason}.`);
        const request = ["malformed Authorization", "malformed API key", "send a"].some((start) => reason.startsWith(start));
        const error = request ? "invalid_request" : "invalid_token";
        assert.equal(
          answer.headers.get("www-authenticate"),
          `Bearer realm="analytics-express", error="${error}", error_description="${reason}", scope="${READ}"`,
        );
      }
    }
    return problem;
  }

  it("lets a valid token through and logs its subject, never the token", async () => {
    const answer = await get({ ...bearer(await token(keys.current)), "X-Request-ID": "auth-ok" });
    assert.equal(answer.status, 200, await answer.clone().text());
    const line = service.logs.lines.find((l) => l.request_id === "auth-ok" && l.event === "request");
    assert.deepEqual([line.subject, line.client_id, line.auth], ["alice", "trading-ui", "bearer"]);
    assert.equal(line.auth_error, undefined);
  });

  it("verifies ES256 tokens with an EC key", async () => {
    assert.equal((await get(bearer(await token(keys.ec)))).status, 200);
  });

  it("answers no credentials with a 401 challenge naming the scope", async () => {
    const answer = await service.post("/v1/trades", {}, {}, { auth: false });
    assert.equal(answer.status, 401);
    assert.equal(answer.headers.get("www-authenticate"), `Bearer realm="analytics-express", scope="${WRITE}"`);
    const problem = await answer.json();
    assert.equal(problem.detail, "Send a bearer token (Authorization: Bearer) or an API key (X-API-Key).");
    assert.equal(problem.type, "urn:fastapi-rules:problem:unauthenticated");
  });

  for (const [index, [claims, reason]] of [
    [{ exp: Math.floor(Date.now() / 1000) - 120 }, "token expired"],
    [{ nbf: Math.floor(Date.now() / 1000) + 120 }, "token not yet valid"],
    [{ aud: "another-service" }, "token is for another audience"],
    [{ iss: "https://evil.test/" }, "token from another issuer"],
    [{ exp: null }, "token lacks the exp claim"],
    [{ aud: null }, "token lacks the aud claim"],
    [{ sub: null }, "token lacks the sub claim"],
    [{ scope: 7 }, "token scope claim is neither a string nor a list of strings"],
  ].entries()) {
    it(`refuses a token: ${reason}`, async () => {
      await refused(await get({ ...bearer(await token(keys.current, { claims })), "X-Request-ID": `claims-${index}` }), reason);
      const line = service.logs.lines.find((l) => l.request_id === `claims-${index}` && l.event === "request");
      assert.equal(line.auth_error, reason);
    });
  }

  it("absorbs small clock differences (30 s leeway)", async () => {
    const now = Math.floor(Date.now() / 1000);
    assert.equal((await get(bearer(await token(keys.current, { claims: { exp: now - 10 } })))).status, 200);
  });

  it("refuses a forged or tampered signature", async () => {
    const forger = await signingKey("key-1");
    await refused(await get(bearer(await token(forger))), "token signature does not verify");
    const [h, , s] = (await token(keys.current)).split(".");
    const tampered = `${h}.${b64({ iss: ISSUER, aud: AUDIENCE, sub: "root", exp: 9e9, scope: READ })}.${s}`;
    sent.add(tampered);
    await refused(await get(bearer(tampered)), "token signature does not verify");
  });

  it("refuses alg none and HS256 keyed with the public key before any key is used", async () => {
    const payload = b64({ iss: ISSUER, aud: AUDIENCE, sub: "mallory", exp: 9e9, scope: READ });
    const none = `${b64({ alg: "none", kid: "key-1" })}.${payload}.`;
    const header = b64({ alg: "HS256", kid: "key-1", typ: "JWT" });
    const hs256 = `${header}.${payload}.${createHmac("sha256", JSON.stringify(keys.current.jwk)).update(`${header}.${payload}`).digest("base64url")}`;
    for (const forged of [none, hs256]) {
      sent.add(forged);
      await refused(await get(bearer(forged)), "token algorithm not allowed");
    }
  });

  it("does not verify a token of one algorithm with a key of another", async () => {
    await refused(await get(bearer(await token(keys.current, { header: { kid: "key-ec" } }))), "the token's key is not a key for RS256");
  });

  it("answers a missing scope with a 403", async () => {
    const answer = await service.post("/v1/trades", {}, bearer(await token(keys.current, { scope: READ })), { auth: false });
    const problem = await refused(answer, undefined, 403);
    assert.equal(problem.type, "urn:fastapi-rules:problem:insufficient-scope");
    assert.equal(problem.title, "Insufficient scope");
    assert.equal(problem.detail, `This operation needs the scope(s) ${WRITE}, which the token does not grant.`);
    assert.equal(
      answer.headers.get("www-authenticate"),
      `Bearer realm="analytics-express", error="insufficient_scope", error_description="the token lacks a scope", scope="${WRITE}"`,
    );
    const scp = await token(keys.current, { claims: { scope: null, scp: [WRITE] } });
    assert.equal((await get(bearer(scp))).status, 403);
  });

  it("refuses malformed Authorization headers with 401 problems", async () => {
    const values = [
      "Bearer",
      "Bearer ",
      "Basic dXNlcjpwYXNzd29yZA==",
      "Bearer two tokens",
      "Bearer not-a-jwt",
      "Bearer a.b",
      "Bearer a.b.c.d.e",
      "Bearer eyJhbGciOiJSUzI1NiJ9.%%%.abc",
      `Bearer ${"a".repeat(10_000)}.b.c`,
      `Bearer ${b64("[".repeat(3000))}.e30.x`,
      "Token abc",
      "",
    ];
    for (const value of values) {
      const answer = await get({ Authorization: value });
      assert.equal(answer.status, 401, value.slice(0, 40));
      assert.equal(answer.headers.get("content-type"), PROBLEM);
      assert.match(answer.headers.get("www-authenticate"), /^Bearer realm="analytics-express", error="invalid_(request|token)"/);
    }
    await refused(await get({ Authorization: "Basic dXNlcjpwYXNzd29yZA==" }), "malformed Authorization header: expected 'Bearer <token>'");
    await refused(await get({ Authorization: "Bearer not-a-jwt" }), "malformed token");
    // Twice: malformed, whatever the values.
    const twice = await fetch(`${service.baseUrl}/v1/symbols`, {
      headers: [["authorization", `Bearer ${await token(keys.current)}`], ["authorization", `Bearer ${await token(keys.current)}`]],
    });
    assert.equal(twice.status, 401);
  });

  it("accepts a service's API key and refuses a wrong one", async () => {
    const answer = await get({ "X-API-Key": SERVICE_KEY, "X-Request-ID": "key-ok" });
    assert.equal(answer.status, 200);
    const line = service.logs.lines.find((l) => l.request_id === "key-ok" && l.event === "request");
    assert.deepEqual([line.subject, line.client_id, line.auth], ["pricing", "pricing", "api_key"]);
    for (const wrong of [SERVICE_KEY.slice(0, -1) + "y", SERVICE_KEY + "x", "x".repeat(300)]) {
      sent.add(wrong);
      assert.equal((await get({ "X-API-Key": wrong })).status, 401);
    }
    await refused(await get({ "X-API-Key": "nope" }), "unknown API key");
    await refused(await get({ "X-API-Key": "" }), "malformed API key");
    // The key grants analytics:read only: no WWW-Authenticate for a key.
    const write = await service.post("/v1/trades", {}, { "X-API-Key": SERVICE_KEY }, { auth: false });
    const problem = await refused(write, undefined, 403);
    assert.equal(write.headers.get("www-authenticate"), null);
    assert.match(problem.detail, /which the API key does not grant/);
    await refused(await get({ ...bearer(await token(keys.current)), "X-API-Key": SERVICE_KEY }), "send a bearer token or an API key, not both");
  });

  it("leaves open paths open whatever the credentials", async () => {
    for (const path of ["/health/live", "/health/ready", "/metrics"]) {
      assert.equal((await get({ Authorization: "Bearer forged" }, path)).status, 200, path);
    }
  });

  it("follows a key rotation, and unknown kids cannot flood the provider", async () => {
    const early = await token(keys.next);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const before = fetches;
    await refused(await get(bearer(early)), "token signed with an unknown key");
    assert.equal(fetches, before + 1);
    // Made-up kids within the interval: no more fetches.
    for (let i = 0; i < 5; i += 1) {
      await refused(await get(bearer(await token(keys.current, { header: { kid: `made-up-${i}` } }))), "token signed with an unknown key");
    }
    assert.equal(fetches, before + 1);
    // The provider publishes its next key; past the interval the unknown kid fetches again.
    jwks = { keys: [keys.current.jwk, keys.next.jwk, keys.ec.jwk] };
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal((await get(bearer(early))).status, 200);
    // The old keys are retired; the next unknown kid past the interval reads the set again.
    jwks = { keys: [keys.next.jwk] };
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await refused(await get(bearer(await token(keys.next, { header: { kid: "made-up-again" } }))), "token signed with an unknown key");
    const retired = await token(keys.ec);
    await refused(await get(bearer(retired)), "token signed with an unknown key");
  });

  it("counts the rate limit per subject", async () => {
    const limited = await startService({
      ANALYTICS_ENVIRONMENT: "test",
      ANALYTICS_AUTH__JWKS_URL: `http://127.0.0.1:${provider.address().port}/certs`,
      ANALYTICS_AUTH__ISSUER: ISSUER,
      ANALYTICS_RATE_LIMIT__ENABLED: "true",
      ANALYTICS_RATE_LIMIT__DEFAULT: "3/minute",
    });
    try {
      const alice = bearer(await token(keys.next, { claims: { sub: "alice" } }));
      const bob = bearer(await token(keys.next, { claims: { sub: "bob" } }));
      const statuses = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await limited.get("/v1/symbols", { headers: alice, auth: false })).status);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      // Another person from the same address has a budget of its own.
      assert.equal((await limited.get("/v1/symbols", { headers: bob, auth: false })).status, 200);
    } finally {
      await limited.close();
    }
  });

  it("never writes a credential into a log line", () => {
    const text = service.logs.lines.map((line) => JSON.stringify(line)).join("\n");
    assert.ok(sent.size > 10);
    for (const credential of [...sent, SERVICE_KEY]) {
      assert.ok(!text.includes(credential), "a credential in the log");
    }
    // And no signature of one either.
    for (const credential of sent) {
      const signature = credential.split(".")[2];
      if (signature && signature.length > 20) assert.ok(!text.includes(signature));
    }
  });
});
