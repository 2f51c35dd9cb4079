// The database going away under load, and coming back, as the twin's test_outage.py has
// it: while the database is gone, readiness fails within 2 s, liveness stays up, and every
// request gets its answer or a problem+json 503 with Retry-After; once it is back, the
// service recovers within 5 s, and every trade it acknowledged is stored.
//
// The service reaches PostgreSQL through a TCP proxy of this test; the outage is the
// proxy cutting every connection (a reset, as a crashed server's host sends) and refusing
// new ones, then listening again. The run's PostgreSQL, which other test files share,
// stays up.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, connect } from "node:net";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { createDatabase, startService } from "./helpers.js";

const PROBLEM = "application/problem+json";
const WRITERS = 8;
const READERS = 2;
const POLL_MS = 50;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP proxy to `target` that can halt (cut and refuse) and resume, on one port. */
class Proxy {
  constructor(target) {
    this.target = target;
    this.sockets = new Set();
    this.port = undefined;
  }

  async listen() {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    this.server.listen(this.port ?? 0, "127.0.0.1");
    await once(this.server, "listening");
    this.port = this.server.address().port;
  }

  async halt() {
    const closed = new Promise((resolve) => this.server.close(resolve));
    for (const socket of this.sockets) socket.resetAndDestroy();
    await closed;
  }

  async resume() {
    await this.listen();
  }
}

let proxy;
let service;
let databaseUrl;

before(async () => {
  databaseUrl = await createDatabase();
  const direct = new URL(databaseUrl);
  proxy = new Proxy({ host: direct.hostname, port: Number(direct.port) });
  await proxy.listen();
  const proxied = new URL(databaseUrl);
  proxied.host = `127.0.0.1:${proxy.port}`;
  // A short connect timeout, as a deployment would set, so that requests do not queue
  // for long behind connection attempts.
  service = await startService({ ANALYTICS_DATABASE__CONNECT_TIMEOUT_S: "1" }, { databaseUrl: proxied.toString() });
});

after(async () => {
  await service.close();
  await proxy.halt();
});

describe("a database outage under load", () => {
  it("answers 503 problems, fails readiness, and recovers", async () => {
    const statuses = new Map();
    const badAnswers = [];
    const acknowledged = new Set();
    const ready = [];
    const liveFailures = [];
    let running = true;

    const record = async (answer) => {
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if (answer.status < 300) {
        await answer.arrayBuffer();
        return;
      }
      const text = await answer.text();
      const problem = answer.headers.get("content-type") === PROBLEM ? JSON.parse(text) : {};
      if (
        answer.status !== 503 ||
        answer.headers.get("retry-after") !== "1" ||
        problem.type !== "urn:fastapi-rules:problem:database-unavailable" ||
        problem.title !== "Database unavailable"
      ) {
        badAnswers.push(`${answer.status} ${text.slice(0, 300)}`);
      }
    };

    const write = async (writer) => {
      for (let n = 0; running; n += 1) {
        const id = `w${writer}-${n}`;
        try {
          const answer = await service.post("/v1/trades", {
            client_trade_id: id,
            symbol: "AAPL",
            size: "10",
            price: String(180 + (n % 7)),
            executed_at: "2026-01-05T14:30:00Z",
          });
          await record(answer);
          if (answer.status === 201) acknowledged.add(id);
          if (answer.status === 503) await sleep(20); // a client backing off
        } catch (error) {
          badAnswers.push(`POST /v1/trades: ${error}`);
        }
      }
    };

    const read = async () => {
      while (running) {
        for (const path of ["/v1/symbols/AAPL/stats", "/v1/symbols"]) {
          try {
            await record(await service.get(path));
          } catch (error) {
            badAnswers.push(`GET ${path}: ${error}`);
          }
        }
      }
    };

    const probe = async () => {
      while (running) {
        try {
          const readiness = await service.get("/health/ready");
          await readiness.arrayBuffer();
          ready.push([performance.now(), readiness.status]);
          const live = await service.get("/health/live");
          await live.arrayBuffer();
          if (live.status !== 200) liveFailures.push(live.status);
        } catch (error) {
          liveFailures.push(String(error));
        }
        await sleep(POLL_MS);
      }
    };

    const waitFor = async (status, since, withinS) => {
      const deadline = since + withinS * 1000 + 1000;
      while (performance.now() < deadline) {
        const seen = ready.find(([at, s]) => at >= since && s === status);
        if (seen) return (seen[0] - since) / 1000;
        await sleep(POLL_MS / 2);
      }
      assert.fail(`readiness did not answer ${status} within ${withinS} s`);
    };

    const tasks = [
      ...Array.from({ length: WRITERS }, (_, i) => write(i)),
      ...Array.from({ length: READERS }, () => read()),
      probe(),
    ];
    let notReadyAfter;
    let readyAfter;
    let beforeOutage;
    let duringOutage;
    let acknowledgedAtRecovery;
    try {
      // Load before the outage: a second, and at least one stored trade (a busy machine
      // may take longer than that to answer the first ones).
      const warm = performance.now() + 30_000;
      await sleep(1000);
      while (acknowledged.size === 0 && performance.now() < warm) await sleep(50);
      beforeOutage = acknowledged.size;
      const cut = performance.now();
      await proxy.halt();
      notReadyAfter = await waitFor(503, cut, 2);
      await sleep(2000); // the load goes on against a missing database
      duringOutage = statuses.get(503) ?? 0;
      await proxy.resume();
      const back = performance.now();
      readyAfter = await waitFor(200, back, 5);
      acknowledgedAtRecovery = acknowledged.size;
      await sleep(1000);
    } finally {
      running = false;
      await Promise.all(tasks);
    }

    process.stdout.write(
      `# not ready ${notReadyAfter.toFixed(2)} s after the cut; ready ${readyAfter.toFixed(2)} s after it ended; ` +
        `statuses ${JSON.stringify(Object.fromEntries(statuses))}; ${acknowledged.size} acknowledged\n`,
    );
    assert.ok(beforeOutage > 0, "no trade was acknowledged before the outage");
    assert.ok(notReadyAfter <= 2, `readiness still 200 ${notReadyAfter} s into the outage`);
    assert.ok(duringOutage > 0, "no request met the outage: the test did not exercise it");
    assert.ok(readyAfter <= 5, `not ready ${readyAfter} s after the database came back`);
    assert.ok(acknowledged.size > acknowledgedAtRecovery, "no trade stored after recovery");
    assert.deepEqual(liveFailures, []);
    assert.deepEqual(badAnswers.slice(0, 5), []);
    assert.deepEqual(
      [...statuses.keys()].filter((status) => ![200, 201, 503].includes(status)),
      [],
    );
    // Every outage answer was logged as a warning, none as an unhandled error.
    assert.ok(service.logs.lines.some((line) => line.event === "database unavailable" && line.level === "warning"));
    assert.deepEqual(
      service.logs.lines.filter((line) => line.level === "error").map((line) => line.event),
      [],
    );

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT client_trade_id FROM trades");
      const stored = new Set(rows.map((row) => row.client_trade_id));
      const lost = [...acknowledged].filter((id) => !stored.has(id));
      assert.deepEqual(lost, [], `${lost.length} acknowledged trades are not stored`);
    } finally {
      await client.end();
    }
  });
});
