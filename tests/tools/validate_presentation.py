#!/usr/bin/env python3
"""Validates IIIF Presentation documents against a JSON Schema.

Usage: validate_presentation.py SCHEMA FILE...

Prints every error of every file with the path of the offending value, and exits 1 when any
file is not valid JSON or does not match the schema, 0 when all do. Uses Debian's
python3-jsonschema, with the validator class of the draft the schema declares in "$schema"
(the IIIF Presentation 3.0 schema declares draft 7). Formats are checked as far as the
installed checkers go ("uri" needs python3-rfc3987; the schema also gives ids a pattern).
"""

import json
import sys

import jsonschema

MAX_MESSAGE = 300


def load(path):
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def location(error):
    """The JSON path of the value an error is about, "$" for the document itself."""
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}"
                         for part in error.absolute_path)


def report(error, indent="  "):
    """One line per error; for a oneOf/anyOf, the reasons of each alternative beneath it."""
    message = error.message
    if len(message) > MAX_MESSAGE:  # jsonschema quotes the whole failing value
        message = message[:MAX_MESSAGE] + "..."
    print(f"{indent}{location(error)}: {message}")
    for cause in sorted(error.context or [], key=lambda e: [str(p) for p in e.absolute_schema_path]):
        report(cause, indent + "  ")


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    schema = load(argv[1])
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=jsonschema.FormatChecker())

    failed = False
    for path in argv[2:]:
        try:
            document = load(path)
        except (OSError, ValueError) as error:
            print(f"{path}: cannot read JSON: {error}")
            failed = True
            continue
        errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
        if errors:
            failed = True
            print(f"{path}: {len(errors)} error(s)")
            for error in errors:
                report(error)
        else:
            print(f"{path}: valid")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
