// CORS for the origins of ANALYTICS_CORS_ORIGINS, answered as the twin answers (Starlette's
// CORSMiddleware as servicekit configures it: any method and header, no credentials, the
// request ID and rate limit headers exposed), header for header, so that a browser client
// sees no difference. The `cors` package answers preflights otherwise (204 and no refusal
// of a disallowed origin or method, other header lists), hence this middleware. A refused
// preflight is servicekit's (cors.py): the 403 problem cors-preflight-refused, which
// grants nothing (no Access-Control-* header; Vary stays), not Starlette's text/plain 400.
import { HttpProblem, PROBLEM_TYPE, sendProblem } from "./problems.js";

const METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY"];
const EXPOSED = ["X-Request-ID", "RateLimit-Limit", "RateLimit-Remaining"];
const MAX_AGE_S = 600;
const PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network";

function appendVary(res, value) {
  const current = res.getHeader("Vary");
  res.setHeader("Vary", current ? `${current}, ${value}` : value);
}

/** The middleware for `origins` (a list; "*" allows any). */
export function cors(origins) {
  const allowAll = origins.includes("*");
  const allowed = (origin) => allowAll || origins.includes(origin);
  return (req, res, next) => {
    const origin = req.get("origin");
    if (origin !== undefined && req.method === "OPTIONS" && req.get("access-control-request-method") !== undefined) {
      preflight(req, res, origin, allowed(origin), allowAll);
      return;
    }
    // The headers are added as the response starts, over whatever the route set.
    const writeHead = res.writeHead;
    res.writeHead = function corsWriteHead(...args) {
      if (origin !== undefined) {
        if (allowAll) res.setHeader("Access-Control-Allow-Origin", "*");
        res.setHeader("Access-Control-Expose-Headers", EXPOSED.join(", "));
      }
      if (origin !== undefined && !allowAll && allowed(origin)) {
        res.setHeader("Access-Control-Allow-Origin", origin);
      }
      appendVary(res, "Origin");
      return writeHead.apply(this, args);
    };
    next();
  };
}

function preflight(req, res, origin, originAllowed, allowAll) {
  const failures = [];
  res.setHeader("Vary", PREFLIGHT_VARY);
  if (allowAll) res.setHeader("Access-Control-Allow-Origin", "*");
  res.setHeader("Access-Control-Allow-Methods", METHODS.join(", "));
  res.setHeader("Access-Control-Max-Age", String(MAX_AGE_S));
  if (originAllowed) {
    if (!allowAll) res.setHeader("Access-Control-Allow-Origin", origin);
  } else {
    failures.push("origin");
  }
  if (!METHODS.includes(req.get("access-control-request-method"))) {
    failures.push("method");
  }
  const requestedHeaders = req.get("access-control-request-headers");
  if (requestedHeaders !== undefined) {
    res.setHeader("Access-Control-Allow-Headers", requestedHeaders);
  }
  if (req.get("access-control-request-private-network") !== undefined) {
    failures.push("private-network");
  }
  if (failures.length > 0) {
    refuse(req, res, failures);
    return;
  }
  res.status(200).type("text/plain; charset=utf-8");
  res.send("OK");
}

// servicekit's words for each refusal.
function reason(req, failure) {
  switch (failure) {
    case "origin":
      return `the origin ${req.get("origin")} is not allowed`;
    case "method":
      return `the method ${req.get("access-control-request-method")} is not allowed`;
    default:
      return "private network access is not allowed";
  }
}

function refuse(req, res, failures) {
  for (const name of res.getHeaderNames()) {
    if (name.startsWith("access-control-")) res.removeHeader(name);
  }
  sendProblem(
    req,
    res,
    new HttpProblem(403, {
      title: "CORS preflight refused",
      detail: `CORS preflight refused: ${failures.map((failure) => reason(req, failure)).join("; ")}.`,
      type: `${PROBLEM_TYPE}cors-preflight-refused`,
    }),
  );
}
