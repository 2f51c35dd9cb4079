// JSON request bodies, read as the FastAPI twin reads them, so that the same bytes get the
// same answer from either service:
//
// - the body is parsed as JSON when its content type is application/json or
//   application/*+json; another type, or none, leaves it unparsed (FastAPI's strict
//   content type), and the handler's validation refuses it as not an object;
// - an empty body is no body (a missing field);
// - UTF-8 with or without its byte order mark, or UTF-16, as Python's json detects them;
// - Python's JSON: NaN, Infinity and -Infinity are numbers there (which validation then
//   refuses as not finite), so they are read here too, not refused as malformed.
import express from "express";
import { jsonErrorPosition } from "./jsonPosition.js";
import { HttpProblem, PROBLEM_TYPE, fieldError } from "./problems.js";
import { RawBody } from "./schema.js";

/** Whether a Content-Type header asks for JSON, as FastAPI decides it. */
export function isJsonContentType(header) {
  if (!header) return false;
  const type = header.split(";")[0].trim().toLowerCase();
  const parts = type.split("/");
  if (parts.length !== 2) return false;
  const [main, sub] = parts;
  return main === "application" && (sub === "json" || sub.endsWith("+json"));
}

// Python's json.detect_encoding, for the encodings TextDecoder has.
function encoding(bytes) {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { name: "utf-8", skip: 3 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { name: "utf-16be", skip: 2 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes[2] === 0 && bytes[3] === 0 ? null : { name: "utf-16le", skip: 2 };
  if (bytes.length >= 4) {
    if (bytes[0] === 0) return bytes[1] ? { name: "utf-16be", skip: 0 } : null;
    if (bytes[1] === 0) return bytes[2] || bytes[3] ? { name: "utf-16le", skip: 0 } : null;
  } else if (bytes.length === 2) {
    if (bytes[0] === 0) return { name: "utf-16be", skip: 0 };
    if (bytes[1] === 0) return { name: "utf-16le", skip: 0 };
  }
  return { name: "utf-8", skip: 0 };
}

function unreadable() {
  return new HttpProblem(400, { detail: "There was an error parsing the body" });
}

function malformed(position) {
  return new HttpProblem(400, {
    title: "Malformed JSON body",
    detail: "The request body is not valid JSON.",
    type: `${PROBLEM_TYPE}malformed-json`,
    errors: [fieldError(["body", position], "JSON decode error", "json_invalid")],
  });
}

const WORDS = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

// JSON with Python's NaN, Infinity and -Infinity (the text is known to be valid for
// Python): each word outside strings becomes a marker string that the reviver turns back.
function parseWithNonFinite(text) {
  const marker = `\u0000${Math.random().toString(36).slice(2)}:`;
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const word = ["-Infinity", "Infinity", "NaN"].find((w) => text.startsWith(w, i));
    if (word !== undefined) {
      out += JSON.stringify(marker + word);
      i += word.length;
      continue;
    }
    out += c;
    i += 1;
  }
  return JSON.parse(out, (_key, value) => (typeof value === "string" && value.startsWith(marker) ? WORDS[value.slice(marker.length)] : value));
}

/** A JSON text as Python's json module reads it; a 400 problem where it is not JSON. */
export function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    const position = jsonErrorPosition(text);
    if (position !== undefined) throw malformed(position);
    return parseWithNonFinite(text);
  }
}

/** The body of `req` (its bytes read by express.raw) as the handler's validation gets it:
 * undefined when empty, a RawBody when not JSON, else the parsed JSON value. */
export function decodeBody(bytes, contentType) {
  if (!Buffer.isBuffer(bytes) || bytes.length === 0) return undefined;
  if (!isJsonContentType(contentType)) return new RawBody(bytes);
  const detected = encoding(bytes);
  if (detected === null) throw unreadable(); // UTF-32, which TextDecoder does not read
  let text;
  try {
    text = new TextDecoder(detected.name, { fatal: true, ignoreBOM: true }).decode(bytes.subarray(detected.skip));
  } catch {
    throw unreadable();
  }
  return parseJson(text);
}

/** The middleware of a route that takes a JSON body: reads it (up to `limit` bytes; the
 * error handler answers 413 beyond) and leaves what validation gets in req.body. */
export function jsonBody({ limit }) {
  // A limit of 0 is none, as for the twin.
  const raw = express.raw({ type: () => true, limit: limit > 0 ? limit : Infinity, inflate: false });
  return [
    raw,
    (req, _res, next) => {
      req.body = decodeBody(req.body, req.get("content-type"));
      next();
    },
  ];
}
