//! `deprecated-grant`: grants the OAuth 2.0 Security BCP (RFC 9700) says not to use.

use super::{Context, Fix, Hit, Rule, RuleMeta, Severity};
use crate::audit::snapshot::{Client, GrantType};

pub(super) const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "deprecated-grant",
        default_severity: Severity::High,
        title: "Client uses a deprecated OAuth grant",
        description: "RFC 9700 (OAuth 2.0 Security Best Current Practice) says the resource owner password grant must not be used and the implicit grant should not be used.",
        remediation: "Create a replacement client in Admin > Integrations > OAuth with the Code Authorization grant (with PKCE for browser and mobile apps) or Client Credentials for services, move the application to it, then delete this client.",
        severity_text: Some("HIGH (PASSWORD), MEDIUM (TOKEN)"),
        windowed: false,
        fix: Fix::Manual,
    },
    check,
};

fn check(_ctx: &Context, client: &Client) -> Option<Hit> {
    let (severity, why) = match client.grant_type {
        GrantType::Password => (
            Severity::High,
            "the resource owner password grant MUST NOT be used",
        ),
        GrantType::Token => (Severity::Medium, "the implicit grant SHOULD NOT be used"),
        _ => return None,
    };
    Some(Hit {
        severity: Some(severity),
        detail: format!("Grant {}: RFC 9700 says {why}.", client.grant_type.as_str()),
        evidence: vec![format!(
            "authorizedGrantType {}",
            client.grant_type.as_str()
        )],
        identity: None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    #[test]
    fn password_is_high_and_implicit_medium() {
        assert_eq!(
            run(&RULE, &client("PASSWORD")).unwrap().severity,
            Some(Severity::High)
        );
        assert_eq!(
            run(&RULE, &client("TOKEN")).unwrap().severity,
            Some(Severity::Medium)
        );
    }

    #[test]
    fn the_severity_text_names_every_severity_a_grant_gets() {
        let text = RULE
            .meta
            .severity_text
            .expect("hits set their own severity");
        for grant in ["PASSWORD", "TOKEN"] {
            let severity = run(&RULE, &client(grant)).unwrap().severity.unwrap();
            assert!(
                text.contains(&format!("{} ({grant})", severity.as_str())),
                "'{text}' does not say {grant} is {}",
                severity.as_str()
            );
        }
    }

    #[test]
    fn current_grants_pass() {
        for g in [
            "CODE",
            "CLIENT-CREDENTIALS",
            "SAML2-BEARER",
            "SOMETHING-NEW",
        ] {
            assert_eq!(run(&RULE, &client(g)), None, "{g}");
        }
    }
}
