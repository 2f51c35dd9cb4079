// Rate limits per client and route template, with the twin's settings, headers and refusal
// (servicekit/rate_limit.py): every response carries RateLimit-Limit, RateLimit-Remaining
// and RateLimit-Reset; a refusal is a 429 problem with Retry-After. Counting is
// rate-limiter-flexible's, in process memory. Probes and scrapes are never limited.
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { PLATFORM_PATHS } from "./observability.js";
import { HttpProblem, PROBLEM_TYPE } from "./problems.js";

// The units of a rate limit string, in seconds, as the `limits` package counts them.
const UNITS = { second: 1, minute: 60, hour: 3600, day: 86_400, month: 30 * 86_400, year: 12 * 30 * 86_400 };
const SINGLE = String.raw`\s*([0-9]+)\s*(?:/|\s*per\s*)\s*([0-9]+)*\s*(hour|minute|second|day|month|year)s?\s*`;
const EXPRESSION = new RegExp(`^${SINGLE}(?::?[,;|]${SINGLE})*$`, "i");
const FIRST = new RegExp(`^${SINGLE}`, "i");

/**
 * A rate limit in the notation of the `limits` package, which the twin's settings use:
 * "100/second", "10 per minute", "1000/5 minutes" (of several, separated by , ; or |,
 * the first).
 *
 * @returns {{ amount: number, seconds: number }}
 * @throws {Error} for text that is not one
 */
export function parseRateLimit(text) {
  if (!EXPRESSION.test(text)) {
    throw new Error(`couldn't parse rate limit string '${text}'`);
  }
  const [, amount, multiples, unit] = FIRST.exec(text);
  return { amount: Number(amount), seconds: UNITS[unit.toLowerCase()] * (multiples ? Number(multiples) : 1) };
}

/**
 * The middleware: `limit` (parseRateLimit's) per client address and route template, per
 * route in `perRoute` (template to limit); `templates` finds a request's route before
 * routing (unknown paths share "unmatched").
 */
export function rateLimit({ limit, perRoute = {}, templates }) {
  const limiters = new Map();
  const limiterOf = (rule) => {
    const key = `${rule.amount}/${rule.seconds}`;
    if (!limiters.has(key)) {
      limiters.set(key, new RateLimiterMemory({ points: rule.amount, duration: rule.seconds }));
    }
    return limiters.get(key);
  };
  return async (req, res, next) => {
    if (PLATFORM_PATHS.has(req.path)) {
      next();
      return;
    }
    const template = templates.find(req.path);
    const route = template ?? "unmatched";
    const rule = perRoute[route] ?? limit;
    let outcome;
    let allowed = true;
    try {
      // The caller: the principal when there is one (one person, one budget from any
      // address), else the client address.
      const caller = req.principal?.rateLimitKey ?? req.ip ?? "unknown";
      outcome = await limiterOf(rule).consume(`${caller} ${route}`);
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) {
        next(refusal);
        return;
      }
      outcome = refusal;
      allowed = false;
    }
    const reset = Math.max(0, Math.ceil(outcome.msBeforeNext / 1000));
    const headers = {
      "RateLimit-Limit": String(rule.amount),
      "RateLimit-Remaining": String(Math.max(0, outcome.remainingPoints)),
      "RateLimit-Reset": String(reset),
    };
    if (!allowed) {
      if (template !== undefined) {
        res.locals.routeTemplate = template;
      }
      next(
        new HttpProblem(429, {
          detail: `More than ${rule.amount} requests per ${rule.seconds} s on ${route}.`,
          type: `${PROBLEM_TYPE}rate-limited`,
          headers: { ...headers, "Retry-After": String(Math.max(reset, 1)) },
        }),
      );
      return;
    }
    res.set(headers);
    next();
  };
}
