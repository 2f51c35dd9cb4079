// The platform contract every service of the monorepo keeps (docs/logging.md): health,
// request IDs, problem+json errors, access lines and Prometheus metrics.
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { TEST_API_KEY, startService } from "./helpers.js";

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
let service;

before(async () => {
  service = await startService();
});

after(async () => {
  await service.close();
});

describe("health", () => {
  it("is live", async () => {
    const answer = await service.get("/health/live");
    assert.equal(answer.status, 200);
    assert.deepEqual(await answer.json(), { status: "pass" });
  });

  it("is ready once PostgreSQL answers", async () => {
    const answer = await service.get("/health/ready");
    assert.equal(answer.status, 200);
    const report = await answer.json();
    assert.equal(report.status, "pass");
    assert.equal(report.service, "analytics-express");
    assert.equal(report.version, "0.1.0");
    assert.deepEqual(Object.keys(report.checks), ["auth", "postgres", "inference"]);
    assert.equal(report.checks.postgres.status, "pass");
    assert.equal(report.checks.inference.status, "pass");
    assert.equal(typeof report.checks.postgres.duration_ms, "number");
    assert.equal("detail" in report.checks.postgres, false);
  });
});

describe("request IDs", () => {
  it("keeps the caller's and generates one otherwise", async () => {
    const given = await service.get("/health/live", { headers: { "X-Request-ID": "abc-123" } });
    assert.equal(given.headers.get("x-request-id"), "abc-123");
    const generated = await service.get("/health/live");
    assert.match(generated.headers.get("x-request-id"), /^[0-9a-f]{32}$/);
    for (const refused of ["has space", "x".repeat(129)]) {
      const answer = await service.get("/health/live", { headers: { "X-Request-ID": refused } });
      assert.match(answer.headers.get("x-request-id"), /^[0-9a-f]{32}$/);
    }
  });
});

describe("errors", () => {
  it("answers an unknown path with a problem+json 404", async () => {
    const answer = await service.get("/no/such/path", { headers: { "X-Request-ID": "req-404" } });
    assert.equal(answer.status, 404);
    assert.equal(answer.headers.get("content-type"), "application/problem+json");
    assert.equal(answer.headers.get("x-request-id"), "req-404");
    assert.deepEqual(await answer.json(), {
      type: "about:blank",
      title: "Not Found",
      status: 404,
      detail: "No resource at /no/such/path",
      instance: "/no/such/path",
      request_id: "req-404",
    });
  });

  it("refuses a declared body over the limit with a 413 before routing", async () => {
    const answer = await service.get("/v1/symbols", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ padding: "x".repeat(1_048_577) }),
    });
    assert.equal(answer.status, 413);
    const problem = await answer.json();
    assert.equal(problem.type, "urn:fastapi-rules:problem:body-too-large");
    assert.equal(problem.title, "Content Too Large");
    assert.equal(problem.detail, "Request bodies are limited to 1048576 bytes.");
  });

  it("refuses a chunked body as soon as it passes the limit, without waiting for its end", async () => {
    // Written by hand: a chunked body that never ends, the answer read while it is open.
    const { port } = new URL(service.baseUrl);
    const socket = connect(Number(port), "127.0.0.1");
    await once(socket, "connect");
    let answer = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk) => (answer += chunk));
    const closed = once(socket, "close");
    socket.write(
      "POST /v1/trades HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
        `Transfer-Encoding: chunked\r\nX-API-Key: ${TEST_API_KEY}\r\n\r\n1\r\n[\r\n`,
    );
    const chunk = " ".repeat(65536);
    for (let i = 0; i < 17; i++) {
      socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    }
    // No last chunk: the server answers and closes the connection anyway.
    const timer = setTimeout(() => socket.destroy(new Error("no answer within 5 s")), 5000);
    await closed;
    clearTimeout(timer);
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /\r\nconnection: close\r\n/i);
    const problem = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));
    assert.equal(problem.type, "urn:fastapi-rules:problem:body-too-large");
    assert.equal(problem.instance, "/v1/trades");
  });

  it("answers a body that is not JSON with a 400 naming where it breaks", async () => {
    const answer = await service.get("/v1/trades", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"a": }',
    });
    assert.equal(answer.status, 400);
    const problem = await answer.json();
    assert.equal(problem.type, "urn:fastapi-rules:problem:malformed-json");
    assert.equal(problem.title, "Malformed JSON body");
    assert.deepEqual(problem.errors, [{ location: ["body", 6], message: "JSON decode error", type: "json_invalid" }]);
  });
});

