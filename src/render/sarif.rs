//! SARIF 2.1.0: one result per finding, rule metadata from the report's rules catalog (the rule
//! pack's texts, its references and compliance mappings). Clients are logical locations (they
//! have no file); an org-level finding's location is the organization
//! (`genesys-organization/<org id>`).

use serde_json::{Value, json};

use crate::audit::report::{Finding, Report, RuleEntry};
use crate::audit::rules::Severity;

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// `text` ending in a full stop (or the question or exclamation mark it has).
fn sentence(text: &str) -> String {
    let text = text.trim_end();
    if text.is_empty() || text.ends_with(['.', '!', '?']) {
        text.to_string()
    } else {
        format!("{text}.")
    }
}

/// A result's message: `client: Title. Detail.`
pub(crate) fn message(client_name: &str, title: &str, detail: &str) -> String {
    let said = [sentence(title), sentence(detail)]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    format!("{client_name}: {said}")
}

/// The rule's descriptor: texts, default level, the severity as listings name it, and its
/// compliance mappings as tags (`NIST SP 800-53 Rev. 5 AC-6`) and as a properties bag.
fn descriptor(id: &str, rule: &RuleEntry) -> Value {
    let mut tags = vec!["security".to_string()];
    tags.extend(rule.compliance.tags());
    let mut help = rule.remediation.clone();
    for reference in &rule.references {
        help.push_str("\nSee ");
        help.push_str(reference);
    }
    let mut descriptor = json!({
        "id": id,
        "name": id,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": if rule.description.is_empty() { &rule.title } else { &rule.description }},
        "help": {"text": help},
        "defaultConfiguration": {"level": level(rule.severity)},
        "properties": {
            "severity": crate::audit::rules::rule_meta(id)
                .map_or(rule.severity.as_str(), |m| m.default_severity_text()),
            "tags": tags,
            "compliance": rule.compliance,
            "references": rule.references,
        }
    });
    if let Some(first) = rule.references.first() {
        descriptor["helpUri"] = json!(first);
    }
    descriptor
}

