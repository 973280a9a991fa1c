//! The org's IP allowlist: the networks from which its tokens may be used. An empty one lets a
//! stolen client secret work from anywhere (`org-no-ip-allowlist`).

use genesys_api::read_models::IpAddressAuthentication;

use super::source::{Collection, Reading, Source, Unreadable, apply};
use crate::audit::rules::IP_ALLOWLIST_PERMISSION;
use crate::audit::snapshot::Snapshot;
use crate::genesys::trail::text;

const IP_ALLOWLIST: &str = "/api/v2/organizations/ipaddressauthentication";

/// Networks kept from the answer: more than any org configures; the rest is dropped.
const MAX_NETWORKS: usize = 1000;

pub(super) const SOURCE: Source = Source {
    name: "IP allowlist",
    permissions: &[IP_ALLOWLIST_PERMISSION],
    needs: &[],
    unreadable: Unreadable::Degrades {
        warning: "IP allowlist unknown (org-no-ip-allowlist is not checked)",
        half_time: true,
    },
    start,
};

fn start<'a>(collection: &'a Collection<'a>, _: &Snapshot) -> Reading<'a> {
    Box::pin(async move {
        let answer: IpAddressAuthentication = collection
            .client
            .get_json(IP_ALLOWLIST, IP_ALLOWLIST)
            .await?;
        Ok(apply(networks(answer), |s, networks| {
            s.ip_allowlist = Some(networks)
        }))
    })
}

/// The networks named, bounded and cleaned; an absent list, null or blank entries name none.
fn networks(answer: IpAddressAuthentication) -> Vec<String> {
    answer
        .network_whitelist
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .map(|n| text(n.trim()))
        .filter(|n| !n.is_empty())
        .take(MAX_NETWORKS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Vec<String> {
        networks(serde_json::from_str(json).unwrap())
    }

    #[test]
    fn an_absent_or_null_list_is_empty_and_blank_entries_name_nothing() {
        assert!(read("{}").is_empty());
        assert!(read(r#"{"networkWhitelist": null}"#).is_empty());
        assert!(read(r#"{"networkWhitelist": [null, "", "  "]}"#).is_empty());
        assert_eq!(
            read(r#"{"networkWhitelist": [" 203.0.113.0/24", null], "extra": 1}"#),
            vec!["203.0.113.0/24"]
        );
    }

    #[test]
    fn a_huge_list_is_bounded() {
        let many: Vec<String> = (0..5000).map(|i| format!("10.0.{i}.0/24")).collect();
        let json = serde_json::json!({ "networkWhitelist": many }).to_string();
        assert_eq!(read(&json).len(), MAX_NETWORKS);
    }
}
