// Each operation of the API as the OpenAPI document describes it, keyed by method and
// route template: the twin's descriptions (services/analytics publishes the same API), with
// its scopes. `problems` are the problem answers an operation adds to, or words otherwise
// than, PROBLEMS, which every operation has. src/openapi/document.js lists an operation
// only for a route the app declares, and refuses to build while a declared route has none
// here or one here has no route.
export const PROBLEMS = {
  "400": "Malformed request, e.g. a body that is not JSON",
  "413": "Request body larger than the service accepts",
  "415": "Request body in another media type than the operation takes",
  "422": "Request failed validation; `errors` lists each field",
  "429": "Rate limit exceeded; retry after `Retry-After` seconds",
  "500": "Unexpected server error; quote `request_id` when reporting it"
};

export const TAGS = [
  {
    "name": "trades",
    "description": "Trade capture, idempotent on the client trade ID."
  },
  {
    "name": "statistics",
    "description": "VWAP, volatility and candles, computed in SQL."
  },
  {
    "name": "symbols",
    "description": "The symbols trades may name."
  },
  {
    "name": "predictions",
    "description": "Next-window volatility from recent returns: an ONNX model trained at build time, served with micro-batching."
  }
];

// Parameters and security requirements several operations share.
const SYMBOL = {
  "name": "symbol",
  "in": "path",
  "required": true,
  "schema": {
    "type": "string",
    "pattern": "^[A-Z][A-Z0-9.]{0,11}$",
    "examples": [
      "AAPL"
    ],
    "title": "Symbol"
  }
};
// A bound of a statistics window: optional, an ISO 8601 date and time with a time zone.
function windowBound(name, title, description, example) {
  return {
    "name": name,
    "in": "query",
    "required": false,
    "schema": {
      "anyOf": [{ "type": "string", "format": "date-time" }, { "type": "null" }],
      "description": description,
      "examples": [example],
      "title": title
    },
    "description": description
  };
}
const WINDOW_START = windowBound(
  "start", "Start", "Inclusive start of the window, with a time zone.", "2026-01-05T00:00:00Z"
);
const WINDOW_END = windowBound(
  "end", "End", "Exclusive end of the window, with a time zone.", "2026-01-06T00:00:00Z"
);
const PAGE_LIMIT = {
  "name": "limit",
  "in": "query",
  "required": false,
  "schema": {
    "type": "integer",
    "maximum": 1000,
    "minimum": 1,
    "description": "Page size.",
    "default": 100,
    "title": "Limit"
  },
  "description": "Page size."
};
const PAGE_OFFSET = {
  "name": "offset",
  "in": "query",
  "required": false,
  "schema": {
    "type": "integer",
    "maximum": 1000000000,
    "minimum": 0,
    "description": "Items to skip.",
    "default": 0,
    "title": "Offset"
  },
  "description": "Items to skip."
};

// The request body: JSON of the component schema `schema`.
function jsonBody(schema) {
  return {
    "content": { "application/json": { "schema": { "$ref": `#/components/schemas/${schema}` } } },
    "required": true
  };
}

// The answer of an operation that succeeds: `status` with JSON of the component schema
// `schema`.
function answering(status, schema) {
  return {
    [status]: {
      "description": "Successful Response",
      "content": { "application/json": { "schema": { "$ref": `#/components/schemas/${schema}` } } }
    }
  };
}

// What trades, one or a batch, may be refused with beside PROBLEMS.
const TRADE_PROBLEMS = {
  "422": "Invalid input or an unknown symbol; `errors` lists each field",
  "409": "A client trade ID was used before for another trade; nothing stored"
};

// Either scheme, granting `scope` (the bearer token's scope or the API key's grant).
function grantedTo(scope) {
  return [{ "bearer": [scope] }, { "apiKey": [scope] }];
}