pub fn to_sarif(report: &Report) -> String {
    let ids: Vec<&String> = report.rules.keys().collect();
    let rules: Vec<Value> = report
        .rules
        .iter()
        .map(|(id, rule)| descriptor(id, rule))
        .collect();
    let mut results = Vec::new();
    for c in &report.clients {
        for f in &c.findings {
            let mut result = json!({
                "ruleId": f.rule_id,
                "level": level(f.severity),
                "message": {"text": message(&c.client_name, report.rule_title(&f.rule_id), &f.detail)},
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
                    "created_by": c.created_by,
                    "last_change": c.changes.first()
                }
            });
            if let Some(index) = ids.iter().position(|id| **id == f.rule_id) {
                result["ruleIndex"] = json!(index);
            }
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
    for a in &report.third_party_apps {
        for f in &a.findings {
            let at = format!("third-party-app/{}", a.client_id);
            let properties = json!({"client_id": a.client_id, "state": a.state});
            results.push(located(report, &ids, f, &a.client_name, &at, properties));
        }
    }
    let (org_id, org_name) = report
        .organization
        .as_ref()
        .map_or(("organization", "the organization"), |o| {
            (o.id.as_str(), o.name.as_str())
        });
    for f in &report.organization_findings {
        let at = format!("genesys-organization/{org_id}");
        let properties = json!({"scope": "organization", "organization_id": org_id});
        results.push(located(report, &ids, f, org_name, &at, properties));
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

/// A result for a finding outside the org's own clients (a third-party app's, the org's),
/// located at `at` and carrying `properties` beside its severity and evidence.
fn located(
    report: &Report,
    ids: &[&String],
    f: &Finding,
    name: &str,
    at: &str,
    mut properties: Value,
) -> Value {
    properties["severity"] = json!(f.severity.as_str());
    properties["evidence"] = json!(f.evidence);
    let mut result = json!({
        "ruleId": f.rule_id,
        "level": level(f.severity),
        "message": {"text": message(name, report.rule_title(&f.rule_id), &f.detail)},
        "locations": [{
            "logicalLocations": [{
                "name": name,
                "fullyQualifiedName": at,
                "kind": "resource"
            }]
        }],
        "partialFingerprints": {"scopewatch/v1": f.fingerprint},
        "properties": properties
    });
    if let Some(index) = ids.iter().position(|id| **id == f.rule_id) {
        result["ruleIndex"] = json!(index);
    }
    if let Some(w) = &f.waiver {
        result["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
            "justification": format!("{} (owner {}, until {})", w.reason, w.owner, w.expires)
        }]);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_org_level_finding_is_a_result_located_at_the_organization() {
        use crate::audit::rules::testkit::{client, policy, snapshot};
        use crate::audit::{AuditRun, judge};
        let mut s = snapshot();
        s.clients = vec![client("CODE")];
        s.ip_allowlist = Some(vec![]);
        s.organization = Some(crate::audit::snapshot::Organization {
            id: "org-1".into(),
            name: "Acme".into(),
        });
        let at = s.collected_at;
        let run = AuditRun {
            audit_id: "a".into(),
            started_at: at,
            generated_at: at,
            first_seen: &|_| None,
        };
        let report = judge(s, &policy(), &run);
        let sarif: Value = serde_json::from_str(&to_sarif(&report)).unwrap();
        let run = &sarif["runs"][0];
        let results = run["results"].as_array().unwrap();
        let org: Vec<&Value> = results
            .iter()
            .filter(|r| r["ruleId"] == "org-no-ip-allowlist")
            .collect();
        assert_eq!(org.len(), 1, "{results:?}");
        let r = org[0];
        assert_eq!(
            r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "genesys-organization/org-1"
        );
        assert_eq!(r["level"], "warning");
        assert_eq!(r["properties"]["scope"], "organization");
        assert!(r["message"]["text"].as_str().unwrap().starts_with("Acme: "));
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            run["tool"]["driver"]["rules"][index]["id"],
            "org-no-ip-allowlist"
        );
        assert_eq!(
            r["partialFingerprints"]["scopewatch/v1"],
            report.organization_findings[0].fingerprint
        );
    }

    #[test]
    fn a_rule_descriptor_carries_its_controls_as_tags_and_as_a_properties_bag() {
        let meta = crate::audit::rules::rule_meta("unused-client").unwrap();
        let d = descriptor(
            meta.id,
            &crate::audit::catalog::entry(meta, meta.default_severity),
        );
        let tags: Vec<&str> = d["properties"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert_eq!(tags[0], "security");
        for tag in [
            "CIS Controls v8 5.3",
            "NIST SP 800-53 Rev. 5 AC-2(3)",
            "ISO/IEC 27001:2022 A.5.18",
            "SOC 2 CC6.2",
        ] {
            assert!(tags.contains(&tag), "{tag} in {tags:?}");
        }
        assert_eq!(d["properties"]["compliance"]["cis_controls_v8"][0], "5.3");
        assert_eq!(d["helpUri"], d["properties"]["references"][0]);
        assert!(
            d["help"]["text"]
                .as_str()
                .unwrap()
                .contains("\nSee https://")
        );
    }

    #[test]
    fn a_message_is_the_client_then_the_title_and_the_detail_as_sentences() {
        assert_eq!(
            message(
                "Billing",
                "Client uses a deprecated OAuth grant",
                "Grant PASSWORD"
            ),
            "Billing: Client uses a deprecated OAuth grant. Grant PASSWORD."
        );
        assert_eq!(
            message("B", "Title.", "Detail ends here."),
            "B: Title. Detail ends here."
        );
        assert_eq!(message("B", "Title", ""), "B: Title.");
        assert_eq!(message("B", "Is it?", "Yes! "), "B: Is it? Yes!");
    }
}
