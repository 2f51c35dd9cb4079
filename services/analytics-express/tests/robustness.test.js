// Bad input of every kind, at every endpoint: an answer or a problem+json 4xx, never a
// 500. Bodies and queries are generated from a fixed seed, around the shapes each endpoint
// takes, so that most get past the first check and reach the deeper ones.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startService } from "./helpers.js";

const PROBLEM = "application/problem+json";
let service;

before(async () => {
  service = await startService();
});

after(async () => {
  await service.close();
});

// A small seeded generator (mulberry32), so that a failure can be replayed.
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SCALARS = [
  null,
  true,
  false,
  0,
  -0,
  1,
  -1,
  0.5,
  1e-9,
  1e308,
  -1e308,
  123456789012345680000,
  "",
  " ",
  "0",
  "1.5",
  "-1",
  "1e5",
  "abc",
  "AAPL",
  "ZZZZ",
  "aapl",
  "BRK.B",
  "2026-01-05T14:30:00Z",
  "2026-01-05T14:30:00",
  "1767623400",
  "9999-12-31T23:59:59Z",
  "0000-01-01T00:00:00Z",
  "\u0000",
  "\ud800",
  "é",
  "x".repeat(300),
  "NaN",
  "inf",
];

function value(next, depth = 0) {
  const pick = next();
  if (depth > 3 || pick < 0.6) return SCALARS[Math.floor(next() * SCALARS.length)];
  if (pick < 0.8) return Array.from({ length: Math.floor(next() * 4) }, () => value(next, depth + 1));
  return Object.fromEntries(Array.from({ length: Math.floor(next() * 3) }, (_, i) => [`k${i}`, value(next, depth + 1)]));
}

const TRADE = () => ({ client_trade_id: "r-1", symbol: "AAPL", size: "1", price: "1", executed_at: "2026-01-05T14:30:00Z" });

// A valid body of each endpoint with one part replaced by a random value.
const SHAPES = {
  "/v1/trades": (next) => ({ ...TRADE(), [Object.keys(TRADE())[Math.floor(next() * 5)]]: value(next) }),
  "/v1/trades/batch": (next) => ({ trades: [TRADE(), { ...TRADE(), [Object.keys(TRADE())[Math.floor(next() * 5)]]: value(next) }] }),
  "/v1/predictions": (next) => ({ returns: Array.from({ length: 20 }, (_, i) => (i === 7 ? value(next) : 0.001)) }),
  "/v1/predictions/batch": (next) => ({ items: [{ returns: Array(20).fill(0.001) }, next() < 0.5 ? value(next) : { returns: value(next) }] }),
};

async function check(answer, what) {
  const text = await answer.text();
  assert.ok(answer.status < 500, `${what}: ${answer.status} ${text.slice(0, 300)}`);
  if (answer.status >= 400) {
    assert.equal(answer.headers.get("content-type"), PROBLEM, what);
    const problem = JSON.parse(text);
    assert.equal(problem.status, answer.status, what);
    assert.equal(typeof problem.type, "string");
    assert.equal(typeof problem.title, "string");
  }
}

describe("bad bodies", () => {
  for (const [path, shape] of Object.entries(SHAPES)) {
    it(`never get a 500 from POST ${path}`, async () => {
      const next = random(20261128);
      for (let i = 0; i < 150; i += 1) {
        const body = next() < 0.3 ? value(next) : shape(next);
        await check(await service.post(path, body), `${path} ${JSON.stringify(body)?.slice(0, 200)}`);
      }
      for (const raw of ["", "{", "[1,", '{"a":}', "\u0000", "nul", "1e999999", "-", '"\\ud800"', "[".repeat(5000) + "]".repeat(5000)]) {
        await check(await service.get(path, { method: "POST", headers: { "content-type": "application/json" }, body: raw }), `${path} ${raw.slice(0, 40)}`);
      }
    });
  }
});

describe("bad queries and paths", () => {
  it("never get a 500 from the GET endpoints", async () => {
    const next = random(11);
    const words = ["", "x", "-1", "0", "1", "1001", "1e3", "1.5", "%00", "%FF", "2026-01-05T00:00:00Z", "2026-01-05", "1m", "2m", "%E9", "9".repeat(40)];
    const word = () => words[Math.floor(next() * words.length)];
    for (let i = 0; i < 150; i += 1) {
      const symbol = ["AAPL", "ZZZZ", "aapl", "A$", "%20", "BRK.B", "A".repeat(13), "%2F"][Math.floor(next() * 8)];
      const query = `start=${word()}&end=${word()}&interval=${word()}&limit=${word()}&offset=${word()}`;
      for (const path of [`/v1/symbols/${symbol}/stats?${query}`, `/v1/symbols/${symbol}/candles?${query}`, `/v1/symbols?${query}`, `/v1/models?${query}`]) {
        await check(await service.get(path), path);
      }
    }
  });
});
