//! `scopewatch healthcheck`: exit 0 when the local service answers `/healthz` (for container
//! HEALTHCHECKs on images without curl).

use std::collections::BTreeMap;
use std::time::Duration;

use clap::Args;

use super::CliError;
use crate::config::Settings;

#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// URL to check (default: /healthz on SCOPEWATCH_LISTEN, with 127.0.0.1 for 0.0.0.0).
    #[arg(long)]
    pub url: Option<String>,
}

pub async fn run_healthcheck(
    args: HealthcheckArgs,
    env: &BTreeMap<String, String>,
) -> Result<(), CliError> {
    let url = match args.url {
        Some(url) => url,
        None => {
            let settings = Settings::load(env, None)?;
            let mut addr = settings.listen;
            if addr.ip().is_unspecified() {
                addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            format!("http://{addr}/healthz")
        }
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .map_err(|e| CliError::failed("cannot build the HTTP client", e))?;
    match client.get(&url).send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(CliError::Unhealthy {
            status: r.status(),
            url,
        }),
        Err(e) => Err(CliError::failed(format!("{url} did not answer"), e)),
    }
}
