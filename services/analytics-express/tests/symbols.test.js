// GET /v1/symbols against a real PostgreSQL: the twin's answers, field for field.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startService } from "./helpers.js";

const SEEDED = ["AAPL", "AMZN", "BRK.B", "GOOGL", "MSFT", "SPY"];
let service;

before(async () => {
  service = await startService();
  // Two AAPL trades (the later one is the last), one MSFT trade at a microsecond.
  await service.database.pool.query(`
    INSERT INTO trades (client_trade_id, symbol, size, price, executed_at) VALUES
      ('t1', 'AAPL', 10, 100.5, '2026-01-05T14:30:00Z'),
      ('t2', 'AAPL', 5, 150, '2026-01-05T17:30:00Z'),
      ('t3', 'MSFT', 1.25, 400.123, '2026-01-05T15:00:00.000001+01:00')`);
});

after(async () => {
  await service.close();
});

describe("GET /v1/symbols", () => {
  it("lists every symbol with its last trade, alphabetically", async () => {
    const answer = await service.get("/v1/symbols");
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get("content-type"), /^application\/json/);
    const page = await answer.json();
    assert.deepEqual(Object.keys(page), ["items", "next_cursor", "offset", "limit", "total"]);
    assert.deepEqual(
      page.items.map((item) => item.symbol),
      SEEDED,
    );
    assert.equal(page.total, 6);
    assert.equal(page.offset, 0);
    assert.equal(page.limit, 100);
    assert.equal(page.next_cursor, null);
    const bySymbol = Object.fromEntries(page.items.map((item) => [item.symbol, item]));
    // numeric(18, 8) as text with the column's scale; timestamps in UTC with Z.
    assert.deepEqual(bySymbol.AAPL, {
      symbol: "AAPL",
      description: "Apple Inc.",
      last_price: "150.00000000",
      last_trade_at: "2026-01-05T17:30:00Z",
    });
    assert.equal(bySymbol.MSFT.last_price, "400.12300000");
    assert.equal(bySymbol.MSFT.last_trade_at, "2026-01-05T14:00:00.000001Z");
    assert.equal(bySymbol.GOOGL.last_price, null);
    assert.equal(bySymbol.GOOGL.last_trade_at, null);
  });

  it("pages by offset and limit", async () => {
    const seen = [];
    for (let offset = 0; ; offset += 4) {
      const page = await (await service.get(`/v1/symbols?limit=4&offset=${offset}`)).json();
      assert.equal(page.total, 6);
      assert.equal(page.limit, 4);
      assert.equal(page.offset, offset);
      if (page.items.length === 0) break;
      seen.push(...page.items.map((item) => item.symbol));
    }
    assert.deepEqual(seen, SEEDED);
  });

  it("takes integers as pydantic does, the last of repeated parameters", async () => {
    for (const [query, limit] of [
      ["limit=+5", 5],
      ["limit=%205%20", 5],
      ["limit=05", 5],
      ["limit=5.0", 5],
      ["limit=1_000", 1000],
      ["limit=1&limit=2", 2],
    ]) {
      const answer = await service.get(`/v1/symbols?${query}`);
      assert.equal(answer.status, 200, query);
      assert.equal((await answer.json()).limit, limit, query);
    }
  });

  it("refuses bad paging with a problem naming each field", async () => {
    const answer = await service.get("/v1/symbols?limit=0&offset=x", { headers: { "X-Request-ID": "req-422" } });
    assert.equal(answer.status, 422);
    assert.equal(answer.headers.get("content-type"), "application/problem+json");
    assert.deepEqual(await answer.json(), {
      type: "urn:fastapi-rules:problem:validation",
      title: "Invalid request",
      status: 422,
      detail: "2 field(s) failed validation.",
      instance: "/v1/symbols",
      request_id: "req-422",
      errors: [
        { location: ["query", "limit"], message: "Input should be greater than or equal to 1", type: "greater_than_equal" },
        {
          location: ["query", "offset"],
          message: "Input should be a valid integer, unable to parse string as an integer",
          type: "int_parsing",
        },
      ],
    });
  });

  it("bounds the page size and the offset", async () => {
    for (const [query, location, message] of [
      ["limit=1001", "limit", "Input should be less than or equal to 1000"],
      ["limit=99999999999999999999999", "limit", "Input should be less than or equal to 1000"],
      ["offset=1000000001", "offset", "Input should be less than or equal to 1000000000"],
      ["offset=-1", "offset", "Input should be greater than or equal to 0"],
    ]) {
      const problem = await (await service.get(`/v1/symbols?${query}`)).json();
      assert.equal(problem.status, 422, query);
      assert.deepEqual(problem.errors.map((e) => [e.location[1], e.message]), [[location, message]], query);
    }
    for (const query of ["limit=5.5", "limit=1e2", "limit=0x10", "limit=", "limit=true"]) {
      const problem = await (await service.get(`/v1/symbols?${query}`)).json();
      assert.equal(problem.errors[0].type, "int_parsing", query);
    }
  });

  it("answers other methods 405 with the one it has", async () => {
    const answer = await service.get("/v1/symbols", { method: "POST" });
    assert.equal(answer.status, 405);
    assert.equal(answer.headers.get("allow"), "GET");
    const problem = await answer.json();
    assert.equal(problem.title, "Method Not Allowed");
    assert.equal(problem.detail, "POST is not allowed on /v1/symbols");
    assert.equal(problem.type, "about:blank");
  });
});
