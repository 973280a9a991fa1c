//! From the values as read to `Settings`: defaults, and the checks that involve several
//! variables or that cannot show the value (secrets).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use secrecy::SecretString;

use super::raw::Raw;
use super::{ConfigError, LogFormat, ServerLimits, Settings, WebhookFormat, WebhookSettings};
use crate::audit::severity::Severity;
use crate::store::redact_url;
use genesys_api::regions;

impl Raw {
    /// The settings these values describe, or the first reason they cannot work.
    pub(super) fn validate(self, env: &BTreeMap<String, String>) -> Result<Settings, ConfigError> {
        let (region, api_base_url, login_base_url) = self.hosts()?;
        let database_url = database_url(self.scopewatch_database_url.as_deref())?;
        let api_tokens = api_tokens(
            self.scopewatch_api_token.as_deref(),
            self.scopewatch_api_tokens.as_deref(),
        )?;
        let rust_log = self.rust_log.clone().unwrap_or_else(|| "info".into());
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&rust_log) {
            return Err(ConfigError::invalid(
                "RUST_LOG",
                format!("'{rust_log}' is not a valid filter: {e}"),
            ));
        }
        let webhook = self.webhook()?;
        let limits = self.limits();
        let server_limits = self.server_limits();
        let orgs_file = self.orgs_file(env)?;
        let public_url = self
            .scopewatch_public_url
            .as_deref()
            .map(|v| base_url("SCOPEWATCH_PUBLIC_URL", v))
            .transpose()?;
        Ok(Settings {
            client_id: self.genesys_oauth_client_id,
            client_secret: self.genesys_oauth_client_secret.map(SecretString::from),
            region,
            api_base_url,
            login_base_url,
            listen: self
                .scopewatch_listen
                .unwrap_or_else(|| ([0, 0, 0, 0], 8080).into()),
            audit_interval: self
                .scopewatch_audit_interval
                .map_or(Duration::from_secs(3600), |d| d.0),
            change_poll: self
                .scopewatch_change_poll
                .map_or(Some(Duration::from_secs(120)), |p| p.0),
            change_debounce: self
                .scopewatch_change_debounce
                .map_or(Duration::from_secs(300), |d| d.0),
            database_url,
            database_wait: self
                .scopewatch_database_wait
                .map_or(Duration::ZERO, |d| d.0),
            policy_path: self.scopewatch_policy,
            api_tokens,
            max_requests_per_minute: self
                .scopewatch_max_requests_per_minute
                .map_or(120, |n| n.0 as u32),
            retention: self
                .scopewatch_retention
                .map_or(Duration::from_secs(90 * 86_400), |d| d.0),
            log_format: self.scopewatch_log_format.unwrap_or(LogFormat::Json),
            retry_after_cap: self
                .scopewatch_retry_after_cap
                .map_or(Duration::from_secs(180), |d| d.0),
            limits,
            server_limits,
            webhook,
            public_url,
            orgs_file,
            max_concurrent_audits: self
                .scopewatch_max_concurrent_audits
                .map_or_else(default_concurrent_audits, |n| n.0 as usize),
            report_cache_mb: self
                .scopewatch_report_cache_mb
                .map_or(DEFAULT_REPORT_CACHE_MB, |n| n.0),
            replica_id: replica_id(self.scopewatch_replica_id.as_deref())?,
            rust_log,
        })
    }

    /// The region and the two base URLs: a known region's, both overrides, or one override
    /// and the other host derived from it (`api.X` goes with `login.X`; a single address such
    /// as a simulator's serves both).
    fn hosts(&self) -> Result<(String, String, String), ConfigError> {
        let region = self
            .genesys_region
            .clone()
            .unwrap_or_else(|| regions::DEFAULT_REGION.to_string());
        let api = self
            .genesys_api_base_url
            .as_deref()
            .map(|v| base_url(API_KEY, v))
            .transpose()?;
        let login = self
            .genesys_login_base_url
            .as_deref()
            .map(|v| base_url(LOGIN_KEY, v))
            .transpose()?;
        let (api, login) = match (api, login) {
            (Some(api), Some(login)) => (api, login),
            (Some(api), None) => {
                let login = paired_host(&api, "api.", "login.")
                    .ok_or_else(|| unpaired(API_KEY, &api, LOGIN_KEY))?;
                (api, login)
            }
            (None, Some(login)) => {
                let api = paired_host(&login, "login.", "api.")
                    .ok_or_else(|| unpaired(LOGIN_KEY, &login, API_KEY))?;
                (api, login)
            }
            (None, None) if regions::is_known(&region) => (
                regions::api_base_url(&region),
                regions::login_base_url(&region),
            ),
            (None, None) => {
                return Err(ConfigError::invalid(
                    "GENESYS_REGION",
                    format!(
                        "'{region}' is not a Genesys Cloud region (one of: {})",
                        regions::REGIONS.join(", ")
                    ),
                ));
            }
        };
        Ok((region, api, login))
    }

    fn limits(&self) -> crate::genesys::Limits {
        let defaults = crate::genesys::Limits::default();
        crate::genesys::Limits {
            max_body_bytes: self
                .scopewatch_max_body_mb
                .map_or(defaults.max_body_bytes, |mb| (mb.0 as usize) << 20),
            max_pages: self
                .scopewatch_max_pages
                .map_or(defaults.max_pages, |n| n.0 as u32),
            max_entities: self
                .scopewatch_max_entities
                .map_or(defaults.max_entities, |n| n.0 as usize),
        }
    }

    fn server_limits(&self) -> ServerLimits {
        let defaults = ServerLimits::default();
        ServerLimits {
            header_read_timeout: self
                .scopewatch_header_timeout
                .map_or(defaults.header_read_timeout, |d| d.0),
            idle_timeout: self
                .scopewatch_idle_timeout
                .map_or(defaults.idle_timeout, |d| d.0),
            max_connections: self
                .scopewatch_max_connections
                .map_or(defaults.max_connections, |n| n.0 as usize),
        }
    }

    /// The webhook settings; format and severity are read even without a URL, so a typo
    /// fails at start rather than when the URL is added.
    fn webhook(&self) -> Result<Option<WebhookSettings>, ConfigError> {
        let Some(url) = self.scopewatch_webhook_url.clone() else {
            return Ok(None);
        };
        // The value stays out of the message: the URL is the receiver's credential.
        if !is_http_url(&url) {
            return Err(ConfigError::invalid(
                "SCOPEWATCH_WEBHOOK_URL",
                "not an http(s) URL (value not shown: it is a secret)",
            ));
        }
        Ok(Some(WebhookSettings {
            url: SecretString::from(url),
            format: self
                .scopewatch_webhook_format
                .unwrap_or(WebhookFormat::Json),
            min_severity: self
                .scopewatch_webhook_min_severity
                .map_or(Severity::High, |s| s.0),
        }))
    }

    /// The orgs of `SCOPEWATCH_ORGS_FILE`, which replaces the single org's credentials.
    fn orgs_file(
        &self,
        env: &BTreeMap<String, String>,
    ) -> Result<Option<Vec<crate::orgs_file::OrgSettings>>, ConfigError> {
        let Some(path) = &self.scopewatch_orgs_file else {
            return Ok(None);
        };
        if self.genesys_oauth_client_id.is_some() || self.genesys_oauth_client_secret.is_some() {
            return Err(ConfigError::Conflict {
                first: "SCOPEWATCH_ORGS_FILE",
                second: "GENESYS_OAUTH_CLIENT_ID/GENESYS_OAUTH_CLIENT_SECRET",
                advice: "name every org in the file (an org named 'default' answers the single-org routes)",
            });
        }
        Ok(Some(crate::orgs_file::load(Path::new(path), env)?))
    }
}

