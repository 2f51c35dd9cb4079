// CORS and rate limits, with the twin's settings, headers and refusals.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startService } from "./helpers.js";

const ALLOWED = "https://app.example";
const EXPOSED = "X-Request-ID, RateLimit-Limit, RateLimit-Remaining";
const METHODS = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, QUERY";
const PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network";

describe("CORS", () => {
  let service;

  before(async () => {
    service = await startService({ ANALYTICS_CORS_ORIGINS: JSON.stringify([ALLOWED]) });
  });

  after(async () => {
    await service.close();
  });

  const preflight = (headers) => service.get("/v1/trades", { method: "OPTIONS", headers: { "Access-Control-Request-Method": "POST", ...headers } });

  it("answers a preflight from an allowed origin", async () => {
    const answer = await preflight({ Origin: ALLOWED, "Access-Control-Request-Headers": "content-type, x-request-id" });
    assert.equal(answer.status, 200);
    assert.equal(await answer.text(), "OK");
    assert.equal(answer.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(answer.headers.get("access-control-allow-origin"), ALLOWED);
    assert.equal(answer.headers.get("access-control-allow-methods"), METHODS);
    assert.equal(answer.headers.get("access-control-allow-headers"), "content-type, x-request-id");
    assert.equal(answer.headers.get("access-control-max-age"), "600");
    assert.equal(answer.headers.get("vary"), PREFLIGHT_VARY);
    assert.match(answer.headers.get("x-request-id"), /^[0-9a-f]{32}$/);
    // Preflights are not rate limited (nor counted).
    assert.equal(answer.headers.get("ratelimit-limit"), null);
  });

  it("refuses a preflight from another origin, or for another method, with servicekit's 403 problem", async () => {
    const refusal = async (answer, detail) => {
      assert.equal(answer.status, 403);
      assert.equal(answer.headers.get("content-type"), "application/problem+json");
      // Nothing granted; caches still told that the answer depends on the origin.
      assert.deepEqual(
        [...answer.headers.keys()].filter((name) => name.startsWith("access-control-")),
        [],
      );
      assert.equal(answer.headers.get("vary"), PREFLIGHT_VARY);
      const body = await answer.json();
      assert.deepEqual(body, {
        type: "urn:fastapi-rules:problem:cors-preflight-refused",
        title: "CORS preflight refused",
        status: 403,
        detail,
        instance: "/v1/trades",
        request_id: answer.headers.get("x-request-id"),
      });
    };
    await refusal(await preflight({ Origin: "https://evil.example" }), "CORS preflight refused: the origin https://evil.example is not allowed.");
    await refusal(
      await preflight({ Origin: ALLOWED, "Access-Control-Request-Method": "TRACE" }),
      "CORS preflight refused: the method TRACE is not allowed.",
    );
    await refusal(
      await preflight({ Origin: "https://evil.example", "Access-Control-Request-Method": "TRACE", "Access-Control-Request-Private-Network": "true" }),
      "CORS preflight refused: the origin https://evil.example is not allowed; the method TRACE is not allowed; " +
        "private network access is not allowed.",
    );
  });

  it("adds the headers to answers to an allowed origin, errors included", async () => {
    for (const [path, status] of [
      ["/v1/symbols", 200],
      ["/v1/symbols?limit=0", 422],
      ["/nowhere", 404],
    ]) {
      const answer = await service.get(path, { headers: { Origin: ALLOWED } });
      assert.equal(answer.status, status);
      assert.equal(answer.headers.get("access-control-allow-origin"), ALLOWED);
      assert.equal(answer.headers.get("access-control-expose-headers"), EXPOSED);
      assert.equal(answer.headers.get("vary"), "Origin");
    }
  });

  it("adds no origin to answers to another origin, nor without one", async () => {
    const other = await service.get("/v1/symbols", { headers: { Origin: "https://evil.example" } });
    assert.equal(other.headers.get("access-control-allow-origin"), null);
    assert.equal(other.headers.get("access-control-expose-headers"), EXPOSED);
    assert.equal(other.headers.get("vary"), "Origin");
    const none = await service.get("/v1/symbols");
    assert.equal(none.headers.get("access-control-allow-origin"), null);
    assert.equal(none.headers.get("access-control-expose-headers"), null);
    assert.equal(none.headers.get("vary"), "Origin");
  });

  it("allows every origin with *", async () => {
    const any = await startService({ ANALYTICS_CORS_ORIGINS: '["*"]' });
    try {
      const simple = await any.get("/v1/symbols", { headers: { Origin: "https://any.example" } });
      assert.equal(simple.headers.get("access-control-allow-origin"), "*");
      const answer = await any.get("/v1/symbols", { method: "OPTIONS", headers: { Origin: "https://any.example", "Access-Control-Request-Method": "GET" } });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get("access-control-allow-origin"), "*");
    } finally {
      await any.close();
    }
  });

  it("is off without origins: an OPTIONS request is a 405 as any other method", async () => {
    const plain = await startService();
    try {
      const answer = await plain.get("/v1/trades", { method: "OPTIONS", headers: { Origin: ALLOWED, "Access-Control-Request-Method": "POST" } });
      assert.equal(answer.status, 405);
      assert.equal(answer.headers.get("access-control-allow-origin"), null);
      assert.equal(answer.headers.get("vary"), null);
    } finally {
      await plain.close();
    }
  });
});

