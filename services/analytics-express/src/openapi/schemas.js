// The OpenAPI document's component schemas and security schemes: what the twin
// (services/analytics) publishes at /openapi.json, from its pydantic models, taken as
// this service's own since it validates, answers and refuses the same (src/schema.js,
// src/decimal.js, src/timestamp.js; tests/openapi.test.js checks the request bodies'
// required fields against the validation of this service). src/openapi/document.js
// assembles the document from the routes the app declares.
// The examples' window of returns: a five-return pattern four times (the model's 20).
const EXAMPLE_RETURNS = [
  0.0004, -0.0011, 0.0007, -0.0002, 0.0013, 0.0004, -0.0011, 0.0007, -0.0002, 0.0013,
  0.0004, -0.0011, 0.0007, -0.0002, 0.0013, 0.0004, -0.0011, 0.0007, -0.0002, 0.0013
];

// Fields several schemas share: the sender's trade ID and a symbol.
const CLIENT_TRADE_ID = {
  "type": "string",
  "pattern": "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$",
  "title": "Client Trade Id",
  "description": "The sender's ID of the trade; sending it again is safe (idempotent).",
  "examples": ["desk7-20260105-000042"]
};
const SYMBOL = {
  "type": "string",
  "pattern": "^[A-Z][A-Z0-9.]{0,11}$",
  "title": "Symbol",
  "examples": ["AAPL"]
};

// A page of `item`s, as servicekit's generic Page[T] is published for each T.
function page(item) {
  const optional = (schema, title, description) => ({
    "anyOf": [schema, { "type": "null" }],
    "title": title,
    "description": description
  });
  return {
    "properties": {
      "items": {
        "items": { "$ref": `#/components/schemas/${item}` },
        "type": "array",
        "title": "Items"
      },
      "next_cursor": optional(
        { "type": "string" }, "Next Cursor", "Opaque cursor of the next page; null on the last page."
      ),
      "offset": optional(
        { "type": "integer", "minimum": 0.0 }, "Offset", "Offset of this page's first item."
      ),
      "limit": optional({ "type": "integer", "minimum": 1.0 }, "Limit", "Page size asked for."),
      "total": optional({ "type": "integer" }, "Total", "Total items, where cheap to know.")
    },
    "type": "object",
    "required": ["items"],
    "title": `Page[${item}]`
  };
}

