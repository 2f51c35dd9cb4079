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
    // Offsets from json.loads(text) raising JSONDecodeError.pos, as the twin reports them.
    for (const [text, position] of [
      ['{"a": }', 6],
      ["", 0],
      ["   ", 3],
      ["{", 1],
      ["[1,]", 3],
      ['{"a" 1}', 5],
      ['{"a": 1,}', 8],
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
    for (const text of ['{"a": [1, 2.5e3, "\\u00e9", null, true]}', " 1 ", "NaN"]) {
      assert.equal(jsonErrorPosition(text), undefined, text);
    }
  });
});
