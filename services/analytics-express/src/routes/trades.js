// POST /v1/trades and POST /v1/trades/batch: trade capture, idempotent on the sender's
// client_trade_id. The same trade sent again gets the same answer and is stored once; the
// same ID with another symbol, size, price or time is a 409 that stores nothing. A batch is
// one transaction: all or none.
import { PRICE, QUANTITY, sameAmount } from "../decimal.js";
import { HttpProblem, PROBLEM_TYPE, fieldError } from "../problems.js";
import { amount, list, matching, object, timestamp, validateBody } from "../schema.js";
import { INSERT_TRADE_SQL, KNOWN_SYMBOLS_SQL, SELECT_TRADE_SQL } from "../sql.js";
import { compareTimestamps, formatTimestamp, now } from "../timestamp.js";

export const SYMBOL_PATTERN = "^[A-Z][A-Z0-9.]{0,11}$";
// An identifier safe in URLs and logs (servicekit's ResourceId).
const RESOURCE_ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$";
export const MAX_BATCH = 1000;
const EARLIEST_TRADE = { seconds: Date.UTC(2000, 0, 1) / 1000, micros: 0 };
// Clocks of trading systems drift; a minute is allowed, no more.
const FUTURE_TOLERANCE_S = 60;

function plausibleTime(value) {
  if (compareTimestamps(value, EARLIEST_TRADE) < 0) {
    return "executed_at may not be before 2000-01-01T00:00:00Z";
  }
  const latest = now();
  latest.seconds += FUTURE_TOLERANCE_S;
  if (compareTimestamps(value, latest) > 0) {
    return "executed_at may not be more than a minute in the future";
  }
  return undefined;
}

const TRADE = object({
  client_trade_id: matching(RESOURCE_ID_PATTERN),
  symbol: matching(SYMBOL_PATTERN),
  size: amount(QUANTITY),
  price: amount(PRICE),
  executed_at: timestamp(plausibleTime),
});

const BATCH = object({ trades: list(TRADE, { min: 1, max: MAX_BATCH }) });

/** A stored row as the API answers it: the sender's fields, then the service's. */
function answer(row) {
  return {
    client_trade_id: row.client_trade_id,
    symbol: row.symbol,
    size: row.size,
    price: row.price,
    executed_at: row.executed_at,
    id: Number(row.id),
    received_at: row.received_at,
  };
}

function sameTrade(row, trade) {
  return (
    row.symbol === trade.symbol &&
    sameAmount(row.size, trade.size) &&
    sameAmount(row.price, trade.price) &&
    row.executed_at === formatTimestamp(trade.executed_at)
  );
}

async function unknownSymbols(pool, trades, locations) {
  const named = [...new Set(trades.map((trade) => trade.symbol))];
  const { rows } = await pool.query(KNOWN_SYMBOLS_SQL, [named]);
  const known = new Set(rows.map((row) => row.symbol));
  return trades.flatMap((trade, index) =>
    known.has(trade.symbol) ? [] : [fieldError([...locations[index], "symbol"], `Unknown symbol '${trade.symbol}'`, "unknown_symbol")],
  );
}

/** Stores the trades in one transaction and returns their rows in the order sent; throws
 * a 409 problem, having stored nothing, when a client trade ID is taken by another trade. */
async function store(pool, trades, locations) {
  // Inserted in client trade ID order: two batches sharing IDs lock their rows in the same
  // order and wait for each other instead of deadlocking.
  const order = trades.map((_, index) => index).sort((a, b) => {
    const x = trades[a].client_trade_id;
    const y = trades[b].client_trade_id;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const stored = new Array(trades.length);
  const conflicts = [];
  const client = await pool.connect();
  let broken;
  // A connection lost between two statements is reported on the client, which must have a
  // listener then (an error event without one ends the process); the next statement fails.
  const lost = (error) => {
    broken ??= error;
  };
  client.on("error", lost);
  try {
    await client.query("BEGIN");
    for (const index of order) {
      const trade = trades[index];
      await client.query(INSERT_TRADE_SQL, [
        trade.client_trade_id,
        trade.symbol,
        trade.size,
        trade.price,
        formatTimestamp(trade.executed_at),
      ]);
      const {
        rows: [row],
      } = await client.query(SELECT_TRADE_SQL, [trade.client_trade_id]);
      if (!sameTrade(row, trade)) {
        conflicts.push(index);
      }
      stored[index] = answer(row);
    }
    await client.query(conflicts.length > 0 ? "ROLLBACK" : "COMMIT");
  } catch (error) {
    broken = error;
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.off("error", lost);
    // A connection that failed is dropped rather than given to the next request.
    client.release(broken);
  }
  if (conflicts.length > 0) {
    throw new HttpProblem(409, {
      title: "Client trade ID already used",
      detail: "A client trade ID was stored before with a different symbol, size, price or time; nothing was stored.",
      type: `${PROBLEM_TYPE}trade-id-conflict`,
      errors: conflicts
        .sort((a, b) => a - b)
        .map((index) =>
          fieldError(
            [...locations[index], "client_trade_id"],
            `Trade '${trades[index].client_trade_id}' was already stored with other content`,
            "conflict",
          ),
        ),
    });
  }
  return stored;
}

async function capture(database, trades, locations) {
  const unknown = await unknownSymbols(database.pool, trades, locations);
  if (unknown.length > 0) {
    throw new HttpProblem(422, {
      title: "Unknown symbol",
      detail: `${unknown.length} trade(s) name a symbol this service does not know.`,
      type: `${PROBLEM_TYPE}unknown-symbol`,
      errors: unknown,
    });
  }
  return store(database.pool, trades, locations);
}

/** POST /v1/trades: one trade; 201 with the stored trade. */
export function postTrade(database) {
  return async (req, res) => {
    const trade = validateBody(TRADE, req.body);
    const [stored] = await capture(database, [trade], [["body"]]);
    res.status(201).json(stored);
  };
}

/** POST /v1/trades/batch: 1 to MAX_BATCH trades, all or none; 201 with them in order. */
export function postTradeBatch(database) {
  return async (req, res) => {
    const { trades } = validateBody(BATCH, req.body);
    const locations = trades.map((_, index) => ["body", "trades", index]);
    res.status(201).json({ trades: await capture(database, trades, locations) });
  };
}
