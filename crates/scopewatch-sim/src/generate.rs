//! Generates a realistic organization from a seed, a size and an anchor date. The same inputs
//! always give the same org, byte for byte.

use chrono::NaiveDate;

use super::catalog::{ACTIONS, DOMAINS, SCOPE_CATALOG};
use super::client_gen::{Pools, generated_client};
use super::directory::{self, Division, SimUser};
use super::org::Org;
use genesys_api::models::{
    ConditionNode, ConditionValue, DomainEntityRef, OAuthScope, PermissionPolicy, Role,
};
use genesys_api::rng::Rng;

/// How big an org to generate.
#[derive(Debug, Clone)]
pub struct OrgSize {
    /// OAuth clients besides the auditor.
    pub clients: usize,
    /// Roles, the five notable ones included (fewer than five gives the five).
    pub roles: usize,
    /// The same seed, size and anchor give the same org, byte for byte.
    pub seed: u64,
    /// Dates are generated relative to this day (usage is within the last year of it).
    pub anchor: NaiveDate,
}

fn policy(domain: &str, entity: &str, actions: &[&str]) -> PermissionPolicy {
    PermissionPolicy {
        domain: domain.into(),
        entity_name: entity.into(),
        policy_name: None,
        action_set: actions.iter().map(|a| a.to_string()).collect(),
        allow_conditions: Some(false),
        named_resources: None,
        resource_condition_node: None,
    }
}

/// A comparison of a condition tree: `variable` `operator` the scalar `values`.
fn comparison(variable: &str, operator: &str, values: &[String]) -> ConditionNode {
    ConditionNode {
        variable_name: Some(variable.into()),
        operator: Some(operator.into()),
        operands: Some(
            values
                .iter()
                .map(|v| ConditionValue {
                    kind: "SCALAR".into(),
                    value: Some(v.clone()),
                })
                .collect(),
        ),
        conjunction: None,
        terms: None,
    }
}

/// A resource id of a narrowed policy, made from the role's index (no draw from the stream).
fn resource_id(index: usize, n: usize) -> String {
    format!("{index:08x}-0000-4000-8000-{n:012x}")
}

/// Every tenth generic role narrows its first policy, as an admin limits a role to some
/// queues: to one to three named resources (index ending in 3), or to a condition of two
/// comparisons (index ending in 7). Nothing is drawn from the stream, so the rest of the org
/// stays what it was for the same seed.
fn narrow(role: &mut Role, index: usize) {
    let Some(first) = role
        .permission_policies
        .as_mut()
        .and_then(|policies| policies.first_mut())
    else {
        return;
    };
    match index % 10 {
        3 => {
            first.named_resources =
                Some((0..1 + index % 3).map(|n| resource_id(index, n)).collect());
        }
        7 => {
            first.allow_conditions = Some(true);
            first.resource_condition_node = Some(ConditionNode {
                variable_name: None,
                operator: None,
                operands: None,
                conjunction: Some("AND".into()),
                terms: Some(vec![
                    comparison(
                        "queue.id",
                        "IN",
                        &[resource_id(index, 0), resource_id(index, 1)],
                    ),
                    comparison("user.division.id", "EQ", &[resource_id(index, 2)]),
                ]),
            });
        }
        _ => {}
    }
}

fn role(id: String, name: &str, permissions: Vec<String>, policies: Vec<PermissionPolicy>) -> Role {
    Role {
        self_uri: Some(format!("/api/v2/authorization/roles/{id}")),
        id,
        name: name.into(),
        description: None,
        default_role_id: None,
        permissions: Some(permissions),
        permission_policies: Some(policies),
        user_count: Some(0),
        default: Some(false),
        base: Some(false),
    }
}

/// Domains the generated Master Admin role holds every permission of.
const MASTER_ADMIN_DOMAINS: [&str; 8] = [
    "authorization",
    "oauth",
    "directory",
    "routing",
    "telephony",
    "analytics",
    "integrations",
    "architect",
];

/// The fixed roles every generated org has: the ones auditors care about most.
fn notable_roles(rng: &mut Rng) -> Vec<Role> {
    // The admin signal is the flat `admin` permission; its policies name real domains (a
    // policy on domain `*` is not a documented shape).
    let mut master = role(
        rng.uuid(),
        "Master Admin",
        vec!["admin".into()],
        MASTER_ADMIN_DOMAINS
            .iter()
            .map(|d| policy(d, "*", &["*"]))
            .collect(),
    );
    master.default_role_id = Some("admin".into());
    master.default = Some(true);
    master.description = Some("Full administrative access".into());
    let mut roles = vec![master];
    roles.push(role(
        rng.uuid(),
        "Authorization Admin",
        vec![],
        vec![policy("authorization", "*", &["*"])],
    ));
    roles.push(role(
        rng.uuid(),
        "Integration Developer",
        vec![],
        vec![
            policy("oauth", "client", &["add", "edit", "view"]),
            policy("integrations", "integration", &["view", "add"]),
        ],
    ));
    roles.push(role(
        rng.uuid(),
        "Role Manager",
        vec![],
        vec![
            policy("authorization", "role", &["view", "add", "edit"]),
            policy("authorization", "grant", &["add"]),
        ],
    ));
    let mut employee = role(
        rng.uuid(),
        "employee",
        vec![],
        vec![policy("directory", "user", &["view"])],
    );
    employee.default_role_id = Some("employee".into());
    employee.default = Some(true);
    roles.push(employee);
    roles
}

