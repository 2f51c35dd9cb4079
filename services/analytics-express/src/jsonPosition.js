// Where a JSON text stops being JSON, counted as Python's json module counts it (the
// twin's FastAPI, on Python 3.13, reports that character offset as the location of a malformed body:
// ["body", offset]). JSON.parse's messages do not say it on every Node version.

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
// Python's json also reads NaN, Infinity and -Infinity; servicekit refuses them where
// they start (RFC 8259 section 6), which is where this stops.
const WORDS = ["null", "true", "false"];

class Stop {
  constructor(position) {
    this.position = position;
  }
}

function skip(text, i) {
  while (i < text.length && WHITESPACE.has(text[i])) i += 1;
  return i;
}

function string(text, start) {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') return i + 1;
    if (c === "\\") {
      const escape = text[i + 1];
      if (escape === "u") {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new Stop(i);
        i += 6;
      } else if (escape !== undefined && '"\\/bfnrt'.includes(escape)) {
        i += 2;
      } else {
        throw new Stop(escape === undefined ? start : i);
      }
    } else if (c < " ") {
      throw new Stop(i);
    } else {
      i += 1;
    }
  }
  throw new Stop(start); // unterminated: Python names where the string started
}

function value(text, i) {
  const c = text[i];
  if (c === '"') return string(text, i);
  if (c === "{") return object(text, i + 1);
  if (c === "[") return array(text, i + 1);
  const word = WORDS.find((w) => text.startsWith(w, i));
  if (word !== undefined) return i + word.length;
  NUMBER.lastIndex = i;
  if (NUMBER.test(text)) return NUMBER.lastIndex;
  throw new Stop(i);
}

function array(text, i) {
  i = skip(text, i);
  if (text[i] === "]") return i + 1;
  for (;;) {
    i = skip(text, value(text, skip(text, i)));
    if (text[i] === "]") return i + 1;
    if (text[i] !== ",") throw new Stop(i);
    // Python 3.13 names a trailing comma itself.
    if (text[skip(text, i + 1)] === "]") throw new Stop(i);
    i += 1;
  }
}

function object(text, i) {
  i = skip(text, i);
  if (text[i] === "}") return i + 1;
  for (;;) {
    if (text[i] !== '"') throw new Stop(i);
    i = skip(text, string(text, i));
    if (text[i] !== ":") throw new Stop(i);
    i = skip(text, value(text, skip(text, i + 1)));
    if (text[i] === "}") return i + 1;
    if (text[i] !== ",") throw new Stop(i);
    const comma = i;
    i = skip(text, i + 1);
    if (text[i] === "}") throw new Stop(comma);
  }
}

/** The offset at which `text` stops being JSON, or undefined when it is JSON. */
export function jsonErrorPosition(text) {
  try {
    const end = skip(text, value(text, skip(text, 0)));
    return end === text.length ? undefined : end;
  } catch (error) {
    if (error instanceof Stop) return error.position;
    throw error;
  }
}
