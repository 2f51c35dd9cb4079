// Statistics and candles against values computed here by hand, and every refusal as the
// twin words it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startService } from "./helpers.js";

const PROBLEM = "application/problem+json";
const T0 = Date.UTC(2026, 0, 5, 14, 30) / 1000;
// (seconds after T0, price, size) of AAPL, deliberately sent out of time order.
const AAPL = [
  [120, "99.5", "20"],
  [0, "100", "10"],
  [60, "101", "5"],
  [240, "100.75", "8"],
  [180, "102.25", "1.5"],
];
// Outside the window asked for below, and another symbol: neither may count.
const LATER = [3 * 3600, "150", "1"];
const MSFT = [30, "400", "3"];
const iso = (seconds) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
const WINDOW = `start=${iso(T0)}&end=${iso(T0 + 3600)}`;
const SECONDS_PER_YEAR = 365 * 24 * 3600;
let service;

function body(symbol, index, [seconds, price, size]) {
  return { client_trade_id: `${symbol}-${index}`, symbol, size, price, executed_at: iso(T0 + seconds) };
}

async function json(path) {
  const answer = await service.get(path);
  assert.equal(answer.status, 200, await answer.clone().text());
  assert.match(answer.headers.get("content-type"), /^application\/json/);
  return answer.json();
}

before(async () => {
  service = await startService();
  const trades = [...AAPL, LATER].map((t, i) => body("AAPL", i, t));
  trades.push(body("MSFT", 0, MSFT));
  const answer = await service.post("/v1/trades/batch", { trades });
  assert.equal(answer.status, 201);
});

after(async () => {
  await service.close();
});

const byTime = () => [...AAPL].sort((a, b) => a[0] - b[0]);

describe("GET /v1/symbols/{symbol}/stats", () => {
  it("matches a hand computation over a window", async () => {
    const stats = await json(`/v1/symbols/AAPL/stats?${WINDOW}`);
    assert.deepEqual(Object.keys(stats), ["symbol", "start", "end", "trade_count", "volume", "vwap", "high", "low", "realised_volatility"]);
    assert.equal(stats.symbol, "AAPL");
    assert.equal(stats.start, "2026-01-05T14:30:00Z");
    assert.equal(stats.end, "2026-01-05T15:30:00Z");
    assert.equal(stats.trade_count, 5);
    // Decimals at the columns' scale; vwap = 4454.375 / 44.5 rounded to 8 places.
    assert.equal(stats.volume, "44.500000");
    assert.equal(stats.vwap, "100.09831461");
    assert.equal(stats.high, "102.25000000");
    assert.equal(stats.low, "99.50000000");
    const prices = byTime().map(([, price]) => Number(price));
    const returns = prices.slice(1).map((price, i) => Math.log(price / prices[i]));
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
    const stdev = Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / (returns.length - 1));
    const expected = stdev * Math.sqrt((returns.length * SECONDS_PER_YEAR) / 240);
    assert.ok(Math.abs(stats.realised_volatility - expected) < expected * 1e-9, `${stats.realised_volatility} != ${expected}`);
  });

  it("takes every trade without a window", async () => {
    const stats = await json("/v1/symbols/AAPL/stats");
    assert.equal(stats.trade_count, 6);
    assert.equal(stats.high, "150.00000000");
    assert.equal(stats.start, null);
    assert.equal(stats.end, null);
  });

  it("answers an empty window with nulls", async () => {
    assert.deepEqual(await json("/v1/symbols/GOOGL/stats?start=2026-01-01T00:00:00Z"), {
      symbol: "GOOGL",
      start: "2026-01-01T00:00:00Z",
      end: null,
      trade_count: 0,
      volume: null,
      vwap: null,
      high: null,
      low: null,
      realised_volatility: null,
    });
  });

  it("answers the window in UTC, the last of repeated parameters", async () => {
    const stats = await json("/v1/symbols/AAPL/stats?start=2026-01-05T00:00:00Z&start=2026-01-05T15:30:00%2B01:00&end=2026-01-05T15:30:00Z");
    assert.equal(stats.start, "2026-01-05T14:30:00Z");
    assert.equal(stats.end, "2026-01-05T15:30:00Z");
    assert.equal(stats.trade_count, 5);
  });

  it("needs two returns for a volatility", async () => {
    const trades = [
      [0, "10", "1"],
      [60, "11", "1"],
    ].map((t, i) => body("SPY", i, t));
    assert.equal((await service.post("/v1/trades/batch", { trades })).status, 201);
    const stats = await json("/v1/symbols/SPY/stats");
    assert.equal(stats.trade_count, 2);
    assert.equal(stats.realised_volatility, null);
  });
});

