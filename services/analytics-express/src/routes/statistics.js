// GET /v1/symbols/{symbol}/stats and GET /v1/symbols/{symbol}/candles: a symbol's trades
// over a window (start <= executed_at < end, either bound optional), computed in
// PostgreSQL by the twin's SQL (src/sql.js).
import { HttpProblem, PROBLEM_TYPE, fieldError, validationProblem } from "../problems.js";
import { INVALID, matching, timestamp } from "../schema.js";
import { CANDLES_SQL, COUNT_CANDLES_SQL, SECONDS_PER_YEAR, STATS_SQL, SYMBOL_EXISTS_SQL } from "../sql.js";
import { compareTimestamps, formatTimestamp } from "../timestamp.js";
import { integerQuery, last } from "../validation.js";
import { PAGING } from "./symbols.js";
import { SYMBOL_PATTERN } from "./trades.js";

// Candle widths, as PostgreSQL intervals for date_bin.
const INTERVALS = { "1m": "1 minute", "5m": "5 minutes", "1h": "1 hour", "1d": "1 day" };
const INTERVAL_CHOICES = "'1m', '5m', '1h' or '1d'";

const symbolType = matching(SYMBOL_PATTERN);
const boundType = timestamp();

// Each reader adds its parameter's errors to `errors`; the handlers call them in the order
// the twin reports errors: the path, then the query parameters as declared.
function readSymbol(req, errors) {
  return symbolType(req.params.symbol, ["path", "symbol"], errors);
}

function readBound(req, name, errors) {
  const raw = last(req.query[name]);
  return raw === undefined ? null : boundType(typeof raw === "string" ? raw : "", ["query", name], errors);
}

function readInterval(req, errors) {
  const raw = last(req.query.interval);
  if (raw === undefined) return "1m";
  if (typeof raw === "string" && Object.hasOwn(INTERVALS, raw)) return raw;
  errors.push(fieldError(["query", "interval"], `Input should be ${INTERVAL_CHOICES}`, "literal_error"));
  return INVALID;
}

/** The checks after validation: a window that ends after it starts, a known symbol. */
async function checkWindow(database, { symbol, start, end }) {
  if (start !== null && end !== null && compareTimestamps(end, start) <= 0) {
    throw validationProblem([fieldError(["query", "end"], "end must be after start", "window")]);
  }
  const { rows } = await database.pool.query(SYMBOL_EXISTS_SQL, [symbol]);
  if (!rows[0].exists) {
    throw new HttpProblem(404, {
      title: "Unknown symbol",
      detail: `No symbol '${symbol}'; GET /v1/symbols lists them.`,
      type: `${PROBLEM_TYPE}unknown-symbol`,
      errors: [fieldError(["path", "symbol"], `Unknown symbol '${symbol}'`, "unknown_symbol")],
    });
  }
}

const bound = (value) => (value === null ? null : formatTimestamp(value));

/** GET /v1/symbols/{symbol}/stats */
export function symbolStats(database) {
  return async (req, res) => {
    const errors = [];
    const symbol = readSymbol(req, errors);
    const start = readBound(req, "start", errors);
    const end = readBound(req, "end", errors);
    if (errors.length > 0) throw validationProblem(errors);
    await checkWindow(database, { symbol, start, end });
    const {
      rows: [row],
    } = await database.pool.query(STATS_SQL, [symbol, bound(start), bound(end), SECONDS_PER_YEAR]);
    res.json({
      symbol,
      start: bound(start),
      end: bound(end),
      trade_count: Number(row.trade_count),
      volume: row.volume,
      vwap: row.vwap,
      high: row.high,
      low: row.low,
      realised_volatility: row.realised_volatility,
    });
  };
}

/** GET /v1/symbols/{symbol}/candles: one candle per interval with trades, oldest first,
 * paged by offset and limit. */
export function symbolCandles(database) {
  return async (req, res) => {
    const errors = [];
    const symbol = readSymbol(req, errors);
    const interval = readInterval(req, errors);
    const start = readBound(req, "start", errors);
    const end = readBound(req, "end", errors);
    const paging = integerQuery(req.query, PAGING);
    errors.push(...paging.errors);
    if (errors.length > 0) throw validationProblem(errors);
    await checkWindow(database, { symbol, start, end });
    const { limit, offset } = paging.values;
    const window = [symbol, bound(start), bound(end), INTERVALS[interval]];
    const [{ rows }, { rows: counted }] = await Promise.all([
      database.pool.query(CANDLES_SQL, [...window, limit, offset]),
      database.pool.query(COUNT_CANDLES_SQL, window),
    ]);
    res.json({
      items: rows.map((row) => ({
        bucket_start: row.bucket_start,
        open: row.open,
        high: row.high,
        low: row.low,
        close: row.close,
        volume: row.volume,
        trade_count: Number(row.trade_count),
      })),
      next_cursor: null,
      offset,
      limit,
      total: Number(counted[0].count),
    });
  };
}
