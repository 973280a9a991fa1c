//! The report's `rules` catalog (version 2: each rule's texts said once, not in every finding),
//! and reading a stored report of either version.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::policy::AuditPolicy;
use super::report::{ComplianceRef, REPORT_VERSION, Report, RuleEntry};
use super::rules::mappings::{Controls, mapping};
use super::rules::{RULES, RuleMeta, rule_meta};
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
    RULES
        .iter()
        .map(|r| &r.meta)
        .filter(|m| policy.enabled(m.id))
        .map(|m| {
            let severity = policy.severity(m.id).unwrap_or(m.default_severity);
            (m.id.to_string(), entry(m, severity))
        })
        .collect()
}

/// What a version-1 report said about each rule in its findings.
#[derive(Deserialize)]
struct V1Texts {
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

/// A stored report (history, restore) of either version, as version 2: a version-1 report's
/// catalog is made from the titles and remediations its findings carried, with today's
/// description, references and compliance mappings of the rules this build still knows.
pub fn read_stored(json: &str) -> serde_json::Result<Report> {
    let mut report: Report = serde_json::from_str(json)?;
    if report.report_version >= REPORT_VERSION {
        return Ok(report);
    }
    let v1: V1Texts = serde_json::from_str(json)?;
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
    report.report_version = REPORT_VERSION;
    Ok(report)
}