describe("GET /v1/symbols/{symbol}/candles", () => {
  it("makes one-minute candles of a window, oldest first", async () => {
    const page = await json(`/v1/symbols/AAPL/candles?interval=1m&${WINDOW}`);
    assert.deepEqual(Object.keys(page), ["items", "next_cursor", "offset", "limit", "total"]);
    assert.equal(page.total, 5);
    assert.equal(page.next_cursor, null);
    assert.equal(page.offset, 0);
    assert.equal(page.limit, 100);
    const expected = byTime();
    assert.deepEqual(
      page.items.map((candle) => candle.bucket_start),
      expected.map(([seconds]) => iso(T0 + seconds)),
    );
    page.items.forEach((candle, i) => {
      const [, price, size] = expected[i];
      assert.deepEqual(Object.keys(candle), ["bucket_start", "open", "high", "low", "close", "volume", "trade_count"]);
      for (const key of ["open", "high", "low", "close"]) {
        assert.equal(Number(candle[key]), Number(price));
      }
      assert.equal(Number(candle.volume), Number(size));
      assert.equal(candle.trade_count, 1);
    });
  });

  it("makes five-minute and hourly candles", async () => {
    for (const [interval, start] of [
      ["5m", "2026-01-05T14:30:00Z"],
      ["1h", "2026-01-05T14:00:00Z"],
    ]) {
      const [candle] = (await json(`/v1/symbols/AAPL/candles?interval=${interval}&${WINDOW}`)).items;
      assert.deepEqual(candle, {
        bucket_start: start,
        open: "100.00000000",
        high: "102.25000000",
        low: "99.50000000",
        close: "100.75000000",
        volume: "44.500000",
        trade_count: 5,
      });
    }
  });

  it("makes daily candles with the later trade", async () => {
    const [candle] = (await json("/v1/symbols/AAPL/candles?interval=1d")).items;
    assert.equal(candle.bucket_start, "2026-01-05T00:00:00Z");
    assert.equal(candle.close, "150.00000000");
    assert.equal(candle.trade_count, 6);
  });

  it("pages by offset and limit", async () => {
    const seen = [];
    for (let offset = 0; ; offset += 2) {
      const page = await json(`/v1/symbols/AAPL/candles?interval=1m&limit=2&offset=${offset}`);
      assert.deepEqual([page.total, page.limit, page.offset], [6, 2, offset]);
      if (page.items.length === 0) break;
      seen.push(...page.items.map((candle) => candle.bucket_start));
    }
    assert.equal(seen.length, 6);
    assert.deepEqual(seen, [...seen].sort());
  });
});

