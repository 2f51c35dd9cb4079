// The API documentation, as the twin serves it (servicekit.docs), working with no network:
// GET /openapi.json (src/openapi/document.js), Swagger UI at /docs and ReDoc at /redoc,
// their scripts and style sheets served by the service itself under /_docs/. Swagger UI
// comes from the swagger-ui-dist package; ReDoc's standalone bundle is the twin's file,
// copied into this package by the build (BUILD.bazel says why). Open to every caller
// (src/auth: the documentation is how a caller learns which credentials to send).
import { readFileSync } from "node:fs";
import swaggerUiDist from "swagger-ui-dist";

export const DOCS_PATH = "/docs";
export const REDOC_PATH = "/redoc";
export const OPENAPI_PATH = "/openapi.json";
const ASSETS = "/_docs/assets";
const REDOC_BUNDLE_PATH = "/_docs/redoc.standalone.js";
const REDOC_BUNDLE = new URL("../docs/redoc.standalone.js", import.meta.url);
// swagger-ui-dist's files the page loads, and their types.
const SWAGGER_FILES = {
  "swagger-ui-bundle.js": "text/javascript",
  "swagger-ui.css": "text/css",
  "favicon-32x32.png": "image/png",
};
// ReDoc's bundle loads the logo of its "API docs by Redocly" link from Redocly's CDN,
// unconditionally: a failed request offline. Served with that URL replaced by an empty
// image, as the twin serves it; nothing else of it changes.
const REDOCLY_LOGO_URL = "https://cdn.redoc.ly/redoc/logo-mini.svg";
const EMPTY_IMAGE = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";
const CACHE = "max-age=3600";

function html(text) {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

function swaggerPage(title) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${html(title)} API</title>
  <link rel="icon" href="${ASSETS}/favicon-32x32.png">
  <link rel="stylesheet" href="${ASSETS}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${ASSETS}/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: ${JSON.stringify(OPENAPI_PATH)},
      dom_id: "#swagger-ui",
      layout: "BaseLayout",
      deepLinking: true,
      showExtensions: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    });
  </script>
</body>
</html>
`;
}

function redocPage(title) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${html(title)} API</title>
  <link rel="icon" href="${ASSETS}/favicon-32x32.png">
  <style>body { margin: 0; padding: 0; }</style>
</head>
<body>
  <div id="redoc"></div>
  <script src="${REDOC_BUNDLE_PATH}"></script>
  <script>Redoc.init(${JSON.stringify(OPENAPI_PATH)}, {}, document.getElementById("redoc"));</script>
</body>
</html>
`;
}

/**
 * The documentation's routes on `app` (before the 404 handler). Files are read once, here:
 * a missing one stops the service at start rather than failing a reader later.
 *
 * @param {import("express").Express} app
 * @param {object} options
 * @param {string} options.title the service's title
 * @param {() => object} options.document the OpenAPI document
 */
export function installDocs(app, { title, document }) {
  const directory = swaggerUiDist.getAbsoluteFSPath();
  const assets = new Map(
    Object.entries(SWAGGER_FILES).map(([name, type]) => [name, { type, content: readFileSync(`${directory}/${name}`) }]),
  );
  const redocBundle = Buffer.from(readFileSync(REDOC_BUNDLE, "utf8").replaceAll(REDOCLY_LOGO_URL, EMPTY_IMAGE));
  const swagger = Buffer.from(swaggerPage(title));
  const redoc = Buffer.from(redocPage(title));
  let openapi;

  app.get(OPENAPI_PATH, (_req, res) => {
    openapi ??= Buffer.from(JSON.stringify(document()));
    // setHeader: Express would add a charset to this type, which the twin does not send.
    res.setHeader("Content-Type", "application/json");
    res.send(openapi);
  });
  app.get(DOCS_PATH, (_req, res) => res.type("text/html; charset=utf-8").send(swagger));
  app.get(REDOC_PATH, (_req, res) => res.type("text/html; charset=utf-8").send(redoc));
  app.get(REDOC_BUNDLE_PATH, (_req, res) => res.set("Cache-Control", CACHE).type("text/javascript").send(redocBundle));
  app.get(`${ASSETS}/:name`, (req, res, next) => {
    const asset = assets.get(req.params.name);
    if (asset === undefined) {
      next();
      return;
    }
    res.set("Cache-Control", CACHE).type(asset.type).send(asset.content);
  });
}
