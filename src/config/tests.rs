//! Settings from environment maps and files: defaults, overrides, and errors that name the
//! variable without showing a secret.

use std::collections::BTreeMap;
use std::time::Duration;

use secrecy::ExposeSecret;

use super::*;
use crate::audit::severity::Severity;
use crate::store::redact_url;

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
    assert_eq!(s.change_debounce, Duration::from_secs(300));
}

#[test]
fn the_change_debounce_takes_a_duration_and_names_itself_when_bad() {
    let debounce = |v: &str| Settings::load(&env(&[("SCOPEWATCH_CHANGE_DEBOUNCE", v)]), None);
    assert_eq!(
        debounce("90s").unwrap().change_debounce,
        Duration::from_secs(90)
    );
    assert_eq!(debounce("0s").unwrap().change_debounce, Duration::ZERO);
    for bad in ["soon", "-1m", "5"] {
        let e = debounce(bad).unwrap_err().to_string();
        assert!(e.contains("SCOPEWATCH_CHANGE_DEBOUNCE"), "{bad}: {e}");
    }
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
fn bad_values_name_the_variable_and_say_what_would_do() {
    for (key, value, says) in [
        ("GENESYS_REGION", "moon.example", "mypurecloud.ie"),
        ("GENESYS_API_BASE_URL", "ftp://x", "http(s) URL"),
        ("SCOPEWATCH_LISTEN", "everywhere", "0.0.0.0:8080"),
        ("SCOPEWATCH_AUDIT_INTERVAL", "often", "15m"),
        (
            "SCOPEWATCH_AUDIT_INTERVAL",
            "5s",
            "shorter than the minimum 10s",
        ),
        (
            "SCOPEWATCH_MAX_REQUESTS_PER_MINUTE",
            "1000",
            "300 per token",
        ),
        ("SCOPEWATCH_DATABASE_URL", "mysql://x", "postgres://"),
        ("SCOPEWATCH_LOG_FORMAT", "xml", "pretty"),
        (
            "SCOPEWATCH_WEBHOOK_URL",
            "hooks.example/T0KEN",
            "http(s) URL",
        ),
        ("SCOPEWATCH_WEBHOOK_FORMAT", "discord", "slack"),
        (
            "SCOPEWATCH_WEBHOOK_MIN_SEVERITY",
            "severe",
            "critical, high",
        ),
        ("SCOPEWATCH_PUBLIC_URL", "sw.example", "http(s) URL"),
        ("SCOPEWATCH_IDLE_TIMEOUT", "10ms", "minimum 100ms"),
        ("SCOPEWATCH_MAX_CONNECTIONS", "-1", "from 1 to 100000"),
    ] {
        let err = Settings::load(&env(&[(key, value)]), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!("{key}: ")) && err.contains(says),
            "{key}={value}: {err}"
        );
    }
}

