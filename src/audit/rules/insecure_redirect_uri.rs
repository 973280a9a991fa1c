//! `insecure-redirect-uri`: plain http to a non-loopback host, or a wildcard.

use super::{Context, Fix, Hit, Rule, RuleMeta, Severity};
use crate::audit::snapshot::Client;

pub(super) const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "insecure-redirect-uri",
        default_severity: Severity::High,
        title: "Redirect URI is insecure",
        description: "Authorization codes and tokens sent over plain http to a network host can be read on the way; a wildcard lets an attacker-controlled page receive them.",
        remediation: "In Admin > Integrations > OAuth, edit the client's Authorized redirect URIs: use https, list each exact callback URL, and remove wildcards. Plain http is acceptable only for localhost during development.",
        severity_text: None,
        windowed: false,
        fix: Fix::Manual,
    },
    check,
};

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Why a redirect URI is insecure, if it is.
fn problem(uri: &str) -> Option<&'static str> {
    if uri.contains('*') {
        return Some("contains a wildcard");
    }
    match url::Url::parse(uri) {
        Ok(parsed) if parsed.scheme() == "http" => {
            let host = parsed.host_str().unwrap_or_default();
            (!is_loopback(host)).then_some("uses plain http to a non-loopback host")
        }
        Ok(_) => None,
        Err(_) => Some("is not a valid URL"),
    }
}

fn check(_ctx: &Context, client: &Client) -> Option<Hit> {
    let evidence: Vec<String> = client
        .redirect_uris
        .iter()
        .filter_map(|u| problem(u).map(|why| format!("redirect URI {u} {why}")))
        .collect();
    (!evidence.is_empty()).then(|| {
        Hit::new(
            format!(
                "{} redirect URI(s) could leak codes or tokens.",
                evidence.len()
            ),
            evidence,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    fn with_uris(uris: &[&str]) -> Client {
        let mut c = client("CODE");
        c.redirect_uris = uris.iter().map(|u| u.to_string()).collect();
        c
    }

    #[test]
    fn flags_plain_http_to_network_hosts_and_wildcards() {
        let hit = run(
            &RULE,
            &with_uris(&[
                "http://intranet.example.net/cb",
                "https://*.example.org/cb",
                "https://ok.example.com/cb",
            ]),
        )
        .unwrap();
        assert_eq!(
            hit.evidence,
            vec![
                "redirect URI http://intranet.example.net/cb uses plain http to a non-loopback host",
                "redirect URI https://*.example.org/cb contains a wildcard",
            ]
        );
    }

    #[test]
    fn https_and_loopback_http_pass() {
        let c = with_uris(&[
            "https://app.example.com/cb",
            "http://localhost:8080/cb",
            "http://127.0.0.1:3000/a",
            "http://[::1]:9000/x",
        ]);
        assert_eq!(run(&RULE, &c), None);
    }
}
