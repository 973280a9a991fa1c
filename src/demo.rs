//! The built-in simulated organizations of `serve --demo`. They come from the `scopewatch-sim`
//! crate behind the default cargo feature `demo`; a build without it answers `--demo` with an
//! error that says so.

use crate::orgs_file::OrgSettings;

/// Why the demo organizations did not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[cfg_attr(
        feature = "demo",
        allow(dead_code, reason = "only a build without the simulator says it")
    )]
    #[error(
        "--demo needs the simulator, and this scopewatch was built without it (cargo feature `demo`)"
    )]
    NotBuilt,
    #[cfg_attr(
        not(feature = "demo"),
        allow(dead_code, reason = "only a build with the simulator starts one")
    )]
    #[error("cannot start the demo organization")]
    Start(#[source] std::io::Error),
}

/// The running simulators; they stop when this is dropped.
#[derive(Default)]
pub(crate) struct DemoOrgs {
    #[cfg(feature = "demo")]
    _running: Vec<scopewatch_sim::RunningSim>,
}

/// Starts `count` simulated orgs (at least one) and the settings that audit them.
#[cfg(not(feature = "demo"))]
pub async fn start(_count: usize) -> Result<(Vec<OrgSettings>, DemoOrgs), DemoError> {
    Err(DemoError::NotBuilt)
}

#[cfg(feature = "demo")]
pub(crate) use with_sim::start;

#[cfg(feature = "demo")]
mod with_sim {
    use scopewatch_sim::{self as sim, OrgSize, SimSettings};
    use secrecy::SecretString;

    use super::{DemoError, DemoOrgs, OrgSettings};

    /// The simulated orgs of `serve --demo --orgs N`: different sizes and regions, the first named
    /// `default` so the single-org routes answer for it.
    const DEMO_ORGS: [(&str, usize, &str); 8] = [
        ("default", 300, "mypurecloud.com"),
        ("emea", 120, "mypurecloud.de"),
        ("apac", 40, "mypurecloud.com.au"),
        ("japan", 80, "mypurecloud.jp"),
        ("canada", 60, "cac1.pure.cloud"),
        ("ireland", 150, "mypurecloud.ie"),
        ("brazil", 30, "sae1.pure.cloud"),
        ("india", 90, "aps1.pure.cloud"),
    ];

    // `serve --orgs` accepts 1 to 8.
    const _: () = assert!(DEMO_ORGS.len() == 8);

    /// Starts the built-in simulated orgs for `--demo` and says how to reach each.
    pub(crate) async fn start(count: usize) -> Result<(Vec<OrgSettings>, DemoOrgs), DemoError> {
        let mut orgs = Vec::new();
        let mut sims = Vec::new();
        for (index, (name, clients, region)) in DEMO_ORGS.iter().take(count.max(1)).enumerate() {
            let mut org = sim::generate(&OrgSize {
                clients: *clients,
                roles: 60,
                seed: 1 + index as u64,
                anchor: chrono::Utc::now().date_naive(),
            });
            let secret = sim::random_token();
            org.ensure_auditor("scopewatch-demo", &secret);
            // The org changes once, as its second audit reads it, so the diff page has new and
            // resolved findings to show.
            let settings = SimSettings {
                change_at_second_listing: true,
                ..SimSettings::default()
            };
            let running = sim::start_on_loopback(org, settings)
                .await
                .map_err(DemoError::Start)?;
            let region = if count <= 1 {
                "demo (simulated)".to_string()
            } else {
                format!("demo (simulated {region})")
            };
            tracing::info!(org = name, url = %running.base_url(), clients = clients + 1, "demo: simulated Genesys Cloud organization started");
            orgs.push(OrgSettings {
                name: name.to_string(),
                region,
                api_base_url: running.base_url(),
                login_base_url: running.base_url(),
                client_id: "scopewatch-demo".into(),
                client_secret: SecretString::from(secret),
                interval: None,
                policy: None,
                credentials: crate::genesys::CredentialsOrigin::Environment,
            });
            sims.push(running);
        }
        Ok((orgs, DemoOrgs { _running: sims }))
    }
}
