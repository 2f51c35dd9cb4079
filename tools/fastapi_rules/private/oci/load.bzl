"""oci_load: the image as an archive (output group `tarball`), and `bazel run` loads it into
the caller's container engine (rules_oci 2's API)."""

load(":common.bzl", "label_text")
load(":image.bzl", "OciImageInfo")

_TOOL = Label("//tools/fastapi_rules/private/oci:oci_tool")

def _check_tags(label, tags):
    for tag in tags:
        if ":" not in tag.rpartition("/")[2]:
            fail("{}: repo_tags entry \"{}\" has no tag; write it as \"name:tag\", e.g. \"analytics:latest\"".format(label, tag))

def _write_tarball(ctx, output):
    _check_tags(ctx.label, ctx.attr.repo_tags)
    layout = ctx.attr.image[OciImageInfo].layout
    args = ctx.actions.args()
    args.add_all(["tarball", "--image", layout.path, "--output", output])
    args.add_all(ctx.attr.repo_tags, before_each = "--tag")
    ctx.actions.run(
        executable = ctx.executable._tool,
        arguments = [args],
        inputs = [layout],
        outputs = [output],
        mnemonic = "OciTarball",
        progress_message = "Writing image archive %{output}",
    )

_IMAGE_ATTRS = {
    "image": attr.label(mandatory = True, providers = [OciImageInfo], doc = "An oci_image."),
    "repo_tags": attr.string_list(doc = "Names the loaded image gets, `name:tag`."),
    "_tool": attr.label(default = _TOOL, executable = True, cfg = "exec"),
}

def _oci_load_impl(ctx):
    tarball = ctx.actions.declare_file(ctx.label.name + ".tar")
    _write_tarball(ctx, tarball)
    image_id = ctx.attr.image[OciImageInfo].image_id
    host_sh = ctx.file._host_sh
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = script,
        substitutions = {
            "{{HOST_SH}}": host_sh.short_path,
            "{{IMAGE_ID}}": image_id.short_path,
            "{{LABEL}}": label_text(ctx.label),
            "{{TAGS}}": " ".join(["'{}'".format(t) for t in ctx.attr.repo_tags]),
            "{{TARBALL}}": tarball.short_path,
        },
        is_executable = True,
    )
    return [
        DefaultInfo(executable = script, runfiles = ctx.runfiles([tarball, image_id, host_sh])),
        OutputGroupInfo(tarball = depset([tarball])),
    ]

oci_load = rule(
    implementation = _oci_load_impl,
    doc = """`<name>.tar`, output group `tarball`, is the image as one archive that `podman load -i`
and `docker load -i` accept (as rules_oci 2, which has no separate tarball rule).

`bazel run` loads the image into the container engine of the machine it was called
from and tags it with `repo_tags`: podman if installed, else docker; `-- --engine docker`
or `OCI_ENGINE=docker` chooses. Where Bazel runs inside a build root, the launcher names
the caller's mount namespace in `OCI_HOST_MOUNT_NS` and the engine runs there.""",
    attrs = dict(
        _IMAGE_ATTRS,
        _host_sh = attr.label(default = Label(":host.sh"), allow_single_file = True),
        _template = attr.label(default = Label(":load.sh.tpl"), allow_single_file = True),
    ),
    executable = True,
)
