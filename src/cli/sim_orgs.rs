//! `scopewatch sim --orgs N --orgs-file-out PATH`: many generated orgs on one address, and the
//! `SCOPEWATCH_ORGS_FILE` that audits them all.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::sim::{SimArgs, settings_and_faults, write_request_log};
use super::{CliError, shutdown_signal};
use scopewatch_sim::{self as sim, ManyOrgs, OrgCredentials, OrgSize};

/// `scopewatch sim`: many orgs with `--orgs`, else one.
pub async fn run_sim(args: SimArgs) -> Result<(), CliError> {
    match args.orgs {
        Some(orgs) => run(&args, orgs as usize).await,
        None => super::sim::run_one(args).await,
    }
}

/// Serves `orgs` generated orgs until interrupted.
async fn run(args: &SimArgs, orgs: usize) -> Result<(), CliError> {
    let Some(orgs_file) = &args.orgs_file_out else {
        return Err(CliError::Invalid(
            "--orgs needs --orgs-file-out PATH: the orgs' credentials are written only there"
                .into(),
        ));
    };
    let (settings, faults) = settings_and_faults(args);
    let plan = ManyOrgs {
        orgs,
        size: OrgSize {
            clients: args.clients as usize,
            roles: args.roles as usize,
            seed: args.seed,
            anchor: args
                .anchor_date
                .unwrap_or_else(|| chrono::Utc::now().date_naive()),
        },
        settings,
        faults,
        deny: args.deny.clone(),
        resident: sim::RESIDENT_ORGS,
    };
    let running = sim::start_many(plan, args.listen)
        .await
        .map_err(|e| CliError::failed(format!("cannot listen on {}", args.listen), e))?;
    // Listening for SIGTERM before the address is announced: a caller may stop it at once.
    let stop = shutdown_signal();
    let secrets = write_orgs_file(orgs_file, &running.base_url(), running.credentials())?;
    println!(
        "scopewatch sim: {orgs} orgs of {} clients on {} (login and API)",
        args.clients,
        running.base_url()
    );
    println!(
        "wrote {} (SCOPEWATCH_ORGS_FILE; the secrets are in {})",
        orgs_file.display(),
        secrets.display()
    );
    stop.await;
    let requests = args.request_log.as_ref().map(|_| running.requests());
    running.stop().await;
    if let (Some(path), Some(requests)) = (&args.request_log, requests) {
        write_request_log(path, &requests)?;
    }
    Ok(())
}

/// Writes the orgs file at `path` and each secret to a file of `PATH.secrets/` (the orgs file
/// never holds a secret); returns that directory.
pub(super) fn write_orgs_file(
    path: &Path,
    base_url: &str,
    orgs: &[OrgCredentials],
) -> Result<PathBuf, CliError> {
    let failed = |what: &Path, e: std::io::Error| {
        CliError::failed(
            format!("--orgs-file-out: cannot write {}", what.display()),
            e,
        )
    };
    let mut dir = path.as_os_str().to_owned();
    dir.push(".secrets");
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).map_err(|e| failed(&dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| failed(&dir, e))?;
    }
    let dir = std::fs::canonicalize(&dir).map_err(|e| failed(&dir, e))?;
    let mut text = String::from(
        "# Written by `scopewatch sim --orgs`: every simulated org, for SCOPEWATCH_ORGS_FILE.\n",
    );
    for org in orgs {
        let secret_file = dir.join(&org.name);
        write_private(&secret_file, org.client_secret.as_bytes())
            .map_err(|e| failed(&secret_file, e))?;
        text.push_str(&format!(
            "\n[[org]]\nname = {}\napi_base_url = {url}\nlogin_base_url = {url}\nclient_id = {}\nclient_secret_file = {}\n",
            toml_string(&org.name),
            toml_string(&org.client_id),
            toml_string(&secret_file.to_string_lossy()),
            url = toml_string(base_url),
        ));
    }
    std::fs::write(path, text).map_err(|e| failed(path, e))?;
    Ok(dir)
}

/// A TOML basic string (JSON's escapes are a subset of TOML's).
fn toml_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// Writes a file only its owner may read.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    // `mode` applies only to a new file: an existing one is made private before the secret is
    // written into it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_orgs_file_reads_back_with_every_secret() {
        let dir = std::env::temp_dir().join(format!("sw-orgs-out-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("orgs \"q\".toml");
        let orgs: Vec<OrgCredentials> = (0..3)
            .map(|i| OrgCredentials {
                name: sim::org_name(i),
                client_id: format!("client-{i}"),
                client_secret: format!("s3cret-{i}"),
            })
            .collect();
        write_orgs_file(&path, "http://127.0.0.1:9", &orgs).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("s3cret"), "no secret in the orgs file");
        let read = crate::orgs_file::load(&path, &Default::default()).unwrap();
        let names: Vec<&str> = read.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["org-0001", "org-0002", "org-0003"]);
        use secrecy::ExposeSecret;
        for (org, want) in read.iter().zip(&orgs) {
            assert_eq!(org.client_id, want.client_id);
            assert_eq!(org.client_secret.expose_secret(), want.client_secret);
            assert_eq!(org.api_base_url, "http://127.0.0.1:9");
            assert_eq!(org.login_base_url, "http://127.0.0.1:9");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let secrets = dir.join("orgs \"q\".toml.secrets").join("org-0002");
            let mode = std::fs::metadata(&secrets).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "only the owner reads a secret");
            // Written again over a file and a folder others could read: both made private.
            let folder = secrets.parent().unwrap().to_path_buf();
            std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o644)).unwrap();
            std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
            write_orgs_file(&path, "http://127.0.0.1:9", &orgs).unwrap();
            let mode = std::fs::metadata(&secrets).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "an existing secret file made private");
            let mode = std::fs::metadata(&folder).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the secrets folder is private");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
