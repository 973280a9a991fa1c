//! The settings as read, before the checks that involve several variables: one field per
//! variable, each parsed by its type (so a bad value fails naming its variable).

use std::fmt;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::text_de::Problem;
use super::{LogFormat, WebhookFormat};
use crate::audit::severity::Severity;
use crate::duration::parse_duration;

/// Every setting as its variable gives it; `None`: unset (or empty). No `Debug`: it holds
/// secrets as plain text until `validate` wraps them.
// Unknown fields are refused: a name added to `KEYS` without a field here fails
// `every_setting_is_a_field_of_the_raw_settings` instead of being read by nobody.
#[derive(Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", deny_unknown_fields)]
pub(super) struct Raw {
    pub genesys_oauth_client_id: Option<String>,
    pub genesys_oauth_client_secret: Option<String>,
    pub genesys_region: Option<String>,
    pub genesys_api_base_url: Option<String>,
    pub genesys_login_base_url: Option<String>,
    pub scopewatch_listen: Option<SocketAddr>,
    pub scopewatch_audit_interval: Option<AtLeast<10_000>>,
    pub scopewatch_change_poll: Option<ChangePoll>,
    pub scopewatch_change_debounce: Option<AtLeast<0>>,
    pub scopewatch_database_url: Option<String>,
    pub scopewatch_database_wait: Option<AtLeast<0>>,
    pub scopewatch_policy: Option<String>,
    pub scopewatch_api_token: Option<String>,
    pub scopewatch_api_tokens: Option<String>,
    pub scopewatch_max_requests_per_minute: Option<Whole<1, 300>>,
    pub scopewatch_retention: Option<AtLeast<3_600_000>>,
    pub scopewatch_log_format: Option<LogFormat>,
    pub scopewatch_retry_after_cap: Option<AtLeast<1_000>>,
    pub scopewatch_max_body_mb: Option<Whole<1, 4096>>,
    pub scopewatch_max_pages: Option<Whole<1, 100_000>>,
    pub scopewatch_max_entities: Option<Whole<1, 10_000_000>>,
    pub scopewatch_header_timeout: Option<AtLeast<100>>,
    pub scopewatch_idle_timeout: Option<AtLeast<100>>,
    pub scopewatch_max_connections: Option<Whole<1, 100_000>>,
    pub scopewatch_webhook_url: Option<String>,
    pub scopewatch_webhook_format: Option<WebhookFormat>,
    pub scopewatch_webhook_min_severity: Option<MinSeverity>,
    pub scopewatch_public_url: Option<String>,
    pub scopewatch_orgs_file: Option<String>,
    pub scopewatch_max_concurrent_audits: Option<Whole<1, 1024>>,
    pub scopewatch_report_cache_mb: Option<Whole<1, 1048576>>,
    pub scopewatch_replica_id: Option<String>,
    pub rust_log: Option<String>,
}

/// A duration of at least `MIN_MS` milliseconds.
#[derive(Debug, Clone, Copy)]
pub(super) struct AtLeast<const MIN_MS: u64>(pub Duration);

/// A whole number from `MIN` to `MAX`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Whole<const MIN: u64, const MAX: u64>(pub u64);

/// `SCOPEWATCH_CHANGE_POLL`: a period of at least 1 s, or `0` for off.
#[derive(Debug, Clone, Copy)]
pub(super) struct ChangePoll(pub Option<Duration>);

/// A severity in any case (`MEDIUM`, `medium`).
#[derive(Debug, Clone, Copy)]
pub(super) struct MinSeverity(pub Severity);

fn at_least(text: &str, min: Duration) -> Result<Duration, Problem> {
    let d = parse_duration(text).map_err(|e| Problem(e.to_string()))?;
    if d < min {
        return Err(Problem(format!(
            "'{text}' is shorter than the minimum {min:?}"
        )));
    }
    Ok(d)
}

impl<const MIN_MS: u64> Parse for AtLeast<MIN_MS> {
    const EXPECTING: &'static str = "a duration such as 30s, 15m, 6h or 90d";

    fn parse(text: &str) -> Result<Self, Problem> {
        at_least(text, Duration::from_millis(MIN_MS)).map(AtLeast)
    }
}

impl<const MIN: u64, const MAX: u64> Parse for Whole<MIN, MAX> {
    const EXPECTING: &'static str = "a whole number";

    fn parse(text: &str) -> Result<Self, Problem> {
        match text.parse::<u64>() {
            Ok(n) if (MIN..=MAX).contains(&n) => Ok(Whole(n)),
            _ => Err(Problem(format!(
                "'{text}' must be a whole number from {MIN} to {MAX}"
            ))),
        }
    }
}

impl Parse for ChangePoll {
    const EXPECTING: &'static str = "a duration, or 0 for off";

    fn parse(text: &str) -> Result<Self, Problem> {
        if text.trim() == "0" {
            return Ok(ChangePoll(None));
        }
        at_least(text, Duration::from_secs(1)).map(|d| ChangePoll(Some(d)))
    }
}

impl Parse for MinSeverity {
    const EXPECTING: &'static str = "a severity";

    fn parse(text: &str) -> Result<Self, Problem> {
        Severity::parse(text)
            .map(MinSeverity)
            .ok_or_else(|| Problem(format!("'{text}' must be critical, high, medium or low")))
    }
}

/// A value type read from text; its error message follows the variable's name.
trait Parse: Sized {
    const EXPECTING: &'static str;

    fn parse(text: &str) -> Result<Self, Problem>;
}

/// Parses in `visit_str`, so the deserializer can name the variable of a failure.
struct ParseVisitor<T>(PhantomData<T>);

impl<T: Parse> Visitor<'_> for ParseVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        T::parse(text).map_err(E::custom)
    }
}

macro_rules! deserialize_by_parse {
    ($($ty:ty $(, const $c:ident)*;)*) => {$(
        impl<'de $(, const $c: u64)*> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(ParseVisitor(PhantomData))
            }
        }
    )*};
}

deserialize_by_parse! {
    AtLeast<MIN_MS>, const MIN_MS;
    Whole<MIN, MAX>, const MIN, const MAX;
    ChangePoll;
    MinSeverity;
}
