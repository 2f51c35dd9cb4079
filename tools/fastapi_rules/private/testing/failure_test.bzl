"""failure_test: an analysis test that a rule's implementation fails with a given message."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")

def _failure_test_impl(ctx):
    env = analysistest.begin(ctx)

    # Rules name their target in the message as str(ctx.label) does, which differs with
    # the Bazel version and bzlmod ("@@//pkg:name" or "//pkg:name"): ask the label itself.
    label = str(analysistest.target_under_test(env).label)
    asserts.expect_failure(env, ctx.attr.message.replace("{label}", label))
    return analysistest.end(env)

failure_test = analysistest.make(
    _failure_test_impl,
    expect_failure = True,
    attrs = {
        "message": attr.string(
            mandatory = True,
            doc = "Text the failure must contain; `{label}` stands for the target under test's label.",
        ),
    },
    doc = "Passes when `target_under_test` fails analysis with `message` (a manual target: it cannot build).",
)