describe("bad queries", () => {
  const cases = [
    ["/v1/symbols/aapl/stats", [["path", "symbol", "String should match pattern '^[A-Z][A-Z0-9.]{0,11}$'", "string_pattern_mismatch"]]],
    ["/v1/symbols/AAPL/stats?start=2026-01-05T00:00:00", [["query", "start", "Value error, timestamps need a time zone, e.g. 2026-01-01T00:00:00Z", "value_error"]]],
    ["/v1/symbols/AAPL/stats?start=", [["query", "start", "Input should be a valid datetime or date, input is too short", "datetime_from_date_parsing"]]],
    ["/v1/symbols/AAPL/stats?end=tomorrow", [["query", "end", "Input should be a valid datetime or date, input is too short", "datetime_from_date_parsing"]]],
    ["/v1/symbols/AAPL/stats?start=0001-01-01T00:00:00%2B01:00", [["query", "start", "Value error, timestamp out of range once converted to UTC", "value_error"]]],
    ["/v1/symbols/AAPL/stats?start=2026-01-06T00:00:00Z&end=2026-01-05T00:00:00Z", [["query", "end", "end must be after start", "window"]]],
    // The window is checked before the symbol is looked up.
    ["/v1/symbols/ZZZ/stats?start=2026-01-06T00:00:00Z&end=2026-01-06T00:00:00Z", [["query", "end", "end must be after start", "window"]]],
    [
      "/v1/symbols/aapl/stats?start=x&end=y",
      [
        ["path", "symbol", "String should match pattern '^[A-Z][A-Z0-9.]{0,11}$'", "string_pattern_mismatch"],
        ["query", "start", "Input should be a valid datetime or date, input is too short", "datetime_from_date_parsing"],
        ["query", "end", "Input should be a valid datetime or date, input is too short", "datetime_from_date_parsing"],
      ],
    ],
    [
      "/v1/symbols/AAPL/candles?interval=2m&limit=0&offset=x&start=q&end=2026-01-05",
      [
        ["query", "interval", "Input should be '1m', '5m', '1h' or '1d'", "literal_error"],
        ["query", "start", "Input should be a valid datetime or date, input is too short", "datetime_from_date_parsing"],
        ["query", "end", "Value error, timestamps need a time zone, e.g. 2026-01-01T00:00:00Z", "value_error"],
        ["query", "limit", "Input should be greater than or equal to 1", "greater_than_equal"],
        ["query", "offset", "Input should be a valid integer, unable to parse string as an integer", "int_parsing"],
      ],
    ],
    ["/v1/symbols/AAPL/candles?interval=1M", [["query", "interval", "Input should be '1m', '5m', '1h' or '1d'", "literal_error"]]],
    ["/v1/symbols/AAPL/candles?interval=", [["query", "interval", "Input should be '1m', '5m', '1h' or '1d'", "literal_error"]]],
    ["/v1/symbols/AAPL/candles?limit=1001", [["query", "limit", "Input should be less than or equal to 1000", "less_than_equal"]]],
    ["/v1/symbols/AAPL/candles?offset=-1", [["query", "offset", "Input should be greater than or equal to 0", "greater_than_equal"]]],
    ["/v1/symbols/A$/candles", [["path", "symbol", "String should match pattern '^[A-Z][A-Z0-9.]{0,11}$'", "string_pattern_mismatch"]]],
  ];

  it("are the twin's 422 problems, every parameter named in its order", async () => {
    for (const [path, errors] of cases) {
      const answer = await service.get(path);
      assert.equal(answer.status, 422, path);
      assert.equal(answer.headers.get("content-type"), PROBLEM);
      const problem = await answer.json();
      assert.equal(problem.type, "urn:fastapi-rules:problem:validation", path);
      assert.equal(problem.instance, path.split("?")[0]);
      assert.equal(problem.detail, `${errors.length} field(s) failed validation.`);
      assert.deepEqual(
        problem.errors,
        errors.map(([where, name, message, type]) => ({ location: [where, name], message, type })),
        path,
      );
    }
  });

  it("of an unknown symbol are 404 problems", async () => {
    for (const path of ["/v1/symbols/ZZZZ/stats", "/v1/symbols/ZZZZ/candles"]) {
      const answer = await service.get(path, { headers: { "X-Request-ID": "req-404" } });
      assert.equal(answer.status, 404);
      assert.equal(answer.headers.get("content-type"), PROBLEM);
      assert.deepEqual(await answer.json(), {
        type: "urn:fastapi-rules:problem:unknown-symbol",
        title: "Unknown symbol",
        status: 404,
        detail: "No symbol 'ZZZZ'; GET /v1/symbols lists them.",
        instance: path,
        request_id: "req-404",
        errors: [{ location: ["path", "symbol"], message: "Unknown symbol 'ZZZZ'", type: "unknown_symbol" }],
      });
    }
  });

  it("with other methods are 405s", async () => {
    const answer = await service.get("/v1/symbols/AAPL/stats", { method: "POST" });
    assert.equal(answer.status, 405);
    assert.equal(answer.headers.get("allow"), "GET");
    assert.equal((await answer.json()).detail, "POST is not allowed on /v1/symbols/AAPL/stats");
  });
});
