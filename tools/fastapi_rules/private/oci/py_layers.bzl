"""py_image_layer: a py_binary and its runfiles as two layers, third-party and first-party."""

load(":providers.bzl", "OciLayersInfo")

_TOOL = Label("//tools/fastapi_rules/private/oci:oci_tool")

RUNFILES_DIR = "service.runfiles"

# A helper for BUILD files, not a macro: it declares no target, so it takes no name.
# buildifier: disable=unnamed-macro
def py_image_entrypoint(binary, prefix = "/app"):
    """The path at which py_image_layer puts a binary in the image.

    Args:
      binary: label of the py_binary, relative to the current package or absolute.
      prefix: the `prefix` given to py_image_layer.

    Returns:
      The absolute path to use as the image's entrypoint.
    """
    label = native.package_relative_label(binary)
    return "{}/{}/_main/{}".format(prefix.rstrip("/"), RUNFILES_DIR, (label.package + "/" + label.name).lstrip("/"))

def _runfiles_path(ctx, short_path):
    # Main-repository files sit under the workspace name; external ones under their repo.
    if short_path.startswith("../"):
        return short_path[3:]
    return ctx.workspace_name + "/" + short_path

def _layer(ctx, name, files, empty_files, inputs):
    spec_file = ctx.actions.declare_file("{}.{}.json".format(ctx.label.name, name))
    ctx.actions.write(spec_file, json.encode({"empty_files": empty_files, "files": files}))
    output = ctx.actions.declare_file("{}.{}.tar.gz".format(ctx.label.name, name))
    descriptor = ctx.actions.declare_file("{}.{}.descriptor.json".format(ctx.label.name, name))
    summary = ctx.actions.declare_file("{}.{}.libraries.json".format(ctx.label.name, name))
    args = [
        "layer",
        "--spec",
        spec_file.path,
        "--output",
        output.path,
        "--descriptor",
        descriptor.path,
        "--summary",
        summary.path,
    ]
    if ctx.attr.bytecode:
        args.append("--bytecode")
    if ctx.attr.strip_debug and name == "third_party":
        args.append("--strip-debug")
    ctx.actions.run(
        executable = ctx.executable._tool,
        arguments = args,
        inputs = depset([spec_file] + inputs),
        outputs = [output, descriptor, summary],
        # Sets are marshalled in hash order: bytecode is reproducible only with a fixed seed.
        env = {"PYTHONHASHSEED": "0"},
        mnemonic = "OciLayer",
        progress_message = "Writing {} layer of %{{label}}".format(name),
    )
    return output, descriptor, summary

def _is_third_party(file):
    # Wheels live in external repositories, and only the main repository's name is empty:
    # no canonical name is parsed (Bazel 7 writes `_main~pypi~pypi_x`, Bazel 8 `+`).
    return file.owner.workspace_name != ""

def _is_third_party_stub(short_path):
    # py_binary's legacy __init__.py stubs come as bare paths, not Files: those of
    # external repositories sit under external/ in the main repository's tree (or ../).
    return short_path.startswith("external/") or short_path.startswith("../")

def _py_image_layer_impl(ctx):
    binary = ctx.attr.binary[DefaultInfo]
    executable = binary.files_to_run.executable
    runfiles = binary.default_runfiles

    # The binary runs from inside its runfiles tree, whose name does not depend on the
    # binary's: the third-party layer of two services with the same wheels is identical.
    runfiles_root = "{}/{}/".format(ctx.attr.prefix.rstrip("/"), RUNFILES_DIR)
    layers = {
        "app": {"empty_files": [], "files": [], "inputs": []},
        "third_party": {"empty_files": [], "files": [], "inputs": []},
    }
    for file in depset([executable], transitive = [runfiles.files]).to_list():
        layer = layers["third_party" if _is_third_party(file) else "app"]
        layer["files"].append([runfiles_root + _runfiles_path(ctx, file.short_path), file.path])
        layer["inputs"].append(file)
    for empty in runfiles.empty_filenames.to_list():
        layer = layers["third_party" if _is_third_party_stub(empty) else "app"]
        layer["empty_files"].append(runfiles_root + _runfiles_path(ctx, empty))

    outputs = []
    descriptors = {}
    summaries = {}
    for name in ("third_party", "app"):
        spec = layers[name]
        output, descriptor, summary = _layer(ctx, name, spec["files"], spec["empty_files"], spec["inputs"])
        outputs.append(output)
        descriptors[output] = descriptor
        summaries[output] = summary
    return [
        DefaultInfo(files = depset(outputs, order = "preorder")),
        OutputGroupInfo(app = depset([outputs[1]]), third_party = depset([outputs[0]])),
        OciLayersInfo(descriptors = descriptors, summaries = summaries),
    ]

py_image_layer = rule(
    implementation = _py_image_layer_impl,
    doc = """Two layer tarballs for a py_binary, lowest first: `<name>.third_party.tar.gz`
(every file from an external repository: the locked wheels) and `<name>.app.tar.gz` (the
binary and first-party code and data). The runfiles tree is `<prefix>/service.runfiles/`
and the binary runs from inside it: `py_image_entrypoint(binary)` gives its path. Only the binary's
runtime dependencies are included: test and lint tools never reach an image.

With `bytecode` (the default), each layer also holds the `__pycache__` pyc of each of its
.py files, compiled at build time as unchecked-hash pycs (PEP 552): the image is
read-only to its user, and without bytecode every start compiles every import again.
The build's Python writes them, so the image's Python must be the same 3.X (the default
base image's is).

With `strip_debug` (the default), the wheels' shared objects lose their DWARF debug
sections, which manylinux wheels often ship (uvloop's extension: 16 MB with, 2 MB
without).""",
    attrs = {
        "binary": attr.label(mandatory = True, executable = True, cfg = "target", doc = "The py_binary to package."),
        "bytecode": attr.bool(default = True, doc = "Compile the layers' Python modules into `__pycache__` pycs."),
        "prefix": attr.string(default = "/app", doc = "Directory of the image that holds the binary."),
        "strip_debug": attr.bool(default = True, doc = "Strip DWARF debug sections from the wheels' shared objects (`strip --strip-debug`, binutils on the build machine); symbol tables stay."),
        "_tool": attr.label(default = _TOOL, executable = True, cfg = "exec"),
    },
)
