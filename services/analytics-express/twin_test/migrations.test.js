// The schema this service applies is its FastAPI twin's: migrations/ must hold the same
// files as services/analytics/migrations, byte for byte, or the two could not share a
// database. The twin's package does not export its files, so this test reads them from
// the source tree, beside this package's own (it runs unsandboxed and uncached, as
// buildifier_test does), through where its runfiles link.
import assert from "node:assert/strict";
import { readdir, readFile, realpath } from "node:fs/promises";
import { dirname, join } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";

const OURS = fileURLToPath(new URL("../migrations/", import.meta.url));

it("migrations/ is a copy of services/analytics/migrations", async () => {
  const names = (await readdir(OURS)).filter((name) => name.endsWith(".sql")).sort();
  assert.ok(names.length > 0, "no migrations");
  const source = dirname(await realpath(join(OURS, names[0])));
  const twin = join(source, "..", "..", "analytics", "migrations");
  const theirs = (await readdir(twin)).filter((name) => name.endsWith(".sql")).sort();
  const relock = "copy them again: cp services/analytics/migrations/*.sql services/analytics-express/migrations/";
  assert.deepEqual(names, theirs, `the migration files differ; ${relock}`);
  for (const name of names) {
    const [mine, twins] = await Promise.all([readFile(join(source, name)), readFile(join(twin, name))]);
    assert.ok(mine.equals(twins), `${name} differs from the twin's; ${relock}`);
  }
});
