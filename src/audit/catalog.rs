//! The report's `rules` catalog (version 2: each rule's texts said once, not in every finding),
//! and reading a stored report of either version.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::policy::AuditPolicy;
use super::report::{ComplianceRef, REPORT_VERSION, Report, RuleEntry};
use super::rules::mappings::{Controls, mapping};
use super::rules::{RuleMeta, all_meta, rule_meta};
use super::severity::Severity;

fn owned(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

fn compliance(controls: &Controls) -> ComplianceRef {
    ComplianceRef {
        cis_controls_v8: owned(controls.cis_controls_v8),
        nist_800_53_r5: owned(controls.nist_800_53_r5),
        iso_27001_2022: owned(controls.iso_27001_2022),
        soc2: owned(controls.soc2),
    }
}

/// A rule of the pack as the report says it, at the given severity.
pub fn entry(meta: &RuleMeta, severity: Severity) -> RuleEntry {
    let mapped = mapping(meta.id);
    RuleEntry {
        title: meta.title.to_string(),
        severity,
        description: meta.description.to_string(),
        remediation: meta.remediation.to_string(),
        references: mapped.map(|m| owned(m.references)).unwrap_or_default(),
        compliance: mapped.map(|m| compliance(&m.controls)).unwrap_or_default(),
    }
}

/// Every rule the policy runs, at the severity the policy gives it.
pub fn of_policy(policy: &AuditPolicy) -> BTreeMap<String, RuleEntry> {
    all_meta()
        .filter(|m| policy.enabled(m.id))
        .map(|m| {
            let severity = policy.severity(m.id).unwrap_or(m.default_severity);
            (m.id.to_string(), entry(m, severity))
        })
        .collect()
}

/// What a version-1 report said of each rule in its findings (its titles and remediations).
#[derive(Deserialize)]
pub struct V1Texts {
    clients: Vec<V1Client>,
}

#[derive(Deserialize)]
struct V1Client {
    findings: Vec<V1Finding>,
}

#[derive(Deserialize)]
struct V1Finding {
    rule_id: String,
    severity: Severity,
    title: String,
    remediation: String,
}

/// A stored report (history, restore) of any version, as this version: a version-1 report's
/// catalog is made from the titles and remediations its findings carried, with today's
/// description, references and compliance mappings of the rules this build still knows.
pub fn read_stored(json: &str) -> serde_json::Result<Report> {
    upgrade(serde_json::from_str(json)?, || serde_json::from_str(json))
}

/// `report` as this version reads it; `v1` reads the version-1 texts of the same stored report
/// again, and is called only when `report` is version 1. This build leaves out
/// `scope_usage.held` (the client's `scopes` again): it is put back here, so readers never see it
/// missing.
pub fn upgrade<E>(
    mut report: Report,
    v1: impl FnOnce() -> Result<V1Texts, E>,
) -> Result<Report, E> {
    if report.report_version < 2 {
        add_v1_texts(&mut report, v1()?);
    }
    for c in &mut report.clients {
        if let Some(usage) = &mut c.scope_usage
            && usage.held.is_empty()
        {
            let held: BTreeSet<&String> = c.scopes.iter().collect();
            usage.held = held.into_iter().cloned().collect();
        }
    }
    report.report_version = REPORT_VERSION;
    Ok(report)
}

/// A version-1 report's rules catalog, from the texts its findings carried.
fn add_v1_texts(report: &mut Report, v1: V1Texts) {
    for f in v1.clients.into_iter().flat_map(|c| c.findings) {
        if report.rules.contains_key(&f.rule_id) {
            continue;
        }
        let known = rule_meta(&f.rule_id);
        let mut rule = match known {
            Some(meta) => entry(meta, meta.default_severity),
            None => RuleEntry {
                title: String::new(),
                severity: f.severity,
                description: String::new(),
                remediation: String::new(),
                references: Vec::new(),
                compliance: ComplianceRef::default(),
            },
        };
        rule.title = f.title;
        rule.remediation = f.remediation;
        report.rules.insert(f.rule_id, rule);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::rules::testkit::policy;

    #[test]
    fn the_catalog_has_every_rule_the_policy_runs_at_its_severity_with_its_mapping() {
        let mut p = policy();
        p.disabled.push("no-description".into());
        p.severities.insert("unused-client".into(), Severity::High);
        let rules = of_policy(&p);
        assert_eq!(rules.len(), all_meta().count() - 1);
        assert!(
            rules.contains_key("org-no-ip-allowlist"),
            "org-level rules too"
        );
        assert!(!rules.contains_key("no-description"));
        assert_eq!(rules["unused-client"].severity, Severity::High);
        assert_eq!(rules["admin-role"].severity, Severity::Critical);
        let admin = &rules["admin-role"];
        assert!(admin.remediation.contains("Roles/Divisions"));
        assert!(
            admin
                .compliance
                .nist_800_53_r5
                .contains(&"AC-6".to_string())
        );
        assert!(admin.references.iter().all(|r| r.starts_with("https://")));
    }

    /// A version-1 finding as stored before: its own title and remediation.
    fn v1(title: &str, rule_id: &str) -> String {
        format!(
            r#"{{"audit_id":"a-0","generated_at":"2026-11-26T10:00:00Z","started_at":"2026-11-26T09:59:00Z",
            "duration_ms":5,"complete":true,"warnings":[],"errors":[],
            "source":{{"api_base_url":"https://api.mypurecloud.com","region":"us-east-1"}},
            "policy":{{"name":"default","sha256":"00"}},"usage_window_days":90,
            "summary":{{"total_clients":1,"high_risk_count":1,"public_write_risks_count":0,
              "by_risk_level":{{"CRITICAL":1,"HIGH":0,"MEDIUM":0,"LOW":0,"NONE":0}},
              "findings_by_rule":{{}},"suppressed_findings":0}},
            "clients":[{{"client_id":"c1","client_name":"One","description":null,
              "grant_type":"CLIENT-CREDENTIALS","state":"active","is_public":false,"scopes":[],
              "total_scopes":0,"flagged_scopes":[],"roles":[],"access_token_validity_seconds":86400,
              "redirect_uris":[],"date_created":null,"date_modified":null,"created_by":null,
              "date_to_delete":null,"last_used_date":null,"usage_evidence":"unknown",
              "risk_level":"CRITICAL","risk_score":100,
              "findings":[{{"rule_id":"{rule_id}","severity":"CRITICAL","title":"{title}",
                "detail":"d","evidence":["e"],"remediation":"Do the old thing.","suppressed":false,
                "waiver":null,"first_seen":"2026-11-20T10:00:00Z","fingerprint":"0011"}}]}}]}}"#
        )
    }

    #[test]
    fn a_version_1_report_reads_as_version_2_with_the_texts_it_stored() {
        let report = read_stored(&v1("An older title", "admin-role")).unwrap();
        assert_eq!(report.report_version, REPORT_VERSION);
        let rule = report.rule("admin-role").unwrap();
        assert_eq!(rule.title, "An older title");
        assert_eq!(rule.remediation, "Do the old thing.");
        assert!(!rule.compliance.soc2.is_empty(), "today's mapping");
        assert_eq!(report.rules.len(), 1);
        // A rule this build no longer has keeps its stored texts and the finding's severity.
        let gone = read_stored(&v1("Retired rule", "retired-rule")).unwrap();
        let rule = gone.rule("retired-rule").unwrap();
        assert_eq!(
            (rule.title.as_str(), rule.severity),
            ("Retired rule", Severity::Critical)
        );
        assert!(rule.compliance.tags().is_empty());
    }

    #[test]
    fn a_version_2_report_reads_as_it_was_written() {
        let mut report = read_stored(&v1("T", "admin-role")).unwrap();
        report.rules.get_mut("admin-role").unwrap().title = "Written as version 2".into();
        let again = read_stored(&report.to_json()).unwrap();
        assert_eq!(again, report);
        assert_eq!(again.rule_title("admin-role"), "Written as version 2");
    }

    /// `value` without what this build leaves out: null, false, empty lists and `held`.
    fn without_empty(value: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match value {
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .filter(|(k, v)| {
                        k != "held"
                            && !matches!(v, Value::Null | Value::Bool(false))
                            && v.as_array().is_none_or(|a| !a.is_empty())
                    })
                    .map(|(k, v)| (k, without_empty(v)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.into_iter().map(without_empty).collect()),
            other => other,
        }
    }

    /// A report as version 2 stored it (`tests/fixtures/README.md`).
    const V2: &str = include_str!("../../tests/fixtures/report-v2.json");

    #[test]
    fn a_version_2_report_reads_as_this_version_and_writes_smaller_without_losing_anything() {
        let stored: serde_json::Value = serde_json::from_str(V2).unwrap();
        assert_eq!(stored["report_version"], 2);
        let report = read_stored(V2).unwrap();
        assert_eq!(report.report_version, REPORT_VERSION);
        assert_eq!(report.clients.len(), 6);
        // Every client as an earlier build wrote it, but for what this build leaves out.
        for (c, was) in report
            .clients
            .iter()
            .zip(stored["clients"].as_array().unwrap())
        {
            assert_eq!(
                without_empty(serde_json::to_value(c).unwrap()),
                without_empty(was.clone())
            );
            if let Some(usage) = &c.scope_usage {
                assert_eq!(
                    serde_json::json!(usage.held),
                    was["scope_usage"]["held"],
                    "held put back"
                );
            }
        }
        let written = report.to_json();
        assert!(
            written.len() < V2.len(),
            "{} >= {}",
            written.len(),
            V2.len()
        );
        for gone in [
            "\"held\"",
            "\"waiver\":null",
            "\"suppressed\":false",
            ":null",
        ] {
            assert!(!written.contains(gone), "{gone} is not written");
        }
        assert_eq!(
            read_stored(&written).unwrap(),
            report,
            "this version reads back whole"
        );
    }
}
