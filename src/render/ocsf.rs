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
