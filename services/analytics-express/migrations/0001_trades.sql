-- Symbols the service accepts trades for, and the trades themselves.
CREATE TABLE symbols (
    symbol text PRIMARY KEY CHECK (symbol ~ '^[A-Z][A-Z0-9.]{0,11}$'),
    description text NOT NULL DEFAULT ''
);

CREATE TABLE trades (
    id bigserial PRIMARY KEY,
    client_trade_id text NOT NULL UNIQUE,
    symbol text NOT NULL REFERENCES symbols (symbol),
    size numeric(18, 6) NOT NULL CHECK (size > 0),
    price numeric(18, 8) NOT NULL CHECK (price > 0),
    executed_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- Statistics and candles read one symbol's trades in time order.
CREATE INDEX trades_symbol_time ON trades (symbol, executed_at, id);
