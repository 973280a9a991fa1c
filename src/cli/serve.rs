//! `scopewatch serve [--demo]`: the service.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use secrecy::ExposeSecret;

use super::{CliError, shutdown_signal};
use crate::app::App;
use crate::config::Settings;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Audit a built-in simulated organization (no credentials needed).
    #[arg(long)]
    pub demo: bool,
    /// With --demo: simulate this many organizations of different sizes and regions (at most
    /// 8), served under /orgs/{org}/... (the first, named default, also at /report).
    #[arg(long, requires = "demo", value_parser = clap::value_parser!(u8).range(1..=8))]
    pub orgs: Option<u8>,
    /// TOML file with the same keys as the environment variables (the environment wins).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

pub async fn run_serve(args: ServeArgs, env: &BTreeMap<String, String>) -> Result<(), CliError> {
    let settings = Settings::load(env, args.config.as_deref())?;
    if !args.demo {
        // The orgs of SCOPEWATCH_ORGS_FILE, or the single org's credentials.
        settings.orgs()?;
    }
    // One service per SQLite file, held until the process ends.
    let _file_lock = crate::store::claim_sqlite_file(settings.database_url.expose_secret())
        .map_err(|e| {
            CliError::Invalid(format!(
                "SCOPEWATCH_DATABASE_URL: {}",
                genesys_api::text::with_causes(&e)
            ))
        })?;
    let demo_orgs = args.demo.then(|| args.orgs.map_or(1, usize::from));
    let app = App::build_with(settings, demo_orgs).await?;
    let addr = app.local_addr();
    let shown = if addr.ip().is_unspecified() {
        format!("http://localhost:{}", addr.port())
    } else {
        format!("http://{addr}")
    };
    eprintln!("scopewatch: serving the report at {shown}/report (metrics at {shown}/metrics)");
    app.run_until_stopped(shutdown_signal())
        .await
        .map_err(|e| CliError::failed("server error", e))
}
