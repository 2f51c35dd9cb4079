// Routes declared through one helper, so that each knows its template as the OpenAPI
// documents of the FastAPI services write it ("/v1/symbols/{symbol}/stats"): access lines
// and metrics are labelled with it, whatever the raw path. Methods a route does not have
// answer 405 with an Allow header, as FastAPI's do.
import { methodNotAllowed } from "./problems.js";

/** Express's "/symbols/:symbol" as OpenAPI writes it: "/symbols/{symbol}". */
export function openApiTemplate(path) {
  return path.replace(/[:*]([A-Za-z_][A-Za-z0-9_]*)/g, "{$1}");
}

function matcher(template) {
  const pattern = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith("{") ? "[^/]+" : part.replace(/[.*+?^$()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${pattern}/?$`);
}

/** Every route template of an app, to find a request's route before routing (for
 * requests refused before they reach it, such as a body over the size limit). */
export class RouteTemplates {
  constructor() {
    this.templates = [];
  }

  /** `methods`: the lower-case methods the route serves, which the OpenAPI document lists. */
  add(template, methods = []) {
    this.templates.push({ template, methods, pattern: matcher(template) });
  }

  /** Every route declared, in order: { template, methods }. */
  routes() {
    return this.templates.map(({ template, methods }) => ({ template, methods }));
  }

  find(path) {
    return this.templates.find(({ pattern }) => pattern.test(path))?.template;
  }
}

/**
 * Declares `path` on `router` (mounted at `mount`) with a handler per method, e.g.
 * `{ get: listSymbols }`; other methods answer 405.
 */
export function route(router, templates, mount, path, handlers) {
  const template = openApiTemplate(mount + path);
  templates.add(template, Object.keys(handlers));
  const declared = router.route(path).all((_req, res, next) => {
    res.locals.routeTemplate = template;
    next();
  });
  for (const [method, handler] of Object.entries(handlers)) {
    declared[method](handler);
  }
  declared.all(methodNotAllowed(Object.keys(handlers)));
}
