//! `SCOPEWATCH_ORGS_FILE`: several Genesys Cloud organizations audited by one deployment.
//!
//! ```toml
//! [[org]]
//! name = "acme"                       # a short slug: the org's label, route and history key
//! region = "mypurecloud.de"           # or api_base_url + login_base_url
//! client_id = "..."
//! client_secret_file = "/run/secrets/acme"   # or client_secret_env = "ACME_SECRET"
//! interval = "30m"                    # optional; SCOPEWATCH_AUDIT_INTERVAL otherwise
//! policy = "/etc/scopewatch/acme.toml"       # optional; SCOPEWATCH_POLICY otherwise
//! ```
//!
//! A secret is never written in the file itself (files get copied, committed and pasted into
//! tickets): it comes from a file or a named environment variable. Every error names the file,
//! the line, the org and the key.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

use crate::duration::parse_duration;
use crate::genesys::CredentialsOrigin;
use genesys_api::regions;

/// At most this many orgs: each is a label value of every per-org metric, so the set is bounded
/// and small (see the README's note on cardinality).
pub(crate) const MAX_ORGS: usize = 1_000;

/// The longest org name.
pub(crate) const MAX_NAME: usize = 32;

/// The shortest audit interval an org may ask for (as `SCOPEWATCH_AUDIT_INTERVAL`).
const MIN_INTERVAL: Duration = Duration::from_secs(10);

/// One organization to audit. `Debug` shows no secret.
#[derive(Debug, Clone)]
pub struct OrgSettings {
    pub name: String,
    pub region: String,
    pub api_base_url: String,
    pub login_base_url: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// `None`: the deployment's `SCOPEWATCH_AUDIT_INTERVAL`.
    pub interval: Option<Duration>,
    /// `None`: the deployment's `SCOPEWATCH_POLICY` (or the built-in policy).
    pub policy: Option<String>,
    /// Where the credentials come from, for the message when Genesys refuses them.
    pub credentials: CredentialsOrigin,
}

/// Whether `name` is a usable org name: lowercase letters, digits and `-`, starting with a
/// letter or digit, at most `MAX_NAME` long (it appears in URLs and metric labels as is).
pub(crate) fn is_slug(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    org: Vec<toml::Spanned<Entry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: Option<String>,
    region: Option<String>,
    api_base_url: Option<String>,
    login_base_url: Option<String>,
    client_id: Option<String>,
    client_secret_file: Option<String>,
    client_secret_env: Option<String>,
    interval: Option<String>,
    policy: Option<String>,
}

/// Whether the secrets an orgs file names are read, or only checked to be named (`policy check`
/// runs where the secrets are not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Secrets {
    Read,
    NamedOnly,
}

/// Why an orgs file cannot be used; every message starts with the variable and the file.
#[derive(Debug, thiserror::Error)]
pub enum OrgsFileError {
    #[error("SCOPEWATCH_ORGS_FILE {}: cannot read the file", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("SCOPEWATCH_ORGS_FILE {}: {problem}", path.display())]
    Invalid { path: PathBuf, problem: OrgsProblem },
}

/// What is wrong with the text of an orgs file.
#[derive(Debug, thiserror::Error)]
pub enum OrgsProblem {
    #[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
    Syntax {
        line: Option<usize>,
        message: String,
    },
    #[error("no [[org]] entry: name at least one organization")]
    NoOrg,
    #[error("{count} orgs: at most {MAX_ORGS} are allowed (each is a metric label value)")]
    TooMany { count: usize },
    #[error("{} (line {line}): {problem}", org_label(name.as_deref(), *index))]
    Entry {
        /// The org's name, when it has a usable one.
        name: Option<String>,
        /// The entry's position, from 1.
        index: usize,
        line: usize,
        problem: EntryProblem,
    },
}

fn org_label(name: Option<&str>, index: usize) -> String {
    match name {
        Some(name) => format!("org '{name}'"),
        None => format!("org entry {index}"),
    }
}

