import pytest
from render_docs import FormatError, parse, render

MODULE = r"""
module_docstring: "Public API.\n\nLoad from here."
rule_info {
  rule_name: "oci_image"
  doc_string: "An OCI image | layout."
  attribute { name: "name" doc_string: "A unique name." type: NAME mandatory: true }
  attribute { name: "env" doc_string: "Variables." type: STRING_DICT default_value: "{}" }
}
func_info {
  function_name: "fastapi_service"
  doc_string: "A service.\n\nWith everything."
  parameter { name: "name" doc_string: "the name" mandatory: true }
  parameter { name: "version" doc_string: "its version" default_value: "\"0.1.0\"" }
}
func_info {
  function_name: "port_of"
  doc_string: "A port."
  parameter { name: "service" doc_string: "the service" mandatory: true }
  return { doc_string: "The port." }
}
provider_info {
  provider_name: "OciImageInfo"
  doc_string: "An image."
  field_info { name: "layout" doc_string: "The directory." }
}
"""


def test_text_format_is_parsed_with_repeated_and_nested_fields():
    module = parse(MODULE)
    assert module["module_docstring"] == ["Public API.\n\nLoad from here."]
    assert [a["name"] for a in module["rule_info"][0]["attribute"]] == [["name"], ["env"]]
    assert module["func_info"][1]["return"][0]["doc_string"] == ["The port."]


def test_markdown_lists_everything_sorted_with_tables():
    text = render(parse(MODULE), "Rules", "//tools:defs.bzl")
    assert text.startswith("# Rules\n")
    assert (
        'load("//tools:defs.bzl", "OciImageInfo", "fastapi_service", "oci_image", "port_of")'
        in text
    )
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["## fastapi_service", "## oci_image", "## OciImageInfo", "## port_of"]
    assert "| `env` | string_dict | `{}` | Variables. |" in text
    assert "| `name` | name | required | A unique name. |" in text
    assert '| `version` | `"0.1.0"` | its version |' in text
    assert "An OCI image | layout." in text  # prose keeps its pipes; table cells escape them
    assert "Macro." in text
    assert "Returns: The port." in text


def test_malformed_input_is_refused():
    with pytest.raises(FormatError):
        parse('rule_info { rule_name: "x"')
