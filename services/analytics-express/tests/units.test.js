// Settings, timestamps, query integers and log lines, without a server.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "../src/config.js";
import { isoTimestamp } from "../src/db.js";
import { captureLogs } from "./helpers.js";
import { createLoggers, timestamp } from "../src/logger.js";
import { openApiTemplate, RouteTemplates } from "../src/routing.js";
import { integerQuery } from "../src/validation.js";

const URL_ENV = { ANALYTICS_DATABASE__URL: "postgresql://postgres@127.0.0.1:5432/analytics" };

describe("settings", () => {
  it("have the twin's defaults", () => {
    const config = loadConfig({ ...URL_ENV, EXPRESS_SERVICE_PORT: "4201" });
    assert.equal(config.port, 4201);
    assert.equal(config.host, "0.0.0.0");
    assert.equal(config.drainSeconds, 5);
    assert.equal(config.logLevel, "info");
    assert.equal(config.maxBodyBytes, 1_048_576);
    assert.equal(config.database.maxPoolSize, 10);
    assert.equal(config.database.statementTimeoutMs, 5000);
  });

  it("take PORT over the registry's port", () => {
    assert.equal(loadConfig({ ...URL_ENV, EXPRESS_SERVICE_PORT: "4201", PORT: "8080" }).port, 8080);
  });

  it("name every bad value at once", () => {
    assert.throws(
      () => loadConfig({ ANALYTICS_LOG_LEVEL: "loud", ANALYTICS_DATABASE__MAX_POOL_SIZE: "0", PORT: "http" }),
      (error) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems, [
          'PORT must be a whole number (got "http")',
          'ANALYTICS_LOG_LEVEL must be one of debug, info, warning, error (got "loud")',
          'ANALYTICS_DATABASE__MAX_POOL_SIZE must be at least 1 (got "0")',
          "ANALYTICS_DATABASE__URL is not set: give the service its PostgreSQL, " +
            "e.g. ANALYTICS_DATABASE__URL=postgresql://user:password@host:5432/database",
        ]);
        return true;
      },
    );
  });

  it("want a postgresql URL", () => {
    assert.throws(() => loadConfig({ ANALYTICS_DATABASE__URL: "mysql://db/x" }), /must be a postgresql:\/\/ URL/);
  });
});

describe("timestamps", () => {
  it("come out of PostgreSQL as the twin writes them", () => {
    assert.equal(isoTimestamp("2026-01-05 17:00:00+00"), "2026-01-05T17:00:00Z");
    assert.equal(isoTimestamp("2026-01-05 17:00:00.5+00"), "2026-01-05T17:00:00.500000Z");
    assert.equal(isoTimestamp("2026-01-05 17:00:00.000001+00"), "2026-01-05T17:00:00.000001Z");
    assert.throws(() => isoTimestamp("2026-01-05 18:00:00+01"), /TimeZone UTC/);
  });

  it("of log lines have microseconds", () => {
    assert.equal(timestamp(Date.UTC(2026, 10, 26, 15, 0, 0, 123) + 0.456), "2026-11-26T15:00:00.123456Z");
    assert.equal(timestamp(Date.UTC(2026, 10, 26, 15, 0, 0, 0)), "2026-11-26T15:00:00.000000Z");
  });
});

describe("log lines", () => {
  it("have the contract's field names and levels", () => {
    const logs = captureLogs();
    const log = createLoggers({ service: "analytics-express", level: "debug", destination: logs }).getLogger("analytics.test");
    log.warn({ detail: 1 }, "careful");
    log.fatal("gone");
    const [warning, critical] = logs.lines;
    assert.deepEqual(Object.keys(warning).sort(), ["detail", "event", "level", "logger", "service", "timestamp"]);
    assert.equal(warning.level, "warning");
    assert.equal(warning.event, "careful");
    assert.equal(warning.logger, "analytics.test");
    assert.equal(critical.level, "critical");
  });

  it("below the level are not written", () => {
    const logs = captureLogs();
    const log = createLoggers({ service: "s", level: "warning", destination: logs }).getLogger("x");
    log.info("quiet");
    log.error("loud");
    assert.deepEqual(logs.lines.map((line) => line.event), ["loud"]);
  });
});

