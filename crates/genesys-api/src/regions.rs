//! Genesys Cloud regions: the API host is `api.<domain>`, the login host `login.<domain>`.

/// The 18 region domains of the official SDKs.
pub const REGIONS: [&str; 18] = [
    "mypurecloud.com",
    "mypurecloud.ie",
    "mypurecloud.com.au",
    "mypurecloud.jp",
    "mypurecloud.de",
    "usw2.pure.cloud",
    "cac1.pure.cloud",
    "apne2.pure.cloud",
    "euw2.pure.cloud",
    "aps1.pure.cloud",
    "use2.us-gov-pure.cloud",
    "sae1.pure.cloud",
    "mec1.pure.cloud",
    "apne3.pure.cloud",
    "euc2.pure.cloud",
    "mxc1.pure.cloud",
    "apse1.pure.cloud",
    "edee1.eusc-pure.cloud",
];

pub const DEFAULT_REGION: &str = "mypurecloud.com";

pub fn is_known(region: &str) -> bool {
    REGIONS.contains(&region)
}

pub fn api_base_url(region: &str) -> String {
    format!("https://api.{region}")
}

pub fn login_base_url(region: &str) -> String {
    format!("https://login.{region}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_region_maps_to_api_and_login_hosts() {
        assert_eq!(REGIONS.len(), 18);
        assert_eq!(api_base_url("mypurecloud.ie"), "https://api.mypurecloud.ie");
        assert_eq!(
            login_base_url("usw2.pure.cloud"),
            "https://login.usw2.pure.cloud"
        );
        assert!(REGIONS.iter().all(|r| is_known(r)));
        assert!(!is_known("usw2.purecloud.com"));
    }
}