export const OPERATIONS = {
  "POST /v1/trades": {
    "tags": [
      "trades"
    ],
    "summary": "Record one trade",
    "description": "Idempotent on client_trade_id: the same trade sent again gets the same answer and is stored once; the same ID with other content is a 409.",
    "operationId": "post_trade_v1_trades_post",
    "requestBody": jsonBody("TradeIn"),
    "responses": answering(201, "Trade"),
    "security": grantedTo("analytics:write"),
    "problems": TRADE_PROBLEMS
  },
  "POST /v1/trades/batch": {
    "tags": [
      "trades"
    ],
    "summary": "Record up to 1000 trades",
    "description": "1 to 1000 trades, stored in one transaction: all or none. Each trade is idempotent on its client_trade_id as in POST /v1/trades. A problem lists every bad trade's fields, located as ['body', 'trades', index, field].",
    "operationId": "post_trades_v1_trades_batch_post",
    "requestBody": jsonBody("TradeBatch"),
    "responses": answering(201, "TradeBatchResult"),
    "security": grantedTo("analytics:write"),
    "problems": TRADE_PROBLEMS
  },
  "GET /v1/symbols/{symbol}/stats": {
    "tags": [
      "statistics"
    ],
    "summary": "Trade statistics of a symbol over a window",
    "description": "Over the trades with start <= executed_at < end (either bound may be left\nout), computed in PostgreSQL:\n\n- **vwap** = sum(price x size) / sum(size), rounded to 8 decimals; **volume** = sum(size);\n  **trade_count**, **high** and **low** of the prices.\n- **realised_volatility**: with trades ordered by (executed_at, arrival), the log returns\n  r_i = ln(p_i / p_{i-1}) between consecutive trades; their sample standard deviation s\n  (n - 1 in the denominator) is per trade, and is annualised by the square root of the\n  number of returns a year would have at the window's observed rate:\n  `s x sqrt(n x 31 536 000 / T)`, with n returns, T the seconds between the first and last\n  trade, and 31 536 000 the seconds of a 365-day year (trading around the clock). Null with\n  fewer than two returns or T = 0.",
    "operationId": "symbol_stats_v1_symbols__symbol__stats_get",
    "security": grantedTo("analytics:read"),
    "parameters": [
      SYMBOL,
      WINDOW_START,
      WINDOW_END
    ],
    "responses": answering(200, "SymbolStats"),
    "problems": {
      "404": "The symbol is not known"
    }
  },
  "GET /v1/symbols/{symbol}/candles": {
    "tags": [
      "statistics"
    ],
    "summary": "OHLC candles of a symbol",
    "description": "One candle per interval that has trades, from PostgreSQL's date_bin with buckets aligned to 2000-01-01T00:00:00Z; oldest first, paged by offset and limit.",
    "operationId": "symbol_candles_v1_symbols__symbol__candles_get",
    "security": grantedTo("analytics:read"),
    "parameters": [
      SYMBOL,
      {
        "name": "interval",
        "in": "query",
        "required": false,
        "schema": {
          "enum": [
            "1m",
            "5m",
            "1h",
            "1d"
          ],
          "type": "string",
          "description": "Candle width.",
          "default": "1m",
          "title": "Interval"
        },
        "description": "Candle width."
      },
      WINDOW_START,
      WINDOW_END,
      PAGE_LIMIT,
      PAGE_OFFSET
    ],
    "responses": answering(200, "Page_Candle_"),
    "problems": {
      "404": "The symbol is not known"
    }
  },
  "GET /v1/symbols": {
    "tags": [
      "symbols"
    ],
    "summary": "Symbols with their last trade",
    "description": "Every known symbol in alphabetical order, with the price and time of its latest trade (null before its first), paged by offset and limit.",
    "operationId": "list_symbols_v1_symbols_get",
    "security": grantedTo("analytics:read"),
    "parameters": [
      PAGE_LIMIT,
      PAGE_OFFSET
    ],
    "responses": answering(200, "Page_SymbolSummary_")
  },
  "POST /v1/predictions": {
    "tags": [
      "predictions"
    ],
    "summary": "Predict the next window's realised volatility",
    "operationId": "predict_v1_predictions_post",
    "requestBody": jsonBody("PredictionRequest"),
    "responses": answering(200, "Prediction"),
    "security": grantedTo("analytics:read")
  },
  "POST /v1/predictions/batch": {
    "tags": [
      "predictions"
    ],
    "summary": "Predict for many windows in one request",
    "operationId": "predict_batch_v1_predictions_batch_post",
    "requestBody": jsonBody("BatchPredictionRequest"),
    "responses": answering(200, "BatchPrediction"),
    "security": grantedTo("analytics:read")
  },
  "GET /v1/models": {
    "tags": [
      "predictions"
    ],
    "summary": "The model being served",
    "operationId": "models_v1_models_get",
    "responses": {
      "200": {
        "description": "Successful Response",
        "content": {
          "application/json": {
            "schema": {
              "items": {
                "$ref": "#/components/schemas/ModelDescription"
              },
              "type": "array",
              "title": "Response Models V1 Models Get"
            }
          }
        }
      }
    },
    "security": grantedTo("analytics:read")
  },
  "GET /health/live": {
    "tags": [
      "health"
    ],
    "summary": "The process is up",
    "operationId": "live_health_live_get",
    "responses": {
      "200": {
        "description": "Successful Response",
        "content": {
          "application/json": {
            "schema": {
              "additionalProperties": {
                "type": "string"
              },
              "type": "object",
              "title": "Response Live Health Live Get"
            }
          }
        }
      }
    }
  },
  "GET /health/ready": {
    "tags": [
      "health"
    ],
    "summary": "Every dependency is ready",
    "operationId": "ready_health_ready_get",
    "responses": {
      "200": {
        "description": "Successful Response",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/HealthReport"
            }
          }
        }
      },
      "503": {
        "description": "Not ready",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/HealthReport"
            }
          }
        }
      }
    }
  }
};
