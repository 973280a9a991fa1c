//! `unknown-scope`: a scope not in the org's scope catalog.

use super::{Context, Fix, Hit, Rule, RuleMeta, Severity};
use crate::audit::snapshot::Client;

pub(super) const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "unknown-scope",
        default_severity: Severity::Low,
        title: "Client holds a scope the org does not know",
        description: "A scope missing from GET /api/v2/oauth/scopes was retired or mistyped; it grants nothing today but shows the client's configuration is not understood.",
        remediation: "In Admin > Integrations > OAuth, remove the unknown scope from the client's Scope tab and check what the application really needs.",
        severity_text: None,
        windowed: false,
        fix: Fix::Manual,
    },
    check,
};

fn check(ctx: &Context, client: &Client) -> Option<Hit> {
    let catalog = ctx.snapshot.scope_catalog.as_ref()?;
    let unknown: Vec<String> = client
        .scopes
        .iter()
        .filter(|s| !catalog.contains(s.as_str()))
        .map(|s| format!("scope {s} is not in the org's scope catalog"))
        .collect();
    (!unknown.is_empty()).then(|| Hit::new(format!("{} unknown scope(s).", unknown.len()), unknown))
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    #[test]
    fn flags_scopes_missing_from_the_catalog() {
        let c = with_scopes(client("CODE"), &["users", "admin:oauth:read"]);
        assert_eq!(
            run(&RULE, &c).unwrap().evidence,
            vec!["scope admin:oauth:read is not in the org's scope catalog"]
        );
    }

    #[test]
    fn known_scopes_or_an_unknown_catalog_pass() {
        let c = with_scopes(client("CODE"), &["users", "oauth:readonly"]);
        assert_eq!(run(&RULE, &c), None);
        let mut snap = snapshot();
        snap.scope_catalog = None;
        let c = with_scopes(client("CODE"), &["made-up"]);
        assert_eq!(
            run_with(
                &RULE,
                &snap,
                &crate::audit::policy::AuditPolicy::builtin(),
                &c
            ),
            None
        );
    }
}
