// src/sql.js holds the twin's SQL (services/analytics/stats.py and api.py), text for text:
// the same statements compute the same statistics in either service. The twin's files come
// from its package (express_service's test_data).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import * as sql from "../src/sql.js";

const twin = (name) => readFile(new URL(`../../analytics/${name}`, import.meta.url), "utf8");

/** The string literals of a Python source, f-strings' {NAME} replaced by NAME's value. */
function pythonStrings(source) {
  const triple = /(?<!\w)(f?)"""([\s\S]*?)"""/g;
  const single = /(?<!\w)(f?)"((?:[^"\\\n]|\\.)*)"/g;
  const literals = [...source.matchAll(triple), ...source.replace(triple, "").matchAll(single)];
  const constants = Object.fromEntries([...source.matchAll(/^(_?[A-Z_]+) = """([\s\S]*?)"""/gm)].map(([, name, text]) => [name, text]));
  return literals.map(([, prefix, text]) => (prefix === "f" ? text.replace(/\{(_?[A-Z_]+)\}/g, (_m, name) => constants[name]) : text));
}

describe("the SQL", () => {
  it("is the twin's, statement for statement", async () => {
    const statements = new Set([...pythonStrings(await twin("stats.py")), ...pythonStrings(await twin("api.py"))]);
    const ours = Object.entries(sql).filter(([, value]) => typeof value === "string");
    assert.ok(ours.length >= 9, "src/sql.js lost its statements");
    for (const [name, text] of ours) {
      assert.ok(statements.has(text), `${name} of src/sql.js is not the twin's: copy it again from services/analytics`);
    }
  });

  it("annualises volatility with the twin's year", async () => {
    assert.match(await twin("stats.py"), /^SECONDS_PER_YEAR = 365 \* 24 \* 3600$/m);
    assert.equal(sql.SECONDS_PER_YEAR, 365 * 24 * 3600);
  });
});
