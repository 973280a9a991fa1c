//! Builders for rule tests: a snapshot with a few roles, and clients to judge.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, TimeZone, Utc};

use super::{Context, Hit, Rule};
use crate::audit::policy::AuditPolicy;
use crate::audit::snapshot::{
    Client, ClientState, GrantType, PermissionPolicy, Role, RoleGrant, Snapshot, Usage,
};

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
}

pub fn role(
    id: &str,
    name: &str,
    permissions: &[&str],
    policies: &[(&str, &str, &[&str])],
) -> Role {
    Role {
        id: id.into(),
        name: name.into(),
        permissions: permissions.iter().map(|p| p.to_string()).collect(),
        policies: policies
            .iter()
            .map(|(d, e, a)| PermissionPolicy {
                domain: d.to_string(),
                entity: e.to_string(),
                actions: a.iter().map(|x| x.to_string()).collect(),
                narrowed: None,
            })
            .collect(),
    }
}

pub fn snapshot() -> Snapshot {
    let roles = [
        role("master", "Master Admin", &["admin"], &[("*", "*", &["*"])]),
        role(
            "reader",
            "Reader",
            &[],
            &[("analytics", "conversationDetail", &["view"])],
        ),
        role(
            "oauth-editor",
            "OAuth Editor",
            &[],
            &[("oauth", "client", &["add", "edit", "view"])],
        ),
        role(
            "auditor",
            "scopewatch auditor",
            &[],
            &[
                ("oauth", "client", &["view"]),
                ("authorization", "role", &["view"]),
                ("usage", "organization", &["view"]),
            ],
        ),
    ];
    Snapshot {
        collected_at: Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap(),
        api_base_url: "https://api.mypurecloud.com".into(),
        region: "mypurecloud.com".into(),
        auditor_client_id: "auditor".into(),
        usage_window_days: 90,
        clients: vec![],
        unreadable_clients: vec![],
        roles: roles.into_iter().map(|r| (r.id.clone(), r)).collect(),
        usage: Usage::Known {
            window_start: NaiveDate::from_ymd_opt(2026, 8, 3).unwrap(),
            last_used: BTreeMap::new(),
            calls: BTreeMap::new(),
        },
        catalog: genesys_api::permissions::catalog::Catalog::snapshot(),
        scope_catalog: Some(
            [
                "users",
                "users:readonly",
                "analytics",
                "analytics:readonly",
                "oauth",
                "oauth:readonly",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>(),
        ),
        warnings: vec![],
        organization: None,
        ip_allowlist: None,
        third_party_apps: None,
        usage_days: None,
        other_org_calls: None,
        divisions: None,
        people: None,
        trail: crate::audit::snapshot::Trail::Known(crate::audit::snapshot::KnownTrail::new(
            Utc.with_ymd_and_hms(2026, 8, 3, 12, 0, 0).unwrap(),
            vec![],
        )),
    }
}

/// A described, active, code-grant client with no scopes: flags nothing by itself.
pub fn client(grant: &str) -> Client {
    Client {
        id: "c1".into(),
        name: "Client one".into(),
        description: Some("Owned by team 1".into()),
        grant_type: GrantType::parse(grant),
        state: ClientState::Active,
        scopes: vec![],
        roles: vec![],
        token_validity_seconds: Some(3600),
        redirect_uris: vec![],
        date_created: Some(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()),
        date_modified: None,
        created_by: None,
        date_to_delete: None,
    }
}

pub fn with_scopes(mut c: Client, scopes: &[&str]) -> Client {
    c.scopes = scopes.iter().map(|s| s.to_string()).collect();
    c
}

pub fn with_roles(mut c: Client, grants: &[(&str, &str)]) -> Client {
    c.roles = grants
        .iter()
        .map(|(r, d)| RoleGrant {
            role_id: r.to_string(),
            division_id: d.to_string(),
        })
        .collect();
    c
}

/// Runs one rule on one client with the given snapshot and policy.
pub fn run_with(rule: &Rule, snapshot: &Snapshot, policy: &AuditPolicy, c: &Client) -> Option<Hit> {
    let fit = crate::audit::least_privilege::fit(
        snapshot,
        c,
        &crate::audit::least_privilege::Expansions::default(),
    );
    let ctx = Context {
        snapshot,
        policy,
        today: today(),
        fit: fit.as_ref(),
    };
    (rule.check)(&ctx, c)
}

/// Runs one rule on one client against the default snapshot and the built-in policy.
pub fn run(rule: &Rule, c: &Client) -> Option<Hit> {
    run_with(rule, &snapshot(), &AuditPolicy::builtin(), c)
}

/// The built-in policy.
pub fn policy() -> AuditPolicy {
    AuditPolicy::builtin()
}

/// An audit message: `client` acted (`action`) on the entity `entity` of `entity_type`.
pub fn event(
    id: &str,
    at: &str,
    client: Option<&str>,
    action: &str,
    entity_type: &str,
    entity: &str,
) -> crate::audit::snapshot::AuditEvent {
    crate::audit::snapshot::AuditEvent {
        id: Some(id.into()),
        at: chrono::DateTime::parse_from_rfc3339(at)
            .unwrap()
            .with_timezone(&Utc),
        user: Some(crate::audit::snapshot::Named {
            id: "u1".into(),
            name: Some("Ann Admin".into()),
        }),
        client_id: client.map(str::to_string),
        action: action.into(),
        entity_type: entity_type.into(),
        entity: Some(crate::audit::snapshot::Named {
            id: entity.into(),
            name: Some(format!("Entity {entity}")),
        }),
        properties: vec![],
    }
}

/// The default snapshot with this trail (since 90 days before `today`).
pub fn with_trail(events: Vec<crate::audit::snapshot::AuditEvent>) -> Snapshot {
    let mut s = snapshot();
    s.trail = crate::audit::snapshot::Trail::Known(crate::audit::snapshot::KnownTrail::new(
        Utc.with_ymd_and_hms(2026, 8, 3, 12, 0, 0).unwrap(),
        events,
    ));
    s
}

/// The default snapshot with one more role, `narrowed`: its first policy limited to
/// `named_resources` named resources, its second to a condition of one comparison.
pub fn with_narrowed_role(policies: &[(&str, &str, &[&str])], named_resources: usize) -> Snapshot {
    let mut s = snapshot();
    let mut r = role("narrowed", "Narrowed Admin", &[], policies);
    for (i, p) in r.policies.iter_mut().enumerate() {
        p.narrowed = Some(crate::audit::snapshot::Narrowing {
            named_resources: if i == 0 { named_resources } else { 0 },
            conditions: usize::from(i > 0),
            more_conditions: false,
        });
    }
    s.roles.insert(r.id.clone(), r);
    s
}

/// The report of `s` judged with `policy` as one audit at the snapshot's collection time, with
/// nothing seen before.
pub fn judged_at_collection(
    s: Snapshot,
    policy: &AuditPolicy,
    audit_id: &str,
) -> crate::audit::report::Report {
    let at = s.collected_at;
    let run = crate::audit::AuditRun {
        audit_id: audit_id.into(),
        started_at: at,
        generated_at: at,
        first_seen: &|_| None,
    };
    crate::audit::judge(s, policy, &run)
}