/// The longest replica id (it is stored with every audit and shown in `GET /audits`).
pub(crate) const MAX_REPLICA_ID: usize = 64;

/// `SCOPEWATCH_REPORT_CACHE_MB` unset: room for one 100 000-client report (counted as its JSON
/// and gzip, about 190 MB), or a few hundred orgs of a thousand clients (under 3 MB each).
pub(crate) const DEFAULT_REPORT_CACHE_MB: u64 = 256;

/// `SCOPEWATCH_MAX_CONCURRENT_AUDITS` unset: four audits per core. Most of an audit is waiting
/// for Genesys (judging then uses every core), and an audit waiting out a 429's Retry-After keeps
/// its place, so a few throttled orgs must not hold every place.
fn default_concurrent_audits() -> usize {
    std::thread::available_parallelism().map_or(4, |n| n.get() * 4)
}

/// `SCOPEWATCH_REPLICA_ID`, or the host name (a container's is unique per replica).
fn replica_id(value: Option<&str>) -> Result<String, ConfigError> {
    const KEY: &str = "SCOPEWATCH_REPLICA_ID";
    let Some(value) = value else {
        return Ok(host_name());
    };
    if value.trim().is_empty()
        || value.chars().count() > MAX_REPLICA_ID
        || value.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(ConfigError::invalid(
            KEY,
            format!(
                "must be 1 to {MAX_REPLICA_ID} characters without spaces or control characters"
            ),
        ));
    }
    Ok(value.to_string())
}

/// The host name, bounded and printable; `unknown` when the system has none.
pub(crate) fn host_name() -> String {
    let mut buffer = [0u8; 256];
    // SAFETY: the buffer is writable for its whole length; the name is NUL-terminated within
    // it when it fits, and the last byte stays 0 when it does not.
    let status =
        unsafe { libc::gethostname(buffer.as_mut_ptr().cast::<libc::c_char>(), buffer.len() - 1) };
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(0);
    let name: String = String::from_utf8_lossy(&buffer[..end])
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .take(MAX_REPLICA_ID)
        .collect();
    if status != 0 || name.is_empty() {
        "unknown".into()
    } else {
        name
    }
}

