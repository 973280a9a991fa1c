//! What one audit has to announce: its new, unsuppressed findings at or above a severity,
//! grouped by client, bounded.

use chrono::{DateTime, Utc};

use crate::audit::report::{Finding, Report};
use crate::audit::severity::Severity;

/// At most this many clients are named in one message; the rest are counted.
pub const MAX_CLIENTS: usize = 20;

/// At most this many actions of the report's plan are named in one message, one line each.
pub(super) const MAX_ACTIONS: usize = 5;

/// Longer client names are cut: a name is free text set by whoever made the client.
const MAX_NAME_CHARS: usize = 100;

/// Where a message's links point and which org it names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// `SCOPEWATCH_PUBLIC_URL`: links are absolute under it; without it they are paths.
    pub public_url: Option<String>,
    /// The configured org name when the deployment has several: links go under the org's
    /// routes and the message names it (Genesys' own name is chosen upstream).
    pub org: Option<String>,
}

/// The announcement of one audit, independent of the receiver's format.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub audit_id: String,
    /// The configured org name, with several orgs (`Origin::org`).
    pub org: Option<String>,
    /// The organization as Genesys names it (the report's `organization`), when known: with
    /// several orgs in one deployment, which org the message is about.
    pub organization: Option<String>,
    pub generated_at: DateTime<Utc>,
    pub min_severity: Severity,
    /// The riskiest clients first (the report's order), at most `MAX_CLIENTS`.
    pub clients: Vec<AlertClient>,
    /// Clients with new findings left out of `clients`.
    pub more_clients: usize,
    /// New findings at or above the threshold, over every client (listed or not).
    pub total_findings: usize,
    /// The first actions of the report's plan (at most `MAX_ACTIONS`), most risk removed first.
    pub actions: Vec<AlertAction>,
}

/// One action of the report's plan, as a message names it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertAction {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub risk_removed: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlertClient {
    pub id: String,
    pub name: String,
    /// The client's page: absolute with a public URL, else a path on this service; `None`
    /// when no link can be made.
    pub url: Option<String>,
    pub findings: Vec<AlertFinding>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlertFinding {
    pub rule_id: String,
    pub severity: Severity,
    pub title: String,
}

/// New in this audit: the auditor gives a finding it did not have before the audit's own
/// `generated_at` as its first-seen time, and carries the earlier time otherwise.
fn is_new(finding: &Finding, report: &Report, min: Severity) -> bool {
    !finding.suppressed && finding.severity >= min && finding.first_seen == report.generated_at
}

impl Alert {
    /// The announcement for `report`, or `None` when it has nothing new at or above `min`.
    pub fn from_report(report: &Report, min: Severity, origin: &Origin) -> Option<Alert> {
        let mut clients = Vec::new();
        let mut more_clients = 0;
        let mut total_findings = 0;
        for client in &report.clients {
            let mut findings: Vec<AlertFinding> = client
                .findings
                .iter()
                .filter(|f| is_new(f, report, min))
                .map(|f| AlertFinding {
                    rule_id: f.rule_id.to_string(),
                    severity: f.severity,
                    title: report.rule_title(&f.rule_id).to_string(),
                })
                .collect();
            if findings.is_empty() {
                continue;
            }
            total_findings += findings.len();
            if clients.len() == MAX_CLIENTS {
                more_clients += 1;
                continue;
            }
            findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
            clients.push(AlertClient {
                id: client.client_id.clone(),
                name: client.client_name.chars().take(MAX_NAME_CHARS).collect(),
                url: client_url(origin, &client.client_id),
                findings,
            });
        }
        if clients.is_empty() {
            return None;
        }
        Some(Alert {
            audit_id: report.audit_id.clone(),
            org: origin.org.clone(),
            organization: report.organization.as_ref().map(|o| o.name.clone()),
            generated_at: report.generated_at,
            min_severity: min,
            clients,
            more_clients,
            total_findings,
            actions: report
                .actions
                .iter()
                .take(MAX_ACTIONS)
                .map(|a| AlertAction {
                    id: a.id.clone(),
                    title: a.title.clone(),
                    severity: a.severity,
                    risk_removed: a.risk_removed,
                })
                .collect(),
        })
    }
}

