"""test_suite_of: one target per unit test rule, named after its case, and a test_suite."""

def test_suite_of(name, tests):
    """Declares `<name>_<case>` for each case of `tests`, and a test_suite `name` of them all.

    skylib's unittest.suite numbers its targets; named ones say in `bazel test` output which
    case failed.

    Args:
      name: name of the test_suite.
      tests: dict from case name to a test rule made by unittest.make().
    """
    for case, test in tests.items():
        # Small: a unit test's script only prints its result.
        test(name = "{}_{}".format(name, case), size = "small")
    native.test_suite(name = name, tests = ["{}_{}".format(name, case) for case in tests])