describe("rate limits", () => {
  let service;

  before(async () => {
    service = await startService({ ANALYTICS_RATE_LIMIT__ENABLED: "true", ANALYTICS_RATE_LIMIT__DEFAULT: "3 per minute", ANALYTICS_CORS_ORIGINS: JSON.stringify([ALLOWED]) });
  });

  after(async () => {
    await service.close();
  });

  it("count per route template and answer a 429 problem past the limit", async () => {
    const answers = [];
    for (let i = 0; i < 4; i += 1) {
      answers.push(await service.get(`/v1/symbols/AAPL/stats?i=${i}`, { headers: { "X-Request-ID": `req-${i}`, Origin: ALLOWED } }));
    }
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 429]);
    assert.deepEqual(answers.map((a) => a.headers.get("ratelimit-limit")), ["3", "3", "3", "3"]);
    assert.deepEqual(answers.map((a) => a.headers.get("ratelimit-remaining")), ["2", "1", "0", "0"]);
    for (const answer of answers) {
      const reset = Number(answer.headers.get("ratelimit-reset"));
      assert.ok(reset >= 0 && reset <= 60, `RateLimit-Reset ${reset}`);
    }
    const refused = answers[3];
    assert.equal(refused.headers.get("content-type"), "application/problem+json");
    const retryAfter = Number(refused.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    // The refusal still has the request ID and the CORS headers.
    assert.equal(refused.headers.get("x-request-id"), "req-3");
    assert.equal(refused.headers.get("access-control-allow-origin"), ALLOWED);
    assert.deepEqual(await refused.json(), {
      type: "urn:fastapi-rules:problem:rate-limited",
      title: "Too Many Requests",
      status: 429,
      detail: "More than 3 requests per 60 s on /v1/symbols/{symbol}/stats.",
      instance: "/v1/symbols/AAPL/stats",
      request_id: "req-3",
    });
    // Another symbol is the same route; another route has its own count.
    assert.equal((await service.get("/v1/symbols/MSFT/stats")).status, 429);
    const other = await service.get("/v1/symbols");
    assert.equal(other.status, 200);
    assert.equal(other.headers.get("ratelimit-remaining"), "2");
  });

  it("count unknown paths together, and never probes and scrapes", async () => {
    const statuses = [];
    for (const path of ["/a", "/b", "/c", "/d"]) {
      statuses.push((await service.get(path)).status);
    }
    assert.deepEqual(statuses, [404, 404, 404, 429]);
    const refused = await (await service.get("/e")).json();
    assert.equal(refused.detail, "More than 3 requests per 60 s on unmatched.");
    for (let i = 0; i < 5; i += 1) {
      for (const path of ["/health/live", "/health/ready", "/metrics"]) {
        const answer = await service.get(path);
        assert.equal(answer.status, 200, path);
        assert.equal(answer.headers.get("ratelimit-limit"), null);
      }
    }
  });

  it("count refusals in the route's metrics", async () => {
    const text = await (await service.get("/metrics")).text();
    assert.match(text, /^http_requests_total\{app_name="analytics-express",method="GET",path="\/v1\/symbols\/\{symbol\}\/stats",status_code="429"\} 2$/m);
  });
});
