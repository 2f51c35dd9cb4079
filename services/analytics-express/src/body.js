// JSON request bodies, read as the FastAPI twin reads them (servicekit's json_body.py and
// body_limit.py), so that the same bytes get the same answer from either service:
//
// - the body is parsed as JSON when its content type is application/json or
//   application/*+json; a body in another media type is refused with the 415 problem
//   unsupported-media-type before it is read (Accept-Post names what to send); a body
//   without a type is left unparsed, and validation refuses it as not an object;
// - an empty body is no body (a missing field);
// - UTF-8 with or without its byte order mark, or UTF-16, as Python's json detects them;
// - strict JSON (RFC 8259): NaN, Infinity and -Infinity are malformed, located where they
//   start, as servicekit refuses them;
// - a body over the limit is refused with the 413 problem as soon as the limit is passed,
//   declared or not: the rest is never read, and the connection is closed after the
//   answer.
import { HttpProblem, PROBLEM_TYPE, fieldError } from "./problems.js";
import { jsonErrorPosition } from "./jsonPosition.js";
import { RawBody } from "./schema.js";

// What every route of this service that takes a body takes.
export const JSON_MEDIA_TYPE = "application/json";

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

/** A JSON text (RFC 8259); a 400 problem located where it stops being JSON. */
export function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    // JSON.parse and this scanner agree on what JSON is; the scanner also says where.
    let position;
    try {
      position = jsonErrorPosition(text);
    } catch {
      // Nested deeper than the scanner's stack: Python's parser gives up there too (a
      // RecursionError), which the twin answers so.
      throw unreadable();
    }
    throw malformed(position ?? 0);
  }
}

/** The body of a request (its bytes, from readBody) as the handler's validation gets it:
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

function tooLarge(limit) {
  return new HttpProblem(413, {
    detail: `Request bodies are limited to ${limit} bytes.`,
    type: `${PROBLEM_TYPE}body-too-large`,
    // The rest of the body is never read: the connection cannot carry another request.
    headers: { Connection: "close" },
  });
}

function unsupported(req, contentType) {
  const sent = contentType.split(";")[0].trim();
  return new HttpProblem(415, {
    title: "Unsupported media type",
    detail: `Send the body as ${JSON_MEDIA_TYPE}, not ${sent}.`,
    type: `${PROBLEM_TYPE}unsupported-media-type`,
    // RFC 9110 15.5.16: what the operation takes instead (Accept-Post says so for POST).
    headers: req.method === "POST" ? { "Accept-Post": JSON_MEDIA_TYPE } : undefined,
  });
}

/** Whether the request says a body follows, as servicekit reads its headers. */
function hasBody(req) {
  if (req.headers["transfer-encoding"] !== undefined) return true;
  const length = req.headers["content-length"];
  return length !== undefined && length.trim() !== "0" && length.trim() !== "";
}

/**
 * The bytes of the request's body; a 413 problem as soon as more than `limit` bytes
 * (0: no limit) have arrived, leaving the rest unread. A body that cannot be read to its
 * end (the client went away, a broken chunked encoding) is a 400.
 */
export function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let received = 0;
    const done = (error, value) => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onError);
      req.off("close", onError);
      if (error === undefined) resolve(value);
      else reject(error);
    };
    const onData = (chunk) => {
      received += chunk.length;
      if (limit > 0 && received > limit) {
        req.pause();
        done(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => done(undefined, Buffer.concat(chunks, received));
    const onError = () => done(unreadable());
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("aborted", onError);
    req.on("close", onError);
  });
}

/** The middleware of a route that takes a JSON body: refuses another media type, reads
 * the body (up to `limit` bytes, 0 for no limit) and leaves what validation gets in
 * req.body. */
export function jsonBody({ limit }) {
  return [
    (req, _res, next) => {
      const contentType = req.get("content-type");
      if (contentType !== undefined && !isJsonContentType(contentType) && hasBody(req)) {
        next(unsupported(req, contentType));
        return;
      }
      readBody(req, limit).then(
        (bytes) => {
          try {
            req.body = decodeBody(bytes, contentType);
          } catch (error) {
            next(error);
            return;
          }
          next();
        },
        (error) => next(error),
      );
    },
  ];
}
