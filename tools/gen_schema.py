"""Writes src/format/schema_names.h from src/format/schema.json, the one list of tensor names.

    /usr/bin/python3 tools/gen_schema.py          (tests/reference/test_reference_selfcheck.py checks
                                                    that the committed header is what this writes)
"""
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SCHEMA = os.path.join(ROOT, "src", "format", "schema.json")
HEADER = os.path.join(ROOT, "src", "format", "schema_names.h")


def header_text():
    with open(SCHEMA) as f:
        names = json.load(f)["names"]
    lines = ["/* schema_names.h: written by tools/gen_schema.py from src/format/schema.json; do not edit.",
             " * Tensor name templates; model.c fills in their {fields} (schema_fill). */",
             "#ifndef MVAE_SCHEMA_NAMES_H", "#define MVAE_SCHEMA_NAMES_H", "",
             "/* clang-format off */"]
    for key, template in names.items():
        lines.append('#define MVS_%s "%s"' % (key.upper(), template))
    lines += ["/* clang-format on */", "", "#endif", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    text = header_text()
    if "--check" in sys.argv:
        with open(HEADER) as f:
            sys.exit(0 if f.read() == text else 1)
    with open(HEADER, "w") as f:
        f.write(text)
    print("wrote", os.path.relpath(HEADER, ROOT))
