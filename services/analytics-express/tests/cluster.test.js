// server.js with WEB_CONCURRENCY=2: two worker processes share the port, /metrics counts
// the requests of both whichever answers the scrape, and SIGTERM drains both and ends
// every process with exit 0.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { request } from "node:http";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { TEST_API_KEY, TEST_API_KEYS, createDatabase } from "./helpers.js";

const SERVER = fileURLToPath(new URL("../server.js", import.meta.url));

async function freePort() {
  const probe = createServer();
  probe.listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address();
  probe.close();
  return port;
}

/** GET on a new connection each time (no keep-alive), so the primary hands each to the
 * next worker in turn. */
function get(port, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function until(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`${what} within ${timeoutMs} ms`);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("server.js with WEB_CONCURRENCY=2", () => {
  it("serves from two workers, aggregates their metrics and drains both on SIGTERM", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ["--preserve-symlinks", "--preserve-symlinks-main", SERVER], {
      env: {
        ...process.env,
        EXPRESS_SERVICE_NAME: "analytics-express",
        ANALYTICS_DATABASE__URL: await createDatabase(),
        ANALYTICS_AUTH__API_KEYS: JSON.stringify(TEST_API_KEYS),
        ANALYTICS_RATE_LIMIT__ENABLED: "false",
        PORT: String(port),
        DRAIN_SECONDS: "1",
        WEB_CONCURRENCY: "2",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = once(child, "exit");
    const lines = [];
    let pending = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      pending += chunk;
      const complete = pending.split("\n");
      pending = complete.pop();
      lines.push(...complete.map((line) => JSON.parse(line)));
    });
    try {
      const listening = () => lines.filter((line) => line.event === "worker listening");
      await until(() => listening().length === 2, 30_000, "two workers listening");
      const workers = listening().map((line) => line.pid);
      assert.equal(new Set(workers).size, 2);
      assert.ok(!workers.includes(child.pid));

      const requests = 20;
      for (let i = 0; i < requests; i++) {
        const answer = await get(port, "/v1/symbols", { "X-API-Key": TEST_API_KEY });
        assert.equal(answer.status, 200, answer.body);
      }
      // Each worker saw about half of them; every scrape, whichever worker answers it,
      // counts all of them.
      const counted = new RegExp(
        `^http_requests_total\\{app_name="analytics-express",method="GET",path="/v1/symbols",status_code="200"\\} (\\d+)$`,
        "m",
      );
      for (let scrape = 0; scrape < 4; scrape++) {
        const metrics = await get(port, "/metrics");
        assert.equal(metrics.status, 200);
        assert.equal(Number(metrics.body.match(counted)?.[1]), requests, metrics.body);
        assert.match(metrics.body, /^http_request_duration_seconds_count\{[^}]*path="\/v1\/symbols"[^}]*\} 20$/m);
      }

      child.kill("SIGTERM");
      // Both workers drain: readiness fails on every connection.
      await until(async () => (await get(port, "/health/ready")).status === 503, 1_000, "no 503 while draining");
      for (let i = 0; i < 4; i++) {
        assert.equal((await get(port, "/health/ready")).status, 503);
      }
      const [code] = await exited;
      assert.equal(code, 0);
      await until(() => workers.every((pid) => !alive(pid)), 5_000, "the workers gone");
      const events = lines.map((line) => line.event);
      assert.equal(events.filter((event) => event === "draining before shutdown").length, 2);
      assert.equal(events.filter((event) => event === "worker stopped").length, 2);
      assert.deepEqual(
        [lines.at(-1).event, lines.at(-1).logger],
        ["service stopped", "analytics.cluster"],
      );
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
