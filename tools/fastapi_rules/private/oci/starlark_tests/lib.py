"""First-party library of py_layers_test's binary."""

NAME = "lib"
