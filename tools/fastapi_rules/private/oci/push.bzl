"""oci_push: `bazel run` pushes an image to a registry with skopeo (rules_oci's API)."""

load(":common.bzl", "label_text")
load(":image.bzl", "OciImageInfo")

def _oci_push_impl(ctx):
    info = ctx.attr.image[OciImageInfo]
    if ctx.attr.repository and ("://" in ctx.attr.repository or ":" in ctx.attr.repository.rpartition("/")[2]):
        fail("{}: repository \"{}\" must be HOST[:PORT]/NAME without scheme or tag; put tags in remote_tags".format(ctx.label, ctx.attr.repository))
    host_sh = ctx.file._host_sh
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = script,
        substitutions = {
            "{{DIGEST}}": info.digest.short_path,
            "{{HOST_SH}}": host_sh.short_path,
            "{{LABEL}}": label_text(ctx.label),
            "{{LAYOUT}}": info.layout.short_path,
            "{{REPOSITORY}}": "'{}'".format(ctx.attr.repository),
            "{{TAGS}}": " ".join(["'{}'".format(t) for t in ctx.attr.remote_tags]),
        },
        is_executable = True,
    )
    return [DefaultInfo(executable = script, runfiles = ctx.runfiles([info.layout, info.digest, host_sh]))]

oci_push = rule(
    implementation = _oci_push_impl,
    doc = """`bazel run` pushes the image under each of `remote_tags` (by digest when there are
none) with skopeo, on the machine it was called from, with that machine's registry
credentials (`podman login`/`docker login`, `REGISTRY_AUTH_FILE`) and registries
configuration. A registry that refuses the credentials gets one line naming it.""",
    attrs = {
        "image": attr.label(mandatory = True, providers = [OciImageInfo], doc = "An oci_image."),
        "remote_tags": attr.string_list(doc = "Tags to push under; `--tag` at run time replaces them."),
        "repository": attr.string(doc = "HOST[:PORT]/NAME to push to; `--repository` at run time overrides it."),
        "_host_sh": attr.label(default = Label(":host.sh"), allow_single_file = True),
        "_template": attr.label(default = Label(":push.sh.tpl"), allow_single_file = True),
    },
    executable = True,
)