/// What is wrong with one `[[org]]` entry (a secret's value is never shown).
#[derive(Debug, thiserror::Error)]
pub enum EntryProblem {
    #[error("key 'client_secret_file' '{file}': cannot read the file")]
    SecretFile {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the name is used twice")]
    Duplicate,
    /// A key is missing, malformed or contradicts another; the text names the key.
    #[error("{0}")]
    Key(String),
}

/// The first line of a TOML parser's message (the rest repeats the file's text).
pub(crate) fn toml_problem(e: &toml::de::Error) -> String {
    e.message()
        .lines()
        .next()
        .unwrap_or("invalid TOML")
        .to_string()
}

/// Reads and checks the orgs file. `env` is the process environment (for `client_secret_env`).
pub(crate) fn load(
    path: &Path,
    env: &BTreeMap<String, String>,
) -> Result<Vec<OrgSettings>, OrgsFileError> {
    load_with(path, env, Secrets::Read)
}

/// `load`, reading the secrets or not.
pub(crate) fn load_with(
    path: &Path,
    env: &BTreeMap<String, String>,
    secrets: Secrets,
) -> Result<Vec<OrgSettings>, OrgsFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| OrgsFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_with(&text, env, secrets).map_err(|problem| OrgsFileError::Invalid {
        path: path.to_path_buf(),
        problem,
    })
}

/// Parses and checks the text of an orgs file, reading its secrets.
#[cfg(test)]
fn parse(text: &str, env: &BTreeMap<String, String>) -> Result<Vec<OrgSettings>, OrgsProblem> {
    parse_with(text, env, Secrets::Read)
}

fn parse_with(
    text: &str,
    env: &BTreeMap<String, String>,
    secrets: Secrets,
) -> Result<Vec<OrgSettings>, OrgsProblem> {
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let file: File = toml::from_str(text).map_err(|e| OrgsProblem::Syntax {
        line: e.span().map(|span| line_of(span.start)),
        message: toml_problem(&e),
    })?;
    if file.org.is_empty() {
        return Err(OrgsProblem::NoOrg);
    }
    if file.org.len() > MAX_ORGS {
        return Err(OrgsProblem::TooMany {
            count: file.org.len(),
        });
    }
    let mut names = BTreeSet::new();
    let mut orgs = Vec::with_capacity(file.org.len());
    for (index, entry) in file.org.into_iter().enumerate() {
        let line = line_of(entry.span().start);
        let at_entry = |name: Option<String>, problem| OrgsProblem::Entry {
            name,
            index: index + 1,
            line,
            problem,
        };
        let mut org =
            check(entry.into_inner(), env, secrets).map_err(|(name, e)| at_entry(name, e))?;
        org.credentials = CredentialsOrigin::OrgsFile {
            org: org.name.clone(),
            entry: index + 1,
            line,
        };
        if !names.insert(org.name.clone()) {
            return Err(at_entry(Some(org.name), EntryProblem::Duplicate));
        }
        orgs.push(org);
    }
    Ok(orgs)
}

/// A failed entry: its name if known, and why.
type EntryError = (Option<String>, EntryProblem);

/// One entry checked.
fn check(
    entry: Entry,
    env: &BTreeMap<String, String>,
    secrets: Secrets,
) -> Result<OrgSettings, EntryError> {
    let name = entry
        .name
        .clone()
        .ok_or((None, EntryProblem::Key("key 'name' is missing".into())))?;
    if !is_slug(&name) {
        let problem = format!(
            "key 'name' '{}' must be a short slug: lowercase letters, digits and '-', at most {MAX_NAME}",
            genesys_api::text::sanitize(&name, 40)
        );
        return Err((None, EntryProblem::Key(problem)));
    }
    let client_id = entry
        .client_id
        .clone()
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| {
            (
                Some(name.clone()),
                EntryProblem::Key("key 'client_id' is missing or empty".into()),
            )
        })?;
    let client_secret = secret(&entry, env, secrets).map_err(|e| (Some(name.clone()), e))?;
    let named = |problem| (Some(name.clone()), problem);
    let (region, api_base_url, login_base_url) = hosts(&entry).map_err(named)?;
    let interval = entry
        .interval
        .as_deref()
        .map(interval)
        .transpose()
        .map_err(named)?;
    Ok(OrgSettings {
        name,
        region,
        api_base_url,
        login_base_url,
        client_id,
        client_secret,
        interval,
        policy: entry.policy,
        credentials: CredentialsOrigin::Environment,
    })
}

