"""Writes src/format/schema_names.h (the tensor names) and schema_sizes.h (the size rules of their
shapes) from src/format/schema.json, the one definition of both.

    /usr/bin/python3 tools/gen_schema.py          (tests/reference/test_reference_selfcheck.py checks
                                                    that the committed headers are what this writes)
"""
import json
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SCHEMA = os.path.join(ROOT, "src", "format", "schema.json")
HEADER = os.path.join(ROOT, "src", "format", "schema_names.h")
SIZES_HEADER = os.path.join(ROOT, "src", "format", "schema_sizes.h")
RULE = re.compile(r"^(\w+)( [+*] \w+)*$")


def load_schema():
    with open(SCHEMA) as f:
        return json.load(f)


def rule_names(size):
    """The names a size rule uses, in order of first use (the C function's parameters)."""
    if not RULE.match(size):
        raise ValueError("size rule %r is not names and numbers joined by + and *" % size)
    names = []
    for word in re.findall(r"\w+", size):
        if not word.isdigit() and word not in names:
            names.append(word)
    return names


def sizes_header_text():
    sizes = load_schema()["sizes"]
    lines = ["/* schema_sizes.h: written by tools/gen_schema.py from src/format/schema.json; do not edit.",
             " * The size rules of the tensor shapes; model.c checks every tensor through them. */",
             "#ifndef MVAE_SCHEMA_SIZES_H", "#define MVAE_SCHEMA_SIZES_H", "",
             "/* clang-format off */"]
    for key, rule in sizes.items():
        if key == "about":
            continue
        params = ", ".join("int " + n for n in rule_names(rule["size"])) or "void"
        lines.append("/* %s */" % rule["means"])
        lines.append("static inline int mvs_%s(%s) { return %s; }" % (key, params, rule["size"]))
    lines += ["/* clang-format on */", "", "#endif", ""]
    return "\n".join(lines)


def header_text():
    names = load_schema()["names"]
    lines = ["/* schema_names.h: written by tools/gen_schema.py from src/format/schema.json; do not edit.",
             " * Tensor name templates; model.c fills in their {fields} (schema_fill). */",
             "#ifndef MVAE_SCHEMA_NAMES_H", "#define MVAE_SCHEMA_NAMES_H", "",
             "/* clang-format off */"]
    for key, template in names.items():
        lines.append('#define MVS_%s "%s"' % (key.upper(), template))
    lines += ["/* clang-format on */", "", "#endif", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    headers = {HEADER: header_text(), SIZES_HEADER: sizes_header_text()}
    if "--check" in sys.argv:
        stale = False
        for path, text in headers.items():
            with open(path) as f:
                stale |= f.read() != text
        sys.exit(1 if stale else 0)
    for path, text in headers.items():
        with open(path, "w") as f:
            f.write(text)
        print("wrote", os.path.relpath(path, ROOT))
