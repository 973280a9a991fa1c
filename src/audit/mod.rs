//! The audit: a pure function from a `Snapshot`, a policy and a clock to a `Report`.

pub mod actions;
pub mod anomaly;
mod anomaly_policy;
pub mod catalog;
pub mod diff;
pub mod glob;
pub mod least_privilege;
pub mod policy;
pub mod policy_file;
pub mod report;
mod report_json;
pub mod rules;
pub mod severity;
pub mod snapshot;
mod third_party;
pub mod usage_days;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use self::least_privilege::Fit;
use self::policy::{AuditPolicy, WaiverScope};
use self::report::{
    ActionRef, CatalogRef, ChangeRef, ClientReport, CreatedBy, Finding, OrganizationRef,
    PermissionPolicyRef, PermissionUsage, PolicyRef, PropertyChangeRef, Report, RiskLevel, RoleRef,
    ScopeUsage, Source, SuggestedRole, Summary, UserRef, WaiverRef,
};
use self::rules::{Context, Hit, RULES, RuleMeta, expired_waiver, rule_meta};
use self::snapshot::{Client, Snapshot, UnreadableClient, Usage, is_read_write};
use genesys_api::permissions::catalog::Source as CatalogSource;

/// Identity and timing of one audit run, and what earlier audits remember.
pub struct AuditRun<'a> {
    pub audit_id: String,
    pub started_at: DateTime<Utc>,
    pub generated_at: DateTime<Utc>,
    /// When a finding (by fingerprint) was first seen in an earlier audit, if ever.
    pub first_seen: &'a (dyn Fn(&str) -> Option<DateTime<Utc>> + Sync),
}

/// Judging splits the clients over the cores, each thread taking at least this many (below it
/// a thread costs more than it saves).
const CLIENTS_PER_THREAD: usize = 2_000;

/// Every client judged, in the snapshot's order: on one thread per core for a large org (each
/// client is judged on its own; each thread keeps its own expansions of role sets). A client's
/// strings move into its report (the snapshot's copy is not needed after it is judged).
fn judge_clients(ctx: &Context, run: &AuditRun, clients: Vec<Client>) -> Vec<ClientReport> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(clients.len() / CLIENTS_PER_THREAD)
        .max(1);
    judge_clients_on(ctx, run, clients, threads, CLIENTS_PER_ROUND)
}

/// Clients judged per round, split over the threads: the snapshot's clients are given back
/// round by round, so the reports grow while the clients shrink (at 100 000 clients both
/// vectors at once were 80 MB of the audit's peak).
const CLIENTS_PER_ROUND: usize = 8_192;