/// The entry's secret, from its file or its variable (only checked to be named with
/// `Secrets::NamedOnly`).
fn secret(
    entry: &Entry,
    env: &BTreeMap<String, String>,
    secrets: Secrets,
) -> Result<SecretString, EntryProblem> {
    let key = |problem: &str| EntryProblem::Key(problem.to_string());
    match (&entry.client_secret_file, &entry.client_secret_env) {
        (Some(_), Some(_)) => Err(key(
            "keys 'client_secret_file' and 'client_secret_env' are both set: use one",
        )),
        (None, None) => Err(key(
            "no secret: set 'client_secret_file' (a file holding it) or 'client_secret_env' (the variable holding it)",
        )),
        (Some(_), None) | (None, Some(_)) if secrets == Secrets::NamedOnly => {
            Ok(SecretString::from(String::new()))
        }
        (Some(file), None) => {
            let text =
                std::fs::read_to_string(file).map_err(|source| EntryProblem::SecretFile {
                    file: file.clone(),
                    source,
                })?;
            let text = text.trim_end_matches(['\n', '\r']).to_string();
            if text.trim().is_empty() {
                return Err(EntryProblem::Key(format!(
                    "key 'client_secret_file' '{file}': the file is empty"
                )));
            }
            Ok(SecretString::from(text))
        }
        (None, Some(variable)) => match env.get(variable) {
            Some(value) if !value.trim().is_empty() => Ok(SecretString::from(value.clone())),
            _ => Err(EntryProblem::Key(format!(
                "key 'client_secret_env': the variable '{variable}' is not set or empty"
            ))),
        },
    }
}

/// The entry's region and base URLs: a known region's, or both URLs.
fn hosts(entry: &Entry) -> Result<(String, String, String), EntryProblem> {
    let url = |key: &str, value: &str| match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            Ok(value.trim_end_matches('/').to_string())
        }
        _ => Err(EntryProblem::Key(format!(
            "key '{key}' '{value}' is not an http(s) URL"
        ))),
    };
    match (&entry.region, &entry.api_base_url, &entry.login_base_url) {
        (region, Some(api), Some(login)) => Ok((
            region
                .clone()
                .unwrap_or_else(|| regions::DEFAULT_REGION.to_string()),
            url("api_base_url", api)?,
            url("login_base_url", login)?,
        )),
        (Some(region), None, None) if regions::is_known(region) => Ok((
            region.clone(),
            regions::api_base_url(region),
            regions::login_base_url(region),
        )),
        (Some(region), None, None) => Err(EntryProblem::Key(format!(
            "key 'region' '{region}' is not a Genesys Cloud region (one of: {})",
            regions::REGIONS.join(", ")
        ))),
        (None, None, None) => Err(EntryProblem::Key(
            "key 'region' is missing (or give both 'api_base_url' and 'login_base_url')".into(),
        )),
        _ => Err(EntryProblem::Key(
            "'api_base_url' and 'login_base_url' go together: set both, or 'region' alone".into(),
        )),
    }
}

