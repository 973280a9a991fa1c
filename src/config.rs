//! Settings (SPEC §3): defaults, then an optional TOML file, then the environment, which wins.
//! Every error names the variable; secrets are held so they cannot be printed.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::audit::severity::Severity;
use crate::duration::parse_duration;
use crate::store::redact_url;
use genesys_api::regions;

/// Every setting's name, as an environment variable and as a config-file key.
pub const KEYS: [&str; 32] = [
    "GENESYS_OAUTH_CLIENT_ID",
    "GENESYS_OAUTH_CLIENT_SECRET",
    "GENESYS_OAUTH_CLIENT_SECRET_FILE",
    "GENESYS_REGION",
    "GENESYS_API_BASE_URL",
    "GENESYS_LOGIN_BASE_URL",
    "SCOPEWATCH_LISTEN",
    "SCOPEWATCH_AUDIT_INTERVAL",
    "SCOPEWATCH_CHANGE_POLL",
    "SCOPEWATCH_DATABASE_URL",
    "SCOPEWATCH_DATABASE_URL_FILE",
    "SCOPEWATCH_DATABASE_WAIT",
    "SCOPEWATCH_POLICY",
    "SCOPEWATCH_API_TOKEN",
    "SCOPEWATCH_API_TOKEN_FILE",
    "SCOPEWATCH_API_TOKENS",
    "SCOPEWATCH_MAX_REQUESTS_PER_MINUTE",
    "SCOPEWATCH_RETENTION",
    "SCOPEWATCH_LOG_FORMAT",
    "SCOPEWATCH_RETRY_AFTER_CAP",
    "SCOPEWATCH_MAX_BODY_MB",
    "SCOPEWATCH_MAX_PAGES",
    "SCOPEWATCH_MAX_ENTITIES",
    "SCOPEWATCH_HEADER_TIMEOUT",
    "SCOPEWATCH_IDLE_TIMEOUT",
    "SCOPEWATCH_MAX_CONNECTIONS",
    "SCOPEWATCH_WEBHOOK_URL",
    "SCOPEWATCH_WEBHOOK_FORMAT",
    "SCOPEWATCH_WEBHOOK_MIN_SEVERITY",
    "SCOPEWATCH_PUBLIC_URL",
    "SCOPEWATCH_ORGS_FILE",
    "RUST_LOG",
];

/// Whether an environment variable is scopewatch's to read (the rest of the environment is
/// none of its business, whatever bytes it holds).
pub fn is_ours(name: &str) -> bool {
    KEYS.contains(&name) || name.starts_with("SCOPEWATCH_") || name.starts_with("GENESYS_")
}

/// The process environment as text. A variable of ours that is not UTF-8 is an error naming
/// it (never its value: it may be a secret); others are skipped.
pub fn environment() -> Result<BTreeMap<String, String>, ConfigError> {
    let mut env = BTreeMap::new();
    for (name, value) in std::env::vars_os() {
        let Some(name) = name.to_str() else {
            continue;
        };
        match value.into_string() {
            Ok(value) => {
                env.insert(name.to_string(), value);
            }
            Err(_) if is_ours(name) => {
                return Err(ConfigError(format!(
                    "{name} is not valid UTF-8 (its value is not shown)"
                )));
            }
            Err(_) => {}
        }
    }
    Ok(env)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// The body a webhook receiver expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    Json,
    Slack,
    Teams,
}

/// Where and how to announce new findings. `Debug` shows no URL: it often embeds a token.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub url: SecretString,
    pub format: WebhookFormat,
    /// Findings below this severity are never announced.
    pub min_severity: Severity,
}

