//! The report page's links: filters by risk level, rule and grant type that keep each other,
//! and the CSV and JSON downloads of the same filtered view. Every link is relative to the page
//! (`report?…`), so it works at `/report` and under `/orgs/{org}/report` alike.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::markup::escape;
use crate::audit::report::{Report, RiskLevel};
use crate::audit::rules::{RULES, rule_meta};

/// The filter a page shows: `(name, value)` of `risk_level`, `rule`, `grant_type` as given.
pub(super) type Pairs = [(&'static str, String)];

/// `report?…` with the filter, `name` set to `value` (or dropped for `None`), and `format`.
pub(super) fn report_href(
    filter: &Pairs,
    name: &str,
    value: Option<&str>,
    format: Option<&str>,
) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(format) = format {
        query.append_pair("format", format);
    }
    for (key, v) in filter {
        if *key != name {
            query.append_pair(key, v);
        }
    }
    if let Some(value) = value {
        query.append_pair(name, value);
    }
    let query = query.finish();
    if query.is_empty() {
        "report".into()
    } else {
        format!("report?{query}")
    }
}

fn current<'a>(filter: &'a Pairs, name: &str) -> Option<&'a str> {
    filter
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.as_str())
}

/// One filter link; the one in force is marked and not a link.
fn link(out: &mut String, filter: &Pairs, name: &str, value: Option<&str>, text: &str) {
    let chosen =
        current(filter, name).map(str::to_ascii_uppercase) == value.map(str::to_ascii_uppercase);
    if chosen {
        let _ = write!(out, "<b class=\"chosen\">{}</b> ", escape(text));
    } else {
        let _ = write!(
            out,
            "<a href=\"{}\">{}</a> ",
            escape(&report_href(filter, name, value, None)),
            escape(text)
        );
    }
}

/// The filter bar and the downloads of what it shows.
pub(super) fn filter_bar(report: &Report, filter: &Pairs) -> String {
    let mut out = String::from("<nav id=\"filters\"><p><b>Risk:</b> ");
    link(&mut out, filter, "risk_level", None, "all");
    for level in [
        RiskLevel::Critical,
        RiskLevel::High,
        RiskLevel::Medium,
        RiskLevel::Low,
    ] {
        let text = match level {
            RiskLevel::Critical => "CRITICAL".to_string(),
            other => format!("{} and above", other.as_str()),
        };
        link(&mut out, filter, "risk_level", Some(level.as_str()), &text);
    }
    out.push_str("</p><p><b>Rule:</b> ");
    link(&mut out, filter, "rule", None, "all");
    // In rule-pack order, with the rule's title and how many findings it has.
    for rule in RULES {
        let id = rule.meta.id;
        if let Some(n) = report.summary.findings_by_rule.get(id) {
            link(
                &mut out,
                filter,
                "rule",
                Some(id),
                &format!("{} ({n})", rule.meta.title),
            );
        }
    }
    out.push_str("</p><p><b>Grant:</b> ");
    link(&mut out, filter, "grant_type", None, "all");
    let mut grants: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &report.clients {
        *grants.entry(c.grant_type.as_ref()).or_default() += 1;
    }
    for (grant, n) in grants {
        link(
            &mut out,
            filter,
            "grant_type",
            Some(grant),
            &format!("{grant} ({n})"),
        );
    }
    let _ = write!(
        out,
        "</p><p id=\"downloads\"><b>Download this view:</b> <a id=\"csv\" href=\"{}\">CSV</a> <a id=\"json\" href=\"{}\">JSON</a></p></nav>",
        escape(&report_href(filter, "format", None, Some("csv"))),
        escape(&report_href(filter, "format", None, Some("json"))),
    );
    out
}

/// `rule-id` and the rule's title, for a list of a client's findings.
pub(super) fn rule_with_title(rule_id: &str) -> String {
    match rule_meta(rule_id) {
        Some(meta) => format!("<code>{}</code> {}", escape(rule_id), escape(meta.title)),
        None => format!("<code>{}</code>", escape(rule_id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
        items.iter().map(|(k, v)| (*k, v.to_string())).collect()
    }

    #[test]
    fn a_filter_link_keeps_the_other_filters_and_replaces_its_own() {
        let f = pairs(&[("risk_level", "HIGH"), ("grant_type", "TOKEN")]);
        assert_eq!(
            report_href(&f, "rule", Some("admin-role"), None),
            "report?risk_level=HIGH&grant_type=TOKEN&rule=admin-role"
        );
        assert_eq!(
            report_href(&f, "risk_level", Some("LOW"), None),
            "report?grant_type=TOKEN&risk_level=LOW"
        );
        assert_eq!(
            report_href(&f, "grant_type", None, None),
            "report?risk_level=HIGH"
        );
        assert_eq!(report_href(&[], "rule", None, None), "report");
    }

    #[test]
    fn downloads_carry_the_same_filter_and_values_are_encoded() {
        let f = pairs(&[("grant_type", "A&B C")]);
        assert_eq!(
            report_href(&f, "format", None, Some("csv")),
            "report?format=csv&grant_type=A%26B+C"
        );
    }
}
