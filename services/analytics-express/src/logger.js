// JSON log lines with the fields every service of the monorepo writes (docs/logging.md):
// timestamp (UTC, microseconds), level, event, logger, service, and request_id on every
// line written while serving a request. pino writes them; its names are mapped to the
// contract's (msg -> event, warn -> warning, fatal -> critical).
import pino from "pino";
import { currentRequestId } from "./context.js";

// The contract's level names and pino's.
const PINO_LEVELS = { debug: "debug", info: "info", warning: "warn", error: "error", critical: "fatal" };
const CONTRACT_LEVELS = {
  trace: "debug",
  debug: "debug",
  info: "info",
  warn: "warning",
  error: "error",
  fatal: "critical",
};

/** ISO 8601 in UTC with microseconds, as the FastAPI services write it. */
export function timestamp(epochMs = performance.timeOrigin + performance.now()) {
  const whole = Math.floor(epochMs);
  const micros = Math.floor((epochMs - whole) * 1000) + (whole % 1000) * 1000;
  return `${new Date(whole).toISOString().slice(0, 19)}.${String(micros).padStart(6, "0")}Z`;
}

/**
 * The service's loggers: `getLogger(name)` gives one whose lines carry `logger: name`.
 *
 * @param {object} options
 * @param {string} options.service the service name, on every line
 * @param {string} [options.level] the contract's level name: debug, info, warning, error
 * @param {import("pino").DestinationStream} [options.destination] default standard output
 * @param {boolean} [options.json] false: readable console lines instead (consoleLines)
 * @param {boolean} [options.colors] ANSI colours in console lines; default when standard
 *   output is a terminal
 */
export function createLoggers({ service, level = "info", destination, json = true, colors }) {
  let sink = destination ?? pino.destination({ dest: 1, sync: true });
  if (!json) {
    sink = consoleLines(sink, { colors: colors ?? (destination === undefined && process.stdout.isTTY === true && !process.env.NO_COLOR) });
  }
  const root = pino(
    {
      level: PINO_LEVELS[level],
      messageKey: "event",
      base: { service },
      timestamp: () => `,"timestamp":"${timestamp()}"`,
      formatters: { level: (label) => ({ level: CONTRACT_LEVELS[label] }) },
      mixin: () => {
        const requestId = currentRequestId();
        return requestId === undefined ? {} : { request_id: requestId };
      },
    },
    sink,
  );
  const loggers = new Map();
  return {
    getLogger(name) {
      if (!loggers.has(name)) {
        loggers.set(name, root.child({ logger: name }));
      }
      return loggers.get(name);
    },
  };
}

// Console lines as servicekit writes them with <PREFIX>LOG_JSON=false (structlog's
// ConsoleRenderer): the time, the level in brackets padded to 9, the event padded to 30,
// the logger in brackets, then the other fields as key=value sorted by key, values as
// Python writes them (strings bare unless they hold a space, a quote, = or a line break),
// and an exception's traceback on the lines below. Colours (structlog's) only on a
// terminal, where structlog writes them always.
const STYLE = {
  reset: "\u001b[0m",
  bright: "\u001b[1m",
  dim: "\u001b[2m",
  red: "\u001b[31m",
  green: "\u001b[32m",
  yellow: "\u001b[33m",
  blue: "\u001b[34m",
  magenta: "\u001b[35m",
  cyan: "\u001b[36m",
};
const LEVEL_STYLE = { critical: STYLE.red, error: STYLE.red, warning: STYLE.yellow, info: STYLE.green, debug: STYLE.green };
const LEVEL_WIDTH = "exception".length;
const EVENT_WIDTH = 30;

/** `value` as Python's repr() writes it. */
export function pythonRepr(value) {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : Number.isNaN(value) ? "nan" : value > 0 ? "inf" : "-inf";
  if (typeof value === "string") {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    let out = "";
    for (const c of value) {
      const code = c.codePointAt(0);
      if (c === "\\" || c === quote) out += `\\${c}`;
      else if (c === "\n") out += "\\n";
      else if (c === "\r") out += "\\r";
      else if (c === "\t") out += "\\t";
      else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
      else out += c;
    }
    return `${quote}${out}${quote}`;
  }
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(", ")}]`;
  if (typeof value === "object") {
    return `{${Object.entries(value)
      .map(([key, item]) => `${pythonRepr(key)}: ${pythonRepr(item)}`)
      .join(", ")}}`;
  }
  return String(value);
}

function fieldValue(value) {
  if (typeof value === "string" && !/[ \t=\r\n"']/.test(value)) return value;
  return pythonRepr(value);
}

/** One JSON log line (pino's) as a console line. */
export function consoleLine(fields, { colors = false } = {}) {
  const style = (code, text) => (colors ? `${code}${text}${STYLE.reset}` : text);
  const { timestamp, level, event, logger, exception, ...rest } = fields;
  const columns = [];
  if (timestamp !== undefined) columns.push(style(STYLE.dim, String(timestamp)));
  if (level !== undefined) {
    const name = String(level).padEnd(LEVEL_WIDTH);
    columns.push(`[${colors ? `${LEVEL_STYLE[level] ?? ""}${STYLE.bright}${name}${STYLE.reset}` : name}]`);
  }
  if (event !== undefined) columns.push(style(STYLE.bright, String(event).padEnd(EVENT_WIDTH)));
  if (logger !== undefined) columns.push(`[${colors ? `${STYLE.bright}${STYLE.blue}${logger}${STYLE.reset}` : logger}]`);
  for (const key of Object.keys(rest).sort()) {
    columns.push(colors ? `${STYLE.cyan}${key}${STYLE.reset}=${STYLE.magenta}${fieldValue(rest[key])}${STYLE.reset}` : `${key}=${fieldValue(rest[key])}`);
  }
  let line = columns.join(" ").trimEnd();
  if (exception !== undefined) line += `\n${exception}`;
  return line;
}

/** A destination for pino that writes each JSON line to `destination` as a console line. */
export function consoleLines(destination, { colors = false } = {}) {
  return {
    write(chunk) {
      const text = String(chunk);
      for (const json of text.split("\n")) {
        if (json === "") continue;
        destination.write(`${consoleLine(JSON.parse(json), { colors })}\n`);
      }
    },
  };
}