fn judge_clients_on(
    ctx: &Context,
    run: &AuditRun,
    mut clients: Vec<Client>,
    threads: usize,
    per_round: usize,
) -> Vec<ClientReport> {
    let threads = threads.max(1);
    let mut expansions: Vec<least_privilege::Expansions> =
        (0..threads).map(|_| Default::default()).collect();
    // The reports' vector is reserved whole: its pages cost memory only as they are written.
    let mut judged = Vec::with_capacity(clients.len());
    // Last first, so each round takes its clients from the end and the vector can shrink.
    clients.reverse();
    while !clients.is_empty() {
        let at = clients.len().saturating_sub(per_round.max(1));
        let mut round: Vec<Client> = clients.drain(at..).rev().collect();
        // Gives the drained slots back (a shrinking realloc: in place, its tail freed).
        clients.shrink_to_fit();
        let size = round.len().div_ceil(threads);
        let mut parts = round.chunks_mut(size).zip(expansions.iter_mut());
        let Some((first, first_expansions)) = parts.next() else {
            break;
        };
        // This thread judges the first part straight into the whole report's vector; the
        // others' parts are appended after. With one thread the scope spawns nothing.
        std::thread::scope(|scope| {
            let others: Vec<_> = parts
                .map(|(part, expansions)| {
                    scope.spawn(move || {
                        part.iter_mut()
                            .map(|c| judge_client(ctx, run, c, expansions))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            judged.extend(
                first
                    .iter_mut()
                    .map(|c| judge_client(ctx, run, c, first_expansions)),
            );
            for part in others {
                // A panic in a part is the audit's panic, as if judged on this thread.
                judged.extend(part.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
            }
        });
    }
    judged
}

/// Judges every client of the snapshot with the policy's rules. The snapshot is consumed: each
/// client's strings move into its report instead of being copied (at 100 000 clients the copies
/// were most of the audit's peak memory).
pub fn judge(mut snapshot: Snapshot, policy: &AuditPolicy, run: &AuditRun) -> Report {
    let third_party_apps = judge_apps(&snapshot, policy, run);
    let judged = std::mem::take(&mut snapshot.clients);
    let unmatched_waivers = policy.unmatched_waivers(&judged);
    let snapshot = &snapshot;
    let ctx = Context {
        snapshot,
        policy,
        today: run.generated_at.date_naive(),
        fit: None,
    };
    let mut clients = judge_clients(&ctx, run, judged);
    clients.extend(
        snapshot
            .unreadable_clients
            .iter()
            .enumerate()
            .map(|(n, u)| unreadable_client(n, u)),
    );
    // Client ids are unique, so the order is total: an unstable sort gives the same order
    // without a scratch copy of the clients (tens of megabytes at 100 000).
    clients.sort_unstable_by(|a, b| {
        b.risk_score
            .cmp(&a.risk_score)
            .then_with(|| a.client_name.cmp(&b.client_name))
            .then_with(|| a.client_id.cmp(&b.client_id))
    });
    let organization_findings = org_findings(snapshot, policy, run);
    let mut summary = summarize(&clients);
    let app_findings = third_party_apps.iter().flat_map(|a| &a.findings);
    count_beyond_clients(
        &mut summary,
        organization_findings.iter().chain(app_findings),
    );
    let mut actions = actions::plan(&clients, &organization_findings);
    if let Some(revoke) = actions::for_apps(&third_party_apps) {
        actions.push(revoke);
        actions::rank(&mut actions);
    }
    Report {
        report_version: report::REPORT_VERSION,
        audit_id: run.audit_id.clone(),
        generated_at: run.generated_at,
        started_at: run.started_at,
        duration_ms: (run.generated_at - run.started_at)
            .num_milliseconds()
            .max(0) as u64,
        complete: snapshot.warnings.is_empty(),
        // What was not read, then the policy's waivers that match no client.
        warnings: [snapshot.warnings.clone(), unmatched_waivers].concat(),
        errors: vec![],
        source: Source {
            api_base_url: snapshot.api_base_url.clone(),
            region: snapshot.region.clone(),
        },
        policy: PolicyRef {
            name: policy.name.clone(),
            sha256: policy.sha256.clone(),
        },
        usage_window_days: snapshot.usage_window_days,
        permission_catalog: Some(match &snapshot.catalog.source {
            CatalogSource::Live { date } => CatalogRef {
                source: "live".into(),
                date: Some(*date),
                detail: "the org's API description (GET /api/v2/docs/swagger)".into(),
            },
            CatalogSource::Snapshot { line } => CatalogRef {
                source: "snapshot".into(),
                date: None,
                detail: line.clone(),
            },
        }),
        organization: snapshot.organization.as_ref().map(|o| OrganizationRef {
            id: o.id.clone(),
            name: o.name.clone(),
        }),
        summary,
        rules: catalog::of_policy(policy),
        actions,
        organization_findings,
        third_party_apps,
        clients,
    }
}

/// Counts findings that are not a client's (the org's, the third-party apps') in the summary.
fn count_beyond_clients<'a>(summary: &mut Summary, findings: impl Iterator<Item = &'a Finding>) {
    for f in findings {
        if f.suppressed {
            summary.suppressed_findings += 1;
        } else {
            *summary
                .findings_by_rule
                .entry(f.rule_id.to_string())
                .or_default() += 1;
        }
    }
}

/// The report's `third_party_apps`, judged while the org's own clients are still in the
/// snapshot (an authorization of one of them is not a third party's). Fingerprinted by the
/// app's client id; waivers name the org's clients, so none applies here.
fn judge_apps(
    snapshot: &Snapshot,
    policy: &AuditPolicy,
    run: &AuditRun,
) -> Vec<report::ThirdPartyAppReport> {
    if snapshot.third_party_apps.as_ref().is_none_or(Vec::is_empty) {
        return Vec::new();
    }
    let own: std::collections::HashSet<&str> =
        snapshot.clients.iter().map(|c| c.id.as_str()).collect();
    let finding = |client_id: &str, meta: &'static RuleMeta, hit: Hit| {
        finding(policy, run, client_id, meta, hit)
    };
    third_party::judge(snapshot, policy, &own, &finding)
}

/// Findings about the org itself: each enabled org-level rule's hit, fingerprinted by the org's
/// id (`organization` when unknown), with the policy's org-scoped waivers applied (an expired one
/// is an `expired-waiver` finding of the org).
fn org_findings(snapshot: &Snapshot, policy: &AuditPolicy, run: &AuditRun) -> Vec<Finding> {
    let org_id = snapshot
        .organization
        .as_ref()
        .map_or("organization", |o| o.id.as_str());
    let today = run.generated_at.date_naive();
    let found = |meta: &RuleMeta, hit: Hit| finding(policy, run, org_id, meta, hit);
    let mut findings = Vec::new();
    let mut expired = Vec::new();
    for rule in rules::ORG_RULES
        .iter()
        .filter(|rule| policy.enabled(rule.meta.id))
    {
        let Some(hit) = (rule.check)(snapshot) else {
            continue;
        };
        let mut f = found(&rule.meta, hit);
        let waivers = policy
            .waivers
            .iter()
            .filter(|w| w.scope == WaiverScope::Organization && w.rule == rule.meta.id);
        for waiver in waivers {
            if waiver.expires >= today {
                f.suppressed = true;
                f.waiver = Some(Box::new(WaiverRef {
                    reason: waiver.reason.clone(),
                    owner: waiver.owner.clone(),
                    expires: waiver.expires,
                }));
                break;
            }
            expired.push(waiver);
        }
        findings.push(f);
    }
    if policy.enabled(expired_waiver::RULE.meta.id) {
        for waiver in expired {
            findings.push(found(
                &expired_waiver::RULE.meta,
                expired_waiver::hit(waiver),
            ));
        }
    }
    findings
}

/// Changes and actions kept per client in the report (the newest).
pub const MAX_TRAIL_ENTRIES: usize = 20;

/// The client's creator, with their state when the users API answered for them.
fn created_by(snapshot: &Snapshot, client: &Client) -> Option<CreatedBy> {
    let creator = client.created_by.as_ref()?;
    let person = snapshot.people.as_ref().and_then(|p| p.get(&creator.id));
    Some(CreatedBy {
        id: creator.id.clone(),
        name: person
            .and_then(|p| p.name.clone())
            .or_else(|| creator.name.clone()),
        state: person.map(|p| p.state.clone()),
    })
}

/// What the trail says of the client: changes made to it, and what it changed itself.
fn trail_of(
    snapshot: &Snapshot,
    client: &Client,
) -> (&'static str, Vec<ChangeRef>, Vec<ActionRef>) {
    let Some(trail) = snapshot.trail.known() else {
        return ("unknown", vec![], vec![]);
    };
    let changes = trail
        .about(rules::OAUTH_CLIENT, &client.id)
        .take(MAX_TRAIL_ENTRIES)
        .map(|e| ChangeRef {
            date: e.at,
            user: e.user.as_ref().map(|u| UserRef {
                id: u.id.clone(),
                name: u.name.clone(),
            }),
            client_id: e.client_id.clone(),
            action: e.action.clone(),
            properties: e
                .properties
                .iter()
                .map(|p| PropertyChangeRef {
                    property: p.property.clone(),
                    old_values: p.old_values.clone(),
                    new_values: p.new_values.clone(),
                })
                .collect(),
        })
        .collect();
    let actions = rules::administrative_actions(trail, &client.id)
        .take(MAX_TRAIL_ENTRIES)
        .map(|e| ActionRef {
            date: e.at,
            action: e.action.clone(),
            entity_type: e.entity_type.clone(),
            entity_id: e.entity.as_ref().map(|n| n.id.clone()),
            entity_name: e.entity.as_ref().and_then(|n| n.name.clone()),
        })
        .collect();
    ("known", changes, actions)
}

/// A finding's identity across audits: client, rule and evidence.
pub fn fingerprint(client_id: &str, rule_id: &str, evidence: &[String]) -> String {
    let mut hasher = Sha256::new();
    for part in [client_id, rule_id]
        .into_iter()
        .chain(evidence.iter().map(String::as_str))
    {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    // The first 8 bytes of the digest in hex, written straight into one 16-byte string.
    let digest = hasher.finalize();
    let mut text = String::with_capacity(16);
    for byte in &digest[..8] {
        use std::fmt::Write;
        let _ = write!(text, "{byte:02x}");
    }
    text
}

/// The finding of `hit` about `subject` (a client's id, the org's, a third-party app's): the
/// policy's severity, and a fingerprint of what the finding is (its identity, else evidence).
fn finding(
    policy: &AuditPolicy,
    run: &AuditRun,
    subject: &str,
    meta: &RuleMeta,
    hit: Hit,
) -> Finding {
    let severity = policy
        .severity(meta.id)
        .or(hit.severity)
        .unwrap_or(meta.default_severity);
    let identity: &[String] = match &hit.identity {
        _ if meta.windowed => &[],
        Some(identity) => identity,
        None => &hit.evidence,
    };
    let fingerprint = fingerprint(subject, meta.id, identity);
    // Kept as long as the report: no spare capacity from formatting (a tenth of a large
    // report's memory was buffers grown past their text).
    let mut detail = hit.detail;
    detail.shrink_to_fit();
    let mut evidence = hit.evidence;
    evidence.iter_mut().for_each(String::shrink_to_fit);
    evidence.shrink_to_fit();
    Finding {
        rule_id: meta.id.into(),
        severity,
        detail,
        evidence,
        suppressed: false,
        waiver: None,
        first_seen: (run.first_seen)(&fingerprint).unwrap_or(run.generated_at),
        fingerprint,
    }
}

/// One client's report. The rules read the client; then its strings move into the report.
fn judge_client(
    ctx: &Context,
    run: &AuditRun,
    client: &mut Client,
    expansions: &least_privilege::Expansions,
) -> ClientReport {
    let fit = least_privilege::fit(ctx.snapshot, client, expansions);
    let findings = findings_of(
        &Context {
            snapshot: ctx.snapshot,
            policy: ctx.policy,
            today: ctx.today,
            fit: fit.as_ref(),
        },
        run,
        client,
    );
    let active = || findings.iter().filter(|f| !f.suppressed);
    let risk_level = active()
        .map(|f| RiskLevel::from(f.severity))
        .max()
        .unwrap_or(RiskLevel::None);
    let risk_score = active().map(|f| f.severity.weight()).sum();
    let (last_used_date, usage_evidence) = match &ctx.snapshot.usage {
        Usage::Known { last_used, .. } => match last_used.get(&client.id) {
            Some(day) => (Some(*day), "used"),
            None => (None, "unused"),
        },
        Usage::Unknown => (None, "unknown"),
    };
    let flagged_scopes = rules_scopes(ctx, client);
    let (mut permission_usage, scope_usage) = usage_fit(fit);
    if let Some(usage) = permission_usage.as_mut() {
        usage.conditional = least_privilege::conditional(ctx.snapshot, client);
    }
    let (trail_evidence, changes, actions_performed) = trail_of(ctx.snapshot, client);
    let created_by = created_by(ctx.snapshot, client);
    let roles = std::mem::take(&mut client.roles)
        .into_iter()
        .map(|g| RoleRef {
            role_name: ctx.snapshot.roles.get(&g.role_id).map(|r| r.name.clone()),
            division_name: ctx
                .snapshot
                .division_name(&g.division_id)
                .map(str::to_string),
            role_id: g.role_id,
            division_id: g.division_id,
        })
        .collect();
    let take = std::mem::take::<String>;
    let scopes = std::mem::take(&mut client.scopes);
    ClientReport {
        client_id: take(&mut client.id),
        client_name: take(&mut client.name),
        description: client.description.take(),
        grant_type: client.grant_type.report_name(),
        state: client.state.report_name(),
        is_public: client.is_public(),
        total_scopes: scopes.len() as u64,
        scopes,
        flagged_scopes,
        roles,
        access_token_validity_seconds: client
            .token_validity_seconds
            .unwrap_or(rules::long_token_lifetime_default()),
        redirect_uris: std::mem::take(&mut client.redirect_uris),
        date_created: client.date_created,
        date_modified: client.date_modified,
        created_by,
        date_to_delete: client.date_to_delete,
        last_used_date,
        usage_evidence: usage_evidence.into(),
        risk_level,
        risk_score,
        findings,
        permission_usage,
        scope_usage,
        trail_evidence: trail_evidence.into(),
        changes,
        actions_performed,
        unreadable: None,
    }
}

/// The client's findings: each enabled rule's hit, waivers applied, expired waivers reported.
fn findings_of(ctx: &Context, run: &AuditRun, client: &Client) -> Vec<Finding> {
    let mut findings: Vec<Finding> = RULES
        .iter()
        .filter(|rule| ctx.policy.enabled(rule.meta.id))
        .filter_map(|rule| {
            (rule.check)(ctx, client)
                .map(|hit| finding(ctx.policy, run, &client.id, &rule.meta, hit))
        })
        .collect();
    let mut expired = Vec::new();
    for f in &mut findings {
        let waivers = ctx
            .policy
            .waivers
            .iter()
            .filter(|w| w.rule == f.rule_id && w.covers_client(client));
        for waiver in waivers {
            if waiver.expires >= ctx.today {
                f.suppressed = true;
                f.waiver = Some(Box::new(WaiverRef {
                    reason: waiver.reason.clone(),
                    owner: waiver.owner.clone(),
                    expires: waiver.expires,
                }));
                break;
            }
            expired.push(waiver);
        }
    }
    if ctx.policy.enabled(expired_waiver::RULE.meta.id) {
        for waiver in expired {
            let meta =
                rule_meta(expired_waiver::RULE.meta.id).unwrap_or(&expired_waiver::RULE.meta);
            findings.push(finding(
                ctx.policy,
                run,
                &client.id,
                meta,
                expired_waiver::hit(waiver),
            ));
        }
    }
    findings.shrink_to_fit();
    findings
}

/// The report's entry for a client whose record did not parse: not judged, so no finding and
/// risk `NONE`; its id is the record's, or `unreadable-N` (the N-th unreadable record of the
/// listing) when the record had none as text.
fn unreadable_client(n: usize, u: &UnreadableClient) -> ClientReport {
    ClientReport {
        client_id: u
            .id
            .clone()
            .unwrap_or_else(|| format!("unreadable-{}", n + 1)),
        client_name: u.name.clone().unwrap_or_default(),
        description: None,
        grant_type: "".into(),
        state: "".into(),
        is_public: false,
        scopes: vec![],
        total_scopes: 0,
        flagged_scopes: vec![],
        roles: vec![],
        access_token_validity_seconds: 0,
        redirect_uris: vec![],
        date_created: None,
        date_modified: None,
        created_by: None,
        date_to_delete: None,
        last_used_date: None,
        usage_evidence: "unknown".into(),
        risk_level: RiskLevel::None,
        risk_score: 0,
        findings: vec![],
        permission_usage: None,
        scope_usage: None,
        trail_evidence: "unknown".into(),
        changes: vec![],
        actions_performed: vec![],
        unreadable: Some(u.reason.clone()),
    }
}

/// The report's view of the client's least-privilege fit (none without endpoint evidence).
fn usage_fit(fit: Option<Fit>) -> (Option<Box<PermissionUsage>>, Option<Box<ScopeUsage>>) {
    let list = |set: std::collections::BTreeSet<String>| set.into_iter().collect::<Vec<_>>();
    match fit {
        None => (None, None),
        Some(Fit::Permissions(fit)) => (
            Some(Box::new(PermissionUsage {
                used: list(fit.used),
                granted: fit.granted.len() as u64,
                unused: fit.unused_summary,
                unused_count: fit.unused.len() as u64,
                unknown_endpoints: fit.unknown_endpoints,
                unexplained_endpoints: fit.unexplained,
                suggested_role: SuggestedRole {
                    permission_policies: fit
                        .suggested_policies
                        .into_iter()
                        .map(|p| PermissionPolicyRef {
                            domain: p.domain,
                            entity_name: p.entity,
                            action_set: p.actions,
                        })
                        .collect(),
                    permissions: fit.suggested_permissions,
                },
                conditional: Vec::new(),
            })),
            None,
        ),
        Some(Fit::Scopes(fit)) => (
            None,
            Some(Box::new(ScopeUsage {
                used: list(fit.used),
                held: list(fit.held),
                unused: list(fit.unused),
                unknown_endpoints: fit.unknown_endpoints,
                unexplained_endpoints: fit.unexplained,
                suggested_scopes: list(fit.suggested),
            })),
        ),
    }
}

/// The seed's "flagged scopes": scopes matching the high-risk patterns or able to escalate.
fn rules_scopes(ctx: &Context, client: &Client) -> Vec<String> {
    let high_risk = rules::high_risk_scopes(ctx.policy, client);
    client
        .scopes
        .iter()
        .filter(|s| {
            high_risk.contains(&s.as_str()) || rules::ESCALATION_SCOPES.contains(&s.as_str())
        })
        .cloned()
        .collect()
}

fn summarize(clients: &[ClientReport]) -> Summary {
    let mut summary = Summary {
        total_clients: clients.len() as u64,
        ..Summary::default()
    };
    for c in clients {
        summary.by_risk_level.add(c.risk_level);
        summary.unreadable_clients += u64::from(c.unreadable.is_some());
        if c.risk_level >= RiskLevel::High {
            summary.high_risk_count += 1;
        }
        if c.is_public && c.scopes.iter().any(|s| is_read_write(s)) {
            summary.public_write_risks_count += 1;
        }
        for f in &c.findings {
            if f.suppressed {
                summary.suppressed_findings += 1;
            } else {
                *summary
                    .findings_by_rule
                    .entry(f.rule_id.to_string())
                    .or_default() += 1;
            }
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::rules::Severity;
    use super::rules::testkit::{client, event, judged_at_collection, policy, with_trail};
    use super::snapshot::PropertyChange;
    use super::*;

    fn widening(id: &str, at: &str) -> snapshot::AuditEvent {
        let mut e = event(id, at, None, "Update", "OAuthClient", "c1");
        e.properties = vec![PropertyChange::new(
            "scope",
            vec![],
            vec![format!("scope-{id}")],
        )];
        e
    }

    fn judged_org(allowlist: Option<Vec<String>>, policy: &AuditPolicy) -> Report {
        let mut s = super::rules::testkit::snapshot();
        s.clients = vec![client("CLIENT-CREDENTIALS")];
        s.ip_allowlist = allowlist;
        judged_at_collection(s, policy, "t")
    }

    #[test]
    fn an_empty_ip_allowlist_is_an_organization_finding_counted_in_the_summary() {
        let report = judged_org(Some(vec![]), &policy());
        let ids: Vec<&str> = report
            .organization_findings
            .iter()
            .map(|f| f.rule_id.as_ref())
            .collect();
        assert_eq!(ids, vec!["org-no-ip-allowlist"]);
        let f = &report.organization_findings[0];
        assert_eq!(f.severity, Severity::Medium);
        assert_eq!(f.first_seen, report.generated_at);
        assert_eq!(f.fingerprint.len(), 16);
        assert_eq!(report.summary.findings_by_rule["org-no-ip-allowlist"], 1);
        assert!(report.rules.contains_key("org-no-ip-allowlist"));
        assert!(
            report.clients[0]
                .findings
                .iter()
                .all(|f| f.rule_id != "org-no-ip-allowlist"),
            "an org-level finding is not a client's"
        );
        // Unknown and non-empty allowlists raise nothing.
        for allowlist in [None, Some(vec!["198.51.100.0/24".to_string()])] {
            let report = judged_org(allowlist, &policy());
            assert!(report.organization_findings.is_empty());
            assert!(
                !report
                    .summary
                    .findings_by_rule
                    .contains_key("org-no-ip-allowlist")
            );
        }
    }

    #[test]
    fn an_org_scoped_waiver_suppresses_the_org_finding_until_it_expires() {
        let waiver = |expires: (i32, u32, u32)| policy::Waiver {
            rule: "org-no-ip-allowlist".into(),
            client: String::new(),
            scope: WaiverScope::Organization,
            reason: "VPN rollout first".into(),
            owner: "netops".into(),
            expires: chrono::NaiveDate::from_ymd_opt(expires.0, expires.1, expires.2).unwrap(),
        };
        let mut p = policy();
        p.waivers.push(waiver((2999, 1, 1)));
        let report = judged_org(Some(vec![]), &p);
        let f = &report.organization_findings[0];
        assert!(f.suppressed);
        assert_eq!(f.waiver.as_ref().unwrap().owner, "netops");
        assert!(
            !report
                .summary
                .findings_by_rule
                .contains_key("org-no-ip-allowlist")
        );
        assert_eq!(report.summary.suppressed_findings, 1);
        assert!(report.actions.iter().all(|a| a.id != "set-ip-allowlist"));
        assert!(
            report
                .warnings
                .iter()
                .all(|w| !w.contains("matches no client")),
            "an org waiver names no client: {:?}",
            report.warnings
        );
        // Expired: the finding counts again, and the org gets an expired-waiver finding.
        let mut p = policy();
        p.waivers.push(waiver((2020, 1, 1)));
        let report = judged_org(Some(vec![]), &p);
        let rules: Vec<&str> = report
            .organization_findings
            .iter()
            .map(|f| f.rule_id.as_ref())
            .collect();
        assert_eq!(rules, ["org-no-ip-allowlist", "expired-waiver"]);
        assert!(report.organization_findings.iter().all(|f| !f.suppressed));
        assert!(report.organization_findings[1].evidence[0].contains("the organization"));
        // A client waiver of the same rule (not possible from a file) does not reach the org.
        let mut p = policy();
        let mut by_client = waiver((2999, 1, 1));
        by_client.scope = WaiverScope::Clients;
        by_client.client = "*".into();
        p.waivers.push(by_client);
        assert!(!judged_org(Some(vec![]), &p).organization_findings[0].suppressed);
    }

    #[test]
    fn the_policy_disables_or_reweights_an_org_level_rule() {
        let mut p = policy();
        p.severities
            .insert("org-no-ip-allowlist".into(), Severity::High);
        let report = judged_org(Some(vec![]), &p);
        assert_eq!(report.organization_findings[0].severity, Severity::High);
        p.disabled.push("org-no-ip-allowlist".into());
        let report = judged_org(Some(vec![]), &p);
        assert!(report.organization_findings.is_empty());
        assert!(!report.rules.contains_key("org-no-ip-allowlist"));
    }

    #[test]
    fn clients_judged_on_several_threads_and_in_rounds_are_judged_as_on_one_in_the_same_order() {
        use super::rules::testkit::{snapshot, with_roles, with_scopes};
        let mut s = snapshot();
        let grants = ["CLIENT-CREDENTIALS", "CODE", "TOKEN", "PASSWORD"];
        s.clients = (0..5_003)
            .map(|i| {
                let mut c = client(grants[i % grants.len()]);
                c.id = format!("c{i:05}");
                c.name = format!("Client {}", i % 97);
                match i % 3 {
                    0 => with_roles(c, &[("master", "*")]),
                    1 => with_roles(c, &[("reader", "d1"), ("oauth-editor", "d2")]),
                    _ => with_scopes(c, &["users", "analytics:readonly"]),
                }
            })
            .collect();
        let ctx = Context {
            snapshot: &s,
            policy: &policy(),
            today: s.collected_at.date_naive(),
            fit: None,
        };
        let run = AuditRun {
            audit_id: "t".into(),
            started_at: s.collected_at,
            generated_at: s.collected_at,
            first_seen: &|_| None,
        };
        let one = judge_clients_on(&ctx, &run, s.clients.clone(), 1, CLIENTS_PER_ROUND);
        // Six rounds of 1 000 (the last one short), each on three threads.
        let three = judge_clients_on(&ctx, &run, s.clients.clone(), 3, 1_000);
        assert_eq!(one.len(), 5_003);
        assert!(one.iter().any(|c| !c.findings.is_empty()));
        assert_eq!(one, three);
        let ids: Vec<&str> = three.iter().map(|c| c.client_id.as_str()).collect();
        assert_eq!(ids[0], "c00000");
        assert_eq!(ids[5_002], "c05002");
        // Written on every core, the report is the bytes of one serializer.
        let report = judge(s.clone(), &policy(), &run);
        assert!(report.clients.len() > report_json::PARALLEL_FROM);
        assert_eq!(report.to_json(), serde_json::to_string(&report).unwrap());
    }

    fn fingerprint_of(s: &snapshot::Snapshot, rule: &str) -> String {
        let mut s = s.clone();
        s.clients = vec![client("CLIENT-CREDENTIALS")];
        let report = judged_at_collection(s, &policy(), "t");
        report.clients[0]
            .findings
            .iter()
            .find(|f| f.rule_id == rule)
            .unwrap_or_else(|| panic!("{rule} in {:?}", report.clients[0].findings))
            .fingerprint
            .clone()
    }

    #[test]
    fn a_trail_finding_keeps_its_identity_as_its_events_age_out_of_the_window() {
        let both = with_trail(vec![
            widening("a", "2026-10-30T09:00:00Z"),
            widening("b", "2026-10-31T09:00:00Z"),
        ]);
        let one = with_trail(vec![widening("b", "2026-10-31T09:00:00Z")]);
        assert_eq!(
            fingerprint_of(&both, "recent-privilege-change"),
            fingerprint_of(&one, "recent-privilege-change"),
            "the same finding, not resolved and new again"
        );
    }

    fn run_at(at: DateTime<Utc>) -> AuditRun<'static> {
        AuditRun {
            audit_id: "t".into(),
            started_at: at,
            generated_at: at,
            first_seen: &|_| None,
        }
    }

    #[test]
    fn the_least_privilege_view_says_what_is_held_only_conditionally() {
        use super::rules::testkit::{with_narrowed_role, with_roles};
        let mut s = with_narrowed_role(&[("routing", "queue", &["view", "edit"])], 4);
        let mut c = with_roles(client("CLIENT-CREDENTIALS"), &[("narrowed", "*")]);
        c.id = "c1".into();
        s.clients = vec![c];
        s.usage = Usage::Known {
            window_start: s.collected_at.date_naive(),
            last_used: [("c1".to_string(), s.collected_at.date_naive())].into(),
            calls: [(
                "c1".to_string(),
                vec![snapshot::Call {
                    method: "GET".into(),
                    template: "api/v2/routing/queues".into(),
                    requests: 3,
                    succeeded: 3,
                }],
            )]
            .into(),
        };
        let report = judge(s.clone(), &policy(), &run_at(s.collected_at));
        let usage = report.clients[0].permission_usage.as_ref().unwrap();
        assert_eq!(
            usage.conditional,
            vec![
                "routing:queue:edit (named resources: 4)".to_string(),
                "routing:queue:view (named resources: 4)".to_string()
            ]
        );
        let json = serde_json::to_value(&report.clients[0]).unwrap();
        assert_eq!(
            json["permission_usage"]["conditional"][0],
            "routing:queue:edit (named resources: 4)"
        );
    }

    #[test]
    fn an_unreadable_client_is_an_entry_without_findings_counted_in_the_summary() {
        use super::rules::testkit::snapshot;
        let mut s = snapshot();
        s.clients = vec![client("TOKEN")];
        s.unreadable_clients = vec![
            snapshot::UnreadableClient {
                id: Some("odd".into()),
                name: Some("Odd".into()),
                reason: "missing field `name`".into(),
            },
            snapshot::UnreadableClient {
                id: None,
                name: None,
                reason: "the record is not an object".into(),
            },
        ];
        let report = judge(s.clone(), &policy(), &run_at(s.collected_at));
        let ids: Vec<&str> = report
            .clients
            .iter()
            .map(|c| c.client_id.as_str())
            .collect();
        assert_eq!(ids.len(), 3);
        assert!(ids.contains(&"c1") && ids.contains(&"odd") && ids.contains(&"unreadable-2"));
        let odd = report
            .clients
            .iter()
            .find(|c| c.client_id == "odd")
            .unwrap();
        assert_eq!(odd.client_name, "Odd");
        assert_eq!(odd.unreadable.as_deref(), Some("missing field `name`"));
        assert!(odd.findings.is_empty());
        assert_eq!(odd.risk_level, RiskLevel::None);
        assert_eq!(report.summary.unreadable_clients, 2);
        assert_eq!(report.summary.total_clients, 3);
        let read = report.clients.iter().find(|c| c.client_id == "c1").unwrap();
        assert_eq!(read.unreadable, None);
        let json = serde_json::to_value(read).unwrap();
        assert!(
            json.get("unreadable").is_none(),
            "absent for a client that was read"
        );
    }
}
