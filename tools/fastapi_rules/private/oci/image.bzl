"""oci_image: an OCI image layout from a base image and layer tarballs (rules_oci's API)."""

load(":common.bzl", "label_text")
load(":providers.bzl", "OciLayersInfo")

_TOOL = Label("//tools/fastapi_rules/private/oci:oci_tool")
_LIBRARY_CHECK = Label("//tools/fastapi_rules/private/oci:library_check")

OciImageInfo = provider(
    doc = "An OCI image layout built by oci_image.",
    fields = {
        "debian_lock": "The Debian lock (File) whose soname table the library check names packages from, or None; images built on this one inherit it.",
        "digest": "File holding the manifest digest, `sha256:...`.",
        "image_id": "File holding the config digest, which podman and docker use as image ID.",
        "layer_summaries": "JSON summaries of the image's layers, lowest first (files, links, whiteouts and each ELF file's needs), for the library check of images built on it.",
        "layout": "The OCI layout directory.",
    },
)

def _check_port(label, spec):
    number, _, protocol = spec.partition("/")
    if not number.isdigit() or int(number) < 1 or int(number) > 65535 or protocol not in ("", "tcp", "udp"):
        fail("{}: exposed_ports entry \"{}\" is not a port; write it as \"8080\" or \"8080/tcp\" (or /udp)".format(label, spec))

def _check_user(label, user):
    name, _, group = user.partition(":")
    for part in [name] + ([group] if group else []):
        if not part or " " in part:
            fail("{}: user \"{}\" is not USER, UID, USER:GROUP or UID:GID; for the base images' non-root user write \"65532\"".format(label, user))

def _library_check(ctx):
    """A summary per new layer (the writer's, or one action's), one check over all layers.

    Returns (summaries, debian_lock, report): the check's report is a validation output,
    so `bazel build` of the image runs it and a missing library fails the build.
    """
    base = ctx.attr.base[OciImageInfo] if ctx.attr.base else None
    summaries = list(base.layer_summaries) if base else []
    written = {}
    for target in ctx.attr.tars:
        if OciLayersInfo in target:
            written.update(target[OciLayersInfo].summaries)
    for index, tar in enumerate(ctx.files.tars):
        if tar in written:
            summaries.append(written[tar])
            continue
        summary = ctx.actions.declare_file("{}.layers/{}.json".format(ctx.label.name, index))
        ctx.actions.run(
            executable = ctx.executable._library_check,
            arguments = ["summarize", tar.path, "--output", summary.path],
            inputs = [tar],
            outputs = [summary],
            mnemonic = "OciLayerSummary",
            progress_message = "Summarizing layer {} of %{{label}} for its library check".format(index),
        )
        summaries.append(summary)
    debian_lock = ctx.file.debian_lock or (base.debian_lock if base else None)
    report = ctx.actions.declare_file(ctx.label.name + ".libraries.txt")
    args = ctx.actions.args()
    args.add("check")
    args.add("--image", label_text(ctx.label))
    args.add_all(summaries, before_each = "--summary")
    if debian_lock:
        args.add("--debian-lock", debian_lock)
        args.add("--debian-lock-label", label_text(debian_lock.owner))
    args.add("--output", report)
    ctx.actions.run(
        executable = ctx.executable._library_check,
        arguments = [args],
        inputs = summaries + ([debian_lock] if debian_lock else []),
        outputs = [report],
        mnemonic = "OciLibraryCheck",
        progress_message = "Checking that the ELF files of %{label} find their libraries",
    )
    return summaries, debian_lock, report

