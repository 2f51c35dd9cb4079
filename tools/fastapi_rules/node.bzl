"""Node.js: locked npm packages (npm_lock, npm_node_modules), programs (node_binary), tests
with node's own runner (node_test), and a program as image layers (node_image_layer)."""

load("//tools/fastapi_rules/private/node:binary.bzl", _NodeBinaryInfo = "NodeBinaryInfo", _node_binary = "node_binary")
load("//tools/fastapi_rules/private/node:layers.bzl", _node_image_entrypoint = "node_image_entrypoint", _node_image_layer = "node_image_layer")
load("//tools/fastapi_rules/private/node:test.bzl", _node_test = "node_test")
load("//tools/fastapi_rules/private/npm:defs.bzl", _npm_lock = "npm_lock")
load("//tools/fastapi_rules/private/npm:node_modules.bzl", _NpmNodeModulesInfo = "NpmNodeModulesInfo", _npm_node_modules = "npm_node_modules")

NodeBinaryInfo = _NodeBinaryInfo
NpmNodeModulesInfo = _NpmNodeModulesInfo
node_binary = _node_binary
node_image_entrypoint = _node_image_entrypoint
node_image_layer = _node_image_layer
node_test = _node_test
npm_lock = _npm_lock
npm_node_modules = _npm_node_modules
