// The schema comes from the twin's migrations, applied once, under the twin's lock.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { loadMigrations, migrate } from "../src/migrations.js";
import { createDatabase } from "./helpers.js";

let pool;

before(async () => {
  pool = new pg.Pool({ connectionString: await createDatabase(), max: 4 });
});

after(async () => {
  await pool.end();
});

describe("migrations", () => {
  it("are the numbered files, in order", async () => {
    const migrations = await loadMigrations();
    assert.deepEqual(
      migrations.map((m) => [m.version, m.name]),
      [
        [1, "0001_trades.sql"],
        [2, "0002_seed_symbols.sql"],
      ],
    );
  });

  it("apply once, even from replicas starting together", async () => {
    const migrations = await loadMigrations();
    const results = await Promise.all([migrate(pool, migrations), migrate(pool, migrations), migrate(pool, migrations)]);
    assert.deepEqual(results.flat().sort(), ["0001_trades.sql", "0002_seed_symbols.sql"]);
    assert.deepEqual(await migrate(pool, migrations), []);
    const { rows } = await pool.query("SELECT version, name FROM schema_migrations ORDER BY version");
    assert.deepEqual(rows, [
      { version: 1, name: "0001_trades.sql" },
      { version: 2, name: "0002_seed_symbols.sql" },
    ]);
    const { rows: symbols } = await pool.query("SELECT count(*)::int AS n FROM symbols");
    assert.equal(symbols[0].n, 6);
  });
});
