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
 */
export function createLoggers({ service, level = "info", destination }) {
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
    destination ?? pino.destination({ dest: 1, sync: true }),
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
