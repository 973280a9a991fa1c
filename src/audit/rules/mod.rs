//! The built-in rule pack: one module per rule, each with its metadata and a check
//! that looks at one client and says what it found.

mod admin_role;
mod all_divisions;
mod auditor_over_privileged;
mod client_administers_access;
mod deprecated_grant;
mod excessive_scopes;
pub mod expired_waiver;
mod high_risk_scope;
mod inactive_client_with_access;
mod insecure_redirect_uri;
mod long_token_lifetime;
pub mod mappings;
mod missing_required_scope;
mod no_description;
mod org_no_ip_allowlist;
mod orphaned_client;
mod privilege_escalation;
mod public_client_write_scope;
mod recent_privilege_change;
mod stale_client_secret;
mod third_party_app_access;
mod unknown_scope;
mod unused_client;
pub mod unused_permissions;
mod unused_scopes;
mod usage_anomaly;

#[cfg(test)]
pub(crate) mod testkit;

use chrono::NaiveDate;

use super::least_privilege::Fit;
use super::policy::AuditPolicy;
pub use super::severity::Severity;
use super::snapshot::{
    AuditEvent, Client, KnownTrail, Narrowing, Role, RoleGrant, Snapshot, ThirdPartyApp,
};

/// What a rule is: its stable id, default severity, title, what to do about a finding, and the
/// facts the rest of the tool needs about it (so no other module keeps a list of rule ids).
#[derive(Debug)]
pub struct RuleMeta {
    pub id: &'static str,
    pub default_severity: Severity,
    pub title: &'static str,
    pub description: &'static str,
    pub remediation: &'static str,
    /// How listings name the severity of a rule whose hits set their own (`None`: the default's).
    pub severity_text: Option<&'static str>,
    /// Whether the evidence lists dated trail events over a sliding window. It changes as old
    /// events age out without anything new happening, so such findings are identified by client
    /// and rule alone (else they would read as resolved and new again, reset their first-seen
    /// time and be announced again).
    pub windowed: bool,
    /// What the tool writes for a finding besides the remediation text.
    pub fix: Fix,
}

/// A fix the tool can write for a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fix {
    /// The remediation text is all there is.
    Manual,
    /// A CX-as-Code (Terraform) snippet with the smallest grant that does the client's job, built
    /// from the report's least-privilege fit.
    Terraform,
}

impl RuleMeta {
    /// The severity as `scopewatch policy check` and SARIF name it.
    pub fn default_severity_text(&self) -> &'static str {
        self.severity_text
            .unwrap_or_else(|| self.default_severity.as_str())
    }
}

/// What a rule found on one client.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Set when the severity depends on the case (deprecated-grant); else the rule's default.
    pub severity: Option<Severity>,
    pub detail: String,
    pub evidence: Vec<String>,
    /// What the finding's fingerprint is made of when the evidence only refers to it (the
    /// unused permissions and scopes are listed once, in the client's usage, and counted in the
    /// evidence); `None`: the evidence itself.
    pub identity: Option<Vec<String>>,
}

impl Hit {
    pub fn new(detail: impl Into<String>, evidence: Vec<String>) -> Hit {
        Hit {
            severity: None,
            detail: detail.into(),
            evidence,
            identity: None,
        }
    }

    /// The same hit fingerprinted by `identity` rather than its evidence.
    pub fn identified_by(mut self, identity: Vec<String>) -> Hit {
        self.identity = Some(identity);
        self
    }
}

/// What every check can see besides the client.
pub struct Context<'a> {
    pub snapshot: &'a Snapshot,
    pub policy: &'a AuditPolicy,
    pub today: NaiveDate,
    /// The judged client's least-privilege fit, computed once for its rules and its report.
    pub fit: Option<&'a Fit>,
}

impl Context<'_> {
    /// The client's role grants with their roles (grants of unknown roles are skipped).
    pub fn roles_of<'c>(
        &'c self,
        client: &'c Client,
    ) -> impl Iterator<Item = (&'c RoleGrant, &'c Role)> {
        client
            .roles
            .iter()
            .filter_map(|g| self.snapshot.roles.get(&g.role_id).map(|r| (g, r)))
    }
}

pub type Check = fn(&Context, &Client) -> Option<Hit>;

pub struct Rule {
    pub meta: RuleMeta,
    pub check: Check,
}

/// A rule about the org itself rather than one client: it looks at the whole snapshot, and its
/// finding goes to the report's `organization_findings`.
pub struct OrgRule {
    pub meta: RuleMeta,
    pub check: fn(&Snapshot) -> Option<Hit>,
}

/// Every org-level rule, in report order.
pub static ORG_RULES: &[OrgRule] = &[org_no_ip_allowlist::RULE];

/// A rule about an app of another org authorized in this one: it looks at one authorization,
/// and its finding goes to the app's entry in the report's `third_party_apps`.
pub struct AppRule {
    pub meta: RuleMeta,
    pub check: fn(&Snapshot, &AuditPolicy, &ThirdPartyApp) -> Option<Hit>,
}

