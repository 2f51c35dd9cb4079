// The default eslint configuration of eslint_test and the fix command: eslint's
// recommended rules for Node.js code, ES modules in .js and .mjs, CommonJS in .cjs.
// A repository uses its own with, in its .bazelrc:
//   common --@fastapi_rules//tools/fastapi_rules:eslint_config=//:eslint.config.mjs
// It may import what the rules' tool lock (third_party/npm) installs: @eslint/js, globals.
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "module",
      globals: { ...globals.node },
    },
    linterOptions: {
      reportUnusedDisableDirectives: "error",
    },
    rules: {
      // Express tells error handlers by their four parameters, used or not: name the
      // unused ones _next, _req.
      "no-unused-vars": ["error", { argsIgnorePattern: "^_", caughtErrors: "all" }],
      eqeqeq: ["error", "always"],
      "no-var": "error",
      "prefer-const": "error",
      "no-console": "error",
    },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
  },
];