describe("route templates", () => {
  it("are written as OpenAPI writes them", () => {
    assert.equal(openApiTemplate("/v1/symbols/:symbol/stats"), "/v1/symbols/{symbol}/stats");
    const templates = new RouteTemplates();
    templates.add("/v1/symbols");
    templates.add("/v1/symbols/{symbol}/stats");
    assert.equal(templates.find("/v1/symbols/BRK.B/stats"), "/v1/symbols/{symbol}/stats");
    assert.equal(templates.find("/v1/symbols/"), "/v1/symbols");
    assert.equal(templates.find("/v1/other"), undefined);
  });
});

describe("integer query parameters", () => {
  const rules = { limit: { min: 1, max: 1000, fallback: 100 } };
  it("default when absent", () => {
    assert.deepEqual(integerQuery({}, rules), { values: { limit: 100 }, errors: [] });
  });
  it("accept what pydantic accepts", () => {
    for (const [text, value] of [["7", 7], ["+7", 7], [" 7 ", 7], ["007", 7], ["7.00", 7], ["1_000", 1000]]) {
      assert.deepEqual(integerQuery({ limit: text }, rules).values, { limit: value }, text);
    }
  });
  it("refuse what pydantic refuses", () => {
    for (const text of ["", "7.5", "1e2", "0x10", "1__0", "_1", "seven", "７"]) {
      assert.equal(integerQuery({ limit: text }, rules).errors[0].type, "int_parsing", text);
    }
    assert.equal(integerQuery({ limit: "-0" }, rules).errors[0].type, "greater_than_equal");
  });
});

describe("malformed JSON", () => {
  it("is located where Python's json module stops", async () => {
    const { jsonErrorPosition } = await import("../src/jsonPosition.js");
    // Offsets from json.loads(text) raising JSONDecodeError.pos on Python 3.13, as the
    // twin reports them.
    for (const [text, position] of [
      ['{"a": }', 6],
      ["", 0],
      ["   ", 3],
      ["{", 1],
      ['{"a" 1}', 5],
      ['"abc', 0],
      ["[1] x", 4],
      ["tru", 0],
      ['{"a": 01}', 7],
      ["[1 2]", 3],
      ["{1: 2}", 1],
      ["-", 0],
      ["1.", 1],
      ['["a\\q"]', 3],
      ['{"a":1}}', 7],
      ["[-]", 1],
      ['"\t"', 1],
      ["[1,2", 4],
      ['{"a":[}', 6],
    ]) {
      assert.equal(jsonErrorPosition(text), position, JSON.stringify(text));
    }
    for (const text of ['{"a": [1, 2.5e3, "\\u00e9", null, true]}', " 1 "]) {
      assert.equal(jsonErrorPosition(text), undefined, text);
    }
    // Python 3.13 names a trailing comma; NaN and Infinity (RFC 8259) are not JSON.
    for (const [text, position] of [
      ['{"symbol": "AAPL",}', 17],
      ["[1,]", 2],
      ["[1, ]", 2],
      ['{"a": 1 ,  }', 8],
      ["[1,\n]", 2],
      ['{"a": 1, ', 9],
      ["[1,", 3],
      ["{,}", 1],
      ["[,]", 1],
      ["NaN", 0],
      ["[1, -Infinity]", 4],
      ['{"a": "NaN", "b": Infinity}', 18],
    ]) {
      assert.equal(jsonErrorPosition(text), position, JSON.stringify(text));
    }
  });
});

