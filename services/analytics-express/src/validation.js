// Query parameters checked as the FastAPI twin checks them (pydantic's lax integers): the
// same accepted spellings, the same messages and error types, every bad parameter named.
import { fieldError } from "./problems.js";

// What pydantic accepts as an integer in a string: optional sign, digits with single
// underscores between them, and a fraction of zeros only ("5.0").
const INTEGER = /^[+-]?\d+(?:_\d+)*(?:\.0*)?$/;

/** The last value of a query parameter (FastAPI takes the last of repeated ones). */
export function last(value) {
  return Array.isArray(value) ? value.at(-1) : value;
}

/**
 * Reads integer query parameters of `query` (req.query) by `rules`:
 * `{ limit: { min: 1, max: 1000, fallback: 100 } }`.
 *
 * @returns {{ values: object, errors: object[] }} the values, and a FastAPI-style field
 *   error for each bad one, in the order of `rules`
 */
export function integerQuery(query, rules) {
  const values = {};
  const errors = [];
  for (const [name, { min, max, fallback }] of Object.entries(rules)) {
    const raw = last(query[name]);
    if (raw === undefined) {
      values[name] = fallback;
      continue;
    }
    const text = typeof raw === "string" ? raw.trim() : "";
    if (!INTEGER.test(text)) {
      errors.push(fieldError(["query", name], "Input should be a valid integer, unable to parse string as an integer", "int_parsing"));
      continue;
    }
    const value = BigInt(text.replace(/\.0*$/, "").replaceAll("_", ""));
    if (min !== undefined && value < BigInt(min)) {
      errors.push(fieldError(["query", name], `Input should be greater than or equal to ${min}`, "greater_than_equal"));
    } else if (max !== undefined && value > BigInt(max)) {
      errors.push(fieldError(["query", name], `Input should be less than or equal to ${max}`, "less_than_equal"));
    } else {
      values[name] = Number(value);
    }
  }
  return { values, errors };
}
