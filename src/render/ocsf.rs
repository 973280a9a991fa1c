//! OCSF 1.5.0: one Compliance Finding event (class 2003) per finding, as a JSON array.
//!
//! Compliance Finding, not Detection Finding (2004): a scopewatch finding is the result of
//! checking a resource's configuration (an OAuth client's grants, scopes, roles, lifetime)
//! against a rule that maps to controls of security frameworks, not a detection of activity
//! in events; the class carries those controls in its `compliance` object.

use serde_json::{Value, json};

use crate::audit::report::{ClientReport, Finding, Report, RuleEntry};
use crate::audit::rules::Severity;

/// The OCSF schema version the events follow.
pub const OCSF_VERSION: &str = "1.5.0";
/// Compliance Finding, in the Findings category (2).
pub const CLASS_UID: u32 = 2003;
pub const CATEGORY_UID: u32 = 2;
/// Activity Create: the finding is reported by this audit.
pub const ACTIVITY_CREATE: u32 = 1;

/// OCSF `severity_id`: Low 2, Medium 3, High 4, Critical 5.
pub fn severity_id(severity: Severity) -> (u32, &'static str) {
    match severity {
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// OCSF `status_id` of the finding: New (1), or Suppressed (3) when a waiver covers it.
fn status(f: &Finding) -> (u32, &'static str) {
    if f.suppressed {
        (3, "Suppressed")
    } else {
        (1, "New")
    }
}

/// The compliance object: the rule as the control checked, the frameworks and their controls
/// as standards, requirements and one failed check per control.
fn compliance(rule_id: &str, rule: Option<&RuleEntry>) -> Value {
    let mut standards = Vec::new();
    let mut requirements = Vec::new();
    let mut checks = Vec::new();
    if let Some(rule) = rule {
        for (framework, ids) in rule.compliance.by_framework() {
            standards.push(framework.to_string());
            for id in ids {
                requirements.push(format!("{framework} {id}"));
                checks.push(json!({
                    "uid": id,
                    "name": rule.title,
                    "standards": [framework],
                    "status": "Fail",
                    "status_id": 3,
                }));
            }
        }
    }
    if standards.is_empty() {
        // A rule no framework control fits is still a check of scopewatch's own rule pack.
        standards.push("scopewatch rule pack".to_string());
    }
    json!({
        "control": rule_id,
        "standards": standards,
        "requirements": requirements,
        "checks": checks,
        "status": "Fail",
        "status_id": 3,
    })
}

fn millis(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

/// One event for one finding of one client.
pub fn event(report: &Report<impl Sized>, c: &ClientReport, f: &Finding) -> Value {
    let rule = report.rule(&f.rule_id);
    let title = rule.map_or(f.rule_id.as_ref(), |r| r.title.as_str());
    let (severity_id, severity) = severity_id(f.severity);
    let (status_id, status) = status(f);
    let mut event = json!({
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Compliance Finding: Create",
        "severity_id": severity_id,
        "severity": severity,
        "status_id": status_id,
        "status": status,
        "time": millis(report.generated_at),
        "time_dt": report.generated_at,
        "message": super::sarif::message(&c.client_name, title, &f.detail),
        "metadata": {
            "version": OCSF_VERSION,
            "product": {
                "name": "scopewatch",
                "vendor_name": "scopewatch",
                "version": env!("CARGO_PKG_VERSION"),
            },
            "event_code": f.rule_id,
            "correlation_uid": report.audit_id,
        },
        "finding_info": {
            "uid": f.fingerprint,
            "title": title,
            "desc": f.detail,
            "types": ["OAuth client risk", f.rule_id],
            "first_seen_time": millis(f.first_seen),
            "first_seen_time_dt": f.first_seen,
            "last_seen_time": millis(report.generated_at),
            "last_seen_time_dt": report.generated_at,
        },
        "resources": [{
            "uid": c.client_id,
            "name": c.client_name,
            "type": "OAuth Client",
            "labels": [format!("grant_type:{}", c.grant_type), format!("state:{}", c.state)],
            "data": {
                "grant_type": c.grant_type,
                "state": c.state,
                "is_public": c.is_public,
                "risk_level": c.risk_level,
                "risk_score": c.risk_score,
            },
        }],
        "compliance": compliance(&f.rule_id, rule),
        "unmapped": {
            "evidence": f.evidence,
            "waiver": f.waiver,
        },
    });
    if let Some(org) = &report.organization {
        event["metadata"]["tenant_uid"] = json!(org.id);
        event["resources"][0]["namespace"] = json!(org.name);
    }
    if let Some(rule) = rule {
        event["remediation"] = json!({"desc": rule.remediation, "references": rule.references});
    }
    event
}

/// Every finding of these clients as OCSF events, one JSON array, one event a line.
pub fn clients_ocsf<'a>(
    report: &Report<impl Sized>,
    clients: impl IntoIterator<Item = &'a ClientReport>,
) -> String {
    let mut out = String::from("[");
    let mut first = true;
    for c in clients {
        for f in &c.findings {
            if !first {
                out.push(',');
            }
            first = false;
            out.push('\n');
            out.push_str(&event(report, c, f).to_string());
        }
    }
    out.push_str("\n]");
    out
}

pub fn to_ocsf(report: &Report) -> String {
    clients_ocsf(report, &report.clients)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::policy::AuditPolicy;
    use crate::audit::rules::testkit::{client, policy, snapshot, with_roles, with_scopes};
    use crate::audit::{AuditRun, judge};

    /// A report of two clients, an admin without a description and an implicit-grant client
    /// with write scopes, whose findings were all first seen three days before.
    fn report(policy: &AuditPolicy) -> Report {
        let mut s = snapshot();
        let mut admin = with_roles(client("CLIENT-CREDENTIALS"), &[("master", "*")]);
        admin.id = "c-admin".into();
        admin.description = None;
        let mut widget = with_scopes(client("TOKEN"), &["users", "oauth:client"]);
        widget.id = "c-widget".into();
        widget.name = "Widget".into();
        s.clients = vec![admin, widget];
        let at = s.collected_at;
        let earlier = at - chrono::Duration::days(3);
        let run = AuditRun {
            audit_id: "a-1".into(),
            started_at: at,
            generated_at: at,
            first_seen: &move |_: &str| Some(earlier),
        };
        judge(s, policy, &run)
    }

    fn events(report: &Report) -> Vec<serde_json::Value> {
        serde_json::from_str(&to_ocsf(report)).expect("a JSON array")
    }

    #[test]
    fn every_finding_is_one_compliance_finding_event_with_the_required_attributes() {
        let report = report(&policy());
        let findings: Vec<(&ClientReport, &Finding)> = report
            .clients
            .iter()
            .flat_map(|c| c.findings.iter().map(move |f| (c, f)))
            .collect();
        let events = events(&report);
        assert!(findings.len() >= 4, "{findings:?}");
        assert_eq!(events.len(), findings.len());
        for (e, (c, f)) in events.iter().zip(&findings) {
            assert_eq!(e["class_uid"], 2003);
            assert_eq!(e["category_uid"], 2);
            assert_eq!(e["activity_id"], 1);
            assert_eq!(e["type_uid"], 200_301);
            assert_eq!(e["time"], report.generated_at.timestamp_millis());
            assert_eq!(e["metadata"]["version"], "1.5.0");
            assert_eq!(e["metadata"]["product"]["name"], "scopewatch");
            assert!(e["metadata"]["product"]["vendor_name"].is_string());
            let info = &e["finding_info"];
            assert_eq!(info["uid"], f.fingerprint.as_str());
            assert_eq!(info["title"], report.rule_title(&f.rule_id));
            assert_eq!(info["desc"], f.detail.as_str());
            assert_eq!(info["first_seen_time"], f.first_seen.timestamp_millis());
            assert_eq!(info["types"][1], f.rule_id.as_ref());
            assert_eq!(e["resources"][0]["uid"], c.client_id.as_str());
            assert_eq!(e["resources"][0]["name"], c.client_name.as_str());
            let (id, caption) = severity_id(f.severity);
            assert_eq!(
                (e["severity_id"].as_u64(), e["severity"].as_str()),
                (Some(u64::from(id)), Some(caption))
            );
            assert_eq!(e["compliance"]["control"], f.rule_id.as_ref());
            assert!(!e["compliance"]["standards"].as_array().unwrap().is_empty());
            assert_eq!(e["unmapped"]["evidence"], serde_json::json!(f.evidence));
        }
        // First seen earlier: the event's time is this audit's, the finding's first sighting not.
        assert!(
            findings
                .iter()
                .all(|(_, f)| f.first_seen < report.generated_at)
        );
    }

    #[test]
    fn severities_map_to_ocsf_ids_low_2_to_critical_5() {
        assert_eq!(severity_id(Severity::Low), (2, "Low"));
        assert_eq!(severity_id(Severity::Medium), (3, "Medium"));
        assert_eq!(severity_id(Severity::High), (4, "High"));
        assert_eq!(severity_id(Severity::Critical), (5, "Critical"));
    }

    #[test]
    fn the_compliance_object_lists_each_control_of_the_rule_as_a_failed_check() {
        let report = report(&policy());
        let admin = events(&report)
            .into_iter()
            .find(|e| e["compliance"]["control"] == "admin-role")
            .expect("admin-role found");
        let c = &admin["compliance"];
        assert_eq!(c["status_id"], 3);
        let standards = c["standards"].as_array().unwrap();
        assert_eq!(standards.len(), 4, "{standards:?}");
        let requirements: Vec<&str> = c["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert!(
            requirements.contains(&"NIST SP 800-53 Rev. 5 AC-6"),
            "{requirements:?}"
        );
        assert!(
            requirements.contains(&"CIS Controls v8 5.4"),
            "{requirements:?}"
        );
        let checks = c["checks"].as_array().unwrap();
        assert_eq!(checks.len(), requirements.len());
        assert!(checks.iter().all(|k| k["status_id"] == 3));
        assert!(
            admin["remediation"]["desc"]
                .as_str()
                .unwrap()
                .contains("Roles/Divisions")
        );
    }

    #[test]
    fn a_waived_finding_is_suppressed_and_an_unwaived_one_new() {
        let mut p = policy();
        p.waivers.push(crate::audit::policy::Waiver {
            rule: "no-description".into(),
            client: "c-admin".into(),
            scope: Default::default(),
            reason: "owned by the platform team".into(),
            owner: "ann".into(),
            expires: chrono::NaiveDate::from_ymd_opt(2999, 1, 1).unwrap(),
        });
        let report = report(&p);
        let events = events(&report);
        let waived = events
            .iter()
            .find(|e| e["compliance"]["control"] == "no-description")
            .expect("the waived finding is still an event");
        assert_eq!(
            (waived["status_id"].as_u64(), waived["status"].as_str()),
            (Some(3), Some("Suppressed"))
        );
        assert_eq!(waived["unmapped"]["waiver"]["owner"], "ann");
        assert!(
            events
                .iter()
                .filter(|e| e["compliance"]["control"] != "no-description")
                .all(|e| e["status_id"] == 1)
        );
    }

    #[test]
    fn no_findings_is_an_empty_array() {
        let mut report = report(&policy());
        report.clients.iter_mut().for_each(|c| c.findings.clear());
        assert_eq!(events(&report), Vec::<serde_json::Value>::new());
    }
}
