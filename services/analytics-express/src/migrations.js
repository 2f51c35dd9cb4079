// The schema: the numbered SQL files of migrations/, applied once each, in order, at
// start. They are the FastAPI twin's (services/analytics/migrations, which the build
// copies into this package: BUILD.bazel), applied the same way, in the same
// schema_migrations table under the same advisory lock: both services can share one
// database, and either may start first.
import { readdir, readFile } from "node:fs/promises";

const MIGRATIONS_DIR = new URL("../migrations/", import.meta.url);
// The twin's lock key: "analytics" in ASCII, recognisable in pg_locks.
const LOCK_KEY = BigInt("0x616E616C79746963").toString();
const NAME = /^(\d{4})_[a-z0-9_]+\.sql$/;

/** The migrations of `directory`, by version. */
export async function loadMigrations(directory = MIGRATIONS_DIR) {
  const names = (await readdir(directory)).filter((name) => name.endsWith(".sql")).sort();
  const migrations = [];
  for (const name of names) {
    const match = NAME.exec(name);
    if (match === null) {
      throw new Error(`${name}: migrations are named NNNN_name.sql`);
    }
    migrations.push({
      version: Number(match[1]),
      name,
      sql: await readFile(new URL(name, directory), "utf8"),
    });
  }
  if (new Set(migrations.map((m) => m.version)).size !== migrations.length) {
    throw new Error(`duplicate migration versions in ${directory.pathname}`);
  }
  return migrations;
}

/** Applies the pending migrations in one transaction; returns the names it applied. */
export async function migrate(pool, migrations) {
  const client = await pool.connect();
  const applied = [];
  try {
    await client.query("BEGIN");
    // Held until the transaction ends: a second migrator waits here, then finds
    // everything recorded and applies nothing.
    await client.query("SELECT pg_advisory_xact_lock($1::bigint)", [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query("SELECT version FROM schema_migrations");
    const done = new Set(rows.map((row) => row.version));
    for (const migration of migrations) {
      if (done.has(migration.version)) {
        continue;
      }
      await client.query(migration.sql);
      await client.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.name);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
  return applied;
}