/// Every third-party app rule, in report order.
pub static APP_RULES: &[AppRule] = &[third_party_app_access::RULE];

/// Every rule's metadata: the client rules, then the org-level ones, then the app ones.
pub fn all_meta() -> impl Iterator<Item = &'static RuleMeta> {
    RULES
        .iter()
        .map(|r| &r.meta)
        .chain(ORG_RULES.iter().map(|r| &r.meta))
        .chain(APP_RULES.iter().map(|r| &r.meta))
}

pub use auditor_over_privileged::{AUTHORIZATIONS_PERMISSION, IP_ALLOWLIST_PERMISSION};
pub use high_risk_scope::high_risk_scopes;
pub use privilege_escalation::ESCALATION_SCOPES;

/// The token lifetime Genesys applies when a client sets none.
pub fn long_token_lifetime_default() -> i64 {
    long_token_lifetime::DEFAULT_VALIDITY_SECONDS
}

/// Every rule, in report order.
pub static RULES: &[Rule] = &[
    client_administers_access::RULE,
    privilege_escalation::RULE,
    admin_role::RULE,
    auditor_over_privileged::RULE,
    high_risk_scope::RULE,
    public_client_write_scope::RULE,
    insecure_redirect_uri::RULE,
    deprecated_grant::RULE,
    all_divisions::RULE,
    long_token_lifetime::RULE,
    unused_client::RULE,
    orphaned_client::RULE,
    unused_permissions::RULE,
    unused_scopes::RULE,
    excessive_scopes::RULE,
    missing_required_scope::RULE,
    inactive_client_with_access::RULE,
    unknown_scope::RULE,
    no_description::RULE,
    recent_privilege_change::RULE,
    stale_client_secret::RULE,
    usage_anomaly::RULE,
    expired_waiver::RULE,
];

/// The trail's entity type of OAuth clients.
pub const OAUTH_CLIENT: &str = "OAuthClient";
/// The trail's entity type of roles.
pub const ROLE: &str = "Role";

/// Whether an audited action only read (it changes no access).
fn is_read(action: &str) -> bool {
    let a = action.to_ascii_lowercase();
    a == "view" || a == "read" || a == "get" || a.starts_with("view") || a.starts_with("read")
}

/// Whether an entity type of the trail is about access: OAuth clients, roles, grants and
/// authorizations.
fn is_access_entity(entity_type: &str) -> bool {
    entity_type == OAUTH_CLIENT
        || entity_type == ROLE
        || entity_type.contains("Grant")
        || entity_type.contains("Authorization")
}

/// What an OAuth client changed itself: creations and changes of OAuth clients, roles or
/// grants, newest first.
pub fn administrative_actions<'a>(
    trail: &'a KnownTrail,
    client_id: &str,
) -> impl Iterator<Item = &'a AuditEvent> + 'a {
    trail
        .by(client_id)
        .filter(|e| is_access_entity(&e.entity_type) && !is_read(&e.action))
}

/// `name (id)` of an entity or person named in the trail.
pub fn describe_named(named: &super::snapshot::Named) -> String {
    match &named.name {
        Some(name) if name != &named.id => format!("'{name}' ({})", named.id),
        _ => named.id.clone(),
    }
}

/// Evidence lines kept per finding from the trail; the rest is counted.
pub const MAX_TRAIL_EVIDENCE: usize = 10;

/// At most `MAX_TRAIL_EVIDENCE` lines, and a line that counts the rest.
pub fn bounded(mut lines: Vec<String>) -> Vec<String> {
    if lines.len() > MAX_TRAIL_EVIDENCE {
        let more = lines.len() - MAX_TRAIL_EVIDENCE;
        lines.truncate(MAX_TRAIL_EVIDENCE);
        lines.push(format!("and {more} more"));
    }
    lines
}

pub fn rule_meta(id: &str) -> Option<&'static RuleMeta> {
    all_meta().find(|m| m.id == id)
}

/// Whether a role allows `domain:entity:action`, through a policy (with `*` wildcards) or the
/// flat `admin` permission: `None` when it does not, else how it holds it.
pub fn role_holds<'r>(
    role: &'r Role,
    domain: &str,
    entity: &str,
    action: &str,
) -> Option<Held<'r>> {
    if role.permissions.iter().any(|p| p == "admin") {
        return Some(Held::Fully);
    }
    let matches = |want: &str, have: &str| have == "*" || have == want;
    let mut conditional = None;
    for p in role.policies.iter().filter(|p| {
        matches(domain, &p.domain)
            && matches(entity, &p.entity)
            && p.actions.iter().any(|a| matches(action, a))
    }) {
        match &p.narrowed {
            None => return Some(Held::Fully),
            Some(narrowing) => conditional = conditional.or(Some(Held::Conditionally(narrowing))),
        }
    }
    conditional
}

/// How a role holds a permission: outright, or only through a policy narrowed to some
/// resources (the rules judge both alike and say which).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held<'r> {
    Fully,
    Conditionally(&'r Narrowing),
}

