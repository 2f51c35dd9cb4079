"""Renders the ModuleInfo that Bazel's starlark_doc_extract writes (text format) as
Markdown: the reference in docs/rules.md.

Hand-written because stardoc's renderer is a Java program whose toolchain cannot be
fetched here, and protobuf's text parser needs the ModuleInfo schema compiled; the text
format of these documents is small enough to read directly.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any

Message = dict[str, list[Any]]

_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<string>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
    r"|(?P<punct>[{}:])"
    r"|(?P<word>[^\s{}:\"']+))"
)
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "'": "'", "\\": "\\"}


class FormatError(Exception):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            if text[position:].strip():
                raise FormatError(
                    f"unexpected text at offset {position}: {text[position : position + 20]!r}"
                )
            break
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


def parse(text: str) -> Message:
    """Protocol buffer text format into nested dicts; every field is a list of values."""
    tokens = _tokens(text)
    position = 0

    def message(until: str | None) -> Message:
        nonlocal position
        fields: Message = {}
        while position < len(tokens):
            kind, value = tokens[position]
            if kind == "punct" and value == "}" and until == "}":
                position += 1
                return fields
            if kind != "word":
                raise FormatError(f"expected a field name, found {value!r}")
            name = value
            position += 1
            kind, value = tokens[position]
            if value == ":":
                position += 1
                kind, value = tokens[position]
                position += 1
                if kind == "string":
                    fields.setdefault(name, []).append(_unquote(value))
                elif value == "{":
                    fields.setdefault(name, []).append(message("}"))
                else:
                    fields.setdefault(name, []).append(value)
            elif value == "{":
                position += 1
                fields.setdefault(name, []).append(message("}"))
            else:
                raise FormatError(f"expected ':' or '{{' after {name}")
        if until is not None:
            raise FormatError("unbalanced braces")
        return fields

    return message(None)


def _one(message: Message, field: str, default: str = "") -> Any:
    values = message.get(field)
    return values[0] if values else default


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|") or " "


def _attribute_rows(attributes: list[Message]) -> list[str]:
    rows = ["| name | type | default | description |", "| --- | --- | --- | --- |"]
    for attribute in attributes:
        default = (
            "required"
            if _one(attribute, "mandatory") == "true"
            else _one(attribute, "default_value")
        )
        rows.append(
            f"| `{_one(attribute, 'name')}` | {_one(attribute, 'type').lower()} | "
            f"{_cell(f'`{default}`' if default and default != 'required' else default)} | "
            f"{_cell(_one(attribute, 'doc_string'))} |"
        )
    return rows


def _parameter_rows(parameters: list[Message]) -> list[str]:
    rows = ["| name | default | description |", "| --- | --- | --- |"]
    for parameter in parameters:
        name, default = _one(parameter, "name"), _one(parameter, "default_value")
        if _one(parameter, "mandatory") == "true":
            default = "required"
        elif default:
            default = f"`{default}`"
        else:  # neither required nor defaulted: the **kwargs of a macro
            name, default = "**" + name, " "
        description = _cell(_one(parameter, "doc_string"))
        rows.append(f"| `{name}` | {_cell(default)} | {description} |")
    return rows


def render(module: Message, title: str, load_label: str) -> str:
    names = (
        [_one(r, "rule_name") for r in module.get("rule_info", [])]
        + [_one(f, "function_name") for f in module.get("func_info", [])]
        + [_one(p, "provider_name") for p in module.get("provider_info", [])]
    )
    out = [
        f"# {title}",
        "",
        "<!-- Generated from the docstrings; //docs:rules_md_test fails while stale. Update with",
        "     tools/bazel run //docs:update_rules_md -->",
        "",
        _one(module, "module_docstring").strip(),
        "",
        "```starlark",
        f'load("{load_label}", {", ".join(json_quote(n) for n in sorted(names))})',
        "```",
        "",
    ]
    entries: list[tuple[str, list[str]]] = []
    for rule in module.get("rule_info", []):
        name = _one(rule, "rule_name")
        body = [f"## {name}", "", "Rule.", "", _one(rule, "doc_string").strip(), ""]
        body += [*_attribute_rows(rule.get("attribute", [])), ""]
        entries.append((name, body))
    for function in module.get("func_info", []):
        name = _one(function, "function_name")
        kind = (
            "Macro."
            if any(_one(p, "name") == "name" for p in function.get("parameter", []))
            else "Function."
        )
        body = [f"## {name}", "", kind, "", _one(function, "doc_string").strip(), ""]
        if function.get("parameter"):
            body += [*_parameter_rows(function["parameter"]), ""]
        returns = _one(_one(function, "return", {}), "doc_string") if function.get("return") else ""
        if returns:
            body += [f"Returns: {returns.strip()}", ""]
        entries.append((name, body))
    for provider in module.get("provider_info", []):
        name = _one(provider, "provider_name")
        body = [f"## {name}", "", "Provider.", "", _one(provider, "doc_string").strip(), ""]
        body += ["| field | description |", "| --- | --- |"]
        body += [
            f"| `{_one(f, 'name')}` | {_cell(_one(f, 'doc_string'))} |"
            for f in provider.get("field_info", [])
        ] + [""]
        entries.append((name, body))
    for _, body in sorted(entries, key=lambda entry: entry[0].lower()):
        out += body
    return "\n".join(line.rstrip() for line in out).rstrip() + "\n"


def json_quote(text: str) -> str:
    return '"' + text + '"'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module_info", type=Path, help="starlark_doc_extract's .textproto")
    parser.add_argument("--title", required=True)
    parser.add_argument("--load", required=True, help="the label users load, e.g. //x:defs.bzl")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--output", type=Path, help="write here (relative: to the workspace)")
    target.add_argument("--check", type=Path, help="fail unless this file is up to date")
    args = parser.parse_args(argv)
    try:
        module = parse(args.module_info.read_text(encoding="utf-8"))
    except FormatError as error:
        print(f"render_docs: {args.module_info}: {error}", file=sys.stderr)
        return 1
    text = render(module, args.title, args.load)
    if args.check is not None:
        if args.check.read_text(encoding="utf-8") != text:
            print(
                "docs/rules.md is stale: run tools/bazel run //docs:update_rules_md",
                file=sys.stderr,
            )
            return 1
        return 0
    output = Path(os.environ.get("BUILD_WORKSPACE_DIRECTORY", ".")) / args.output
    output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
