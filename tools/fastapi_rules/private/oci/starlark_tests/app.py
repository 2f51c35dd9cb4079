"""The binary of py_layers_test, which only analyzes its layers: it never runs."""

if __name__ == "__main__":
    print("py_layers_test")
