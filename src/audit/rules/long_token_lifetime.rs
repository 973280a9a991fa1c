//! `long-token-lifetime`: access tokens that live longer than the policy allows.

use super::{Context, Fix, Hit, Rule, RuleMeta, Severity};
use crate::audit::snapshot::Client;

/// What Genesys applies when `accessTokenValiditySeconds` is absent.
pub(super) const DEFAULT_VALIDITY_SECONDS: i64 = 86_400;

pub(super) const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "long-token-lifetime",
        default_severity: Severity::Medium,
        title: "Access tokens live too long",
        description: "A leaked access token works until it expires; the longer the lifetime, the longer the window.",
        remediation: "In Admin > Integrations > OAuth, lower the client's Token Duration to the policy maximum (one day; one hour for implicit-grant clients) or less.",
        severity_text: None,
        windowed: false,
        fix: Fix::Manual,
    },
    check,
};

fn check(ctx: &Context, client: &Client) -> Option<Hit> {
    let validity = client
        .token_validity_seconds
        .unwrap_or(DEFAULT_VALIDITY_SECONDS);
    let t = &ctx.policy.thresholds;
    let max = if client.is_public() {
        t.max_implicit_token_lifetime_seconds
    } else {
        t.max_token_lifetime_seconds
    };
    (validity > max).then(|| {
        Hit::new(
            format!("Tokens live {validity} s; the policy allows at most {max} s for this client."),
            vec![format!("accessTokenValiditySeconds {validity} > {max}")],
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    #[test]
    fn flags_lifetimes_over_the_maximum() {
        let mut c = client("CODE");
        c.token_validity_seconds = Some(172_800);
        assert_eq!(
            run(&RULE, &c).unwrap().evidence,
            vec!["accessTokenValiditySeconds 172800 > 86400"]
        );
        let mut implicit = client("TOKEN");
        implicit.token_validity_seconds = Some(7200);
        assert!(run(&RULE, &implicit).is_some());
        implicit.token_validity_seconds = None;
        assert!(run(&RULE, &implicit).unwrap().evidence[0].contains("86400 > 3600"));
    }

    #[test]
    fn lifetimes_at_or_under_the_maximum_pass() {
        let mut c = client("CLIENT-CREDENTIALS");
        c.token_validity_seconds = None;
        assert_eq!(run(&RULE, &c), None);
        let mut implicit = client("TOKEN");
        implicit.token_validity_seconds = Some(3600);
        assert_eq!(run(&RULE, &implicit), None);
    }
}
