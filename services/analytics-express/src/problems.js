// Every error as RFC 9457 application/problem+json, with the fields of the FastAPI
// services' (servicekit/models.py Problem): type, title, status, detail, instance,
// request_id, and for bad input errors, each {location, message, type}. Never a stack.
import { STATUS_CODES } from "node:http";
import { isDatabaseUnavailable } from "./db.js";

export const PROBLEM_MEDIA_TYPE = "application/problem+json";
export const PROBLEM_TYPE = "urn:fastapi-rules:problem:";

// Titles as Python's http.HTTPStatus phrases them (RFC 9110), where Node's differ.
const TITLES = { 413: "Content Too Large", 422: "Unprocessable Content" };

// How long a client should wait before retrying during a database outage: long enough
// for a restart or a fail-over, short enough not to idle clients (the twin's value).
export const DATABASE_RETRY_AFTER_S = 1;

/** An error a handler throws to answer with a problem. */
export class HttpProblem extends Error {
  /**
   * @param {number} status
   * @param {object} [fields] title, detail, type (default about:blank), errors, headers
   */
  constructor(status, { title, detail, type = "about:blank", errors, headers } = {}) {
    super(detail ?? title ?? STATUS_CODES[status]);
    this.name = "HttpProblem";
    this.status = status;
    this.title = title ?? TITLES[status] ?? STATUS_CODES[status];
    this.detail = detail;
    this.type = type;
    this.errors = errors;
    this.headers = headers;
  }
}

/** One bad input: where it is (["query", "limit"]), what is wrong, a machine-readable type. */
export function fieldError(location, message, type) {
  return { location, message, type };
}

/** The 422 for input that failed validation, as the FastAPI services word it. */
export function validationProblem(errors) {
  return new HttpProblem(422, {
    title: "Invalid request",
    detail: `${errors.length} field(s) failed validation.`,
    type: `${PROBLEM_TYPE}validation`,
    errors,
  });
}

/** The requested path, also inside a router mounted below the app (whose req.path is
 * relative to the mount point). */
export function requestPath(req) {
  return req.baseUrl + req.path;
}

/** Sends `problem` (an HttpProblem) for `req`. */
export function sendProblem(req, res, problem) {
  const body = { type: problem.type, title: problem.title, status: problem.status };
  if (problem.detail !== undefined) body.detail = problem.detail;
  body.instance = requestPath(req);
  if (req.id !== undefined) body.request_id = req.id;
  if (problem.errors !== undefined) body.errors = problem.errors;
  if (problem.headers) res.set(problem.headers);
  // A Buffer, so that Express adds no charset: JSON is UTF-8 by definition (RFC 8259),
  // and the twin sends the bare media type.
  res.status(problem.status).set("Content-Type", PROBLEM_MEDIA_TYPE).send(Buffer.from(JSON.stringify(body)));
}

/** The last middleware: no route matched. */
export function notFound(req, _res, next) {
  next(new HttpProblem(404, { detail: `No resource at ${requestPath(req)}` }));
}

/** The handler of a route's other methods: 405 with the methods it has. */
export function methodNotAllowed(methods) {
  const allow = methods.map((method) => method.toUpperCase()).join(", ");
  return (req, _res, next) => {
    next(
      new HttpProblem(405, {
        detail: `${req.method} is not allowed on ${requestPath(req)}`,
        headers: { Allow: allow },
      }),
    );
  };
}

/** The error handler: problems as they are, body parser refusals, anything else a 500. */
export function errorHandler(log, maxBodyBytes) {
  // Four parameters, the last unused: that is how Express tells an error handler.
  return (error, req, res, _next) => {
    if (res.headersSent) {
      // The response is under way: all that is left is to end it.
      log.error({ path: requestPath(req), exception: error.stack }, "error after the response started");
      res.end();
      return;
    }
    sendProblem(req, res, asProblem(error, req, log, maxBodyBytes));
  };
}

function asProblem(error, req, log, maxBodyBytes) {
  if (error instanceof HttpProblem) {
    return error;
  }
  if (isDatabaseUnavailable(error)) {
    // A warning without the stack: during an outage every request meets it.
    log.warn({ path: requestPath(req), error: `${error.name}: ${error.message}` }, "database unavailable");
    return new HttpProblem(503, {
      title: "Database unavailable",
      detail: "The service cannot reach its database; retry shortly.",
      type: `${PROBLEM_TYPE}database-unavailable`,
      headers: { "Retry-After": String(DATABASE_RETRY_AFTER_S) },
    });
  }
  if (error.type === "entity.too.large") {
    return new HttpProblem(413, {
      detail: `Request bodies are limited to ${maxBodyBytes} bytes.`,
      type: `${PROBLEM_TYPE}body-too-large`,
    });
  }
  if (typeof error.type === "string" && error.expose && error.status >= 400 && error.status < 500) {
    // Another refusal of the body reader (a length that does not match, an encoding it
    // does not read): the body could not be read, as FastAPI words it.
    return new HttpProblem(400, { detail: "There was an error parsing the body" });
  }
  log.error({ path: requestPath(req), exception: error.stack }, "unhandled exception");
  return new HttpProblem(500, {
    detail: "The server failed to handle this request; quote the request ID when reporting it.",
  });
}