/// The validated settings. `Debug` shows no secret.
#[derive(Debug, Clone)]
pub struct Settings {
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub region: String,
    pub api_base_url: String,
    pub login_base_url: String,
    pub listen: SocketAddr,
    pub audit_interval: Duration,
    /// How often the realtime audit trail is asked for changes (`None`: off).
    pub change_poll: Option<Duration>,
    pub database_url: SecretString,
    /// How long to wait for an unreachable database at start (0: fail at once).
    pub database_wait: Duration,
    pub policy_path: Option<String>,
    /// Every accepted API token (several during a rotation); none: no authentication.
    pub api_tokens: Vec<SecretString>,
    pub max_requests_per_minute: u32,
    pub retention: Duration,
    pub log_format: LogFormat,
    pub retry_after_cap: Duration,
    pub limits: crate::genesys::Limits,
    pub server_limits: crate::http::server::ServerLimits,
    /// Off when `SCOPEWATCH_WEBHOOK_URL` is not set.
    pub webhook: Option<WebhookSettings>,
    /// Where people reach this service (no trailing slash), for links in notifications.
    pub public_url: Option<String>,
    /// The orgs of `SCOPEWATCH_ORGS_FILE`, read and checked at load; `None`: the single org of
    /// the `GENESYS_*` variables, named `default`.
    pub orgs_file: Option<Vec<crate::orgs_file::OrgSettings>>,
    pub rust_log: String,
}

/// A one-line configuration error naming the variable (exit status 2).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

fn read_file(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("cannot read config file {}: {e}", path.display())))?;
    let table: BTreeMap<toml::Spanned<String>, toml::Value> =
        toml::from_str(&text).map_err(|e| {
            ConfigError(format!(
                "config file {}: {}",
                path.display(),
                e.message().lines().next().unwrap_or("invalid TOML")
            ))
        })?;
    let mut values = BTreeMap::new();
    for (key, value) in table {
        let line = text[..key.span().start].matches('\n').count() + 1;
        let name = key.get_ref().to_ascii_uppercase();
        if !KEYS.contains(&name.as_str()) {
            return Err(ConfigError(format!(
                "config file {} line {line}: unknown key '{}'",
                path.display(),
                key.get_ref()
            )));
        }
        let text_value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            other => {
                return Err(ConfigError(format!(
                    "config file {} line {line}: '{}' must be a string or a number, not {}",
                    path.display(),
                    key.get_ref(),
                    other.type_str()
                )));
            }
        };
        values.insert(name, text_value);
    }
    Ok(values)
}

/// A secret read from a file (Kubernetes mounts secrets as files), without the trailing
/// newline such files usually end with.
fn secret_file(name: &str, path: &str) -> Result<String, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("{name} '{path}': cannot read the file: {e}")))?;
    let text = text.trim_end_matches(['\n', '\r']);
    if text.trim().is_empty() {
        return Err(ConfigError(format!("{name} '{path}': the file is empty")));
    }
    Ok(text.to_string())
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
    for (name, token) in lines.chain(listed) {
        if token.is_empty() && name == "SCOPEWATCH_API_TOKEN" {
            continue;
        }
        if token.trim().is_empty() {
            return Err(ConfigError(format!("{name} holds an empty token")));
        }
        if token.trim() != token || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ConfigError(format!(
                "{name}: a token contains spaces or control characters (it could never match a bearer token)"
            )));
        }
        tokens.push(SecretString::from(token.to_string()));
    }
    Ok(tokens)
}

fn base_url(name: &str, value: &str) -> Result<String, ConfigError> {
    match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            Ok(value.trim_end_matches('/').to_string())
        }
        _ => Err(ConfigError(format!(
            "{name} '{value}' is not an http(s) URL"
        ))),
    }
}

/// The webhook settings; format and severity are checked even without a URL, so a typo
/// fails at start rather than when the URL is added.
fn webhook(get: &dyn Fn(&str) -> Option<String>) -> Result<Option<WebhookSettings>, ConfigError> {
    let format = match get("SCOPEWATCH_WEBHOOK_FORMAT")
        .as_deref()
        .unwrap_or("json")
    {
        "json" => WebhookFormat::Json,
        "slack" => WebhookFormat::Slack,
        "teams" => WebhookFormat::Teams,
        other => {
            return Err(ConfigError(format!(
                "SCOPEWATCH_WEBHOOK_FORMAT '{other}' must be json, slack or teams"
            )));
        }
    };
    let severity = get("SCOPEWATCH_WEBHOOK_MIN_SEVERITY").unwrap_or_else(|| "high".into());
    let min_severity = Severity::parse(&severity).ok_or_else(|| {
        ConfigError(format!(
            "SCOPEWATCH_WEBHOOK_MIN_SEVERITY '{severity}' must be critical, high, medium or low"
        ))
    })?;
    let Some(url) = get("SCOPEWATCH_WEBHOOK_URL") else {
        return Ok(None);
    };
    // The value stays out of the message: the URL is the receiver's credential.
    match url::Url::parse(&url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
        _ => {
            return Err(ConfigError(
                "SCOPEWATCH_WEBHOOK_URL is not an http(s) URL (value not shown: it is a secret)"
                    .into(),
            ));
        }
    }
    Ok(Some(WebhookSettings {
        url: SecretString::from(url),
        format,
        min_severity,
    }))
}

