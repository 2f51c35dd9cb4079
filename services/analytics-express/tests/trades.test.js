// Trade capture against a real PostgreSQL: idempotency, batches all or none, and every
// refusal as the twin words it (the expected errors are the twin's answers to the same
// bodies).
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { startService } from "./helpers.js";

const PROBLEM = "application/problem+json";
const PRICE_RULE = "String should be plain digits such as '12.5', at most 10 before the point and 8 after, above zero";
const SIZE_RULE = "String should be plain digits such as '12.5', at most 12 before the point and 6 after, above zero";
let service;

function trade(clientTradeId = "t-1", changes = {}) {
  return {
    client_trade_id: clientTradeId,
    symbol: "AAPL",
    size: "100",
    price: "187.25",
    executed_at: "2026-01-05T14:30:00Z",
    ...changes,
  };
}

async function tradeCount(symbol = "AAPL") {
  const { rows } = await service.database.pool.query("SELECT count(*)::int AS n FROM trades WHERE symbol = $1", [symbol]);
  return rows[0].n;
}

async function problem(answer, status) {
  assert.equal(answer.status, status, await answer.clone().text());
  assert.equal(answer.headers.get("content-type"), PROBLEM);
  return answer.json();
}

before(async () => {
  service = await startService();
});

after(async () => {
  await service.close();
});

beforeEach(async () => {
  await service.database.pool.query("TRUNCATE trades");
});