describe("decimal amounts", () => {
  it("have servicekit's patterns", async () => {
    const { PRICE, QUANTITY, DecimalAmount } = await import("../src/decimal.js");
    // The patterns servicekit's Price and Quantity publish in the twin's OpenAPI document.
    assert.equal(
      QUANTITY.pattern,
      "^([1-9][0-9]{0,11}(\\.[0-9]{1,6})?|0\\.([1-9][0-9]{0,5}|0[1-9][0-9]{0,4}|00[1-9][0-9]{0,3}|000[1-9][0-9]{0,2}|0000[1-9][0-9]{0,1}|00000[1-9]))$",
    );
    assert.match("9999999999.99999999", PRICE.regex);
    assert.doesNotMatch("0.000000000", PRICE.regex);
    assert.equal(new DecimalAmount(4, 0).pattern, "^([1-9][0-9]{0,3})$");
    assert.equal(new DecimalAmount(4, 2, { positive: false }).pattern, "^-?(0|[1-9][0-9]{0,1})(\\.[0-9]{1,2})?$");
  });

  it("take JSON numbers by the digits they were sent with", async () => {
    const { PRICE, QUANTITY } = await import("../src/decimal.js");
    assert.deepEqual(QUANTITY.validate(100), { value: "100" });
    assert.deepEqual(QUANTITY.validate(1.5), { value: "1.5" });
    assert.deepEqual(QUANTITY.validate(1e-6), { value: "0.000001" });
    assert.deepEqual(QUANTITY.validate(999999999.999999), { value: "999999999.999999" });
    assert.deepEqual(PRICE.validate(1e-8), { value: "0.00000001" });
    assert.equal(PRICE.validate(0.1 + 0.2).error.type, "decimal_max_places"); // 0.30000000000000004
    assert.equal(PRICE.validate(-0).error.type, "greater_than");
    assert.equal(PRICE.validate(Number.NaN).error.type, "finite_number");
    assert.equal(PRICE.validate(9999999.99999999).value, "9999999.99999999");
  });

  it("compare by value, whatever the scale", async () => {
    const { sameAmount, plain } = await import("../src/decimal.js");
    assert.ok(sameAmount("100", "100.000000"));
    assert.ok(sameAmount("0.5", "0.50000000"));
    assert.ok(!sameAmount("100", "1000"));
    assert.ok(!sameAmount("187.25", "187.26"));
    assert.equal(plain("1.5e+21"), "1500000000000000000000");
    assert.equal(plain("1e-7"), "0.0000001");
    assert.equal(plain("-12.5"), "-12.5");
  });
});

describe("timestamps in text", () => {
  it("are read as the twin reads them", async () => {
    const { parseTimestamp, formatTimestamp } = await import("../src/timestamp.js");
    const { TWIN_TIMESTAMPS } = await import("./twinTimestamps.js");
    assert.ok(TWIN_TIMESTAMPS.length > 100);
    for (const [text, expected] of TWIN_TIMESTAMPS) {
      const result = parseTimestamp(text);
      const actual = result.error === undefined ? formatTimestamp(result.value) : [result.error.type, result.error.message];
      assert.deepEqual(actual, expected, JSON.stringify(text));
    }
  });

  it("are never Unix time, as servicekit.Timestamp refuses it", async () => {
    const { parseTimestamp } = await import("../src/timestamp.js");
    const unixTime = {
      type: "timestamp_type",
      message: "Input should be an ISO 8601 date and time with a time zone, e.g. 2026-01-01T00:00:00Z, not a number (Unix time)",
    };
    for (const value of [1767623400, 1767623400.5, 0, -1, 1e20, "1767623400", " 1.5e9 ", "\u00a012", "\u0661\u0662", "+.5"]) {
      assert.deepEqual(parseTimestamp(value).error, unixTime, JSON.stringify(value));
    }
    assert.deepEqual(parseTimestamp(false).error, { type: "datetime_type", message: "Input should be a valid datetime" });
    assert.equal(parseTimestamp("1e").error.type, "datetime_from_date_parsing");
  });
});

