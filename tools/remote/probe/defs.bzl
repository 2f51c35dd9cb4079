"""digest: the sha256 of files, by an action of a Starlark rule (the remote cache probe)."""

def _digest_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".sha256")
    ctx.actions.run_shell(
        inputs = ctx.files.srcs,
        outputs = [out],
        command = "sha256sum \"$@\" > {}".format(out.path),
        arguments = [f.path for f in ctx.files.srcs],
        mnemonic = "Digest",
    )
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

digest = rule(
    implementation = _digest_impl,
    attrs = {"srcs": attr.label_list(allow_files = True)},
)
