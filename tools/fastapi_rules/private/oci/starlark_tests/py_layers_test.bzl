"""Analysis test of py_image_layer' split: wheels in the third-party layer, the repository's
own files in the app layer, nothing of the binary's runfiles left out or added, and the
same third-party layer for another binary with the same wheels.

The test reads what each layer will hold from the spec (image path to file) the rule gives
its layer action, found through the layer tarballs of its OutputGroupInfo. It checks
which files end up where, not how the rule tells them apart.
"""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")

_ActionsInfo = provider(doc = "The actions of a target.", fields = ["actions"])

def _actions_aspect_impl(target, _ctx):
    return [_ActionsInfo(actions = target.actions)]

# analysistest gives the actions of the target under test only; this gives another's.
_actions_aspect = aspect(implementation = _actions_aspect_impl)

def _files(targets):
    """Every file the targets bring along at run time: their outputs and runfiles."""
    files = {}
    for target in targets:
        info = target[DefaultInfo]
        for file in info.files.to_list() + info.default_runfiles.files.to_list():
            files[file.path] = True
    return files.keys()

def _layer_specs(env, actions, tarballs):
    """Each tarball's layer spec, decoded, from the action (of `actions`) that writes it."""
    written = {}
    for action in actions:
        if action.mnemonic == "FileWrite":
            for output in action.outputs.to_list():
                written[output.path] = action.content
    specs = {}
    for tarball in tarballs:
        writers = [action for action in actions if tarball.path in [o.path for o in action.outputs.to_list()]]
        asserts.equals(env, 1, len(writers), "actions writing {}".format(tarball.path))
        if len(writers) != 1:
            return None
        contents = [written[i.path] for i in writers[0].inputs.to_list() if i.path in written]
        asserts.equals(env, 1, len(contents), "specs given to the action writing {}".format(tarball.path))
        if len(contents) != 1:
            return None
        specs[tarball.path] = json.decode(contents[0])
    return specs

def _py_layers_test_impl(ctx):
    env = analysistest.begin(ctx)
    layers = analysistest.target_under_test(env)
    third_party_tarballs = layers[OutputGroupInfo].third_party.to_list()
    app_tarballs = layers[OutputGroupInfo].app.to_list()
    asserts.equals(env, 1, len(third_party_tarballs), "third_party output group")
    asserts.equals(env, 1, len(app_tarballs), "app output group")
    if len(third_party_tarballs) != 1 or len(app_tarballs) != 1:
        return analysistest.end(env)

    # oci_image stacks tars in order: wheels below, so that a code change rebuilds only
    # the top layer.
    asserts.equals(env, third_party_tarballs + app_tarballs, layers[DefaultInfo].files.to_list(), "layers, lowest first")
    specs = _layer_specs(env, analysistest.target_actions(env), third_party_tarballs + app_tarballs)
    if not specs:
        return analysistest.end(env)
    third_party = specs[third_party_tarballs[0].path]
    app = specs[app_tarballs[0].path]
    third_party_files = {source: path for path, source in third_party["files"]}
    app_files = {source: path for path, source in app["files"]}

    wheel_files = _files(ctx.attr.wheels)
    asserts.true(env, len(wheel_files) > 0, "the wheels have files")
    for path in wheel_files:
        asserts.true(env, path in third_party_files, "{} (a wheel's) is in the third-party layer".format(path))
        asserts.false(env, path in app_files, "{} (a wheel's) is not in the app layer".format(path))

    binary = ctx.attr.binary[DefaultInfo]
    first_party = _files(ctx.attr.first_party) + [binary.files_to_run.executable.path]
    for path in first_party:
        asserts.true(env, path in app_files, "{} (first-party) is in the app layer".format(path))
        asserts.false(env, path in third_party_files, "{} (first-party) is not in the third-party layer".format(path))

    asserts.true(
        env,
        ctx.attr.entrypoint in app_files.values(),
        "py_image_entrypoint()'s path {} is in the app layer; it has {}".format(ctx.attr.entrypoint, sorted(app_files.values())),
    )

    # Between them the layers hold the binary and its runfiles: no file lost, none added
    # (test and lint tools never reach an image).
    runfiles = binary.default_runfiles
    asserts.equals(
        env,
        sorted({f.path: True for f in [binary.files_to_run.executable] + runfiles.files.to_list()}.keys()),
        sorted(third_party_files.keys() + app_files.keys()),
        "files of both layers",
    )
    asserts.equals(
        env,
        len(runfiles.empty_filenames.to_list()),
        len(third_party["empty_files"]) + len(app["empty_files"]),
        "empty files (__init__.py) of both layers",
    )

    # The wheels layer does not depend on the binary, its name or package: services with
    # the same wheels share it, stored and pulled once.
    other = ctx.attr.same_wheels
    other_tarballs = other[OutputGroupInfo].third_party.to_list()
    other_specs = _layer_specs(env, other[_ActionsInfo].actions, other_tarballs)
    if other_specs:
        asserts.equals(env, third_party, other_specs[other_tarballs[0].path], "third-party layer of {}".format(other.label))
    return analysistest.end(env)

py_layers_test = analysistest.make(
    _py_layers_test_impl,
    attrs = {
        "binary": attr.label(mandatory = True, doc = "The py_binary the layers are made of."),
        "entrypoint": attr.string(mandatory = True, doc = "py_image_entrypoint() of the binary."),
        "first_party": attr.label_list(allow_files = True, doc = "Files and libraries of this repository the binary uses."),
        "same_wheels": attr.label(
            mandatory = True,
            aspects = [_actions_aspect],
            providers = [OutputGroupInfo],
            doc = "py_image_layer of another binary, in another package, with the same wheels.",
        ),
        "wheels": attr.label_list(doc = "Third-party libraries (wheels) the binary uses."),
    },
    doc = "Checks that py_image_layer puts `wheels` in its third-party layer and `first_party` in its app layer.",
)
