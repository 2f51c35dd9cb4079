"""node_image_layer: a node_binary as two image layers, third-party and first-party."""

load("//tools/fastapi_rules/private/oci:common.bzl", "label_text")
load("//tools/fastapi_rules/private/oci:providers.bzl", "OciLayersInfo")
load(":binary.bzl", "NodeBinaryInfo")

_TOOL = Label("//tools/fastapi_rules/private/oci:oci_tool")

def package_relative_path(file, package):
    """`file`'s path relative to `package`, or None when it lies outside.

    Args:
      file: a File.
      package: the package the program belongs to, e.g. "services/web".

    Returns:
      e.g. "src/app.js" for services/web/src/app.js.
    """
    path = file.short_path
    if path.startswith("../"):
        path = path[3:].partition("/")[2]  # drop the external repository's directory
    prefix = package + "/" if package else ""
    if not path.startswith(prefix):
        return None
    return path[len(prefix):]

# A helper for BUILD files and macros, not a macro: it declares no target.
# buildifier: disable=unnamed-macro
def node_image_entrypoint(entry_point, prefix = "/app", node = "/usr/bin/node"):
    """The image entrypoint that runs a node_binary's entry point as node_image_layer lays it out.

    Args:
      entry_point: the entry point's path relative to its package, e.g. "server.js".
      prefix: the `prefix` given to node_image_layer.
      node: Node in the base image (Debian's, in the default base).

    Returns:
      The entrypoint, a list of strings.
    """
    return [node, "{}/{}".format(prefix.rstrip("/"), entry_point)]

def _layer(ctx, name, spec, inputs):
    spec_file = ctx.actions.declare_file("{}.{}.json".format(ctx.label.name, name))
    ctx.actions.write(spec_file, json.encode(spec))
    output = ctx.actions.declare_file("{}.{}.tar.gz".format(ctx.label.name, name))
    descriptor = ctx.actions.declare_file("{}.{}.descriptor.json".format(ctx.label.name, name))
    summary = ctx.actions.declare_file("{}.{}.libraries.json".format(ctx.label.name, name))
    ctx.actions.run(
        executable = ctx.executable._tool,
        arguments = [
            "layer",
            "--spec",
            spec_file.path,
            "--output",
            output.path,
            "--descriptor",
            descriptor.path,
            "--summary",
            summary.path,
        ],
        inputs = [spec_file] + inputs,
        outputs = [output, descriptor, summary],
        mnemonic = "OciLayer",
        progress_message = "Writing {} layer of %{{label}}".format(name),
    )
    return output, descriptor, summary

def _node_image_layer_impl(ctx):
    program = ctx.attr.binary[NodeBinaryInfo]
    prefix = ctx.attr.prefix.rstrip("/")
    files = []
    for file in program.files.to_list():
        relative = package_relative_path(file, program.package)
        if relative == None:
            fail("{}: {} is outside the package {} of {}; an image holds the program's package only (at {}), so copy the file into it".format(
                ctx.label,
                file.short_path,
                program.package,
                label_text(ctx.attr.binary.label),
                prefix,
            ))
        if relative == "node_modules" or relative.startswith("node_modules/"):
            fail("{}: {} is in the package's node_modules, which the image takes from the lock; leave node_modules out of srcs and data (glob(..., exclude = [\"node_modules/**\"]))".format(ctx.label, file.short_path))
        files.append([prefix + "/" + relative, file.path])
    layers = {
        "app": ({"files": files}, program.files.to_list()),
        "third_party": (
            {"trees": [[prefix + "/node_modules", program.node_modules.path, ctx.attr.exclude]]} if program.node_modules else {},
            [program.node_modules] if program.node_modules else [],
        ),
    }
    outputs = []
    descriptors = {}
    summaries = {}
    for name in ("third_party", "app"):
        spec, inputs = layers[name]
        output, descriptor, summary = _layer(ctx, name, spec, inputs)
        outputs.append(output)
        descriptors[output] = descriptor
        summaries[output] = summary
    return [
        DefaultInfo(files = depset(outputs, order = "preorder")),
        OutputGroupInfo(app = depset([outputs[1]]), third_party = depset([outputs[0]])),
        OciLayersInfo(descriptors = descriptors, summaries = summaries),
    ]

node_image_layer = rule(
    implementation = _node_image_layer_impl,
    doc = """Two layer tarballs for a node_binary, lowest first: `<name>.third_party.tar.gz`
(its `node_modules`, laid out from the lock: changes when a package does) and
`<name>.app.tar.gz` (the program's own files). Both go under `prefix` as they are in the
program's package, the way a Dockerfile's `COPY . /app` after `npm ci --omit=dev` would:
`/app/package.json`, `/app/server.js`, `/app/node_modules/...`. Test and lint tools
never reach an image: only the binary's files and its `node_modules`.

`exclude` leaves files of `node_modules` out of the image, e.g. the native binaries a
package ships for every platform (onnxruntime-node's macOS and Windows builds) where the
image runs one: `bazel run` and the tests keep the whole tree.""",
    attrs = {
        "binary": attr.label(mandatory = True, providers = [NodeBinaryInfo], doc = "The node_binary to package."),
        "exclude": attr.string_list(doc = """Glob patterns of paths in `node_modules`
(relative to it, e.g. `"onnxruntime-node/bin/napi-v6/darwin"`) to leave out of the image:
`*` and `?` match within one name, `**` across directories (`"**/*.map"`), and a directory
matched goes with everything below it. A pattern that matches nothing fails the build, so
one made stale by a package upgrade is noticed rather than silently keeping the files."""),
        "prefix": attr.string(default = "/app", doc = "Directory of the image that holds the program's package."),
        "_tool": attr.label(default = _TOOL, executable = True, cfg = "exec"),
    },
)