describe("POST /v1/trades", () => {
  it("stores a trade and answers it at the columns' scale", async () => {
    const answer = await service.post("/v1/trades", trade("t-1", { size: 100, price: 187.25 }));
    assert.equal(answer.status, 201);
    assert.match(answer.headers.get("content-type"), /^application\/json/);
    const body = await answer.json();
    assert.deepEqual(Object.keys(body), ["client_trade_id", "symbol", "size", "price", "executed_at", "id", "received_at"]);
    assert.equal(body.client_trade_id, "t-1");
    assert.equal(body.symbol, "AAPL");
    assert.equal(body.size, "100.000000");
    assert.equal(body.price, "187.25000000");
    assert.equal(body.executed_at, "2026-01-05T14:30:00Z");
    assert.equal(typeof body.id, "number");
    assert.match(body.received_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$/);
  });

  it("answers the same trade sent again the same, and stores it once", async () => {
    const first = await service.post("/v1/trades", trade());
    // The same content written otherwise: another zone, numbers for strings, more zeros.
    const again = await service.post("/v1/trades", trade("t-1", { size: 100, price: "187.250", executed_at: "2026-01-05T15:30:00+01:00" }));
    assert.equal(first.status, 201);
    assert.equal(again.status, 201);
    assert.deepEqual(await again.json(), await first.json());
    assert.equal(await tradeCount(), 1);
  });

  it("stores concurrent replays once", async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => service.post("/v1/trades", trade())));
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([201]));
    assert.equal(new Set(await Promise.all(answers.map((a) => a.text()))).size, 1);
    assert.equal(await tradeCount(), 1);
  });

  it("refuses the same ID with other content with a 409, storing nothing", async () => {
    await service.post("/v1/trades", trade());
    const body = await problem(await service.post("/v1/trades", trade("t-1", { price: "187.26" }), { "X-Request-ID": "req-409" }), 409);
    assert.deepEqual(body, {
      type: "urn:fastapi-rules:problem:trade-id-conflict",
      title: "Client trade ID already used",
      status: 409,
      detail: "A client trade ID was stored before with a different symbol, size, price or time; nothing was stored.",
      instance: "/v1/trades",
      request_id: "req-409",
      errors: [{ location: ["body", "client_trade_id"], message: "Trade 't-1' was already stored with other content", type: "conflict" }],
    });
    const { rows } = await service.database.pool.query("SELECT price FROM trades");
    assert.deepEqual(rows, [{ price: "187.25000000" }]);
  });

  it("takes a trade a few seconds ahead", async () => {
    const ahead = new Date(Date.now() + 20_000).toISOString();
    assert.equal((await service.post("/v1/trades", trade("t-ahead", { executed_at: ahead }))).status, 201);
  });

  it("takes the twin's other spellings of amounts and times", async () => {
    for (const [changes, size, price, executedAt] of [
      [{ size: 999999999.5, price: "0.00000001" }, "999999999.500000", "0.00000001", "2026-01-05T14:30:00Z"],
      [{ size: "0.000001", price: 1e-8 }, "0.000001", "0.00000001", "2026-01-05T14:30:00Z"],
      [{ size: "999999999999.999999", price: "9999999999.99999999" }, "999999999999.999999", "9999999999.99999999", "2026-01-05T14:30:00Z"],
      [{ executed_at: "2026-01-05 14:30Z" }, "100.000000", "187.25000000", "2026-01-05T14:30:00Z"],
      [{ executed_at: "2026-01-05t14:30:00.1234567z" }, "100.000000", "187.25000000", "2026-01-05T14:30:00.123456Z"],
      [{ executed_at: "2026-01-05T14:30:00,5-0100" }, "100.000000", "187.25000000", "2026-01-05T15:30:00.500000Z"],
    ]) {
      const id = `s-${size}-${price}-${executedAt}`.replaceAll(":", "");
      const answer = await service.post("/v1/trades", trade(id, changes));
      assert.equal(answer.status, 201, JSON.stringify(changes));
      const body = await answer.json();
      assert.deepEqual([body.size, body.price, body.executed_at], [size, price, executedAt], JSON.stringify(changes));
    }
  });

  const UNIX_TIME = "Input should be an ISO 8601 date and time with a time zone, e.g. 2026-01-01T00:00:00Z, not a number (Unix time)";
  // Each body's errors as the twin answers them.
  const REFUSED = [
    [{ size: 0 }, "size", "Input should be greater than 0", "greater_than"],
    [{ size: -1 }, "size", "Input should be greater than 0", "greater_than"],
    [{ size: "-1" }, "size", SIZE_RULE, "decimal_string"],
    [{ size: "1.0000001" }, "size", SIZE_RULE, "decimal_string"],
    [{ size: 1.0000001 }, "size", "Decimal input should have no more than 6 decimal places", "decimal_max_places"],
    [{ size: 1e9 }, "size", "Numbers should be less than 1000000000; send larger values as strings", "decimal_number_too_large"],
    [{ size: 1.2345678901234567e19 }, "size", "Numbers should be less than 1000000000; send larger values as strings", "decimal_number_too_large"],
    [{ size: "1000000000000" }, "size", SIZE_RULE, "decimal_string"],
    [{ size: true }, "size", "Input should be a number or a decimal string such as '12.5'", "decimal_type"],
    [{ size: null }, "size", "Input should be a number or a decimal string such as '12.5'", "decimal_type"],
    [{ size: [1] }, "size", "Input should be a number or a decimal string such as '12.5'", "decimal_type"],
    [{ size: "1e3" }, "size", SIZE_RULE, "decimal_string"],
    [{ size: " 1" }, "size", SIZE_RULE, "decimal_string"],
    [{ size: "01" }, "size", SIZE_RULE, "decimal_string"],
    [{ size: "0.0000000" }, "size", SIZE_RULE, "decimal_string"],
    [{ price: 0 }, "price", "Input should be greater than 0", "greater_than"],
    [{ price: "abc" }, "price", PRICE_RULE, "decimal_string"],
    [{ price: 1e7 }, "price", "Numbers should be less than 10000000; send larger values as strings", "decimal_number_too_large"],
    [{ price: "12345678901.5" }, "price", PRICE_RULE, "decimal_string"],
    [{ price: 1e-9 }, "price", "Decimal input should have no more than 8 decimal places", "decimal_max_places"],
    [{ symbol: "aapl" }, "symbol", "String should match pattern '^[A-Z][A-Z0-9.]{0,11}$'", "string_pattern_mismatch"],
    [{ symbol: 5 }, "symbol", "Input should be a valid string", "string_type"],
    [{ symbol: "ABCDEFGHIJKLM" }, "symbol", "String should match pattern '^[A-Z][A-Z0-9.]{0,11}$'", "string_pattern_mismatch"],
    [{ symbol: "AAPL\n" }, "symbol", "String should match pattern '^[A-Z][A-Z0-9.]{0,11}$'", "string_pattern_mismatch"],
    [{ client_trade_id: "" }, "client_trade_id", "String should match pattern '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$'", "string_pattern_mismatch"],
    [{ client_trade_id: 12 }, "client_trade_id", "Input should be a valid string", "string_type"],
    [{ client_trade_id: "a b" }, "client_trade_id", "String should match pattern '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$'", "string_pattern_mismatch"],
    [{ client_trade_id: "x".repeat(129) }, "client_trade_id", "String should match pattern '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$'", "string_pattern_mismatch"],
    [{ executed_at: "2026-01-05T14:30:00" }, "executed_at", "Value error, timestamps need a time zone, e.g. 2026-01-01T00:00:00Z", "value_error"],
    [{ executed_at: "2026-01-05" }, "executed_at", "Value error, timestamps need a time zone, e.g. 2026-01-01T00:00:00Z", "value_error"],
    [{ executed_at: "1999-12-31T23:59:59Z" }, "executed_at", "Value error, executed_at may not be before 2000-01-01T00:00:00Z", "value_error"],
    [{ executed_at: "2099-01-01T00:00:00Z" }, "executed_at", "Value error, executed_at may not be more than a minute in the future", "value_error"],
    [{ executed_at: "yesterday" }, "executed_at", "Input should be a valid datetime or date, input is too short", "datetime_from_date_parsing"],
    [{ executed_at: "0001-01-01T00:00:00+01:00" }, "executed_at", "Value error, timestamp out of range once converted to UTC", "value_error"],
    [{ executed_at: "2026-13-05T14:30:00Z" }, "executed_at", "Input should be a valid datetime or date, month value is outside expected range of 1-12", "datetime_from_date_parsing"],
    [{ executed_at: "2026-02-30T14:30:00Z" }, "executed_at", "Input should be a valid datetime or date, day value is outside expected range", "datetime_from_date_parsing"],
    [{ executed_at: "2026-01-05T25:30:00Z" }, "executed_at", "Input should be a valid datetime or date, unexpected extra characters at the end of the input", "datetime_from_date_parsing"],
    [{ executed_at: "2026-01-05T14:30:00+2500" }, "executed_at", "Input should be a valid datetime or date, unexpected extra characters at the end of the input", "datetime_from_date_parsing"],
    [{ executed_at: "0000-01-01T00:00:00Z" }, "executed_at", "Input should be a valid datetime, year 0 is out of range", "datetime_parsing"],
    // Never Unix time (servicekit.Timestamp): numbers, and text that is one.
    ...[1767623400, 1767623400.5, -1, 1e20, "1767623400", " 1.5e9"].map((value) => [{ executed_at: value }, "executed_at", UNIX_TIME, "timestamp_type"]),
    [{ executed_at: null }, "executed_at", "Input should be a valid datetime", "datetime_type"],
    [{ executed_at: true }, "executed_at", "Input should be a valid datetime", "datetime_type"],
    [{ executed_at: {} }, "executed_at", "Input should be a valid datetime", "datetime_type"],
  ];

  it("refuses each bad field with the twin's 422", async () => {
    for (const [changes, field, message, type] of REFUSED) {
      const body = await problem(await service.post("/v1/trades", trade("t-bad", changes)), 422);
      assert.deepEqual(body.errors, [{ location: ["body", field], message, type }], JSON.stringify(changes));
      assert.equal(body.type, "urn:fastapi-rules:problem:validation");
      assert.equal(body.title, "Invalid request");
      assert.equal(body.detail, "1 field(s) failed validation.");
    }
    assert.equal(await tradeCount(), 0);
  });

  it("names every bad field of a body at once, in the twin's order", async () => {
    const body = await problem(await service.post("/v1/trades", { symbol: "x", size: "-5", extra: 1, executed_at: "2026-01-05T15:20:00" }), 422);
    assert.equal(body.detail, "5 field(s) failed validation.");
    assert.deepEqual(body.errors, [
      { location: ["body", "client_trade_id"], message: "Field required", type: "missing" },
      { location: ["body", "symbol"], message: "String should match pattern '^[A-Z][A-Z0-9.]{0,11}$'", type: "string_pattern_mismatch" },
      { location: ["body", "size"], message: SIZE_RULE, type: "decimal_string" },
      { location: ["body", "price"], message: "Field required", type: "missing" },
      { location: ["body", "executed_at"], message: "Value error, timestamps need a time zone, e.g. 2026-01-01T00:00:00Z", type: "value_error" },
    ]);
  });

  it("refuses NaN and Infinity as malformed JSON (RFC 8259), located where the first starts", async () => {
    const answer = await service.get("/v1/trades", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"client_trade_id": "m4", "symbol": "AAPL", "size": NaN, "price": -Infinity, "executed_at": "2026-01-05T14:30:00Z"}',
    });
    const body = await problem(answer, 400);
    assert.equal(body.type, "urn:fastapi-rules:problem:malformed-json");
    assert.deepEqual(body.errors, [{ location: ["body", 52], message: "JSON decode error", type: "json_invalid" }]);
  });

  it("refuses a body that is not an object, or none, as the twin does", async () => {
    // Bytes, so that fetch adds no content type of its own.
    const send = (body, contentType = "application/json") =>
      service.get("/v1/trades", {
        method: "POST",
        headers: contentType ? { "content-type": contentType } : {},
        body: body === undefined ? undefined : Buffer.from(body),
      });
    const notObject = [{ location: ["body"], message: "Input should be a valid dictionary or object to extract fields from", type: "model_attributes_type" }];
    const missing = [{ location: ["body"], message: "Field required", type: "missing" }];
    for (const [body, contentType, errors] of [
      ["[]", "application/json", notObject],
      ['"x"', "application/json", notObject],
      ["null", "application/json", notObject],
      ["", "application/json", missing],
      [undefined, null, missing],
      ['{"a": 1}', null, notObject],
      ["", "text/plain", missing],
    ]) {
      assert.deepEqual((await problem(await send(body, contentType), 422)).errors, errors, `${contentType} ${body}`);
    }
    // A body in another media type: servicekit's 415, before it is read.
    for (const contentType of ["text/plain", "application", "multipart/form-data; boundary=x", "application/xml; charset=utf-8"]) {
      const answer = await send('{"a": 1}', contentType);
      assert.equal(answer.headers.get("accept-post"), "application/json");
      const body = await problem(answer, 415);
      assert.deepEqual(body, {
        type: "urn:fastapi-rules:problem:unsupported-media-type",
        title: "Unsupported media type",
        status: 415,
        detail: `Send the body as application/json, not ${contentType.split(";")[0]}.`,
        instance: "/v1/trades",
        request_id: body.request_id,
      });
    }
    // JSON under another JSON media type, in any case, with any charset.
    for (const contentType of ["application/JSON", "application/vnd.trades+json", "application/json; charset=latin-1"]) {
      const errors = (await problem(await send('{"client_trade_id": "x"}', contentType), 422)).errors;
      assert.deepEqual(errors.map((e) => e.location[1]), ["symbol", "size", "price", "executed_at"], String(contentType));
    }
  });

  it("answers a body that is not JSON with the twin's 400", async () => {
    const send = (body, contentType = "application/json") => service.get("/v1/trades", { method: "POST", headers: { "content-type": contentType }, body });
    const malformed = await problem(await send("{not json"), 400);
    assert.equal(malformed.type, "urn:fastapi-rules:problem:malformed-json");
    assert.deepEqual(malformed.errors, [{ location: ["body", 1], message: "JSON decode error", type: "json_invalid" }]);
    // Not UTF-8: the body cannot be read.
    const unreadable = await problem(await send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x7d])), 400);
    assert.equal(unreadable.type, "about:blank");
    assert.equal(unreadable.title, "Bad Request");
    assert.equal(unreadable.detail, "There was an error parsing the body");
    // A UTF-8 byte order mark is allowed, as Python's json allows it in bytes.
    const withBom = await send(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(trade("t-bom")))]));
    assert.equal(withBom.status, 201);
  });

  it("refuses an unknown symbol with a 422 naming it", async () => {
    const body = await problem(await service.post("/v1/trades", trade("t-u", { symbol: "ZZZZ" })), 422);
    assert.deepEqual(body, {
      type: "urn:fastapi-rules:problem:unknown-symbol",
      title: "Unknown symbol",
      status: 422,
      detail: "1 trade(s) name a symbol this service does not know.",
      instance: "/v1/trades",
      request_id: body.request_id,
      errors: [{ location: ["body", "symbol"], message: "Unknown symbol 'ZZZZ'", type: "unknown_symbol" }],
    });
  });

  it("answers other methods 405", async () => {
    const answer = await service.get("/v1/trades");
    const body = await problem(answer, 405);
    assert.equal(answer.headers.get("allow"), "POST");
    assert.equal(body.detail, "GET is not allowed on /v1/trades");
  });
});

