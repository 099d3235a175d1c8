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


def header(file_name, about, body):
    """A generated header: its name and what it holds, an include guard, then `body` (lines)."""
    guard = "MVAE_" + file_name.upper().replace(".", "_")
    return "\n".join(["/* %s: written by tools/gen_schema.py from src/format/schema.json; do not edit." % file_name,
                      " * %s */" % about, "#ifndef " + guard, "#define " + guard, "",
                      "/* clang-format off */"] + body + ["/* clang-format on */", "", "#endif", ""])


def sizes_header_text():
    body = []
    for key, rule in load_schema()["sizes"].items():
        if key == "about":
            continue
        params = ", ".join("int " + n for n in rule_names(rule["size"]))
        body.append("/* %s */" % rule["means"])
        if params:
            body.append("static inline int mvs_%s(%s) { return %s; }" % (key, params, rule["size"]))
        else:  # a constant: usable where C wants a constant expression
            body.append("#define MVS_%s %s" % (key.upper(), rule["size"]))
    return header("schema_sizes.h", "The size rules of the tensor shapes; model.c checks every tensor through them.",
                  body)


def header_text():
    body = ['#define MVS_%s "%s"' % (key.upper(), template) for key, template in load_schema()["names"].items()]
    return header("schema_names.h", "Tensor name templates; model.c fills in their {fields} (part_name).", body)


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
