#!/usr/bin/env python3
"""Runs the independent FEC checker of django-accounting-fr on one file.

The checker (accounting_fr.fec_check, AGPL-3.0, PyPI django-accounting-fr 0.3.0) is installed by
scripts/setup into the project's virtualenv with `pip install --no-deps`; it is used as an external
tool and never copied into this repository.

Usage: tools/fec_check.py FILE [--start YYYY-MM-DD] [--end YYYY-MM-DD]
Prints a JSON report {ok, errors, warnings, stats} and exits 0 when the file has no error, 1 when
it has, 2 on a usage or installation problem.
"""
import argparse
import datetime
import json
import os
import sys

try:
    from accounting_fr.fec_check import check_fec
except ImportError:
    print("accounting_fr is not installed: run scripts/setup (it installs django-accounting-fr "
          "into .venv)", file=sys.stderr)
    sys.exit(2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--start")
    parser.add_argument("--end")
    args = parser.parse_args()
    day = lambda s: datetime.date.fromisoformat(s) if s else None
    with open(args.file, "rb") as f:
        content = f.read()
    report = check_fec(content, os.path.basename(args.file), day(args.start), day(args.end))
    json.dump({"ok": report.ok, "errors": report.errors, "warnings": report.warnings,
               "summary": report.summary(), "stats": report.stats}, sys.stdout, ensure_ascii=False)
    print()
    sys.exit(0 if report.ok else 1)


if __name__ == "__main__":
    main()