fn interval(text: &str) -> Result<Duration, EntryProblem> {
    match parse_duration(text) {
        Ok(d) if d >= MIN_INTERVAL => Ok(d),
        Ok(_) => Err(EntryProblem::Key(format!(
            "key 'interval' '{text}' is shorter than the minimum {MIN_INTERVAL:?}"
        ))),
        Err(e) => Err(EntryProblem::Key(format!("key 'interval': {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn env() -> BTreeMap<String, String> {
        BTreeMap::from([("ACME_SECRET".to_string(), "acme-s3cret".to_string())])
    }

    #[test]
    fn two_orgs_by_region_and_by_urls_with_their_secrets_and_intervals() {
        let dir = std::env::temp_dir().join(format!("sw-orgs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let secret_file = dir.join("globex");
        std::fs::write(&secret_file, "globex-s3cret\n").unwrap();
        let text = format!(
            r#"
[[org]]
name = "acme"
region = "mypurecloud.de"
client_id = "acme-id"
client_secret_env = "ACME_SECRET"
interval = "30m"

[[org]]
name = "globex-2"
api_base_url = "http://127.0.0.1:9000/"
login_base_url = "http://127.0.0.1:9000"
client_id = "globex-id"
client_secret_file = "{}"
policy = "/etc/globex.toml"
"#,
            secret_file.display()
        );
        let orgs = parse(&text, &env()).unwrap();
        assert_eq!(orgs.len(), 2);
        assert_eq!(orgs[0].name, "acme");
        assert_eq!(orgs[0].api_base_url, "https://api.mypurecloud.de");
        assert_eq!(orgs[0].login_base_url, "https://login.mypurecloud.de");
        assert_eq!(orgs[0].client_secret.expose_secret(), "acme-s3cret");
        assert_eq!(orgs[0].interval, Some(Duration::from_secs(1800)));
        assert_eq!(orgs[1].api_base_url, "http://127.0.0.1:9000");
        assert_eq!(orgs[1].client_secret.expose_secret(), "globex-s3cret");
        assert_eq!(orgs[1].policy.as_deref(), Some("/etc/globex.toml"));
        assert_eq!(orgs[1].interval, None);
        let shown = format!("{orgs:?}");
        assert!(!shown.contains("s3cret"), "Debug shows no secret: {shown}");
    }

    #[test]
    fn every_mistake_names_the_line_the_org_and_the_key_never_a_secret() {
        let base = "name = \"acme\"\nregion = \"mypurecloud.com\"\nclient_id = \"id\"\nclient_secret_env = \"ACME_SECRET\"\n";
        let err = |extra: &str| {
            parse(&format!("[[org]]\n{base}{extra}"), &env())
                .map(|_| ())
                .unwrap_err()
                .to_string()
        };
        let e = err("colour = \"blue\"\n");
        assert!(e.contains("line") && e.contains("colour"), "{e}");
        let e = err("interval = \"5s\"\n");
        assert!(
            e.contains("org 'acme' (line 1)") && e.contains("'interval'"),
            "{e}"
        );
        let e = err("interval = \"soon\"\n");
        assert!(e.contains("'interval'"), "{e}");
        let e = err("client_secret_file = \"/nonexistent/secret\"\n");
        assert!(e.contains("both set"), "{e}");
        let e = err("api_base_url = \"http://127.0.0.1:1\"\n");
        assert!(e.contains("go together"), "{e}");

        let text = "[[org]]\nname = \"acme\"\nregion = \"mars.pure.cloud\"\nclient_id = \"id\"\nclient_secret_env = \"ACME_SECRET\"\n";
        let e = parse(text, &env()).unwrap_err().to_string();
        assert!(
            e.contains("org 'acme'") && e.contains("'region' 'mars.pure.cloud'"),
            "{e}"
        );
        let text = "[[org]]\nname = \"Acme Corp\"\nregion = \"mypurecloud.com\"\n";
        let e = parse(text, &env()).unwrap_err().to_string();
        assert!(
            e.contains("org entry 1 (line 1)") && e.contains("slug"),
            "{e}"
        );
        let text = "[[org]]\nname = \"acme\"\nregion = \"mypurecloud.com\"\nclient_id = \"id\"\nclient_secret_env = \"NOPE\"\n";
        let e = parse(text, &env()).unwrap_err().to_string();
        assert!(e.contains("'NOPE' is not set"), "{e}");
        let text = "[[org]]\nname = \"acme\"\nregion = \"mypurecloud.com\"\nclient_id = \"id\"\n";
        let e = parse(text, &env()).unwrap_err().to_string();
        assert!(e.contains("no secret"), "{e}");
        let twice = format!("[[org]]\n{base}\n[[org]]\n{base}");
        let e = parse(&twice, &env()).unwrap_err().to_string();
        assert!(
            e.contains("org 'acme' (line 7): the name is used twice"),
            "{e}"
        );
        assert!(
            parse("", &env())
                .unwrap_err()
                .to_string()
                .contains("no [[org]]")
        );
        let many: String = (0..=MAX_ORGS)
            .map(|i| format!("[[org]]\nname = \"o{i}\"\n"))
            .collect();
        assert!(
            parse(&many, &env())
                .unwrap_err()
                .to_string()
                .contains(&format!("at most {MAX_ORGS}"))
        );
        for e in [err("colour = 1\n"), err("interval = \"5s\"\n")] {
            assert!(!e.contains("acme-s3cret"), "{e}");
        }
    }

    #[test]
    fn slugs_are_short_lowercase_names() {
        for good in ["default", "acme", "emea-2", "a", "0x"] {
            assert!(is_slug(good), "{good}");
        }
        for bad in [
            "",
            "Acme",
            "acme corp",
            "-acme",
            "a/b",
            "ä",
            &"a".repeat(33),
        ] {
            assert!(!is_slug(bad), "{bad}");
        }
    }
}