fn generic_role(rng: &mut Rng, index: usize) -> Role {
    let mut policies = Vec::new();
    for _ in 0..rng.range(1, 4) {
        let (domain, entities) = rng.pick(DOMAINS);
        let entity = *rng.pick(entities);
        let actions: &[&str] = if rng.chance(60) {
            &ACTIONS[..1]
        } else if rng.chance(15) {
            &["*"]
        } else {
            &ACTIONS[..rng.range(2, 4) as usize]
        };
        policies.push(policy(domain, entity, actions));
    }
    let (domain, _) = policies
        .first()
        .map(|p| (p.domain.clone(), ()))
        .unwrap_or_default();
    let mut r = role(
        rng.uuid(),
        &format!("{domain} role {index}"),
        vec![],
        policies,
    );
    r.user_count = Some(rng.range(0, 250));
    if rng.chance(70) {
        r.description = Some(format!("Access for {domain} work"));
    }
    narrow(&mut r, index);
    r
}

/// Generates an org; the auditor client is added separately (`Org::ensure_auditor`).
pub fn generate(size: &OrgSize) -> Org {
    // Every draw below comes from one stream in a fixed order: reordering two calls changes
    // every org generated from a seed, which tests and benchmarks pin.
    let mut rng = Rng::new(size.seed);
    let organization_id = rng.uuid();
    let home_division_id = rng.uuid();
    let divisions: Vec<String> = std::iter::once(home_division_id.clone())
        .chain((0..5).map(|_| rng.uuid()))
        .collect();
    let users = creator_refs(&mut rng);
    let roles = generated_roles(&mut rng, size.roles);
    let pools = Pools {
        notable: roles.notable,
        roles: &roles.all,
        divisions: &divisions,
        users: &users,
        anchor: size.anchor,
    };
    let mut clients = Vec::with_capacity(size.clients);
    let mut usage = Vec::new();
    for n in 0..size.clients {
        let (client, rows) = generated_client(&mut rng, n, &pools);
        clients.push(client);
        usage.extend(rows);
    }
    // The directory and the trail come from their own stream: the fields above stay what they
    // were for the same seed.
    let mut extra = Rng::new(size.seed ^ 0xd1_7ec7_0000_0012);
    let people = generated_directory(&mut extra, &divisions, &users);
    let mut org = Org {
        organization_id,
        home_division_id,
        organization_name: format!("Simulated Org {}", size.seed),
        divisions: people.divisions,
        users: people.users,
        clients,
        roles: roles.all,
        scopes: scope_catalog(),
        usage,
        audits: vec![],
        // No allowlist: the demo shows `org-no-ip-allowlist`, as most orgs would.
        ip_allowlist: vec![],
        authorizations: vec![],
    };
    super::endpoints::spread(
        &mut org,
        &genesys_api::permissions::catalog::Catalog::snapshot(),
        size.seed,
    );
    super::trail_gen::generate_trail(&mut org, size.anchor, size.seed, &people.admins);
    org.authorizations = super::authorizations::generated(&org, size.seed, size.anchor);
    super::anomalies::inject(&mut org, size.anchor);
    org
}

/// The 20 people who create clients, as the references a client names them by.
fn creator_refs(rng: &mut Rng) -> Vec<DomainEntityRef> {
    (0..20)
        .map(|_| {
            let id = rng.uuid();
            DomainEntityRef {
                self_uri: Some(format!("/api/v2/users/{id}")),
                id: Some(id),
                name: None,
            }
        })
        .collect()
}

/// The roles of an org: the notable ones first, then generic ones up to `count`.
struct GeneratedRoles {
    all: Vec<Role>,
    notable: usize,
}

fn generated_roles(rng: &mut Rng, count: usize) -> GeneratedRoles {
    let mut roles = notable_roles(rng);
    let notable = roles.len();
    let mut index = 0;
    while roles.len() < count.max(notable) {
        index += 1;
        roles.push(generic_role(rng, index));
    }
    GeneratedRoles {
        all: roles,
        notable,
    }
}

fn scope_catalog() -> Vec<OAuthScope> {
    SCOPE_CATALOG
        .iter()
        .map(|s| OAuthScope {
            id: s.to_string(),
            description: Some(scope_description(s)),
            self_uri: Some(format!("/api/v2/oauth/scopes/{s}")),
        })
        .collect()
}

