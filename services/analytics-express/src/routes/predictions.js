// POST /v1/predictions, POST /v1/predictions/batch and GET /v1/models: the volatility
// model (src/inference) over HTTP, with the twin's bodies and validation.
import { HORIZON, WINDOW } from "../inference/inference.js";
import { finiteNumber, list, object, validateBody } from "../schema.js";

// One window: exactly WINDOW finite returns between -1 and 1, nothing else.
const PREDICTION = object({ returns: list(finiteNumber({ min: -1, max: 1 }), { min: WINDOW, max: WINDOW }) }, { extra: "forbid" });
const BATCH = object({ items: list(PREDICTION, { min: 1, max: 256 }) }, { extra: "forbid" });

function modelRef(inference) {
  const { name, version } = inference.model;
  return { name, version };
}

/** POST /v1/predictions: the predicted volatility of the next HORIZON returns. */
export function predict(inference) {
  return async (req, res) => {
    const { returns } = validateBody(PREDICTION, req.body);
    const volatility = await inference.predict(returns);
    res.json({ volatility, model: modelRef(inference) });
  };
}

/** POST /v1/predictions/batch: the same for 1 to 256 windows, in one model call. */
export function predictBatch(inference) {
  return async (req, res) => {
    const { items } = validateBody(BATCH, req.body);
    const values = await inference.predictMany(items.map((item) => item.returns));
    const model = modelRef(inference);
    res.json({ predictions: values.map((volatility) => ({ volatility, model })) });
  };
}

/** GET /v1/models: the model being served and how it is batched. */
export function listModels(inference) {
  return (_req, res) => {
    const { name, version, sha256, inputs } = inference.model;
    res.json([
      {
        name,
        version,
        sha256,
        inputs,
        horizon: HORIZON,
        max_batch: inference.maxBatch,
        batch_window_ms: inference.windowMs,
      },
    ]);
  };
}
