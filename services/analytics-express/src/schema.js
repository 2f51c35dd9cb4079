// Request bodies checked field by field, every problem collected, with the locations,
// messages and error types of the FastAPI twin (pydantic's), so that a client sees the
// same 422 from either service. A field type is a function
// `(input, location, errors) => value`: it returns the value, or INVALID after adding one
// error per problem to `errors`.
import { parseTimestamp } from "./timestamp.js";
import { fieldError, validationProblem } from "./problems.js";

export const INVALID = Symbol("invalid");

/** A body that is not JSON (another content type): bytes, never an object. */
export class RawBody {
  constructor(bytes) {
    this.bytes = bytes;
  }
}

function isObject(input) {
  return typeof input === "object" && input !== null && !Array.isArray(input) && !(input instanceof RawBody);
}

const plural = (count, word) => `${count} ${word}${count === 1 ? "" : "s"}`;

/**
 * An object with `fields` (name to type, in the order errors are reported); other keys
 * are ignored, or refused with `extra: "forbid"`.
 */
export function object(fields, { extra = "ignore" } = {}) {
  return (input, location, errors) => {
    if (!isObject(input)) {
      errors.push(fieldError(location, "Input should be a valid dictionary or object to extract fields from", "model_attributes_type"));
      return INVALID;
    }
    const value = {};
    let valid = true;
    for (const [name, type] of Object.entries(fields)) {
      if (!Object.hasOwn(input, name)) {
        errors.push(fieldError([...location, name], "Field required", "missing"));
        valid = false;
        continue;
      }
      value[name] = type(input[name], [...location, name], errors);
      valid &&= value[name] !== INVALID;
    }
    if (extra === "forbid") {
      for (const name of Object.keys(input)) {
        if (!Object.hasOwn(fields, name)) {
          errors.push(fieldError([...location, name], "Extra inputs are not permitted", "extra_forbidden"));
          valid = false;
        }
      }
    }
    return valid ? value : INVALID;
  };
}

/** A list of `min` to `max` items of `item`. Too many items is the only error then; too
 * few is reported once the items are valid, as pydantic does. */
export function list(item, { min, max }) {
  return (input, location, errors) => {
    if (!Array.isArray(input)) {
      errors.push(fieldError(location, "Input should be a valid list", "list_type"));
      return INVALID;
    }
    if (input.length > max) {
      errors.push(fieldError(location, `List should have at most ${plural(max, "item")} after validation, not ${input.length}`, "too_long"));
      return INVALID;
    }
    const itemErrors = [];
    const value = input.map((element, index) => item(element, [...location, index], itemErrors));
    if (itemErrors.length > 0) {
      errors.push(...itemErrors);
      return INVALID;
    }
    if (input.length < min) {
      errors.push(fieldError(location, `List should have at least ${plural(min, "item")} after validation, not ${input.length}`, "too_short"));
      return INVALID;
    }
    return value;
  };
}

/** A string matching `pattern` (a regular expression's source, quoted in the message). */
export function matching(pattern) {
  const regex = new RegExp(pattern);
  return (input, location, errors) => {
    if (typeof input !== "string") {
      errors.push(fieldError(location, "Input should be a valid string", "string_type"));
      return INVALID;
    }
    if (!regex.test(input)) {
      errors.push(fieldError(location, `String should match pattern '${pattern}'`, "string_pattern_mismatch"));
      return INVALID;
    }
    return input;
  };
}

/** A decimal amount (decimal.js): its text. */
export function amount(decimalAmount) {
  return (input, location, errors) => {
    const result = decimalAmount.validate(input);
    if (result.error !== undefined) {
      errors.push(fieldError(location, result.error.message, result.error.type));
      return INVALID;
    }
    return result.value;
  };
}

/** A timestamp with a time zone (timestamp.js), then `check(value)`, which returns a
 * message for a value it refuses. */
export function timestamp(check = () => undefined) {
  return (input, location, errors) => {
    const result = parseTimestamp(input);
    if (result.error !== undefined) {
      errors.push(fieldError(location, result.error.message, result.error.type));
      return INVALID;
    }
    const refusal = check(result.value);
    if (refusal !== undefined) {
      errors.push(fieldError(location, `Value error, ${refusal}`, "value_error"));
      return INVALID;
    }
    return result.value;
  };
}

// A float in text as Rust (pydantic) reads one.
const FLOAT_TEXT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i;

function floatFromText(text) {
  const trimmed = text.trim();
  let candidate;
  if (FLOAT_TEXT.test(trimmed)) {
    candidate = trimmed;
  } else if (!text.startsWith("_") && !text.endsWith("_") && !text.includes("__") && FLOAT_TEXT.test(text.replaceAll("_", ""))) {
    // Underscores between digits, as Python's float() takes them.
    candidate = text.replaceAll("_", "");
  } else {
    return undefined;
  }
  const word = candidate.replace(/^[+-]/, "").toLowerCase();
  if (word === "nan") return NaN;
  if (word === "inf" || word === "infinity") return candidate.startsWith("-") ? -Infinity : Infinity;
  return Number(candidate);
}

/** A finite number between `min` and `max` inclusive; numbers in strings and booleans are
 * taken, as pydantic's lax floats are. */
export function finiteNumber({ min, max }) {
  return (input, location, errors) => {
    let value;
    if (typeof input === "number") {
      value = input;
    } else if (typeof input === "boolean") {
      value = input ? 1 : 0;
    } else if (typeof input === "string") {
      value = floatFromText(input);
      if (value === undefined) {
        errors.push(fieldError(location, "Input should be a valid number, unable to parse string as a number", "float_parsing"));
        return INVALID;
      }
    } else {
      errors.push(fieldError(location, "Input should be a valid number", "float_type"));
      return INVALID;
    }
    if (!Number.isFinite(value)) {
      errors.push(fieldError(location, "Input should be a finite number", "finite_number"));
      return INVALID;
    }
    if (value < min) {
      errors.push(fieldError(location, `Input should be greater than or equal to ${min}`, "greater_than_equal"));
      return INVALID;
    }
    if (value > max) {
      errors.push(fieldError(location, `Input should be less than or equal to ${max}`, "less_than_equal"));
      return INVALID;
    }
    return value;
  };
}

/**
 * The body checked against `type`, or a thrown 422 problem listing every bad field. A
 * missing body is a missing field, as FastAPI reports it; JSON null is a body that is not
 * an object, as pydantic reports it.
 */
export function validateBody(type, body) {
  const errors = [];
  if (body === undefined) {
    throw validationProblem([fieldError(["body"], "Field required", "missing")]);
  }
  const value = type(body, ["body"], errors);
  if (errors.length > 0) {
    throw validationProblem(errors);
  }
  return value;
}
