"""Validates `scopewatch audit --format ocsf` with py-ocsf-models (Prowler's pydantic models of
the OCSF schema): every event must parse as an OCSF Compliance Finding (class 2003), carry the
attributes scopewatch promises (type_uid = class_uid * 100 + activity_id, the fingerprint as
finding_info.uid, the OAuth client as the resource, a compliance object naming standards), and
the events must be exactly the findings of the JSON report. A deliberately broken event must be
refused, so the check can fail.

Uses `audit --demo` when this build has it, else an audit against `scopewatch sim`.

Usage: python tests/ocsf/validate_ocsf.py path/to/scopewatch
"""

import copy
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from audit_output import audit_output  # noqa: E402

from pydantic import ValidationError  # noqa: E402
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding  # noqa: E402


def audit(binary, fmt):
    """The report in `fmt`: from `audit --demo` if this build has it, else against the simulator."""
    demo = subprocess.run([binary, "audit", "--demo", "--format", fmt], capture_output=True,
                          text=True, timeout=300)
    if demo.returncode == 0:
        return demo.stdout, "audit --demo"
    if "--demo" not in demo.stderr:
        sys.exit(f"audit --demo failed ({demo.returncode}): {demo.stderr}")
    return audit_output(binary, fmt, "ocsf"), "audit against scopewatch sim"


def check(event):
    """Parses one event with the OCSF model; returns the problems beyond the model's."""
    finding = ComplianceFinding.model_validate(event)
    problems = []
    if finding.class_uid != 2003 or finding.category_uid != 2:
        problems.append(f"class {finding.class_uid}/{finding.category_uid}")
    if int(finding.type_uid) != finding.class_uid * 100 + int(finding.activity_id):
        problems.append(f"type_uid {int(finding.type_uid)} for activity {int(finding.activity_id)}")
    if not finding.compliance.standards:
        problems.append("no compliance standards")
    if not finding.resources or not finding.resources[0].uid:
        problems.append("no resource uid")
    if not finding.metadata.product.name or not finding.metadata.version:
        problems.append("metadata without product name or schema version")
    if finding.finding_info.first_seen_time is None or finding.finding_info.first_seen_time > finding.time:
        problems.append("first_seen_time missing or after the event time")
    return finding, problems


def main():
    binary = sys.argv[1]
    text, how = audit(binary, "ocsf")
    events = json.loads(text)
    report = json.loads(audit(binary, "json")[0])
    expected = sorted(f["fingerprint"] for c in report["clients"] for f in c.get("findings", []))
    failures = 0
    uids = []
    for i, event in enumerate(events):
        try:
            finding, problems = check(event)
        except ValidationError as e:
            failures += 1
            if failures <= 5:
                print(f"FAIL event {i}: {e}")
            continue
        uids.append(finding.finding_info.uid)
        if problems:
            failures += 1
            if failures <= 5:
                print(f"FAIL event {i}: {'; '.join(problems)}")
    if failures or not events:
        sys.exit(f"OCSF invalid: {failures} of {len(events)} events")
    if sorted(uids) != expected:
        sys.exit(f"the events are not the report's findings ({len(uids)} events, {len(expected)} findings)")
    broken = copy.deepcopy(events[0])
    del broken["finding_info"]["uid"]
    broken["severity_id"] = "catastrophic"
    try:
        ComplianceFinding.model_validate(broken)
        sys.exit("the OCSF model accepted an event without finding_info.uid: the check cannot fail")
    except ValidationError:
        pass
    rules = {e["compliance"]["control"] for e in events}
    print(f"ok   OCSF Compliance Finding valid ({how}): {len(events)} events, {len(rules)} rules")


if __name__ == "__main__":
    main()
