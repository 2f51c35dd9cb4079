// Every statement the service runs, in one place. The read side is the FastAPI twin's SQL
// (services/analytics/stats.py), text for text, so both services compute statistics and
// candles in PostgreSQL the same way; tests/sql.test.js fails when they drift apart.
// Trade capture runs the twin's statements too (services/analytics/api.py).

// Volatility is annualised to a 365-day year of continuous trading, as the twin does.
export const SECONDS_PER_YEAR = 365 * 24 * 3600;

// A trade is in a window when start <= executed_at < end; a missing bound is open.
const WINDOW = `symbol = $1
    AND ($2::timestamptz IS NULL OR executed_at >= $2)
    AND ($3::timestamptz IS NULL OR executed_at < $3)`;

/** $1 symbol, $2 start, $3 end (null for open), $4 SECONDS_PER_YEAR. */
export const STATS_SQL = `
WITH window_trades AS (
    SELECT price, size, executed_at,
           ln(price / lag(price) OVER (ORDER BY executed_at, id)) AS log_return
    FROM trades
    WHERE ${WINDOW}
), totals AS (
    SELECT count(*) AS trade_count,
           sum(size) AS volume,
           round(sum(price * size) / nullif(sum(size), 0), 8) AS vwap,
           max(price) AS high,
           min(price) AS low,
           stddev_samp(log_return) AS return_stddev,
           count(log_return) AS return_count,
           extract(epoch FROM max(executed_at) - min(executed_at)) AS elapsed_s
    FROM window_trades
)
SELECT trade_count, volume, vwap, high, low,
       CASE WHEN return_count >= 2 AND elapsed_s > 0
            THEN (return_stddev * sqrt(return_count * $4::numeric / elapsed_s))::float8
       END AS realised_volatility
FROM totals
`;

/** $1-$3 as STATS_SQL, $4 the candle width (an interval), $5 limit, $6 offset. */
export const CANDLES_SQL = `
SELECT date_bin($4::interval, executed_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket_start,
       (array_agg(price ORDER BY executed_at, id))[1] AS open,
       max(price) AS high,
       min(price) AS low,
       (array_agg(price ORDER BY executed_at DESC, id DESC))[1] AS close,
       sum(size) AS volume,
       count(*) AS trade_count
FROM trades
WHERE ${WINDOW}
GROUP BY bucket_start
ORDER BY bucket_start
LIMIT $5 OFFSET $6
`;

/** The number of candles CANDLES_SQL pages through: $1-$4 as there. */
export const COUNT_CANDLES_SQL = `SELECT count(DISTINCT date_bin($4::interval, executed_at,
                  TIMESTAMPTZ '2000-01-01 00:00:00+00')) FROM trades WHERE ${WINDOW}`;

/** $1 limit, $2 offset; every row carries the number of symbols as `total`. */
export const SYMBOLS_SQL = `
SELECT s.symbol, s.description, last.price AS last_price, last.executed_at AS last_trade_at,
       count(*) OVER () AS total
FROM symbols AS s
LEFT JOIN LATERAL (
    SELECT price, executed_at FROM trades AS t
    WHERE t.symbol = s.symbol
    ORDER BY executed_at DESC, id DESC
    LIMIT 1
) AS last ON true
ORDER BY s.symbol
LIMIT $1 OFFSET $2
`;

export const COUNT_SYMBOLS_SQL = "SELECT count(*) FROM symbols";

export const SYMBOL_EXISTS_SQL = "SELECT EXISTS (SELECT 1 FROM symbols WHERE symbol = $1)";

/** $1 the symbols named by a request: those of them that exist. */
export const KNOWN_SYMBOLS_SQL = "SELECT symbol FROM symbols WHERE symbol = ANY($1::text[])";

// A trade is inserted unless its client trade ID is taken; ON CONFLICT DO NOTHING waits for
// a concurrent insert of the same ID to commit, so the SELECT after it reads the winner's
// row and replays never duplicate.
export const INSERT_TRADE_SQL = `INSERT INTO trades (client_trade_id, symbol, size, price, executed_at)
                   VALUES ($1, $2, $3, $4, $5) ON CONFLICT (client_trade_id) DO NOTHING`;

export const SELECT_TRADE_SQL = `SELECT id, client_trade_id, symbol, size, price, executed_at, received_at
                   FROM trades WHERE client_trade_id = $1`;