/// `{public_url}[/orgs/{org}]/clients/{id}`, or that path alone without a public URL; the
/// org and the id are each one percent-encoded path segment whatever they hold. `None` when
/// the public URL cannot take a path (the configuration refuses such a URL).
pub fn client_url(origin: &Origin, client_id: &str) -> Option<String> {
    let base = origin
        .public_url
        .as_deref()
        .unwrap_or("http://relative.invalid");
    let mut url = url::Url::parse(base).ok()?;
    {
        let mut segments = url.path_segments_mut().ok()?;
        segments.pop_if_empty();
        if let Some(org) = &origin.org {
            segments.extend(["orgs", org]);
        }
        segments.extend(["clients", client_id]);
    }
    Some(match origin.public_url {
        Some(_) => url.to_string(),
        None => url.path().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::policy::AuditPolicy;
    use crate::audit::rules::testkit::{client, snapshot, with_roles};
    use crate::audit::snapshot::Client;
    use crate::audit::{AuditRun, judge};

    fn admin(id: &str, name: &str) -> Client {
        let mut c = with_roles(client("CLIENT-CREDENTIALS"), &[("master", "*")]);
        c.id = id.into();
        c.name = name.into();
        c
    }

    fn report(clients: Vec<Client>, seen_before: &[&str]) -> Report {
        let mut s = snapshot();
        s.clients = clients;
        let at = s.collected_at;
        let earlier = at - chrono::Duration::hours(1);
        let mut report = judge(
            s,
            &AuditPolicy::builtin(),
            &AuditRun {
                audit_id: "a1".into(),
                started_at: at,
                generated_at: at,
                first_seen: &|_| None,
            },
        );
        // Clients named in `seen_before` had every finding in an earlier audit.
        for c in &mut report.clients {
            if seen_before.contains(&c.client_id.as_str()) {
                for f in &mut c.findings {
                    f.first_seen = earlier;
                }
            }
        }
        report
    }

    #[test]
    fn only_findings_first_seen_in_this_audit_are_announced() {
        let r = report(vec![admin("old", "Old"), admin("new", "New")], &["old"]);
        let alert = Alert::from_report(&r, Severity::High, &Origin::default()).unwrap();
        assert_eq!(alert.clients.len(), 1);
        assert_eq!(alert.clients[0].id, "new");
        assert_eq!(alert.clients[0].url.as_deref(), Some("/clients/new"));
        assert!(
            alert.clients[0]
                .findings
                .iter()
                .any(|f| f.rule_id == "admin-role" && f.severity == Severity::Critical)
        );
        assert!(
            alert.clients[0]
                .findings
                .iter()
                .all(|f| f.severity >= Severity::High)
        );
    }

    #[test]
    fn the_alert_names_the_first_actions_of_the_plan_in_order() {
        let clients: Vec<Client> = (0..3).map(|i| admin(&format!("c{i}"), "A")).collect();
        let mut r = report(clients, &[]);
        let first = r.actions[0].clone();
        r.actions = (0..MAX_ACTIONS + 2)
            .map(|i| crate::audit::report::Action {
                id: format!("a{i}"),
                risk_removed: 100 - i as u64,
                ..first.clone()
            })
            .collect();
        let alert = Alert::from_report(&r, Severity::High, &Origin::default()).unwrap();
        let ids: Vec<&str> = alert.actions.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["a0", "a1", "a2", "a3", "a4"]);
        assert_eq!(alert.actions[1].risk_removed, 99);
        assert_eq!(alert.actions[0].title, first.title);
    }

    #[test]
    fn nothing_is_announced_when_every_finding_was_seen_before() {
        let r = report(vec![admin("a", "A")], &["a"]);
        assert_eq!(
            Alert::from_report(&r, Severity::Low, &Origin::default()),
            None
        );
    }

    #[test]
    fn suppressed_and_below_threshold_findings_are_not_announced() {
        let mut r = report(vec![admin("a", "A")], &[]);
        for f in &mut r.clients[0].findings {
            f.suppressed = f.severity == Severity::Critical;
        }
        let alert = Alert::from_report(&r, Severity::Critical, &Origin::default());
        assert_eq!(alert, None);
    }

    #[test]
    fn past_twenty_clients_the_rest_are_counted_not_listed() {
        let clients = (0..25).map(|i| admin(&format!("c{i:02}"), "X")).collect();
        let alert =
            Alert::from_report(&report(clients, &[]), Severity::High, &Origin::default()).unwrap();
        assert_eq!(alert.clients.len(), MAX_CLIENTS);
        assert_eq!(alert.more_clients, 5);
        assert!(alert.total_findings >= 25);
    }

    fn at(public_url: Option<&str>, org: Option<&str>) -> Origin {
        Origin {
            public_url: public_url.map(String::from),
            org: org.map(String::from),
        }
    }

    #[test]
    fn links_join_the_public_url_and_encode_the_id() {
        let url = |public, id| client_url(&at(public, None), id).unwrap();
        assert_eq!(
            url(Some("https://sw.example/base"), "a b/c"),
            "https://sw.example/base/clients/a%20b%2Fc"
        );
        assert_eq!(
            url(Some("https://sw.example"), "id-1"),
            "https://sw.example/clients/id-1"
        );
        assert_eq!(url(None, "id-1"), "/clients/id-1");
    }

    #[test]
    fn with_several_orgs_links_go_under_the_orgs_routes_with_or_without_a_public_url() {
        assert_eq!(
            client_url(&at(None, Some("emea")), "id-1").as_deref(),
            Some("/orgs/emea/clients/id-1")
        );
        assert_eq!(
            client_url(&at(Some("https://sw.example/base/"), Some("emea")), "a/b").as_deref(),
            Some("https://sw.example/base/orgs/emea/clients/a%2Fb")
        );
        // A base that cannot take a path gives no link rather than an empty one.
        assert_eq!(client_url(&at(Some("mailto:x@y"), None), "id-1"), None);
    }

    #[test]
    fn with_several_orgs_every_link_is_a_path_under_the_org_and_the_alert_names_it() {
        let r = report(vec![admin("a", "A"), admin("b", "B")], &[]);
        let alert = Alert::from_report(&r, Severity::High, &at(None, Some("emea"))).unwrap();
        assert_eq!(alert.org.as_deref(), Some("emea"));
        let urls: Vec<_> = alert.clients.iter().map(|c| c.url.clone()).collect();
        assert_eq!(
            urls,
            [
                Some("/orgs/emea/clients/a".to_string()),
                Some("/orgs/emea/clients/b".to_string())
            ]
        );
    }
}