describe("metrics", () => {
  it("counts requests by route template, not platform paths or unknown ones", async () => {
    await service.get("/v1/symbols");
    await service.get("/v1/symbols?limit=0");
    await service.get("/no/such/path");
    await service.get("/health/ready");
    const answer = await service.get("/metrics");
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get("content-type"), /^text\/plain; version=0\.0\.4/);
    const text = await answer.text();
    const labels = 'app_name="analytics-express",method="GET",path="/v1/symbols"';
    assert.match(text, new RegExp(`^http_requests_total\\{${labels},status_code="200"\\} \\d+$`, "m"));
    assert.match(text, new RegExp(`^http_requests_total\\{${labels},status_code="422"\\} 1$`, "m"));
    assert.match(text, new RegExp(`^http_request_duration_seconds_bucket\\{le="0.075",${labels},status_code="200"\\} \\d+$`, "m"));
    // Bounds written as prometheus_client writes them: every one, in order, then +Inf.
    const bounds = [...text.matchAll(new RegExp(`^http_request_duration_seconds_bucket\\{le="([^"]+)",${labels},status_code="200"\\}`, "gm"))].map((m) => m[1]);
    assert.deepEqual(bounds, ["0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1.0", "2.5", "5.0", "7.5", "10.0", "+Inf"]);
    assert.match(text, /^# TYPE http_requests_in_progress gauge$/m);
    assert.doesNotMatch(text, /path="\/no\/such\/path"/);
    assert.doesNotMatch(text, /path="\/health\/ready"/);
    assert.doesNotMatch(text, /path="\/metrics"/);
  });
});

describe("access lines", () => {
  it("have the contract's fields", async () => {
    await service.get("/v1/symbols?limit=3", { headers: { "X-Request-ID": "req-log" } });
    const line = service.logs.lines.find((entry) => entry.request_id === "req-log" && entry.event === "request");
    assert.ok(line, "no access line for the request");
    assert.equal(line.level, "info");
    assert.equal(line.logger, "express.access");
    assert.equal(line.service, "analytics-express");
    assert.match(line.timestamp, TIMESTAMP);
    assert.equal(line.method, "GET");
    assert.equal(line.route, "/v1/symbols");
    assert.equal(line.path, "/v1/symbols");
    assert.equal(line.status, 200);
    assert.equal(typeof line.duration_ms, "number");
    assert.equal(line.client, "127.0.0.1");
  });

  it("say unmatched for unknown paths", async () => {
    await service.get("/nowhere", { headers: { "X-Request-ID": "req-unmatched" } });
    const line = service.logs.lines.find((entry) => entry.request_id === "req-unmatched" && entry.event === "request");
    assert.equal(line.route, "unmatched");
    assert.equal(line.status, 404);
  });
});

describe("a database that goes away", () => {
  // Last: it closes the service's pool.
  it("fails readiness and answers 500 without internals", async () => {
    await service.database.pool.end();
    const ready = await service.get("/health/ready");
    assert.equal(ready.status, 503);
    const report = await ready.json();
    assert.equal(report.status, "fail");
    assert.equal(report.checks.postgres.status, "fail");
    assert.match(report.checks.postgres.detail, /^Error: /);

    const answer = await service.get("/v1/symbols", { headers: { "X-Request-ID": "req-500" } });
    assert.equal(answer.status, 500);
    assert.equal(answer.headers.get("x-request-id"), "req-500");
    assert.deepEqual(await answer.json(), {
      type: "about:blank",
      title: "Internal Server Error",
      status: 500,
      detail: "The server failed to handle this request; quote the request ID when reporting it.",
      instance: "/v1/symbols",
      request_id: "req-500",
    });
    const error = service.logs.lines.find((entry) => entry.request_id === "req-500" && entry.level === "error");
    assert.equal(error.event, "unhandled exception");
    assert.match(error.exception, /Error/);
    service.database.pool = null; // ended: nothing for close() to end
  });
});