export const SCHEMAS = {
  "BatchPrediction": {
    "properties": {
      "predictions": {
        "items": {
          "$ref": "#/components/schemas/Prediction"
        },
        "type": "array",
        "title": "Predictions"
      }
    },
    "type": "object",
    "required": [
      "predictions"
    ],
    "title": "BatchPrediction"
  },
  "BatchPredictionRequest": {
    "properties": {
      "items": {
        "items": {
          "$ref": "#/components/schemas/PredictionRequest"
        },
        "type": "array",
        "maxItems": 256,
        "minItems": 1,
        "title": "Items"
      }
    },
    "additionalProperties": false,
    "type": "object",
    "required": [
      "items"
    ],
    "title": "BatchPredictionRequest",
    "examples": [
      {
        "items": [
          {
            "returns": EXAMPLE_RETURNS
          },
          {
            "returns": EXAMPLE_RETURNS
          }
        ]
      }
    ]
  },
  "Candle": {
    "properties": {
      "bucket_start": {
        "type": "string",
        "format": "date-time",
        "title": "Bucket Start",
        "description": "Start of the interval (date_bin from 2000-01-01)."
      },
      "open": {
        "type": "string",
        "title": "Open"
      },
      "high": {
        "type": "string",
        "title": "High"
      },
      "low": {
        "type": "string",
        "title": "Low"
      },
      "close": {
        "type": "string",
        "title": "Close"
      },
      "volume": {
        "type": "string",
        "title": "Volume"
      },
      "trade_count": {
        "type": "integer",
        "title": "Trade Count"
      }
    },
    "type": "object",
    "required": [
      "bucket_start",
      "open",
      "high",
      "low",
      "close",
      "volume",
      "trade_count"
    ],
    "title": "Candle"
  },
  "CheckResult": {
    "properties": {
      "status": {
        "type": "string",
        "enum": [
          "pass",
          "fail"
        ],
        "title": "Status"
      },
      "duration_ms": {
        "type": "number",
        "title": "Duration Ms"
      },
      "detail": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ],
        "title": "Detail"
      }
    },
    "type": "object",
    "required": [
      "status",
      "duration_ms"
    ],
    "title": "CheckResult"
  },
  "FieldError": {
    "properties": {
      "location": {
        "items": {
          "anyOf": [
            {
              "type": "string"
            },
            {
              "type": "integer"
            }
          ]
        },
        "type": "array",
        "title": "Location",
        "description": "Path to the field, e.g. ['body', 'quantity']."
      },
      "message": {
        "type": "string",
        "title": "Message"
      },
      "type": {
        "type": "string",
        "title": "Type",
        "description": "Machine-readable error type, e.g. 'greater_than'."
      }
    },
    "type": "object",
    "required": [
      "location",
      "message",
      "type"
    ],
    "title": "FieldError",
    "description": "One invalid input: where it is, what is wrong."
  },
  "HealthReport": {
    "properties": {
      "status": {
        "type": "string",
        "enum": [
          "pass",
          "fail"
        ],
        "title": "Status"
      },
      "service": {
        "type": "string",
        "title": "Service"
      },
      "version": {
        "type": "string",
        "title": "Version"
      },
      "checks": {
        "additionalProperties": {
          "$ref": "#/components/schemas/CheckResult"
        },
        "type": "object",
        "title": "Checks",
        "default": {}
      }
    },
    "type": "object",
    "required": [
      "status",
      "service",
      "version"
    ],
    "title": "HealthReport",
    "description": "Readiness of the service and of each registered check."
  },
  "ModelDescription": {
    "properties": {
      "name": {
        "type": "string",
        "title": "Name"
      },
      "version": {
        "type": "string",
        "title": "Version"
      },
      "sha256": {
        "type": "string",
        "title": "Sha256",
        "description": "sha256 of the ONNX file being served."
      },
      "inputs": {
        "type": "integer",
        "title": "Inputs"
      },
      "horizon": {
        "type": "integer",
        "title": "Horizon"
      },
      "max_batch": {
        "type": "integer",
        "title": "Max Batch"
      },
      "batch_window_ms": {
        "type": "number",
        "title": "Batch Window Ms"
      }
    },
    "type": "object",
    "required": [
      "name",
      "version",
      "sha256",
      "inputs",
      "horizon",
      "max_batch",
      "batch_window_ms"
    ],
    "title": "ModelDescription"
  },
  "ModelRef": {
    "properties": {
      "name": {
        "type": "string",
        "title": "Name"
      },
      "version": {
        "type": "string",
        "title": "Version"
      }
    },
    "type": "object",
    "required": [
      "name",
      "version"
    ],
    "title": "ModelRef"
  },
  "Page_Candle_": page("Candle"),
  "Page_SymbolSummary_": page("SymbolSummary"),
  "Prediction": {
    "properties": {
      "volatility": {
        "type": "number",
        "title": "Volatility",
        "description": "Predicted realised volatility of the next 10 returns."
      },
      "model": {
        "$ref": "#/components/schemas/ModelRef"
      }
    },
    "type": "object",
    "required": [
      "volatility",
      "model"
    ],
    "title": "Prediction",
    "examples": [
      {
        "model": {
          "name": "realised-volatility-ridge",
          "version": "1"
        },
        "volatility": 0.00091
      }
    ]
  },
  "PredictionRequest": {
    "properties": {
      "returns": {
        "items": {
          "type": "number",
          "maximum": 1.0,
          "minimum": -1.0
        },
        "type": "array",
        "maxItems": 20,
        "minItems": 20,
        "title": "Returns",
        "description": "The last 20 trade-to-trade log returns, oldest first."
      }
    },
    "additionalProperties": false,
    "type": "object",
    "required": [
      "returns"
    ],
    "title": "PredictionRequest",
    "examples": [
      {
        "returns": EXAMPLE_RETURNS
      }
    ]
  },
  "Problem": {
    "properties": {
      "type": {
        "type": "string",
        "title": "Type",
        "default": "about:blank"
      },
      "title": {
        "type": "string",
        "title": "Title"
      },
      "status": {
        "type": "integer",
        "title": "Status"
      },
      "detail": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ],
        "title": "Detail"
      },
      "instance": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ],
        "title": "Instance"
      },
      "request_id": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ],
        "title": "Request Id"
      },
      "errors": {
        "anyOf": [
          {
            "items": {
              "$ref": "#/components/schemas/FieldError"
            },
            "type": "array"
          },
          {
            "type": "null"
          }
        ],
        "title": "Errors"
      }
    },
    "additionalProperties": true,
    "type": "object",
    "required": [
      "title",
      "status"
    ],
    "title": "Problem",
    "description": "RFC 9457 problem details, with the request ID and, for bad input, field errors."
  },
  "SymbolStats": {
    "properties": {
      "symbol": SYMBOL,
      "start": {
        "anyOf": [
          {
            "type": "string",
            "format": "date-time"
          },
          {
            "type": "null"
          }
        ],
        "title": "Start"
      },
      "end": {
        "anyOf": [
          {
            "type": "string",
            "format": "date-time"
          },
          {
            "type": "null"
          }
        ],
        "title": "End"
      },
      "trade_count": {
        "type": "integer",
        "title": "Trade Count",
        "examples": [
          42
        ]
      },
      "volume": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ],
        "title": "Volume",
        "description": "Sum of sizes; null without trades."
      },
      "vwap": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ],
        "title": "Vwap",
        "description": "Sum of price x size over sum of size, to 8 decimals; null without trades.",
        "examples": [
          "187.31250000"
        ]
      },
      "high": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ],
        "title": "High"
      },
      "low": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ],
        "title": "Low"
      },
      "realised_volatility": {
        "anyOf": [
          {
            "type": "number"
          },
          {
            "type": "null"
          }
        ],
        "title": "Realised Volatility",
        "description": "Annualised; null with fewer than three trades or no time between the first and last.",
        "examples": [
          0.2134
        ]
      }
    },
    "type": "object",
    "required": [
      "symbol",
      "start",
      "end",
      "trade_count",
      "volume",
      "vwap",
      "high",
      "low",
      "realised_volatility"
    ],
    "title": "SymbolStats"
  },
  "SymbolSummary": {
    "properties": {
      "symbol": SYMBOL,
      "description": {
        "type": "string",
        "title": "Description",
        "examples": [
          "Apple Inc."
        ]
      },
      "last_price": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ],
        "title": "Last Price",
        "description": "Price of the latest trade; null if none."
      },
      "last_trade_at": {
        "anyOf": [
          {
            "type": "string",
            "format": "date-time"
          },
          {
            "type": "null"
          }
        ],
        "title": "Last Trade At"
      }
    },
    "type": "object",
    "required": [
      "symbol",
      "description",
      "last_price",
      "last_trade_at"
    ],
    "title": "SymbolSummary"
  },
  "Trade": {
    "properties": {
      "client_trade_id": CLIENT_TRADE_ID,
      "symbol": SYMBOL,
      "size": {
        "type": "string",
        "pattern": "^([1-9][0-9]{0,11}(\\.[0-9]{1,6})?|0\\.([1-9][0-9]{0,5}|0[1-9][0-9]{0,4}|00[1-9][0-9]{0,3}|000[1-9][0-9]{0,2}|0000[1-9][0-9]{0,1}|00000[1-9]))$",
        "title": "Size",
        "examples": [
          "100"
        ]
      },
      "price": {
        "type": "string",
        "pattern": "^([1-9][0-9]{0,9}(\\.[0-9]{1,8})?|0\\.([1-9][0-9]{0,7}|0[1-9][0-9]{0,6}|00[1-9][0-9]{0,5}|000[1-9][0-9]{0,4}|0000[1-9][0-9]{0,3}|00000[1-9][0-9]{0,2}|000000[1-9][0-9]{0,1}|0000000[1-9]))$",
        "title": "Price",
        "examples": [
          "187.25"
        ]
      },
      "executed_at": {
        "type": "string",
        "format": "date-time",
        "title": "Executed At",
        "description": "When the trade executed, with a time zone; from 2000-01-01 to a minute from now.",
        "examples": [
          "2026-01-05T14:30:00Z"
        ]
      },
      "id": {
        "type": "integer",
        "title": "Id",
        "description": "The service's ID of the trade.",
        "examples": [
          1
        ]
      },
      "received_at": {
        "type": "string",
        "format": "date-time",
        "title": "Received At",
        "description": "When the service first stored the trade."
      }
    },
    "type": "object",
    "required": [
      "client_trade_id",
      "symbol",
      "size",
      "price",
      "executed_at",
      "id",
      "received_at"
    ],
    "title": "Trade"
  },
  "TradeBatch": {
    "properties": {
      "trades": {
        "items": {
          "$ref": "#/components/schemas/TradeIn"
        },
        "type": "array",
        "maxItems": 1000,
        "minItems": 1,
        "title": "Trades",
        "description": "1 to 1000 trades, stored all or none."
      }
    },
    "type": "object",
    "required": [
      "trades"
    ],
    "title": "TradeBatch"
  },
  "TradeBatchResult": {
    "properties": {
      "trades": {
        "items": {
          "$ref": "#/components/schemas/Trade"
        },
        "type": "array",
        "title": "Trades",
        "description": "The stored trades, in the order sent."
      }
    },
    "type": "object",
    "required": [
      "trades"
    ],
    "title": "TradeBatchResult"
  },
  "TradeIn": {
    "properties": {
      "client_trade_id": CLIENT_TRADE_ID,
      "symbol": SYMBOL,
      "size": {
        "anyOf": [
          {
            "type": "number",
            "multipleOf": 1e-06,
            "exclusiveMaximum": 1000000000.0,
            "exclusiveMinimum": 0.0
          },
          {
            "type": "string",
            "pattern": "^([1-9][0-9]{0,11}(\\.[0-9]{1,6})?|0\\.([1-9][0-9]{0,5}|0[1-9][0-9]{0,4}|00[1-9][0-9]{0,3}|000[1-9][0-9]{0,2}|0000[1-9][0-9]{0,1}|00000[1-9]))$"
          }
        ],
        "title": "Size",
        "description": "A decimal of at most 18 digits, 6 after the point, above zero: a string such as \"12.5\", or a JSON number below 1000000000 in magnitude.",
        "examples": [
          "100"
        ]
      },
      "price": {
        "anyOf": [
          {
            "type": "number",
            "multipleOf": 1e-08,
            "exclusiveMaximum": 10000000.0,
            "exclusiveMinimum": 0.0
          },
          {
            "type": "string",
            "pattern": "^([1-9][0-9]{0,9}(\\.[0-9]{1,8})?|0\\.([1-9][0-9]{0,7}|0[1-9][0-9]{0,6}|00[1-9][0-9]{0,5}|000[1-9][0-9]{0,4}|0000[1-9][0-9]{0,3}|00000[1-9][0-9]{0,2}|000000[1-9][0-9]{0,1}|0000000[1-9]))$"
          }
        ],
        "title": "Price",
        "description": "A decimal of at most 18 digits, 8 after the point, above zero: a string such as \"12.5\", or a JSON number below 10000000 in magnitude.",
        "examples": [
          "187.25"
        ]
      },
      "executed_at": {
        "type": "string",
        "format": "date-time",
        "title": "Executed At",
        "description": "When the trade executed, with a time zone; from 2000-01-01 to a minute from now.",
        "examples": [
          "2026-01-05T14:30:00Z"
        ]
      }
    },
    "type": "object",
    "required": [
      "client_trade_id",
      "symbol",
      "size",
      "price",
      "executed_at"
    ],
    "title": "TradeIn"
  }
};

export const SECURITY_SCHEMES = {
  "bearer": {
    "type": "http",
    "description": "An access token of the identity provider: `Authorization: Bearer <JWT>`. Each operation lists the scopes the token must grant.",
    "scheme": "bearer",
    "bearerFormat": "JWT"
  },
  "apiKey": {
    "type": "apiKey",
    "description": "For calling services: the API key issued to the service. Each operation lists the scopes the key must be granted.",
    "in": "header",
    "name": "X-API-Key"
  }
};
