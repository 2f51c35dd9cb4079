// The OpenAPI 3.1 document GET /openapi.json serves: one operation per route and method
// the app declares (src/routing.js records them as it declares them), described by
// src/openapi/operations.js, with the schemas of src/openapi/schemas.js. Building fails
// while a declared route has no description or a description has no route, so the
// document can only list what the service serves.
import { OPERATIONS, PROBLEMS, TAGS } from "./operations.js";
import { SCHEMAS, SECURITY_SCHEMES } from "./schemas.js";

// Served, not part of the API: the scrape (as the twin leaves it out of its document).
const UNDOCUMENTED = new Set(["GET /metrics"]);

const PROBLEM_CONTENT = {
  "application/problem+json": {},
  "application/json": { schema: { $ref: "#/components/schemas/Problem" } },
};

function problem(description) {
  return { description, content: PROBLEM_CONTENT };
}

function operation(described) {
  const { problems = {}, responses, ...rest } = described;
  const all = { ...responses };
  for (const [status, description] of Object.entries(PROBLEMS)) {
    all[status] = problem(problems[status] ?? description);
  }
  for (const [status, description] of Object.entries(problems)) {
    if (!(status in PROBLEMS)) all[status] = problem(description);
  }
  return { ...rest, responses: all };
}

/**
 * @param {object} options
 * @param {{ title: string, version: string, description?: string }} options.service
 * @param {{ template: string, methods: string[] }[]} options.routes what the app declares
 * @param {object} [options.operations] the descriptions (default OPERATIONS)
 */
export function openApiDocument({ service, routes, operations = OPERATIONS }) {
  const paths = {};
  const documented = new Set();
  const missing = [];
  for (const { template, methods } of routes) {
    for (const method of methods) {
      const key = `${method.toUpperCase()} ${template}`;
      if (UNDOCUMENTED.has(key)) continue;
      const described = operations[key];
      if (described === undefined) {
        missing.push(key);
        continue;
      }
      documented.add(key);
      paths[template] ??= {};
      paths[template][method.toLowerCase()] = operation(described);
    }
  }
  const unserved = Object.keys(operations).filter((key) => !documented.has(key));
  if (missing.length > 0 || unserved.length > 0) {
    const problems = [
      ...missing.map((key) => `${key} is served but not described in src/openapi/operations.js`),
      ...unserved.map((key) => `${key} is described in src/openapi/operations.js but not served`),
    ];
    throw new Error(`the OpenAPI document does not match the routes: ${problems.join("; ")}`);
  }
  const info = { title: service.title, version: service.version };
  if (service.description) info.description = service.description;
  return {
    openapi: "3.1.0",
    info,
    paths,
    components: { schemas: SCHEMAS, securitySchemes: SECURITY_SCHEMES },
    tags: TAGS,
  };
}
