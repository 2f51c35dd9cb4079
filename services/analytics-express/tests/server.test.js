// server.js as the image runs it: a separate process that becomes ready, drains on
// SIGTERM (readiness 503) and exits 0; bad settings stop it at once, saying why.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createDatabase } from "./helpers.js";

const SERVER = fileURLToPath(new URL("../server.js", import.meta.url));

async function freePort() {
  const probe = createServer();
  probe.listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address();
  probe.close();
  return port;
}

function start(env) {
  const child = spawn(process.execPath, ["--preserve-symlinks", "--preserve-symlinks-main", SERVER], {
    env: { ...process.env, EXPRESS_SERVICE_NAME: "analytics-express", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
    process.stderr.write(chunk);
  });
  const lines = [];
  let pending = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk) => {
    pending += chunk;
    const complete = pending.split("\n");
    pending = complete.pop();
    lines.push(...complete.map((line) => JSON.parse(line)));
  });
  const exited = once(child, "exit");
  return { child, lines, exited, stderr: () => stderr };
}

async function status(url) {
  try {
    return (await fetch(url)).status;
  } catch {
    return null;
  }
}

async function until(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`${what} within ${timeoutMs} ms`);
}

describe("server.js", () => {
  it("serves, then drains on SIGTERM and exits 0", async () => {
    const port = await freePort();
    const server = start({ ANALYTICS_DATABASE__URL: await createDatabase(), PORT: String(port), DRAIN_SECONDS: "1" });
    const ready = `http://127.0.0.1:${port}/health/ready`;
    await until(async () => (await status(ready)) === 200, 20_000, "no 200 from /health/ready");
    server.child.kill("SIGTERM");
    await until(async () => (await status(ready)) === 503, 1_000, "no 503 while draining");
    const [code] = await server.exited;
    assert.equal(code, 0);
    const events = server.lines.map((line) => line.event);
    for (const event of ["component started", "schema migrated", "service ready", "draining before shutdown", "service stopped"]) {
      assert.ok(events.includes(event), `no "${event}" line in ${JSON.stringify(events)}`);
    }
    assert.ok(server.lines.every((line) => line.service === "analytics-express"));
  });

  it("stops at once without a database URL, saying which variable to set", async () => {
    const server = start({ ANALYTICS_DATABASE__URL: "" });
    const [code] = await server.exited;
    assert.equal(code, 1);
    assert.equal(
      server.stderr(),
      "analytics-express: cannot start: ANALYTICS_DATABASE__URL is not set: give the service " +
        "its PostgreSQL, e.g. ANALYTICS_DATABASE__URL=postgresql://user:password@host:5432/database\n",
    );
  });
});