impl Held<'_> {
    /// `""`, or ` conditionally (named resources: 3)` to follow a permission in evidence.
    pub fn suffix(self) -> String {
        match self {
            Held::Fully => String::new(),
            Held::Conditionally(narrowing) => conditionally(narrowing),
        }
    }
}

/// ` conditionally (named resources: 3)`.
pub fn conditionally(narrowing: &Narrowing) -> String {
    format!(" conditionally ({})", narrowing.describe())
}

/// `domain:entity:action1,action2` for evidence lines, with ` conditionally (…)` when the
/// policy is narrowed.
pub fn describe_policy(p: &super::snapshot::PermissionPolicy) -> String {
    let narrowed = p.narrowed.as_ref().map(conditionally).unwrap_or_default();
    format!(
        "{}:{}:{}{narrowed}",
        p.domain,
        p.entity,
        p.actions.join(",")
    )
}

/// `role 'Name' (division X)` for evidence lines.
pub fn describe_grant(grant: &RoleGrant, role: &Role) -> String {
    let division = if grant.division_id == "*" {
        "all divisions".to_string()
    } else {
        format!("division {}", grant.division_id)
    };
    format!("role '{}' ({division})", role.name)
}

#[cfg(test)]
mod tests {
    use super::testkit::{
        client, event, policy, run_with, snapshot, today, with_roles, with_scopes, with_trail,
    };
    use super::*;
    use crate::audit::snapshot::PropertyChange;

    /// Client `c1` widened (its scopes) and acting on access itself (creating a client) at `at`.
    fn widened_and_acting(id: &str, at: &str) -> [AuditEvent; 2] {
        let mut widened = event(id, at, None, "Update", OAUTH_CLIENT, "c1");
        widened.properties = vec![PropertyChange::new(
            "scope",
            vec![],
            vec![format!("scope-{id}")],
        )];
        let acting = event(
            id,
            at,
            Some("c1"),
            "Create",
            OAUTH_CLIENT,
            &format!("new-{id}"),
        );
        [widened, acting]
    }

    #[test]
    fn exactly_the_rules_whose_evidence_moves_with_the_trail_window_are_windowed() {
        let older = widened_and_acting("a", "2026-10-30T09:00:00Z");
        let newer = widened_and_acting("b", "2026-10-31T09:00:00Z");
        let both = with_trail(older.into_iter().chain(newer.clone()).collect());
        let aged_out = with_trail(newer.into_iter().collect());
        let c = client("CLIENT-CREDENTIALS");
        let mut moved = Vec::new();
        for rule in RULES {
            let before = run_with(rule, &both, &policy(), &c);
            let after = run_with(rule, &aged_out, &policy(), &c);
            let moves = matches!((&before, &after), (Some(b), Some(a)) if b.evidence != a.evidence);
            assert_eq!(
                rule.meta.windowed,
                moves,
                "{}: windowed is {}, but its evidence {} as an event ages out ({before:?} -> {after:?})",
                rule.meta.id,
                rule.meta.windowed,
                if moves { "changes" } else { "stays" }
            );
            if moves {
                moved.push(rule.meta.id);
            }
        }
        assert!(!moved.is_empty(), "the trail triggered no windowed rule");
    }

    #[test]
    fn every_rules_severity_text_names_its_default_severity() {
        for rule in RULES {
            let text = rule.meta.default_severity_text();
            assert!(
                text.split(|c: char| !c.is_ascii_uppercase())
                    .any(|word| word == rule.meta.default_severity.as_str()),
                "{}: '{text}' does not name {}",
                rule.meta.id,
                rule.meta.default_severity.as_str()
            );
        }
    }

    /// A Terraform fix writes the client's least-privilege fit; a rule that finds without one
    /// has no grant to write.
    #[test]
    fn no_rule_that_finds_without_a_least_privilege_fit_has_a_terraform_fix() {
        let s = snapshot();
        let p = policy();
        let mut risky = with_scopes(client("TOKEN"), &["users", "oauth:client", "admin"]);
        risky.description = None;
        risky.token_validity_seconds = Some(400_000_000);
        risky.redirect_uris = vec!["http://app.example.com/cb".into()];
        let clients = [
            risky,
            client("PASSWORD"),
            with_roles(client("CLIENT-CREDENTIALS"), &[("master", "*")]),
            with_roles(client("CLIENT-CREDENTIALS"), &[("oauth-editor", "d1")]),
        ];
        let ctx = Context {
            snapshot: &s,
            policy: &p,
            today: today(),
            fit: None,
        };
        let mut found = Vec::new();
        for rule in RULES {
            if clients.iter().any(|c| (rule.check)(&ctx, c).is_some()) {
                assert_eq!(rule.meta.fix, Fix::Manual, "{}", rule.meta.id);
                found.push(rule.meta.id);
            }
        }
        assert!(
            found.len() >= RULES.len() / 2,
            "too few rules found: {found:?}"
        );
    }
}
