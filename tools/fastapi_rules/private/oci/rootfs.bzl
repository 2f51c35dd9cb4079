"""debian_rootfs: one layer holding Debian packages, as a Debian root file system."""

load(":providers.bzl", "OciLayersInfo")

_TOOL = Label("//tools/fastapi_rules/private/oci:oci_tool")

def _debian_rootfs_impl(ctx):
    if not ctx.files.packages:
        fail("{}: packages is empty; give the .deb files, e.g. packages = \"@debian//:packages\"".format(ctx.label))
    output = ctx.actions.declare_file(ctx.label.name + ".tar.gz")
    descriptor = ctx.actions.declare_file(ctx.label.name + ".descriptor.json")
    summary = ctx.actions.declare_file(ctx.label.name + ".libraries.json")
    args = ctx.actions.args()
    args.add("rootfs")
    args.add_all(ctx.files.packages, before_each = "--deb")
    args.add("--nonroot-uid", ctx.attr.nonroot_uid)
    args.add("--timezone", ctx.attr.timezone)
    args.add_all(["{}={}".format(path, target) for path, target in ctx.attr.symlinks.items()], before_each = "--symlink")
    for prefix in ctx.attr.excludes:
        if not prefix or prefix.strip("/") == "" or ".." in prefix.split("/"):
            fail("{}: excludes entry \"{}\" is not a directory or file of the image; write it like \"usr/lib/x86_64-linux-gnu/gconv\"".format(ctx.label, prefix))
    args.add_all(ctx.attr.excludes, before_each = "--exclude")
    for path in ctx.attr.nonroot_directories:
        if not path or path.strip("/") == "" or ".." in path.split("/"):
            fail("{}: nonroot_directories entry \"{}\" is not a directory of the image; write it like \"var/lib/postgresql\"".format(ctx.label, path))
    args.add_all(ctx.attr.nonroot_directories, before_each = "--nonroot-directory")
    args.add("--output", output)
    args.add("--descriptor", descriptor)
    args.add("--summary", summary)
    if ctx.attr.bytecode:
        args.add("--bytecode")
    ctx.actions.run(
        executable = ctx.executable._tool,
        arguments = [args],
        inputs = ctx.files.packages,
        outputs = [output, descriptor, summary],
        # Sets are marshalled in hash order: bytecode is reproducible only with a fixed seed.
        env = {"PYTHONHASHSEED": "0"},
        mnemonic = "DebianRootfs",
        progress_message = "Unpacking Debian packages into %{output}",
    )
    return [
        DefaultInfo(files = depset([output])),
        OciLayersInfo(descriptors = {output: descriptor}, summaries = {output: summary}),
    ]

debian_rootfs = rule(
    implementation = _debian_rootfs_impl,
    doc = """A layer tarball with the files of Debian packages, no maintainer script run.

What those scripts and the base system would do is done explicitly: the merged-/usr links
(`/bin`, `/lib`, `/lib64`, `/sbin` into `/usr`), `/etc/passwd` and `/etc/group` with `root`
and a `nonroot` user, the CA bundle `/etc/ssl/certs/ca-certificates.crt`, `/etc/localtime`,
and `/tmp` with mode 1777. Documentation is left out except copyright notices.

With `bytecode` (the default), every module of the Python standard library under
`/usr/lib/python3.X` gets its `__pycache__` pyc, compiled at build time: Debian compiles
them in a maintainer script, which never runs here, and a read-only container could not
write them. The pycs are unchecked-hash pycs (PEP 552), so the layer stays reproducible
bit for bit; they are written by the build's Python, which must be the same 3.X.""",
    attrs = {
        "bytecode": attr.bool(default = True, doc = "Compile the Python standard library's modules into the layer."),
        "excludes": attr.string_list(doc = "Directories of the packages to leave out with everything under them, e.g. `usr/lib/x86_64-linux-gnu/gconv` (glibc's iconv modules, which Python never loads), or single files."),
        "nonroot_directories": attr.string_list(doc = "Directories to make, owned by the `nonroot` user with mode 0700, e.g. `var/lib/postgresql`: state the image's program keeps. A named volume mounted there takes that owner and mode when the engine creates it."),
        "nonroot_uid": attr.int(default = 65532, doc = "uid and gid of the `nonroot` user (65532 as in distroless images)."),
        "packages": attr.label_list(allow_files = [".deb"], mandatory = True, doc = "The .deb files, e.g. `@debian//:packages`."),
        "symlinks": attr.string_dict(doc = "Extra links, path to target, e.g. `{\"usr/bin/python3\": \"python3.13\"}`."),
        "timezone": attr.string(default = "Etc/UTC", doc = "Zone /etc/localtime points at."),
        "_tool": attr.label(default = _TOOL, executable = True, cfg = "exec"),
    },
)