def _oci_image_impl(ctx):
    for spec in ctx.attr.exposed_ports:
        _check_port(ctx.label, spec)
    if ctx.attr.user:
        _check_user(ctx.label, ctx.attr.user)
    if not ctx.attr.base and not ctx.files.tars:
        fail("{}: an image needs a base or at least one tar in tars".format(ctx.label))

    layout = ctx.actions.declare_directory(ctx.label.name)
    digest = ctx.actions.declare_file(ctx.label.name + ".digest")
    image_id = ctx.actions.declare_file(ctx.label.name + ".image_id")
    settings = ctx.actions.declare_file(ctx.label.name + ".settings.json")
    ctx.actions.write(settings, json.encode({
        "annotations": ctx.attr.annotations,
        "architecture": ctx.attr.architecture,
        "cmd": ctx.attr.cmd or None,
        "created_by": "oci_image " + str(ctx.label),
        "entrypoint": ctx.attr.entrypoint or None,
        "env": ctx.attr.env,
        "exposed_ports": ctx.attr.exposed_ports,
        "labels": ctx.attr.labels,
        "os": ctx.attr.os,
        "user": ctx.attr.user or None,
        "workdir": ctx.attr.workdir or None,
    }))

    args = ctx.actions.args()
    args.add("image")
    inputs = [settings] + ctx.files.tars
    if ctx.attr.base:
        base = ctx.attr.base[OciImageInfo].layout
        args.add("--base", base.path)
        inputs.append(base)
    for target in ctx.attr.tars:
        descriptors = target[OciLayersInfo].descriptors if OciLayersInfo in target else {}
        for tar in target.files.to_list():
            args.add("--layer", tar)
            if tar in descriptors:
                args.add(descriptors[tar])
                inputs.append(descriptors[tar])
    args.add("--settings", settings)
    args.add("--output", layout.path)
    args.add("--digest", digest)
    args.add("--image-id", image_id)
    ctx.actions.run(
        executable = ctx.executable._tool,
        arguments = [args],
        inputs = inputs,
        outputs = [layout, digest, image_id],
        mnemonic = "OciImage",
        progress_message = "Assembling OCI image %{label}",
    )
    summaries, debian_lock, library_report = _library_check(ctx)
    return [
        DefaultInfo(files = depset([layout]), runfiles = ctx.runfiles([layout, digest])),
        OutputGroupInfo(digest = depset([digest]), image_id = depset([image_id]), _validation = depset([library_report])),
        OciImageInfo(
            layout = layout,
            digest = digest,
            image_id = image_id,
            layer_summaries = summaries,
            debian_lock = debian_lock,
        ),
    ]

oci_image = rule(
    implementation = _oci_image_impl,
    doc = """An OCI image layout directory (oci-layout, index.json, blobs/) and `<name>.digest`.

Attribute names follow rules_oci's `oci_image`; what differs is in
docs/decisions/0001-oci-image-rules.md. Layers are the base's, then one per entry of
`tars`, in order.

Building an image also checks its shared libraries (a validation action, no container
needed): every ELF executable and shared object in its layers, the base's included, must
find its program interpreter and each DT_NEEDED library in the image, through its
DT_RPATH/DT_RUNPATH (`$ORIGIN` too), symbolic links, and the loader's default directories
(`/lib/x86_64-linux-gnu`, `/usr/lib/x86_64-linux-gnu`, `/lib`, `/usr/lib`; images have no
ld.so.cache, and LD_LIBRARY_PATH is not read). Whiteouts of upper layers are honoured. A
missing library fails the build naming the file, the soname and, from `debian_lock`, the
Debian package that provides it. Only x86-64 ELF files are checked.""",
    attrs = {
        "annotations": attr.string_dict(doc = "Manifest annotations."),
        "architecture": attr.string(default = "amd64", doc = "CPU architecture in the image config (GOARCH names: amd64, arm64)."),
        "base": attr.label(providers = [OciImageInfo], doc = "Image to build on; its layers and settings come first."),
        "cmd": attr.string_list(doc = "Default arguments of the entrypoint."),
        "debian_lock": attr.label(
            allow_single_file = [".json"],
            doc = "A Debian lock (`packages.lock.json` of `debian_lock`) whose soname table lets the library check name the Debian package that provides a missing library. Default: the base's.",
        ),
        "entrypoint": attr.string_list(doc = "Program run when the container starts; replaces the base's and clears its cmd."),
        "env": attr.string_dict(doc = "Environment variables, merged over the base's."),
        "exposed_ports": attr.string_list(doc = "Ports the container listens on: \"8080\" or \"8080/tcp\"."),
        "labels": attr.string_dict(doc = "Image config labels, merged over the base's."),
        "os": attr.string(default = "linux", doc = "Operating system in the image config."),
        "tars": attr.label_list(allow_files = [".tar", ".tar.gz", ".tgz"], doc = "Layer tarballs, lowest first."),
        "user": attr.string(doc = "User (and group) the container runs as: name or id, e.g. \"65532\"."),
        "workdir": attr.string(doc = "Working directory of the entrypoint."),
        "_library_check": attr.label(default = _LIBRARY_CHECK, executable = True, cfg = "exec"),
        "_tool": attr.label(default = _TOOL, executable = True, cfg = "exec"),
    },
)