impl Settings {
    /// Reads settings from the file (if any) and the environment map; the environment wins.
    pub fn load(
        env: &BTreeMap<String, String>,
        file: Option<&Path>,
    ) -> Result<Settings, ConfigError> {
        let mut values = match file {
            Some(path) => read_file(path)?,
            None => BTreeMap::new(),
        };
        for key in KEYS {
            if let Some(v) = env.get(key) {
                values.insert(key.to_string(), v.clone());
            }
        }
        // An empty variable that would switch something off (authentication) is refused;
        // elsewhere empty means unset, as shells and compose files often pass them.
        for key in ["SCOPEWATCH_API_TOKEN", "SCOPEWATCH_API_TOKENS"] {
            if values.get(key).is_some_and(|v| v.trim().is_empty()) {
                return Err(ConfigError(format!(
                    "{key} is set but empty: unset it to serve without authentication"
                )));
            }
        }
        values.retain(|_, v| !v.is_empty());
        for (key, file_key) in [
            (
                "GENESYS_OAUTH_CLIENT_SECRET",
                "GENESYS_OAUTH_CLIENT_SECRET_FILE",
            ),
            ("SCOPEWATCH_API_TOKEN", "SCOPEWATCH_API_TOKEN_FILE"),
            ("SCOPEWATCH_DATABASE_URL", "SCOPEWATCH_DATABASE_URL_FILE"),
        ] {
            let Some(path) = values.get(file_key).cloned() else {
                continue;
            };
            if values.contains_key(key) {
                return Err(ConfigError(format!(
                    "{key} and {file_key} are both set: use one"
                )));
            }
            values.insert(key.to_string(), secret_file(file_key, &path)?);
        }
        let get = |k: &str| values.get(k).map(String::as_str);
        let region = get("GENESYS_REGION")
            .unwrap_or(regions::DEFAULT_REGION)
            .to_string();
        let api_override = get("GENESYS_API_BASE_URL");
        let login_override = get("GENESYS_LOGIN_BASE_URL");
        if !regions::is_known(&region) && (api_override.is_none() || login_override.is_none()) {
            return Err(ConfigError(format!(
                "GENESYS_REGION '{region}' is not a Genesys Cloud region (one of: {})",
                regions::REGIONS.join(", ")
            )));
        }
        let api_base_url = match api_override {
            Some(v) => base_url("GENESYS_API_BASE_URL", v)?,
            None => regions::api_base_url(&region),
        };
        let login_base_url = match login_override {
            Some(v) => base_url("GENESYS_LOGIN_BASE_URL", v)?,
            None => regions::login_base_url(&region),
        };
        let listen = get("SCOPEWATCH_LISTEN")
            .unwrap_or("0.0.0.0:8080")
            .parse::<SocketAddr>()
            .map_err(|_| {
                ConfigError(format!(
                    "SCOPEWATCH_LISTEN '{}' is not an address such as 0.0.0.0:8080",
                    get("SCOPEWATCH_LISTEN").unwrap_or_default()
                ))
            })?;
        let duration = |k: &str, default: &str, min: Duration| -> Result<Duration, ConfigError> {
            let text = get(k).unwrap_or(default);
            let d = parse_duration(text).map_err(|e| ConfigError(format!("{k}: {e}")))?;
            if d < min {
                return Err(ConfigError(format!(
                    "{k} '{text}' is shorter than the minimum {min:?}"
                )));
            }
            Ok(d)
        };
        let audit_interval = duration("SCOPEWATCH_AUDIT_INTERVAL", "1h", Duration::from_secs(10))?;
        let change_poll = match get("SCOPEWATCH_CHANGE_POLL").map(str::trim) {
            Some("0") => None,
            _ => Some(
                duration("SCOPEWATCH_CHANGE_POLL", "2m", Duration::from_secs(1))
                    .map_err(|e| ConfigError(format!("{} (0 turns the change poll off)", e.0)))?,
            ),
        };
        let retention = duration("SCOPEWATCH_RETENTION", "90d", Duration::from_secs(3600))?;
        let retry_after_cap =
            duration("SCOPEWATCH_RETRY_AFTER_CAP", "180s", Duration::from_secs(1))?;
        let database_wait = duration("SCOPEWATCH_DATABASE_WAIT", "0s", Duration::ZERO)?;
        let max_text = get("SCOPEWATCH_MAX_REQUESTS_PER_MINUTE").unwrap_or("120");
        let max_requests_per_minute = match max_text.parse::<u32>() {
            Ok(n) if (1..=300).contains(&n) => n,
            _ => {
                return Err(ConfigError(format!(
                    "SCOPEWATCH_MAX_REQUESTS_PER_MINUTE '{max_text}' must be a whole number from 1 to 300 (the org allows 300 per token)"
                )));
            }
        };
        let database_url = get("SCOPEWATCH_DATABASE_URL").unwrap_or("sqlite://scopewatch.db");
        if !["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|p| database_url.starts_with(p))
        {
            return Err(ConfigError(
                "SCOPEWATCH_DATABASE_URL must start with sqlite://, postgres:// or postgresql://"
                    .into(),
            ));
        }
        if let Some(path) = database_url.strip_prefix("sqlite:") {
            let file = path.trim_start_matches("//");
            let file = file.split('?').next().unwrap_or("");
            if file.is_empty() || file.contains(":memory:") || file.contains("mode=memory") {
                return Err(ConfigError(format!(
                    "SCOPEWATCH_DATABASE_URL '{}' names no file: the history needs one, e.g. sqlite://scopewatch.db",
                    redact_url(database_url)
                )));
            }
        }
        let api_tokens = api_tokens(get("SCOPEWATCH_API_TOKEN"), get("SCOPEWATCH_API_TOKENS"))?;
        let rust_log = get("RUST_LOG").unwrap_or("info").to_string();
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&rust_log) {
            return Err(ConfigError(format!(
                "RUST_LOG '{rust_log}' is not a valid filter: {e}"
            )));
        }
        let number = |k: &str, default: u64, min: u64, max: u64| -> Result<u64, ConfigError> {
            let text = get(k).unwrap_or_default();
            if text.is_empty() {
                return Ok(default);
            }
            match text.parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(ConfigError(format!(
                    "{k} '{text}' must be a whole number from {min} to {max}"
                ))),
            }
        };
        let server_defaults = crate::http::server::ServerLimits::default();
        let server_limits = crate::http::server::ServerLimits {
            header_read_timeout: duration(
                "SCOPEWATCH_HEADER_TIMEOUT",
                "10s",
                Duration::from_millis(100),
            )?,
            idle_timeout: duration("SCOPEWATCH_IDLE_TIMEOUT", "60s", Duration::from_millis(100))?,
            max_connections: number(
                "SCOPEWATCH_MAX_CONNECTIONS",
                server_defaults.max_connections as u64,
                1,
                100_000,
            )? as usize,
        };
        let defaults = crate::genesys::Limits::default();
        let limits = crate::genesys::Limits {
            max_body_bytes: (number(
                "SCOPEWATCH_MAX_BODY_MB",
                (defaults.max_body_bytes >> 20) as u64,
                1,
                4096,
            )? as usize)
                << 20,
            max_pages: number(
                "SCOPEWATCH_MAX_PAGES",
                u64::from(defaults.max_pages),
                1,
                100_000,
            )? as u32,
            max_entities: number(
                "SCOPEWATCH_MAX_ENTITIES",
                defaults.max_entities as u64,
                1,
                10_000_000,
            )? as usize,
        };
        let log_format = match get("SCOPEWATCH_LOG_FORMAT").unwrap_or("json") {
            "json" => LogFormat::Json,
            "pretty" => LogFormat::Pretty,
            other => {
                return Err(ConfigError(format!(
                    "SCOPEWATCH_LOG_FORMAT '{other}' must be json or pretty"
                )));
            }
        };
        let webhook = webhook(&|k| get(k).map(str::to_string))?;
        let orgs_file = match get("SCOPEWATCH_ORGS_FILE") {
            None => None,
            Some(_)
                if get("GENESYS_OAUTH_CLIENT_ID").is_some()
                    || get("GENESYS_OAUTH_CLIENT_SECRET").is_some() =>
            {
                return Err(ConfigError(
                    "SCOPEWATCH_ORGS_FILE and GENESYS_OAUTH_CLIENT_ID/GENESYS_OAUTH_CLIENT_SECRET are both set: name every org in the file (an org named 'default' answers the single-org routes)".into(),
                ));
            }
            Some(path) => Some(crate::orgs_file::load(Path::new(path), env).map_err(ConfigError)?),
        };
        let public_url = get("SCOPEWATCH_PUBLIC_URL")
            .map(|v| base_url("SCOPEWATCH_PUBLIC_URL", v))
            .transpose()?;
        Ok(Settings {
            client_id: get("GENESYS_OAUTH_CLIENT_ID").map(str::to_string),
            client_secret: get("GENESYS_OAUTH_CLIENT_SECRET")
                .map(|s| SecretString::from(s.to_string())),
            region,
            api_base_url,
            login_base_url,
            listen,
            audit_interval,
            change_poll,
            database_url: SecretString::from(database_url.to_string()),
            database_wait,
            policy_path: get("SCOPEWATCH_POLICY").map(str::to_string),
            api_tokens,
            max_requests_per_minute,
            retention,
            log_format,
            retry_after_cap,
            limits,
            server_limits,
            webhook,
            public_url,
            orgs_file,
            rust_log,
        })
    }

    /// The orgs to audit: those of `SCOPEWATCH_ORGS_FILE`, or the single org of the
    /// `GENESYS_*` variables named `default` (both at once is refused at load: which would win
    /// is a guess).
    pub fn orgs(&self) -> Result<Vec<crate::orgs_file::OrgSettings>, ConfigError> {
        match &self.orgs_file {
            Some(orgs) => Ok(orgs.clone()),
            None => Ok(vec![self.single_org()?]),
        }
    }

    /// The single org of the `GENESYS_*` variables, named `default` (the service without an
    /// orgs file, and the `audit` command).
    pub fn single_org(&self) -> Result<crate::orgs_file::OrgSettings, ConfigError> {
        let (client_id, client_secret) = self.credentials()?;
        Ok(crate::orgs_file::OrgSettings {
            name: crate::store::DEFAULT_ORG.into(),
            region: self.region.clone(),
            api_base_url: self.api_base_url.clone(),
            login_base_url: self.login_base_url.clone(),
            client_id,
            client_secret,
            interval: None,
            policy: None,
        })
    }

    /// The auditor's credentials, or an error naming the missing variable.
    pub fn credentials(&self) -> Result<(String, SecretString), ConfigError> {
        let id = self.client_id.clone().ok_or_else(|| {
            ConfigError(
                "GENESYS_OAUTH_CLIENT_ID is not set (the auditor's client-credentials client)"
                    .into(),
            )
        })?;
        let secret = self
            .client_secret
            .clone()
            .ok_or_else(|| ConfigError("GENESYS_OAUTH_CLIENT_SECRET is not set".into()))?;
        Ok((id, secret))
    }

    /// The database URL with any password replaced, for logs.
    pub fn database_url_redacted(&self) -> String {
        redact_url(self.database_url.expose_secret())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_follow_the_spec() {
        let s = Settings::load(&env(&[]), None).unwrap();
        assert_eq!(s.api_base_url, "https://api.mypurecloud.com");
        assert_eq!(s.login_base_url, "https://login.mypurecloud.com");
        assert_eq!(s.listen.to_string(), "0.0.0.0:8080");
        assert_eq!(s.audit_interval, Duration::from_secs(3600));
        assert_eq!(s.max_requests_per_minute, 120);
        assert_eq!(s.retention, Duration::from_secs(90 * 86_400));
        assert_eq!(s.log_format, LogFormat::Json);
        assert_eq!(s.change_poll, Some(Duration::from_secs(120)));
    }

    #[test]
    fn the_change_poll_takes_a_duration_or_0_for_off() {
        let poll = |v: &str| Settings::load(&env(&[("SCOPEWATCH_CHANGE_POLL", v)]), None);
        assert_eq!(poll("0").unwrap().change_poll, None);
        assert_eq!(
            poll("1s").unwrap().change_poll,
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            poll("5m").unwrap().change_poll,
            Some(Duration::from_secs(300))
        );
        for bad in ["soon", "500ms", "0s", "-1m"] {
            let e = poll(bad).unwrap_err().to_string();
            assert!(
                e.contains("SCOPEWATCH_CHANGE_POLL") && e.contains("0 turns"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn a_region_sets_both_hosts_and_overrides_win() {
        let s = Settings::load(&env(&[("GENESYS_REGION", "mypurecloud.ie")]), None).unwrap();
        assert_eq!(s.api_base_url, "https://api.mypurecloud.ie");
        let s = Settings::load(
            &env(&[
                ("GENESYS_API_BASE_URL", "http://127.0.0.1:9/"),
                ("GENESYS_LOGIN_BASE_URL", "http://127.0.0.1:9"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(s.api_base_url, "http://127.0.0.1:9");
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (key, value) in [
            ("GENESYS_REGION", "moon.example"),
            ("GENESYS_API_BASE_URL", "ftp://x"),
            ("SCOPEWATCH_LISTEN", "everywhere"),
            ("SCOPEWATCH_AUDIT_INTERVAL", "often"),
            ("SCOPEWATCH_MAX_REQUESTS_PER_MINUTE", "1000"),
            ("SCOPEWATCH_DATABASE_URL", "mysql://x"),
            ("SCOPEWATCH_LOG_FORMAT", "xml"),
            ("SCOPEWATCH_WEBHOOK_URL", "hooks.example/T0KEN"),
            ("SCOPEWATCH_WEBHOOK_FORMAT", "discord"),
            ("SCOPEWATCH_WEBHOOK_MIN_SEVERITY", "severe"),
            ("SCOPEWATCH_PUBLIC_URL", "sw.example"),
        ] {
            let err = Settings::load(&env(&[(key, value)]), None).unwrap_err();
            assert!(err.0.contains(key), "{key}: {err}");
        }
    }

    #[test]
    fn the_webhook_is_off_without_a_url_and_defaults_to_json_at_high() {
        let s = Settings::load(&env(&[]), None).unwrap();
        assert!(s.webhook.is_none() && s.public_url.is_none());
        let s = Settings::load(
            &env(&[
                ("SCOPEWATCH_WEBHOOK_URL", "https://hooks.example/x"),
                ("SCOPEWATCH_PUBLIC_URL", "https://sw.example/"),
            ]),
            None,
        )
        .unwrap();
        let webhook = s.webhook.unwrap();
        assert_eq!(webhook.format, WebhookFormat::Json);
        assert_eq!(webhook.min_severity, Severity::High);
        assert_eq!(webhook.url.expose_secret(), "https://hooks.example/x");
        assert_eq!(s.public_url.as_deref(), Some("https://sw.example"));
        let s = Settings::load(
            &env(&[
                ("SCOPEWATCH_WEBHOOK_URL", "http://127.0.0.1:9/hook"),
                ("SCOPEWATCH_WEBHOOK_FORMAT", "teams"),
                ("SCOPEWATCH_WEBHOOK_MIN_SEVERITY", "MEDIUM"),
            ]),
            None,
        )
        .unwrap();
        let webhook = s.webhook.unwrap();
        assert_eq!(webhook.format, WebhookFormat::Teams);
        assert_eq!(webhook.min_severity, Severity::Medium);
    }

    #[test]
    fn a_bad_webhook_url_is_refused_without_echoing_it() {
        for url in [
            "ftp://hooks.example/T0KEN-ftp",
            "T0KEN-bare",
            "mailto:T0KEN-mail@hooks.example",
        ] {
            let err = Settings::load(&env(&[("SCOPEWATCH_WEBHOOK_URL", url)]), None).unwrap_err();
            assert!(err.0.contains("SCOPEWATCH_WEBHOOK_URL"), "{err}");
            assert!(!err.0.contains("T0KEN"), "the URL leaked: {err}");
        }
    }

    #[test]
    fn the_environment_wins_over_the_file_and_unknown_file_keys_fail() {
        let dir = std::env::temp_dir().join(format!("sw-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.toml");
        std::fs::write(
            &path,
            "genesys_region = \"mypurecloud.de\"\nSCOPEWATCH_AUDIT_INTERVAL = \"15m\"\n",
        )
        .unwrap();
        let s = Settings::load(&env(&[("GENESYS_REGION", "mypurecloud.jp")]), Some(&path)).unwrap();
        assert_eq!(s.region, "mypurecloud.jp");
        assert_eq!(s.audit_interval, Duration::from_secs(900));
        std::fs::write(&path, "region = \"x\"\n").unwrap();
        let err = Settings::load(&env(&[]), Some(&path)).unwrap_err();
        assert!(
            err.0.contains("line 1") && err.0.contains("'region'"),
            "{err}"
        );
    }

    #[test]
    fn one_default_org_from_the_variables_or_every_org_of_the_orgs_file_never_both() {
        let single = env(&[
            ("GENESYS_OAUTH_CLIENT_ID", "id"),
            ("GENESYS_OAUTH_CLIENT_SECRET", "single-s3cret"),
            ("GENESYS_REGION", "mypurecloud.ie"),
        ]);
        let orgs = Settings::load(&single, None).unwrap().orgs().unwrap();
        assert_eq!(orgs.len(), 1);
        assert_eq!(orgs[0].name, "default");
        assert_eq!(orgs[0].api_base_url, "https://api.mypurecloud.ie");
        let dir = std::env::temp_dir().join(format!("sw-cfg-orgs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("orgs.toml");
        std::fs::write(
            &path,
            "[[org]]\nname = \"acme\"\nregion = \"mypurecloud.de\"\nclient_id = \"a\"\nclient_secret_env = \"ACME\"\n",
        )
        .unwrap();
        let file = path.display().to_string();
        let several = env(&[("SCOPEWATCH_ORGS_FILE", &file), ("ACME", "acme-s3cret")]);
        let orgs = Settings::load(&several, None).unwrap().orgs().unwrap();
        assert_eq!(orgs.len(), 1);
        assert_eq!(orgs[0].name, "acme");
        let mut both = single.clone();
        both.insert("SCOPEWATCH_ORGS_FILE".into(), file.clone());
        let err = Settings::load(&both, None).unwrap_err();
        assert!(err.0.contains("both set"), "{err}");
        let missing = env(&[("SCOPEWATCH_ORGS_FILE", "/nonexistent/orgs.toml")]);
        let err = Settings::load(&missing, None).unwrap_err();
        assert!(
            err.0
                .starts_with("SCOPEWATCH_ORGS_FILE /nonexistent/orgs.toml: cannot read"),
            "{err}"
        );
    }

    #[test]
    fn debug_and_errors_never_show_secrets() {
        let s = Settings::load(
            &env(&[
                ("GENESYS_OAUTH_CLIENT_SECRET", "hunter2-secret"),
                ("SCOPEWATCH_API_TOKEN", "api-token-value"),
                ("SCOPEWATCH_DATABASE_URL", "postgres://sw:dbpass@db/sw"),
                (
                    "SCOPEWATCH_WEBHOOK_URL",
                    "https://hooks.example/services/T0KEN-webhook",
                ),
            ]),
            None,
        )
        .unwrap();
        let debug = format!("{s:?}");
        for secret in [
            "hunter2-secret",
            "api-token-value",
            "dbpass",
            "T0KEN-webhook",
        ] {
            assert!(!debug.contains(secret), "{secret} leaked in {debug}");
        }
        assert_eq!(s.database_url_redacted(), "postgres://sw:***@db/sw");
        assert!(
            s.credentials()
                .unwrap_err()
                .0
                .contains("GENESYS_OAUTH_CLIENT_ID")
        );
    }

    #[test]
    fn configuration_that_cannot_work_is_refused_naming_the_variable() {
        for (key, value, says) in [
            ("SCOPEWATCH_DATABASE_URL", "sqlite://", "names no file"),
            (
                "SCOPEWATCH_DATABASE_URL",
                "sqlite::memory:",
                "names no file",
            ),
            ("RUST_LOG", "scopewatch=loud[", "not a valid filter"),
            ("SCOPEWATCH_API_TOKEN", "", "empty"),
            ("SCOPEWATCH_API_TOKEN", "   ", "empty"),
            ("SCOPEWATCH_API_TOKEN", " padded-token ", "spaces"),
            ("SCOPEWATCH_API_TOKENS", "a-token,,b-token", "empty token"),
            ("SCOPEWATCH_MAX_BODY_MB", "0", "from 1"),
            ("SCOPEWATCH_MAX_PAGES", "lots", "whole number"),
        ] {
            let err = Settings::load(&env(&[(key, value)]), None).unwrap_err().0;
            assert!(
                err.contains(key) && err.contains(says),
                "{key}={value:?}: {err}"
            );
            if !value.trim().is_empty() && key.contains("TOKEN") {
                assert!(!err.contains(value.trim()), "a token was shown: {err}");
            }
        }
    }

    #[test]
    fn secrets_come_from_files_and_tokens_rotate() {
        let dir = std::env::temp_dir().join(format!("sw-config-secrets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let secret = dir.join("secret");
        let tokens = dir.join("tokens");
        let database = dir.join("database");
        std::fs::write(&secret, "from-a-file\n").unwrap();
        std::fs::write(&tokens, "old-token\nnew-token\n").unwrap();
        std::fs::write(&database, "postgres://sw:pw@db/sw\n").unwrap();
        let s = Settings::load(
            &env(&[
                ("GENESYS_OAUTH_CLIENT_SECRET_FILE", secret.to_str().unwrap()),
                ("SCOPEWATCH_API_TOKEN_FILE", tokens.to_str().unwrap()),
                ("SCOPEWATCH_API_TOKENS", "third-token"),
                ("SCOPEWATCH_DATABASE_URL_FILE", database.to_str().unwrap()),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(s.client_secret.unwrap().expose_secret(), "from-a-file");
        let accepted: Vec<&str> = s.api_tokens.iter().map(|t| t.expose_secret()).collect();
        assert_eq!(accepted, ["old-token", "new-token", "third-token"]);
        assert_eq!(s.database_url.expose_secret(), "postgres://sw:pw@db/sw");
        let both = Settings::load(
            &env(&[
                ("GENESYS_OAUTH_CLIENT_SECRET", "x"),
                ("GENESYS_OAUTH_CLIENT_SECRET_FILE", secret.to_str().unwrap()),
            ]),
            None,
        )
        .unwrap_err();
        assert!(both.0.contains("both set"), "{both}");
        let missing = Settings::load(
            &env(&[("SCOPEWATCH_API_TOKEN_FILE", "/nonexistent/token")]),
            None,
        )
        .unwrap_err();
        assert!(missing.0.contains("SCOPEWATCH_API_TOKEN_FILE"), "{missing}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn database_urls_are_shown_without_any_password() {
        for (url, hidden) in [
            ("postgres://sw:hunter2@db:5432/sw", "hunter2"),
            ("postgres://sw:hunter2@db:99999/sw", "hunter2"),
            (
                "postgres://sw@db/sw?password=hunter2&sslmode=require",
                "hunter2",
            ),
            (
                "postgres://sw@db/sw?sslmode=require&PassWord=hunter2",
                "hunter2",
            ),
            ("postgres://sw:p%40ss@db/sw", "p%40ss"),
        ] {
            let shown = redact_url(url);
            assert!(!shown.contains(hidden), "{url} -> {shown}");
            assert!(shown.starts_with("postgres://"), "{shown}");
            let scrubbed = crate::store::scrub_url_secrets(&format!("error for {url}: bad"), url);
            assert!(!scrubbed.contains(hidden), "{scrubbed}");
        }
        assert_eq!(
            redact_url("postgres://sw@db/sw?sslmode=require"),
            "postgres://sw@db/sw?sslmode=require"
        );
    }
}
