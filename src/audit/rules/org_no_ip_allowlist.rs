//! `org-no-ip-allowlist`: the org restricts nothing about where its tokens may be used from, so
//! a stolen client secret works from any network. An org-level rule: it judges the snapshot,
//! not a client.

use super::{Fix, Hit, OrgRule, RuleMeta, Severity};
use crate::audit::snapshot::Snapshot;

pub(super) const RULE: OrgRule = OrgRule {
    meta: RuleMeta {
        id: "org-no-ip-allowlist",
        default_severity: Severity::Medium,
        title: "The org has no IP allowlist",
        description: "The org's IP allowlist (networkWhitelist) is empty: Genesys accepts the org's tokens from any network, so a leaked client secret works from anywhere. Not checked when the allowlist could not be read.",
        remediation: "In Admin > Organization Settings > IP Address Authentication (or PUT /api/v2/organizations/ipaddressauthentication), list the networks (CIDR) your integrations and people call from; check that every integration's egress addresses are included first, or its calls will be refused.",
        severity_text: None,
        windowed: false,
        fix: Fix::Manual,
    },
    check,
};

fn check(snapshot: &Snapshot) -> Option<Hit> {
    // Unknown is not empty: an allowlist that could not be read raises nothing.
    let networks = snapshot.ip_allowlist.as_ref()?;
    networks.is_empty().then(|| {
        Hit::new(
            "The org's IP allowlist is empty: a stolen client secret works from any network.",
            vec![
                "GET /api/v2/organizations/ipaddressauthentication answered an empty networkWhitelist"
                    .to_string(),
            ],
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::testkit::snapshot;
    use super::*;

    #[test]
    fn an_empty_allowlist_is_raised() {
        let mut s = snapshot();
        s.ip_allowlist = Some(vec![]);
        let hit = check(&s).expect("an empty allowlist is a finding");
        assert!(hit.detail.contains("any network"), "{}", hit.detail);
        assert_eq!(hit.evidence.len(), 1);
        assert!(hit.evidence[0].contains("networkWhitelist"));
    }

    #[test]
    fn an_unknown_or_non_empty_allowlist_is_not() {
        let mut s = snapshot();
        s.ip_allowlist = None;
        assert_eq!(check(&s), None, "unknown is not empty");
        s.ip_allowlist = Some(vec!["203.0.113.0/24".into()]);
        assert_eq!(check(&s), None);
    }
}
