# Sourced by the buildifier_test and fix scripts: lists the workspace's Starlark files,
# NUL-separated, from the current directory (the workspace root). git knows which files
# belong to the repository (tracked or new, not ignored); without git, find them.
starlark_files() {
  git ls-files -co --exclude-standard -z -- \
    '*.bzl' '*.bazel' '*/BUILD' 'BUILD' 'WORKSPACE' '*.star' 2>/dev/null ||
    find . -path './bazel-*' -prune -o \
      \( -name '*.bzl' -o -name '*.bazel' -o -name BUILD -o -name '*.star' \) -print0
}
