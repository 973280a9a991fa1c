"""Runs `scopewatch audit --format sarif` against the simulator and validates the output against
the official SARIF 2.1.0 JSON schema (shipped in Microsoft's @microsoft/sarif-multitool-linux npm
package). Also checks that a deliberately broken document fails, so the check can fail.

Usage: python tests/sarif/validate_sarif.py path/to/scopewatch path/to/sarif-2.1.0.json
"""

import copy
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from audit_output import audit_output  # noqa: E402

import jsonschema


def main():
    binary, schema_path = sys.argv[1], sys.argv[2]
    schema = json.load(open(schema_path))
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema)

    text = audit_output(binary, "sarif", "sarif")
    sarif = json.loads(text)
    errors = sorted(validator.iter_errors(sarif), key=lambda e: list(e.path))
    for e in errors[:10]:
        print(f"FAIL {list(e.path)}: {e.message}")
    results = sarif["runs"][0]["results"]
    if errors or not results:
        sys.exit(f"SARIF invalid ({len(errors)} errors, {len(results)} results)")
    broken = copy.deepcopy(sarif)
    broken["runs"][0]["results"][0]["level"] = "catastrophic"
    if validator.is_valid(broken):
        sys.exit("the schema check accepted an invalid level: it cannot fail")
    print(f"ok   SARIF 2.1.0 valid: {len(results)} results, {len(sarif['runs'][0]['tool']['driver']['rules'])} rules")


if __name__ == "__main__":
    main()
