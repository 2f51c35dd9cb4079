"""debian_rootfs: one layer holding Debian packages, as a Debian root file system."""

_TOOL = Label("//tools/fastapi_rules/private/oci:oci_tool")

def _debian_rootfs_impl(ctx):
    if not ctx.files.packages:
        fail("{}: packages is empty; give the .deb files, e.g. packages = \"@debian//:packages\"".format(ctx.label))
    output = ctx.actions.declare_file(ctx.label.name + ".tar.gz")
    args = ctx.actions.args()
    args.add("rootfs")
    args.add_all(ctx.files.packages, before_each = "--deb")
    args.add("--nonroot-uid", ctx.attr.nonroot_uid)
    args.add("--timezone", ctx.attr.timezone)
    args.add_all(["{}={}".format(path, target) for path, target in ctx.attr.symlinks.items()], before_each = "--symlink")
    args.add("--output", output)
    ctx.actions.run(
        executable = ctx.executable._tool,
        arguments = [args],
        inputs = ctx.files.packages,
        outputs = [output],
        mnemonic = "DebianRootfs",
        progress_message = "Unpacking Debian packages into %{output}",
    )
    return [DefaultInfo(files = depset([output]))]

debian_rootfs = rule(
    implementation = _debian_rootfs_impl,
    doc = """A layer tarball with the files of Debian packages, no maintainer script run.

What those scripts and the base system would do is done explicitly: the merged-/usr links
(`/bin`, `/lib`, `/lib64`, `/sbin` into `/usr`), `/etc/passwd` and `/etc/group` with `root`
and a `nonroot` user, the CA bundle `/etc/ssl/certs/ca-certificates.crt`, `/etc/localtime`,
and `/tmp` with mode 1777. Documentation is left out except copyright notices.""",
    attrs = {
        "nonroot_uid": attr.int(default = 65532, doc = "uid and gid of the `nonroot` user (65532 as in distroless images)."),
        "packages": attr.label_list(allow_files = [".deb"], mandatory = True, doc = "The .deb files, e.g. `@debian//:packages`."),
        "symlinks": attr.string_dict(doc = "Extra links, path to target, e.g. `{\"usr/bin/python3\": \"python3.13\"}`."),
        "timezone": attr.string(default = "Etc/UTC", doc = "Zone /etc/localtime points at."),
        "_tool": attr.label(default = _TOOL, executable = True, cfg = "exec"),
    },
)
