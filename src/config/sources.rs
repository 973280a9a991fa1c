//! Where setting values come from: the optional TOML file, then the environment map, then the
//! secret files the `*_FILE` variables name. The result is one map of our variables to text.

use std::collections::BTreeMap;
use std::path::Path;

use super::error::ConfigError;

/// Every setting's name, as an environment variable and as a config-file key.
pub const KEYS: [&str; 36] = [
    "GENESYS_OAUTH_CLIENT_ID",
    "GENESYS_OAUTH_CLIENT_SECRET",
    "GENESYS_OAUTH_CLIENT_SECRET_FILE",
    "GENESYS_REGION",
    "GENESYS_API_BASE_URL",
    "GENESYS_LOGIN_BASE_URL",
    "SCOPEWATCH_LISTEN",
    "SCOPEWATCH_AUDIT_INTERVAL",
    "SCOPEWATCH_CHANGE_POLL",
    "SCOPEWATCH_CHANGE_DEBOUNCE",
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
    "SCOPEWATCH_MAX_CONCURRENT_AUDITS",
    "SCOPEWATCH_REPORT_CACHE_MB",
    "SCOPEWATCH_REPLICA_ID",
    "RUST_LOG",
];

/// The secrets that may instead be read from a file, with the variable naming that file.
const SECRET_FILES: [(&str, &str); 3] = [
    (
        "GENESYS_OAUTH_CLIENT_SECRET",
        "GENESYS_OAUTH_CLIENT_SECRET_FILE",
    ),
    ("SCOPEWATCH_API_TOKEN", "SCOPEWATCH_API_TOKEN_FILE"),
    ("SCOPEWATCH_DATABASE_URL", "SCOPEWATCH_DATABASE_URL_FILE"),
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
                return Err(ConfigError::NotUtf8 { key: name.into() });
            }
            Err(_) => {}
        }
    }
    Ok(env)
}

/// The values of our variables: the file's, overridden by the environment's, with empty
/// values dropped and secret files read.
pub(super) fn merged(
    env: &BTreeMap<String, String>,
    file: Option<&Path>,
) -> Result<BTreeMap<String, String>, ConfigError> {
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
            return Err(ConfigError::EmptyAuth { key });
        }
    }
    values.retain(|_, v| !v.is_empty());
    for (key, file_key) in SECRET_FILES {
        let Some(path) = values.remove(file_key) else {
            continue;
        };
        if values.contains_key(key) {
            return Err(ConfigError::Conflict {
                first: key,
                second: file_key,
                advice: "use one",
            });
        }
        values.insert(key.to_string(), secret_file(file_key, &path)?);
    }
    Ok(values)
}

/// The config file's keys (case-insensitive) and values as text; a key that is not a setting
/// names its line.
fn read_file(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
        path: path.to_path_buf(),
        source,
    })?;
    let table: BTreeMap<toml::Spanned<String>, toml::Value> =
        toml::from_str(&text).map_err(|e| ConfigError::FileSyntax {
            path: path.to_path_buf(),
            message: crate::orgs_file::toml_problem(&e),
        })?;
    let mut values = BTreeMap::new();
    for (key, value) in table {
        let at_line = |problem: String| ConfigError::FileKey {
            path: path.to_path_buf(),
            line: text[..key.span().start].matches('\n').count() + 1,
            problem,
        };
        let name = key.get_ref().to_ascii_uppercase();
        if !KEYS.contains(&name.as_str()) {
            return Err(at_line(format!("unknown key '{}'", key.get_ref())));
        }
        let text_value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            other => {
                return Err(at_line(format!(
                    "'{}' must be a string or a number, not {}",
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
fn secret_file(key: &'static str, path: &str) -> Result<String, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::SecretFile {
        key,
        path: path.into(),
        source,
    })?;
    let text = text.trim_end_matches(['\n', '\r']);
    if text.trim().is_empty() {
        return Err(ConfigError::EmptySecretFile {
            key,
            path: path.into(),
        });
    }
    Ok(text.to_string())
}
