//! SARIF 2.1.0: one result per finding, rule metadata from the rule pack. Clients are logical
//! locations (they have no file).

use serde_json::{Value, json};

use crate::audit::report::Report;
use crate::audit::rules::{RULES, Severity};

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

pub fn to_sarif(report: &Report) -> String {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            let m = &r.meta;
            json!({
                "id": m.id,
                "name": m.id,
                "shortDescription": {"text": m.title},
                "fullDescription": {"text": m.description},
                "help": {"text": m.remediation},
                "defaultConfiguration": {"level": level(m.default_severity)},
                "properties": {"severity": m.default_severity_text()}
            })
        })
        .collect();
    let mut results = Vec::new();
    for c in &report.clients {
        for f in &c.findings {
            let rule_index = RULES
                .iter()
                .position(|r| r.meta.id == f.rule_id)
                .unwrap_or(0);
            let mut result = json!({
                "ruleId": f.rule_id,
                "ruleIndex": rule_index,
                "level": level(f.severity),
                "message": {"text": format!("{}: {} {}", c.client_name, f.title, f.detail)},
                "locations": [{
                    "logicalLocations": [{
                        "name": c.client_name,
                        "fullyQualifiedName": format!("oauth-client/{}", c.client_id),
                        "kind": "resource"
                    }]
                }],
                "partialFingerprints": {"scopewatch/v1": f.fingerprint},
                "properties": {
                    "client_id": c.client_id,
                    "severity": f.severity.as_str(),
                    "evidence": f.evidence,
                    "remediation": f.remediation,
                    "created_by": c.created_by,
                    "last_change": c.changes.first()
                }
            });
            if let Some(w) = &f.waiver {
                result["suppressions"] = json!([{
                    "kind": "external",
                    "status": "accepted",
                    "justification": format!("{} (owner {}, until {})", w.reason, w.owner, w.expires)
                }]);
            }
            results.push(result);
        }
    }
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "scopewatch",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/scopewatch/scopewatch",
                "rules": rules
            }},
            "automationDetails": {"id": format!("scopewatch/{}", report.audit_id)},
            "properties": {"organization": report.organization},
            "results": results
        }]
    });
    serde_json::to_string_pretty(&sarif).unwrap_or_default()
}