describe("metrics", () => {
  it("write bucket bounds as prometheus_client does", async () => {
    const { floatText } = await import("../src/observability.js");
    // Python's repr(float(x)) of each.
    const python = "0.005 0.01 0.025 0.075 1.0 2.5 5.0 10.0 0.0005 1e-05 1e+16 1.2345678901234568e+17 0.30000000000000004 64.0 -1.0";
    const values = [0.005, 0.01, 0.025, 0.075, 1, 2.5, 5, 10, 0.0005, 1e-5, 1e16, 123456789012345680, 0.1 + 0.2, 64, -1];
    assert.equal(values.map(floatText).join(" "), python);
    assert.equal(floatText(Infinity), "+Inf");
  });
});

describe("JSON bodies", () => {
  it("are JSON for the twin's media types only", async () => {
    const { isJsonContentType } = await import("../src/body.js");
    for (const type of ["application/json", "application/JSON", "application/json; charset=utf-8", "application/problem+json", " application/json "]) {
      assert.ok(isJsonContentType(type), type);
    }
    for (const type of [undefined, "", "text/json", "text/plain", "application", "application/json/x", "application/jsonx"]) {
      assert.ok(!isJsonContentType(type), String(type));
    }
  });

  it("are parsed as servicekit parses them", async () => {
    const { decodeBody, parseJson } = await import("../src/body.js");
    assert.deepEqual(parseJson('{"a": [1, "NaN"]}'), { a: [1, "NaN"] });
    assert.deepEqual(parseJson('"Infinity \\" NaN"'), "Infinity \" NaN");
    // Strict JSON: located where the word starts.
    assert.throws(() => parseJson("[NaN,]"), (problem) => problem.status === 400 && problem.errors[0].location[1] === 1);
    assert.throws(() => parseJson('{"a": -Infinity}'), (problem) => problem.type.endsWith("malformed-json") && problem.errors[0].location[1] === 6);
    // Deeper than any parser's stack: the body cannot be read, as the twin answers it.
    assert.throws(() => parseJson("[".repeat(200_000)), { detail: "There was an error parsing the body" });
    const json = "application/json";
    assert.equal(decodeBody(Buffer.alloc(0), json), undefined);
    assert.deepEqual(decodeBody(Buffer.from('{"a": 1}', "utf16le"), json), { a: 1 });
    assert.deepEqual(decodeBody(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("[1]", "utf16le")]), json), [1]);
    assert.deepEqual(decodeBody(Buffer.from([0xef, 0xbb, 0xbf, 0x5b, 0x5d]), json), []);
    assert.throws(() => decodeBody(Buffer.from([0x5b, 0xc3, 0x28, 0x5d]), json), { detail: "There was an error parsing the body" });
    assert.equal(decodeBody(Buffer.from("[1]"), "text/plain").constructor.name, "RawBody");
  });
});

