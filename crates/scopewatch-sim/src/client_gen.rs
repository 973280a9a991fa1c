//! Generates the OAuth clients of an org and their usage, each from the org's one random
//! stream: every draw keeps its place, so the same seed gives the same clients.

use chrono::{Days, NaiveDate};

use super::catalog::{NAME_WORDS, SCOPE_CATALOG, UNKNOWN_SCOPES};
use super::interval::timestamp;
use super::org::SimClient;
use genesys_api::models::{DomainEntityRef, OAuthClient, Role, RoleDivision, UsageRow};
use genesys_api::rng::Rng;

/// What every generated client draws from.
pub(super) struct Pools<'a> {
    /// The notable roles first (`notable` of them), then the generic ones.
    pub(super) roles: &'a [Role],
    pub(super) notable: usize,
    pub(super) divisions: &'a [String],
    pub(super) users: &'a [DomainEntityRef],
    pub(super) anchor: NaiveDate,
}

/// Client number `n` and its daily usage rows.
pub(super) fn generated_client(
    rng: &mut Rng,
    n: usize,
    pools: &Pools<'_>,
) -> (SimClient, Vec<UsageRow>) {
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

/// Most active clients were used recently (yesterday at the latest); some long ago, some never.
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
        // Usage is up to a day old in Genesys: the newest row is of the day before the anchor.
        let day = days_before(anchor, 1 + last_used + day_offset * rng.range(1, 10));
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

fn days_before(anchor: NaiveDate, days: i64) -> NaiveDate {
    anchor
        .checked_sub_days(Days::new(days.max(0) as u64))
        .unwrap_or(anchor)
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
