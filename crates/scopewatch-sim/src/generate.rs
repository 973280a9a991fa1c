//! Generates a realistic organization from a seed, a size and an anchor date. The same inputs
//! always give the same org, byte for byte.

use chrono::{Days, NaiveDate};

use super::catalog::{ACTIONS, DOMAINS, NAME_WORDS, SCOPE_CATALOG, UNKNOWN_SCOPES};
use super::directory::{self, Division, SimUser};
use super::interval::timestamp;
use super::org::{Org, SimClient};
use genesys_api::models::{
    DomainEntityRef, OAuthClient, OAuthScope, PermissionPolicy, Role, RoleDivision, UsageRow,
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

fn days_before(anchor: NaiveDate, days: i64) -> NaiveDate {
    anchor
        .checked_sub_days(Days::new(days.max(0) as u64))
        .unwrap_or(anchor)
}

fn policy(domain: &str, entity: &str, actions: &[&str]) -> PermissionPolicy {
    PermissionPolicy {
        domain: domain.into(),
        entity_name: entity.into(),
        policy_name: None,
        action_set: actions.iter().map(|a| a.to_string()).collect(),
        allow_conditions: Some(false),
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
    // policy on domain `*` is not a documented shape, genesys-api.md §12.6).
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
    r
}

fn redirect_uri(rng: &mut Rng, n: usize) -> String {
    match rng.below(100) {
        0..=69 => format!("https://apps.example.com/callback/{n}"),
        70..=79 => format!("http://intranet.example.net/oauth/{n}"),
        80..=91 => "http://localhost:8080/callback".into(),
        92..=95 => "https://*.example.org/callback".into(),
        _ => "http://127.0.0.1:3000/auth".into(),
    }
}

fn scope_list(rng: &mut Rng) -> Vec<String> {
    let count = match rng.below(100) {
        0..=49 => rng.range(1, 5),
        50..=89 => rng.range(6, 15),
        _ => rng.range(16, 30),
    };
    let mut scopes: Vec<String> = Vec::new();
    for _ in 0..count {
        let s = *rng.pick(SCOPE_CATALOG);
        // Scopes that manage clients and roles are rare in real user-facing apps.
        let escalates = matches!(s, "oauth" | "authorization" | "organization-authorization");
        if escalates && !rng.chance(10) {
            continue;
        }
        if !scopes.iter().any(|x| x == s) {
            scopes.push(s.to_string());
        }
    }
    if rng.chance(3) {
        scopes.push(rng.pick(UNKNOWN_SCOPES).to_string());
    }
    scopes
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
    };
    super::endpoints::spread(
        &mut org,
        &genesys_api::permissions::catalog::Catalog::snapshot(),
        size.seed,
    );
    super::trail_gen::generate_trail(&mut org, size.anchor, size.seed, &people.admins);
    org
}

/// The 20 people who create clients, as the references a client names them by.
fn creator_refs(rng: &mut Rng) -> Vec<DomainEntityRef> {
    (0..20)
        .map(|_| {
            let id = rng.uuid();
            DomainEntityRef {
                self_uri: Some(format!("/api/v2/users/{id}")),
                id,
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

/// What every generated client draws from.
struct Pools<'a> {
    /// The notable roles first (`notable` of them), then the generic ones.
    roles: &'a [Role],
    notable: usize,
    divisions: &'a [String],
    users: &'a [DomainEntityRef],
    anchor: NaiveDate,
}

/// Client number `n` and its daily usage rows.
fn generated_client(rng: &mut Rng, n: usize, pools: &Pools<'_>) -> (SimClient, Vec<UsageRow>) {
    let id = rng.uuid();
    let grant = grant_type(rng);
    let state = client_state(rng);
    let created_day = days_before(pools.anchor, rng.range(1, 2000));
    let modified_day = days_before(
        pools.anchor,
        rng.range(0, (pools.anchor - created_day).num_days()),
    );
    let name = client_name(rng, n);
    let description = (!rng.chance(15)).then(|| format!("Owned by team {}", rng.below(40) + 1));
    let validity = token_validity(rng, grant);
    let access = client_access(rng, n, grant, pools);
    let creator = rng.pick(pools.users).clone();
    let date_to_delete = (state == "inactive").then(|| {
        let day = pools.anchor + Days::new(rng.range(1, 7) as u64);
        timestamp(day, rng)
    });
    let role_ids: Vec<String> = access.roles.iter().map(|rd| rd.role_id.clone()).collect();
    let date_created = Some(timestamp(created_day, rng));
    let date_modified = Some(timestamp(modified_day, rng));
    let client = OAuthClient {
        self_uri: Some(format!("/api/v2/oauth/clients/{id}")),
        id: id.clone(),
        name: name.clone(),
        access_token_validity_seconds: validity,
        description,
        registered_redirect_uri: Some(access.redirects),
        role_ids: Some(role_ids),
        date_created,
        date_modified,
        created_by: Some(creator.clone()),
        modified_by: Some(creator),
        authorized_grant_type: grant.into(),
        scope: Some(access.scopes),
        role_divisions: Some(access.roles),
        state: Some(state.into()),
        date_to_delete,
    };
    let usage = usage_rows(rng, &id, &name, state, pools.anchor);
    let client = SimClient {
        client,
        secret: None,
    };
    (client, usage)
}

fn grant_type(rng: &mut Rng) -> &'static str {
    match rng.below(100) {
        0..=44 => "CLIENT-CREDENTIALS",
        45..=69 => "CODE",
        70..=84 => "TOKEN",
        85..=92 => "SAML2-BEARER",
        _ => "PASSWORD",
    }
}

fn client_state(rng: &mut Rng) -> &'static str {
    match rng.below(100) {
        0..=84 => "active",
        85..=92 => "disabled",
        _ => "inactive",
    }
}

fn client_name(rng: &mut Rng, n: usize) -> String {
    // Drawn for every client, the hostile one too, so the stream stays in step.
    let name = format!("{} {}", rng.pick(NAME_WORDS), n + 1);
    if n != 6 {
        return name;
    }
    // Client names are free text chosen by anyone with OAuth admin rights; one hostile name
    // keeps every page and export honest about escaping: HTML markup, and quotes, a backslash
    // and template openers for the Terraform snippets.
    format!(
        "Legacy <script>alert('scopewatch')</script> \"${{path.cwd}}\" %{{if true}}\\ widget {}",
        n + 1
    )
}

fn token_validity(rng: &mut Rng, grant: &str) -> Option<i64> {
    if rng.chance(5) {
        None
    } else if grant == "TOKEN" {
        Some(*rng.pick(&[1800, 3600, 7200, 86_400]))
    } else {
        Some(*rng.pick(&[300, 1800, 3600, 7200, 43_200, 86_400, 86_400, 172_800]))
    }
}

/// What a client may do: roles for client credentials, scopes (and redirects) otherwise.
struct Access {
    scopes: Vec<String>,
    roles: Vec<RoleDivision>,
    redirects: Vec<String>,
}

fn client_access(rng: &mut Rng, n: usize, grant: &str, pools: &Pools<'_>) -> Access {
    if grant == "CLIENT-CREDENTIALS" {
        let roles = (0..rng.range(1, 3))
            .map(|_| role_division(rng, pools))
            .collect();
        return Access {
            scopes: vec![],
            roles,
            redirects: vec![],
        };
    }
    let redirects = if matches!(grant, "CODE" | "TOKEN") {
        (0..rng.range(1, 3)).map(|_| redirect_uri(rng, n)).collect()
    } else {
        vec![]
    };
    Access {
        scopes: scope_list(rng),
        roles: vec![],
        redirects,
    }
}

fn role_division(rng: &mut Rng, pools: &Pools<'_>) -> RoleDivision {
    let (roles, notable) = (pools.roles, pools.notable);
    // Most integrations hold ordinary roles; a few hold the notable ones (Master Admin,
    // authorization or OAuth management).
    let role = if rng.chance(6) {
        &roles[rng.below(notable as u64 - 1) as usize]
    } else if roles.len() > notable {
        rng.pick(&roles[notable..])
    } else {
        rng.pick(roles)
    };
    let division = if rng.chance(20) {
        "*".to_string()
    } else {
        rng.pick(pools.divisions).clone()
    };
    RoleDivision {
        role_id: role.id.clone(),
        division_id: Some(division),
    }
}

/// Most active clients were used recently; some long ago, some never.
fn usage_rows(
    rng: &mut Rng,
    id: &str,
    name: &str,
    state: &str,
    anchor: NaiveDate,
) -> Vec<UsageRow> {
    if !rng.chance(if state == "active" { 80 } else { 30 }) {
        return vec![];
    }
    let last_used = match rng.below(100) {
        0..=69 => rng.range(0, 30),
        70..=89 => rng.range(31, 120),
        _ => rng.range(121, 360),
    };
    let mut rows = Vec::new();
    for day_offset in 0..rng.range(1, 4) {
        let day = days_before(anchor, last_used + day_offset * rng.range(1, 10));
        let requests = rng.range(1, 5000) as u64;
        let status429 = if rng.chance(5) { requests / 20 } else { 0 };
        let status400 = requests / 50 + status429;
        let status500 = if rng.chance(10) { requests / 100 } else { 0 };
        let mut row = UsageRow::daily(id, day, requests);
        row.client_name = Some(name.to_string());
        row.status200 = requests - status400 - status500;
        row.status400 = status400;
        row.status500 = status500;
        row.status429 = status429;
        rows.push(row);
    }
    rows
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
    let creator_ids: Vec<String> = creators.iter().map(|u| u.id.clone()).collect();
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
            id: u.id.clone(),
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