describe("rate limit strings", () => {
  it("are read as the limits package reads them", async () => {
    const { parseRateLimit } = await import("../src/rateLimit.js");
    assert.deepEqual(parseRateLimit("100/second"), { amount: 100, seconds: 1 });
    assert.deepEqual(parseRateLimit("10 per minute"), { amount: 10, seconds: 60 });
    assert.deepEqual(parseRateLimit("1000/5 minutes"), { amount: 1000, seconds: 300 });
    assert.deepEqual(parseRateLimit("5/HOUR;100/day"), { amount: 5, seconds: 3600 });
    assert.deepEqual(parseRateLimit("1 per month"), { amount: 1, seconds: 30 * 86_400 });
    for (const text of ["", "fast", "10/fortnight", "/second", "10"]) {
      assert.throws(() => parseRateLimit(text), /couldn't parse rate limit string/, text);
    }
  });
});

describe("CORS and rate limit settings", () => {
  it("have the twin's names and defaults", () => {
    const config = loadConfig(URL_ENV);
    assert.deepEqual(config.corsOrigins, []);
    assert.deepEqual(config.rateLimit, { enabled: true, default: { amount: 100, seconds: 1 }, storageUrl: "memory://" });
    const set = loadConfig({
      ...URL_ENV,
      ANALYTICS_CORS_ORIGINS: '["https://a.example", "https://b.example"]',
      ANALYTICS_RATE_LIMIT__ENABLED: "False",
      ANALYTICS_RATE_LIMIT__DEFAULT: "5 per minute",
    });
    assert.deepEqual(set.corsOrigins, ["https://a.example", "https://b.example"]);
    assert.equal(set.rateLimit.enabled, false);
    assert.deepEqual(set.rateLimit.default, { amount: 5, seconds: 60 });
  });

  it("name bad values", () => {
    assert.throws(
      () =>
        loadConfig({
          ...URL_ENV,
          ANALYTICS_CORS_ORIGINS: "https://a.example",
          ANALYTICS_RATE_LIMIT__ENABLED: "sometimes",
          ANALYTICS_RATE_LIMIT__DEFAULT: "fast",
          ANALYTICS_RATE_LIMIT__STORAGE_URL: "redis://cache:6379",
        }),
      (error) => {
        assert.deepEqual(error.problems, [
          'ANALYTICS_CORS_ORIGINS must be a JSON list of strings, e.g. ["https://app.example"] (got "https://a.example")',
          'ANALYTICS_RATE_LIMIT__ENABLED must be true or false (got "sometimes")',
          'ANALYTICS_RATE_LIMIT__DEFAULT must be a rate limit such as "100/second" or "10 per minute" (got "fast")',
          'ANALYTICS_RATE_LIMIT__STORAGE_URL must be memory://: this service counts in process memory (shared stores are not supported yet) (got "redis://cache:6379")',
        ]);
        return true;
      },
    );
  });
});

describe("the model file", () => {
  it("is described as the twin describes it", async () => {
    const { readFile } = await import("node:fs/promises");
    const { createHash } = await import("node:crypto");
    const { describeModel } = await import("../src/inference/model.js");
    const { DEFAULT_MODEL_PATH } = await import("../src/inference/inference.js");
    const content = await readFile(DEFAULT_MODEL_PATH);
    assert.deepEqual(describeModel(content, DEFAULT_MODEL_PATH), {
      name: "realised-volatility-ridge",
      version: "1",
      sha256: createHash("sha256").update(content).digest("hex"),
    });
  });
});

describe("the micro-batcher", () => {
  it("stacks what arrives within the window, up to the batch size", async () => {
    const { MicroBatcher } = await import("../src/inference/batcher.js");
    const calls = [];
    const batcher = new MicroBatcher(
      async (rows, count) => {
        calls.push(count);
        return Float32Array.from({ length: count }, (_, i) => rows[i]);
      },
      { windowMs: 5, maxBatch: 4, inputs: 1 },
    );
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((value) => batcher.submit(Float32Array.of(value))));
    assert.deepEqual(results.map((r) => Array.from(r)), [[1], [2], [3], [4], [5], [6]]);
    assert.deepEqual(calls, [4, 2]);
    // A request larger than a batch goes alone, whole.
    calls.length = 0;
    const large = await batcher.submit(Float32Array.from({ length: 9 }, (_, i) => i));
    assert.equal(large.length, 9);
    assert.deepEqual(calls, [9]);
    batcher.stop();
    await assert.rejects(batcher.submit(Float32Array.of(1)), /stopped/);
  });

  it("fails every caller of a failed batch", async () => {
    const { MicroBatcher } = await import("../src/inference/batcher.js");
    const batcher = new MicroBatcher(
      async () => {
        throw new Error("model gone");
      },
      { inputs: 1 },
    );
    const results = await Promise.allSettled([batcher.submit(Float32Array.of(1)), batcher.submit(Float32Array.of(2))]);
    assert.deepEqual(results.map((r) => r.reason?.message), ["model gone", "model gone"]);
  });
});