#[test]
fn an_unreadable_secret_file_keeps_its_io_error_as_the_cause() {
    let err = Settings::load(
        &env(&[("GENESYS_OAUTH_CLIENT_SECRET_FILE", "/nonexistent/secret")]),
        None,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "GENESYS_OAUTH_CLIENT_SECRET_FILE '/nonexistent/secret': cannot read the file"
    );
    let cause = std::error::Error::source(&err).expect("the io error is kept");
    assert!(
        cause.downcast_ref::<std::io::Error>().is_some(),
        "{cause:?}"
    );
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
        assert!(err.to_string().contains("SCOPEWATCH_WEBHOOK_URL"), "{err}");
        assert!(!err.to_string().contains("T0KEN"), "the URL leaked: {err}");
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
        err.to_string().contains("line 1") && err.to_string().contains("'region'"),
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
    assert!(err.to_string().contains("both set"), "{err}");
    let missing = env(&[("SCOPEWATCH_ORGS_FILE", "/nonexistent/orgs.toml")]);
    let err = Settings::load(&missing, None).unwrap_err();
    assert!(
        err.to_string()
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
            .to_string()
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
        let err = Settings::load(&env(&[(key, value)]), None)
            .unwrap_err()
            .to_string();
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
    assert!(both.to_string().contains("both set"), "{both}");
    let missing = Settings::load(
        &env(&[("SCOPEWATCH_API_TOKEN_FILE", "/nonexistent/token")]),
        None,
    )
    .unwrap_err();
    assert!(
        missing.to_string().contains("SCOPEWATCH_API_TOKEN_FILE"),
        "{missing}"
    );
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

#[test]
fn every_setting_is_a_field_of_the_raw_settings() {
    // A key without its field fails as an unknown field, which names no variable.
    for key in KEYS.iter().filter(|k| !k.ends_with("_FILE")) {
        let values = BTreeMap::from([(key.to_string(), "x".to_string())]);
        if let Err(e) = text_de::from_map::<raw::Raw>(&values) {
            assert!(e.to_string().starts_with(&format!("{key}: ")), "{e}");
        }
    }
}

#[test]
fn concurrent_audits_default_from_the_cores_and_name_themselves_when_bad() {
    let bound = |v: &str| Settings::load(&env(&[("SCOPEWATCH_MAX_CONCURRENT_AUDITS", v)]), None);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(
        Settings::load(&env(&[]), None)
            .unwrap()
            .max_concurrent_audits,
        cores * 4
    );
    assert_eq!(bound("1").unwrap().max_concurrent_audits, 1);
    assert_eq!(bound("16").unwrap().max_concurrent_audits, 16);
    for bad in ["0", "-2", "many", "1.5", "100000"] {
        let e = bound(bad).unwrap_err().to_string();
        assert!(
            e.starts_with("SCOPEWATCH_MAX_CONCURRENT_AUDITS"),
            "{bad}: {e}"
        );
    }
}

#[test]
fn the_replica_id_defaults_to_the_host_name_and_refuses_unprintable_ones() {
    let id = |v: &str| Settings::load(&env(&[("SCOPEWATCH_REPLICA_ID", v)]), None);
    let default = Settings::load(&env(&[]), None).unwrap().replica_id;
    assert_eq!(default, validate::host_name());
    assert!(!default.is_empty() && default.len() <= validate::MAX_REPLICA_ID);
    if let Ok(name) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        assert_eq!(default, name.trim());
    }
    assert_eq!(id("replica-b").unwrap().replica_id, "replica-b");
    let long = "r".repeat(validate::MAX_REPLICA_ID + 1);
    for bad in ["two words", "tab\there", "bell\u{7}", long.as_str()] {
        let e = id(bad).unwrap_err().to_string();
        assert!(e.starts_with("SCOPEWATCH_REPLICA_ID"), "{bad:?}: {e}");
    }
}

#[test]
fn a_base_url_with_credentials_is_refused_without_repeating_them() {
    for key in ["GENESYS_API_BASE_URL", "GENESYS_LOGIN_BASE_URL"] {
        let e = Settings::load(
            &env(&[(key, "https://me:hunter2@api.mypurecloud.de")]),
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with(key), "{e}");
        assert!(!e.contains("hunter2") && !e.contains("me:"), "{e}");
    }
}

#[test]
fn one_base_url_alone_derives_the_other_host_or_names_both_variables() {
    let load = |key: &str, value: &str| Settings::load(&env(&[(key, value)]), None);
    // A simulator: one address serves login and API.
    let s = load("GENESYS_API_BASE_URL", "http://127.0.0.1:9/").unwrap();
    assert_eq!(s.login_base_url, "http://127.0.0.1:9");
    let s = load("GENESYS_API_BASE_URL", "http://sim:8081").unwrap();
    assert_eq!(s.login_base_url, "http://sim:8081");
    // A Genesys API host: its login host.
    let s = load("GENESYS_API_BASE_URL", "https://api.mypurecloud.de").unwrap();
    assert_eq!(s.login_base_url, "https://login.mypurecloud.de");
    let s = load("GENESYS_LOGIN_BASE_URL", "https://login.usw2.pure.cloud/").unwrap();
    assert_eq!(s.api_base_url, "https://api.usw2.pure.cloud");
    // Anything else is not guessed.
    let e = load("GENESYS_API_BASE_URL", "https://genesys.corp.example")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("GENESYS_API_BASE_URL") && e.contains("GENESYS_LOGIN_BASE_URL"),
        "{e}"
    );
}

#[test]
fn the_report_cache_defaults_to_256_mib_and_names_itself_when_bad() {
    let mb = |v: &str| Settings::load(&env(&[("SCOPEWATCH_REPORT_CACHE_MB", v)]), None);
    assert_eq!(
        Settings::load(&env(&[]), None).unwrap().report_cache_mb,
        256
    );
    assert_eq!(mb("1").unwrap().report_cache_mb, 1);
    assert_eq!(mb("4096").unwrap().report_cache_mb, 4096);
    for bad in ["0", "-1", "lots", "1.5", "2000000"] {
        let e = mb(bad).unwrap_err().to_string();
        assert!(e.starts_with("SCOPEWATCH_REPORT_CACHE_MB"), "{bad}: {e}");
    }
}