/// The divisions with their object counts, the people, and the active administrators who
/// appear in the trail.
struct GeneratedDirectory {
    divisions: Vec<Division>,
    users: Vec<SimUser>,
    admins: Vec<DomainEntityRef>,
}

fn generated_directory(
    extra: &mut Rng,
    division_ids: &[String],
    creators: &[DomainEntityRef],
) -> GeneratedDirectory {
    let mut divisions = directory::divisions(division_ids);
    directory::count_objects(&mut divisions, extra);
    let admin_ids: Vec<String> = (0..ADMINS).map(|_| extra.uuid()).collect();
    let creator_ids: Vec<String> = creators.iter().filter_map(|u| u.id.clone()).collect();
    let mut users = directory::users(&creator_ids, 0, &divisions[0], creator_state);
    users.extend(directory::users(
        &admin_ids,
        creator_ids.len(),
        &divisions[0],
        |i| if i == ADMINS - 1 { "deleted" } else { "active" },
    ));
    let admins = users[creators.len()..]
        .iter()
        .filter(|u| u.state == "active")
        .map(|u| DomainEntityRef {
            id: Some(u.id.clone()),
            name: None,
            self_uri: u.self_uri.clone(),
        })
        .collect();
    GeneratedDirectory {
        divisions,
        users,
        admins,
    }
}

/// People who administer the org besides the 20 client creators (the last one has left).
const ADMINS: usize = 8;

/// The creators' states: most active, two have been deactivated and one deleted, so the
/// clients they created have nobody who owns them.
fn creator_state(index: usize) -> &'static str {
    match index {
        3 | 14 => "inactive",
        7 => "deleted",
        _ => "active",
    }
}

fn scope_description(scope: &str) -> String {
    match scope.strip_suffix(":readonly") {
        Some(base) => format!("View {base} data"),
        None => format!("View and modify {scope} data"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::UNKNOWN_SCOPES;

    fn size(clients: usize, seed: u64) -> OrgSize {
        OrgSize {
            clients,
            roles: 30,
            seed,
            anchor: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        }
    }

    #[test]
    fn same_seed_gives_the_same_org_and_another_seed_does_not() {
        let a = serde_json::to_string(&generate(&size(200, 3))).unwrap();
        let b = serde_json::to_string(&generate(&size(200, 3))).unwrap();
        let c = serde_json::to_string(&generate(&size(200, 4))).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn a_generated_org_has_the_realistic_mix() {
        let org = generate(&size(1000, 11));
        assert_eq!(org.clients.len(), 1000);
        assert_eq!(org.roles.len(), 30);
        let grants: std::collections::HashSet<_> = org
            .clients
            .iter()
            .map(|c| c.client.authorized_grant_type.as_str())
            .collect();
        for g in [
            "CODE",
            "TOKEN",
            "SAML2-BEARER",
            "PASSWORD",
            "CLIENT-CREDENTIALS",
        ] {
            assert!(grants.contains(g), "missing grant {g}");
        }
        let clients = || org.clients.iter().map(|c| &c.client);
        for s in ["active", "disabled", "inactive"] {
            assert!(
                clients().any(|c| c.state.as_deref() == Some(s)),
                "missing state {s}"
            );
        }
        assert!(
            clients()
                .filter(|c| c.state.as_deref() == Some("inactive"))
                .all(|c| c.date_to_delete.is_some())
        );
        let all_divisions = clients()
            .flat_map(|c| c.role_divisions.iter().flatten())
            .filter(|rd| rd.division_id.as_deref() == Some("*"))
            .count();
        assert!(all_divisions > 0);
        let uris: Vec<&String> = clients()
            .flat_map(|c| c.registered_redirect_uri.iter().flatten())
            .collect();
        assert!(uris.iter().any(|u| u.starts_with("http://intranet")));
        assert!(uris.iter().any(|u| u.contains('*')));
        assert!(uris.iter().any(|u| u.starts_with("http://localhost")));
        assert!(clients().any(|c| c.description.is_none()));
        assert!(clients().any(|c| !c.name.is_ascii()));
        assert!(
            clients()
                .flat_map(|c| c.scope.iter().flatten())
                .any(|s| UNKNOWN_SCOPES.contains(&s.as_str()))
        );
        let used: std::collections::HashSet<_> = org
            .usage
            .iter()
            .filter_map(|u| u.client_id.as_deref())
            .collect();
        assert!(used.len() > 500 && used.len() < 1000, "used {}", used.len());
        let master = org.roles.iter().find(|r| r.name == "Master Admin").unwrap();
        assert!(master.permissions.iter().flatten().any(|p| p == "admin"));
        // Only documented policy shapes: `*` for the entity and the actions, never the domain.
        assert!(
            org.roles
                .iter()
                .flat_map(|r| r.permission_policies.iter().flatten())
                .all(|p| p.domain != "*")
        );
    }
}
