// The API documentation: /openapi.json lists exactly the routes the app serves, its
// request bodies require what validation requires, and /docs and /redoc load every file
// they reference from the service itself, without credentials.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openApiDocument } from "../src/openapi/document.js";
import { OPERATIONS } from "../src/openapi/operations.js";
import { startService } from "./helpers.js";

let service;

before(async () => {
  service = await startService({}, { startModel: false });
});

after(async () => {
  await service.close();
});

function resolve(document, schema) {
  const ref = schema.$ref;
  return ref === undefined ? schema : document.components.schemas[ref.split("/").at(-1)];
}

describe("GET /openapi.json", () => {
  it("lists every route of the API and the probes, and nothing else", async () => {
    const answer = await service.get("/openapi.json", { auth: false });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get("content-type"), "application/json");
    const document = await answer.json();
    assert.equal(document.openapi, "3.1.0");
    assert.deepEqual(document.info, { title: "Analytics Express", version: "0.1.0", description: document.info.description });
    const operations = Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
    assert.deepEqual(operations.sort(), [
      "GET /health/live",
      "GET /health/ready",
      "GET /v1/models",
      "GET /v1/symbols",
      "GET /v1/symbols/{symbol}/candles",
      "GET /v1/symbols/{symbol}/stats",
      "POST /v1/predictions",
      "POST /v1/predictions/batch",
      "POST /v1/trades",
      "POST /v1/trades/batch",
    ]);
    // Every $ref resolves.
    for (const [, name] of JSON.stringify(document).matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      assert.ok(document.components.schemas[name], name);
    }
    // Each problem answer an operation lists, and the common ones everywhere.
    const trade = document.paths["/v1/trades"].post;
    assert.deepEqual(Object.keys(trade.responses).sort(), ["201", "400", "409", "413", "415", "422", "429", "500"]);
  });

  it("requires of each body what validation requires", async () => {
    const document = await (await service.get("/openapi.json")).json();
    for (const path of ["/v1/trades", "/v1/trades/batch", "/v1/predictions", "/v1/predictions/batch"]) {
      const schema = resolve(document, document.paths[path].post.requestBody.content["application/json"].schema);
      const answer = await service.post(path, {});
      assert.equal(answer.status, 422, path);
      const missing = (await answer.json()).errors.filter((error) => error.type === "missing").map((error) => error.location[1]);
      assert.deepEqual(missing.sort(), [...schema.required].sort(), path);
    }
  });

  it("cannot be built while a route and its description disagree", () => {
    const routes = [{ template: "/v1/models", methods: ["get"] }];
    assert.throws(
      () => openApiDocument({ service: { title: "t", version: "1" }, routes: [...routes, { template: "/v1/other", methods: ["get"] }], operations: { "GET /v1/models": OPERATIONS["GET /v1/models"] } }),
      /GET \/v1\/other is served but not described/,
    );
    assert.throws(
      () => openApiDocument({ service: { title: "t", version: "1" }, routes, operations: { ...OPERATIONS } }),
      /POST \/v1\/trades is described in src\/openapi\/operations.js but not served/,
    );
    const document = openApiDocument({ service: { title: "t", version: "1" }, routes: [...routes, { template: "/metrics", methods: ["get"] }], operations: { "GET /v1/models": OPERATIONS["GET /v1/models"] } });
    assert.deepEqual(Object.keys(document.paths), ["/v1/models"]);
  });
});

describe("/docs and /redoc", () => {
  for (const path of ["/docs", "/redoc"]) {
    it(`${path} loads every script and style sheet from the service, with no credentials`, async () => {
      const page = await service.get(path, { auth: false, headers: { Authorization: "Bearer not-a-jwt" } });
      assert.equal(page.status, 200);
      assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
      const text = await page.text();
      const assets = [...text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
      assert.ok(assets.length >= 2, text);
      for (const asset of assets) {
        assert.match(asset, /^\/_docs\//, "served by the service, offline");
        const answer = await service.get(asset, { auth: false });
        assert.equal(answer.status, 200, asset);
        assert.equal(answer.headers.get("cache-control"), "max-age=3600");
        const body = await answer.text();
        assert.ok(body.length > 100, asset);
        assert.ok(!body.includes("https://cdn.redoc.ly/"), `${asset} loads Redocly's CDN`);
      }
      assert.match(text, /"\/openapi\.json"/);
    });
  }

  it("answers an unknown asset with a 404 problem", async () => {
    const answer = await service.get("/_docs/assets/../package.json", { auth: false });
    assert.equal(answer.status, 404);
    assert.equal((await service.get("/_docs/assets/index.html", { auth: false })).status, 404);
  });
});