const API_KEY: &str = "GENESYS_API_BASE_URL";
const LOGIN_KEY: &str = "GENESYS_LOGIN_BASE_URL";

/// The other Genesys host of `url` (a checked base URL): `https://api.X` → `https://login.X`
/// (`from` and `to` say which way), or the same address when it is a single address that
/// serves both, as the simulator does (an IP address, `localhost`, or a host with a port).
/// `None` when neither holds: guessing would send the credentials somewhere unknown.
fn paired_host(url: &str, from: &str, to: &str) -> Option<String> {
    let mut parsed = url::Url::parse(url).ok()?;
    let host = parsed.host()?;
    let single = matches!(host, url::Host::Ipv4(_) | url::Host::Ipv6(_))
        || parsed.port().is_some()
        || host.to_string().eq_ignore_ascii_case("localhost");
    if single {
        return Some(url.to_string());
    }
    let name = host.to_string();
    let rest = name.strip_prefix(from)?;
    parsed.set_host(Some(&format!("{to}{rest}"))).ok()?;
    Some(parsed.as_str().trim_end_matches('/').to_string())
}

/// `set` is given without `missing`, and `missing` cannot be derived from it.
fn unpaired(set: &str, value: &str, missing: &str) -> ConfigError {
    ConfigError::invalid(
        missing,
        format!(
            "not set, and {set} '{value}' is neither an api./login. Genesys host nor a single \
             address (IP, localhost or host:port) that serves both: set {set} and {missing} together"
        ),
    )
}

fn is_http_url(value: &str) -> bool {
    url::Url::parse(value)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

fn base_url(key: &str, value: &str) -> Result<String, ConfigError> {
    if !is_http_url(value) {
        return Err(ConfigError::invalid(
            key,
            format!("'{value}' is not an http(s) URL"),
        ));
    }
    if url::Url::parse(value).is_ok_and(|u| !u.username().is_empty() || u.password().is_some()) {
        // Refused without repeating the value: it holds a password.
        return Err(ConfigError::invalid(
            key,
            "must not hold a user name or password (user:password@host): the client's credentials are the only ones sent",
        ));
    }
    Ok(value.trim_end_matches('/').to_string())
}

/// The database URL: SQLite with a file, or PostgreSQL. Shown only with its password hidden.
fn database_url(value: Option<&str>) -> Result<SecretString, ConfigError> {
    const KEY: &str = "SCOPEWATCH_DATABASE_URL";
    let url = value.unwrap_or("sqlite://scopewatch.db");
    if !["sqlite:", "postgres://", "postgresql://"]
        .iter()
        .any(|p| url.starts_with(p))
    {
        return Err(ConfigError::invalid(
            KEY,
            "must start with sqlite://, postgres:// or postgresql://",
        ));
    }
    if let Some(path) = url.strip_prefix("sqlite:") {
        let file = path.trim_start_matches("//");
        let file = file.split('?').next().unwrap_or("");
        if file.is_empty() || file.contains(":memory:") || file.contains("mode=memory") {
            return Err(ConfigError::invalid(
                KEY,
                format!(
                    "'{}' names no file: the history needs one, e.g. sqlite://scopewatch.db",
                    redact_url(url)
                ),
            ));
        }
    }
    Ok(SecretString::from(url.to_string()))
}

/// The accepted API tokens: `SCOPEWATCH_API_TOKEN` (or its file, one token per line) and
/// `SCOPEWATCH_API_TOKENS` (comma-separated). A token with surrounding spaces could never be
/// sent back as is, so it is refused rather than silently never matching.
fn api_tokens(
    single: Option<&str>,
    several: Option<&str>,
) -> Result<Vec<SecretString>, ConfigError> {
    let mut tokens = Vec::new();
    let lines = single
        .into_iter()
        .flat_map(|s| s.lines().map(|l| ("SCOPEWATCH_API_TOKEN", l)));
    let listed = several
        .into_iter()
        .flat_map(|s| s.split(',').map(|t| ("SCOPEWATCH_API_TOKENS", t)));
    for (key, token) in lines.chain(listed) {
        if token.is_empty() && key == "SCOPEWATCH_API_TOKEN" {
            continue;
        }
        if token.trim().is_empty() {
            return Err(ConfigError::invalid(key, "holds an empty token"));
        }
        if token.trim() != token || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ConfigError::invalid(
                key,
                "a token contains spaces or control characters (it could never match a bearer token)",
            ));
        }
        tokens.push(SecretString::from(token.to_string()));
    }
    Ok(tokens)
}
