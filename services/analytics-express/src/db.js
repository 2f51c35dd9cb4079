// PostgreSQL through node-postgres: a pool created at start (retried while the database
// comes up), checked by readiness, closed at shutdown; every session in UTC with a
// statement timeout, so one slow query cannot hold a connection forever.
import pg from "pg";

const TIMESTAMPTZ = 1184;

/**
 * A timestamptz as PostgreSQL writes it in UTC ("2026-01-05 17:00:00.5+00") to what the
 * FastAPI twin answers ("2026-01-05T17:00:00.500000Z"): no precision lost to Date.
 */
export function isoTimestamp(text) {
  const match = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/.exec(text);
  if (match === null) {
    throw new Error(`unexpected timestamptz ${JSON.stringify(text)}; is the session's TimeZone UTC?`);
  }
  const [, date, time, fraction] = match;
  return `${date}T${time}${fraction ? `.${fraction.padEnd(6, "0")}` : ""}Z`;
}

// numeric stays text ("150.00000000": its scale is the column's, as the twin's Decimal
// keeps it), and so does bigint, which a JavaScript number cannot always hold: handlers
// convert the counts they know to be small.
const types = {
  getTypeParser(oid, format) {
    if (oid === TIMESTAMPTZ && format !== "binary") {
      return isoTimestamp;
    }
    return pg.types.getTypeParser(oid, format);
  },
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Database {
  /**
   * @param {object} settings config.database
   * @param {import("pino").Logger} log
   */
  constructor(settings, log) {
    this.settings = settings;
    this.log = log;
    this.pool = null;
    this.name = "postgres";
  }

  /** Opens the pool once a connection succeeds, retrying for startupRetryS seconds. */
  async start() {
    const { url, maxPoolSize, statementTimeoutMs, connectTimeoutS, startupRetryS } = this.settings;
    const pool = new pg.Pool({
      connectionString: url,
      max: maxPoolSize,
      connectionTimeoutMillis: Math.round(connectTimeoutS * 1000),
      statement_timeout: statementTimeoutMs,
      options: "-c TimeZone=UTC",
      application_name: "analytics-express",
      types,
    });
    // An idle connection the server drops is an error event of the pool: log it, the
    // pool replaces the connection.
    pool.on("error", (error) => this.log.warn({ error: error.message }, "idle connection lost"));
    const deadline = Date.now() + startupRetryS * 1000;
    let delay = 200;
    for (;;) {
      try {
        await pool.query("SELECT 1");
        break;
      } catch (error) {
        if (!isConnectionError(error) || Date.now() + delay > deadline) {
          await pool.end();
          throw error;
        }
        this.log.warn({ error: error.message }, "database not up yet, retrying");
        await sleep(delay);
        delay = Math.min(delay * 2, 2000);
      }
    }
    this.pool = pool;
  }

  async stop() {
    if (this.pool !== null) {
      const pool = this.pool;
      this.pool = null;
      await pool.end();
    }
  }

  /** Readiness: the database answers. */
  async check() {
    if (this.pool === null) {
      throw new Error("the PostgreSQL pool is not started");
    }
    await this.pool.query("SELECT 1");
  }
}

/**
 * Whether `error` means the database cannot be reached now (down, restarting, a broken
 * connection, a query cancelled by an operator or a timeout): a request meeting one gets a
 * 503 problem with Retry-After, as the twin answers (servicekit/db.py). Misuse, such as a
 * query on a pool already ended, is not one of them.
 */
export function isDatabaseUnavailable(error) {
  if (!(error instanceof Error)) return false;
  const code = typeof error.code === "string" ? error.code : "";
  // PostgreSQL's classes 08 (connection exception) and 57 (operator intervention: admin
  // shutdown, crash, starting up, cancelled).
  if (/^(08|57)[0-9A-Z]{3}$/.test(code)) return true;
  if (["ECONNREFUSED", "ECONNRESET", "ECONNABORTED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH"].includes(code)) {
    return true;
  }
  if (error instanceof AggregateError && error.errors.some((inner) => isDatabaseUnavailable(inner))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|encountered a connection error and is not queryable|Client was closed and is not queryable/i.test(
    error.message,
  );
}

// Refused or reset connections, and PostgreSQL still starting (57P03) or shutting down.
function isConnectionError(error) {
  return (
    ["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "57P03"].includes(error.code) ||
    /timeout exceeded when trying to connect|Connection terminated/i.test(error.message)
  );
}