describe("console log lines", () => {
  // structlog's ConsoleRenderer(colors=False), servicekit's renderer with
  // <PREFIX>LOG_JSON=false, run on each of these lines (structlog 26.1.0, 2026-11-28).
  const STRUCTLOG = [
  [
    {
      "method": "GET",
      "route": "/v1/symbols",
      "path": "/v1/symbols",
      "status": 200,
      "duration_ms": 1.92,
      "client": "127.0.0.1",
      "request_id": "abc",
      "event": "request",
      "level": "info",
      "logger": "express.access",
      "timestamp": "2026-11-28T17:00:00.123456Z",
      "service": "analytics-express"
    },
    "2026-11-28T17:00:00.123456Z [info     ] request                        [express.access] client=127.0.0.1 duration_ms=1.92 method=GET path=/v1/symbols request_id=abc route=/v1/symbols service=analytics-express status=200"
  ],
  [
    {
      "event": "draining before shutdown",
      "level": "info",
      "logger": "analytics",
      "timestamp": "2026-11-28T17:00:00.123456Z",
      "service": "a",
      "seconds": 5
    },
    "2026-11-28T17:00:00.123456Z [info     ] draining before shutdown       [analytics] seconds=5 service=a"
  ],
  [
    {
      "event": "database unavailable",
      "level": "warning",
      "logger": "analytics.db",
      "timestamp": "t",
      "service": "a",
      "error": "Error: connect ECONNREFUSED 127.0.0.1:5432",
      "path": "/v1/trades",
      "quote": "it's",
      "both": "a'b\"c",
      "eq": "a=b",
      "nl": "a\nb\\c",
      "none": null,
      "flag": true,
      "list": [
        "x",
        1,
        null
      ],
      "obj": {
        "k": "v"
      }
    },
    "t [warning  ] database unavailable           [analytics.db] both='a\\'b\"c' eq='a=b' error='Error: connect ECONNREFUSED 127.0.0.1:5432' flag=True list=['x', 1, None] nl='a\\nb\\\\c' none=None obj={'k': 'v'} path=/v1/trades quote=\"it's\" service=a"
  ],
  [
    {
      "event": "unhandled exception",
      "level": "error",
      "logger": "express.errors",
      "timestamp": "t",
      "service": "a",
      "exception": "Error: boom\n    at x (y.js:1:1)"
    },
    "t [error    ] unhandled exception            [express.errors] service=a\nError: boom\n    at x (y.js:1:1)"
  ],
  [
    {
      "event": "a very long event name that is longer than thirty",
      "level": "critical",
      "timestamp": "t"
    },
    "t [critical ] a very long event name that is longer than thirty"
  ]
];

  it("are written as servicekit writes them", async () => {
    const { consoleLine } = await import("../src/logger.js");
    for (const [fields, expected] of STRUCTLOG) {
      assert.equal(consoleLine(fields), expected);
    }
  });

  it("are what ANALYTICS_LOG_JSON=false gives, one per line, coloured only when asked", async () => {
    const { createLoggers } = await import("../src/logger.js");
    const written = [];
    const destination = { write: (text) => written.push(text) };
    const loggers = createLoggers({ service: "svc", destination, json: false });
    loggers.getLogger("analytics").info({ seconds: 5 }, "draining before shutdown");
    assert.equal(written.length, 1);
    assert.match(written[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \[info {5}\] draining before shutdown {7}\[analytics\] seconds=5 service=svc\n$/);
    const coloured = [];
    createLoggers({ service: "svc", destination: { write: (text) => coloured.push(text) }, json: false, colors: true })
      .getLogger("analytics")
      .warn("careful");
    assert.ok(coloured[0].includes("\u001b[33m\u001b[1mwarning  \u001b[0m"), JSON.stringify(coloured[0]));
    assert.equal(loadConfig({ ...URL_ENV, ANALYTICS_LOG_JSON: "false" }).logJson, false);
    assert.equal(loadConfig(URL_ENV).logJson, true);
  });
});