describe("POST /v1/trades/batch", () => {
  it("stores a batch and answers it in the order sent, the same again", async () => {
    const trades = [2, 0, 1].map((i) => trade(`b-${i}`, { price: `${100 + i}` }));
    const answer = await service.post("/v1/trades/batch", { trades });
    assert.equal(answer.status, 201);
    const stored = (await answer.json()).trades;
    assert.deepEqual(stored.map((t) => [t.client_trade_id, t.price]), [
      ["b-2", "102.00000000"],
      ["b-0", "100.00000000"],
      ["b-1", "101.00000000"],
    ]);
    const again = await service.post("/v1/trades/batch", { trades });
    assert.equal(again.status, 201);
    assert.deepEqual((await again.json()).trades, stored);
    assert.equal(await tradeCount(), 3);
  });

  it("lets concurrent batches sharing IDs neither deadlock nor duplicate", async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `d-${String(i).padStart(3, "0")}`);
    const batches = [{ trades: ids.map((id) => trade(id)) }, { trades: [...ids].reverse().map((id) => trade(id)) }];
    const answers = await Promise.all([...batches, ...batches].map((batch) => service.post("/v1/trades/batch", batch)));
    assert.deepEqual(answers.map((a) => a.status), [201, 201, 201, 201]);
    const [first, , third] = await Promise.all(answers.map((a) => a.json()));
    assert.deepEqual(first, third);
    assert.equal(await tradeCount(), 200);
  });

  it("refuses a batch with bad trades, listing each, storing nothing", async () => {
    const trades = [trade("ok-0"), trade("bad-1", { size: 0 }), trade("ok-2"), trade("bad-3", { symbol: "x", price: -1 })];
    const body = await problem(await service.post("/v1/trades/batch", { trades }), 422);
    assert.deepEqual(body.errors, [
      { location: ["body", "trades", 1, "size"], message: "Input should be greater than 0", type: "greater_than" },
      { location: ["body", "trades", 3, "symbol"], message: "String should match pattern '^[A-Z][A-Z0-9.]{0,11}$'", type: "string_pattern_mismatch" },
      { location: ["body", "trades", 3, "price"], message: "Input should be greater than 0", type: "greater_than" },
    ]);
    assert.equal(await tradeCount(), 0);
  });

  it("refuses unknown symbols, storing nothing", async () => {
    const trades = [trade("u-0"), trade("u-1", { symbol: "NOPE" }), trade("u-2", { symbol: "ZZ.A" })];
    const body = await problem(await service.post("/v1/trades/batch", { trades }), 422);
    assert.equal(body.detail, "2 trade(s) name a symbol this service does not know.");
    assert.deepEqual(body.errors.map((e) => e.location), [
      ["body", "trades", 1, "symbol"],
      ["body", "trades", 2, "symbol"],
    ]);
    assert.equal(await tradeCount(), 0);
  });

  it("refuses a conflict, storing nothing", async () => {
    await service.post("/v1/trades", trade("c-1"));
    const trades = [trade("c-0"), trade("c-1", { size: 7 }), trade("c-2"), trade("c-0", { price: 1 })];
    const body = await problem(await service.post("/v1/trades/batch", { trades }), 409);
    assert.deepEqual(body.errors, [
      { location: ["body", "trades", 1, "client_trade_id"], message: "Trade 'c-1' was already stored with other content", type: "conflict" },
      { location: ["body", "trades", 3, "client_trade_id"], message: "Trade 'c-0' was already stored with other content", type: "conflict" },
    ]);
    assert.equal(await tradeCount(), 1);
  });

  it("takes 1 to 1000 trades", async () => {
    const batch = (count, bad = false) => ({ trades: Array.from({ length: count }, (_, i) => trade(`n-${i}`, bad && i === 0 ? { size: 0 } : {})) });
    assert.deepEqual((await problem(await service.post("/v1/trades/batch", batch(0)), 422)).errors, [
      { location: ["body", "trades"], message: "List should have at least 1 item after validation, not 0", type: "too_short" },
    ]);
    // Too long is the only error then, as in the twin, even with a bad trade in it.
    assert.deepEqual((await problem(await service.post("/v1/trades/batch", batch(1001, true)), 422)).errors, [
      { location: ["body", "trades"], message: "List should have at most 1000 items after validation, not 1001", type: "too_long" },
    ]);
    const largest = await service.post("/v1/trades/batch", batch(1000));
    assert.equal(largest.status, 201);
    assert.equal((await largest.json()).trades.length, 1000);
  });

  it("refuses a body without a list of trades", async () => {
    for (const [body, errors] of [
      [{}, [{ location: ["body", "trades"], message: "Field required", type: "missing" }]],
      [{ trades: {} }, [{ location: ["body", "trades"], message: "Input should be a valid list", type: "list_type" }]],
      [{ trades: "abc" }, [{ location: ["body", "trades"], message: "Input should be a valid list", type: "list_type" }]],
      [
        { trades: [1, { client_trade_id: "x" }] },
        [
          { location: ["body", "trades", 0], message: "Input should be a valid dictionary or object to extract fields from", type: "model_attributes_type" },
          { location: ["body", "trades", 1, "symbol"], message: "Field required", type: "missing" },
          { location: ["body", "trades", 1, "size"], message: "Field required", type: "missing" },
          { location: ["body", "trades", 1, "price"], message: "Field required", type: "missing" },
          { location: ["body", "trades", 1, "executed_at"], message: "Field required", type: "missing" },
        ],
      ],
    ]) {
      assert.deepEqual((await problem(await service.post("/v1/trades/batch", body), 422)).errors, errors, JSON.stringify(body));
    }
  });
});
