//! `inactive-client-with-access`: a disabled or inactive client still holding roles or scopes.

use super::{Context, Fix, Hit, Rule, RuleMeta, Severity};
use crate::audit::snapshot::{Client, ClientState};

pub(super) const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "inactive-client-with-access",
        default_severity: Severity::Low,
        title: "Disabled or inactive client still holds access",
        description: "A client that is switched off still carries its roles or scopes; turning it back on restores them silently.",
        remediation: "In Admin > Integrations > OAuth, remove the client's roles and scopes, or delete the client if it is no longer needed.",
        severity_text: None,
        windowed: false,
        fix: Fix::Manual,
    },
    check,
};

fn check(_ctx: &Context, client: &Client) -> Option<Hit> {
    if !matches!(client.state, ClientState::Disabled | ClientState::Inactive) {
        return None;
    }
    if client.roles.is_empty() && client.scopes.is_empty() {
        return None;
    }
    Some(Hit::new(
        format!(
            "The client is {} but still holds access.",
            client.state.as_str()
        ),
        vec![format!(
            "state {}, {} role grant(s), {} scope(s)",
            client.state.as_str(),
            client.roles.len(),
            client.scopes.len()
        )],
    ))
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    #[test]
    fn flags_switched_off_clients_with_access() {
        let mut c = with_roles(client("CLIENT-CREDENTIALS"), &[("reader", "d1")]);
        c.state = ClientState::Inactive;
        assert_eq!(
            run(&RULE, &c).unwrap().evidence,
            vec!["state inactive, 1 role grant(s), 0 scope(s)"]
        );
    }

    #[test]
    fn active_or_empty_clients_pass() {
        let c = with_scopes(client("CODE"), &["users"]);
        assert_eq!(run(&RULE, &c), None);
        let mut empty = client("CODE");
        empty.state = ClientState::Disabled;
        assert_eq!(run(&RULE, &empty), None);
    }
}
