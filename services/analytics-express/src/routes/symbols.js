// GET /v1/symbols: every known symbol in alphabetical order, with the price and time of
// its latest trade (null before its first), paged by offset and limit. The same SQL and
// the same answer as the FastAPI twin's (src/sql.js).
import { validationProblem } from "../problems.js";
import { COUNT_SYMBOLS_SQL, SYMBOLS_SQL } from "../sql.js";
import { integerQuery } from "../validation.js";

// Page size and offset; the offset bounded so that it never overflows PostgreSQL's bigint.
export const PAGING = {
  limit: { min: 1, max: 1000, fallback: 100 },
  offset: { min: 0, max: 1_000_000_000, fallback: 0 },
};

/** The handler, over `database` (a started Database). */
export function listSymbols(database) {
  return async (req, res) => {
    const { values, errors } = integerQuery(req.query, PAGING);
    if (errors.length > 0) {
      throw validationProblem(errors);
    }
    const { limit, offset } = values;
    const { rows } = await database.pool.query(SYMBOLS_SQL, [limit, offset]);
    // Past the last page there are no rows to carry the window's count.
    const total =
      rows.length > 0
        ? Number(rows[0].total)
        : Number((await database.pool.query(COUNT_SYMBOLS_SQL)).rows[0].count);
    res.json({
      items: rows.map(({ symbol, description, last_price, last_trade_at }) => ({
        symbol,
        description,
        last_price,
        last_trade_at,
      })),
      next_cursor: null,
      offset,
      limit,
      total,
    });
  };
}
