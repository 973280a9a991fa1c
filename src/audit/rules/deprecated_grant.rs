//! `deprecated-grant`: grants the OAuth 2.0 Security BCP (RFC 9700) says not to use, and the
//! implicit grant Genesys is retiring (dates from a Genesys answer in the Genesys Cloud
//! community, "Migrating from Implicit Grant", cited in docs/compliance.md).

use super::{Context, Fix, Hit, Rule, RuleMeta, Severity};
use crate::audit::snapshot::{Client, GrantType};

pub(super) const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "deprecated-grant",
        default_severity: Severity::High,
        title: "Client uses a deprecated OAuth grant",
        description: "RFC 9700 (OAuth 2.0 Security Best Current Practice) says the resource owner password grant must not be used and the implicit grant should not be used. Genesys is retiring the implicit grant: no new implicit-grant clients from March 2026, and the flow stops working by March 2027.",
        remediation: "Create a replacement client in Admin > Integrations > OAuth with the Code Authorization grant (with PKCE for browser and mobile apps) or Client Credentials for services, move the application to it, then delete this client. Implicit-grant (TOKEN) clients must move before March 2027, when Genesys stops the implicit flow.",
        severity_text: Some("HIGH (PASSWORD), MEDIUM (TOKEN)"),
        windowed: false,
        fix: Fix::Manual,
    },
    check,
};

/// Genesys's retirement of the implicit grant, as the detail of a `TOKEN` client says it.
pub(super) const IMPLICIT_RETIREMENT: &str = "Genesys is retiring the implicit grant: since March 2026 no new implicit-grant client can be created, and by March 2027 the implicit flow stops working, so this client must move to Code Authorization with PKCE before then";

fn check(_ctx: &Context, client: &Client) -> Option<Hit> {
    let (severity, why, retirement) = match client.grant_type {
        GrantType::Password => (
            Severity::High,
            "the resource owner password grant MUST NOT be used",
            "",
        ),
        GrantType::Token => (
            Severity::Medium,
            "the implicit grant SHOULD NOT be used",
            IMPLICIT_RETIREMENT,
        ),
        _ => return None,
    };
    let retirement = if retirement.is_empty() {
        String::new()
    } else {
        format!(" {retirement}.")
    };
    Some(Hit {
        severity: Some(severity),
        detail: format!(
            "Grant {}: RFC 9700 says {why}.{retirement}",
            client.grant_type.as_str()
        ),
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
    fn an_implicit_grant_client_is_told_the_genesys_retirement_dates() {
        let detail = run(&RULE, &client("TOKEN")).unwrap().detail;
        assert!(detail.contains("March 2026"), "{detail}");
        assert!(
            detail.contains("by March 2027 the implicit flow stops working"),
            "{detail}"
        );
        assert!(RULE.meta.remediation.contains("before March 2027"));
        let password = run(&RULE, &client("PASSWORD")).unwrap().detail;
        assert!(!password.contains("2027"), "{password}");
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
