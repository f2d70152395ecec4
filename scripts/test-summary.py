#!/usr/bin/env python3
"""Prints 'N passed, N failed, N skipped' from one or more meson testlog.json files."""
import json
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        f = open(path, encoding="utf-8")
    except OSError:
        print(f"missing {path}: its build or test run did not happen", file=sys.stderr)
        failed += 1
        continue
    with f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            result = json.loads(line)["result"]
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
if passed + failed + skipped == 0:
    failed = 1
    print("no test ran", file=sys.stderr)
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
