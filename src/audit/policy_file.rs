//! Reading a policy from TOML: the built-in policy, a file, or text. Errors are typed and
//! carry the line they are about.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::anomaly_policy::{AnomalyFile, anomaly_thresholds};
use super::policy::{AuditPolicy, RequiredScopes, Thresholds, Waiver, WaiverScope};
use super::rules::{ORG_RULES, all_meta, rule_meta};
use super::severity::Severity;

/// The built-in policy: every rule on at its default severity, the default thresholds.
pub const BUILTIN_POLICY: &str = r#"name = "builtin"
high_risk_scopes = ["users", "organization", "scim", "integrations", "recordings", "gdpr", "telephony", "routing", "architect"]

[thresholds]
usage_window_days = 90
max_token_lifetime_seconds = 86400
max_implicit_token_lifetime_seconds = 3600
max_read_write_scopes = 15
max_unused_percent = 50
privilege_change_days = 7
max_secret_age = "365d"
"#;

/// Why a policy cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read policy file {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{}{}{message}", file.as_ref().map(|f| format!("policy file {f}: ")).unwrap_or_default(), line.map(|l| format!("line {l}: ")).unwrap_or_default())]
    Invalid {
        file: Option<String>,
        line: Option<usize>,
        message: String,
    },
}

impl PolicyError {
    fn at(line: Option<usize>, message: impl Into<String>) -> PolicyError {
        PolicyError::Invalid {
            file: None,
            line,
            message: message.into(),
        }
    }

    /// The line of the policy text the error is about, if it is about one.
    pub fn line(&self) -> Option<usize> {
        match self {
            PolicyError::Invalid { line, .. } => *line,
            PolicyError::Read { .. } => None,
        }
    }

    fn in_file(self, path: &std::path::Path) -> PolicyError {
        match self {
            PolicyError::Invalid { line, message, .. } => PolicyError::Invalid {
                file: Some(path.display().to_string()),
                line,
                message,
            },
            read => read,
        }
    }
}

impl AuditPolicy {
    pub fn builtin() -> AuditPolicy {
        AuditPolicy::parse(BUILTIN_POLICY).expect("the built-in policy is valid")
    }

    /// Reads a policy file; `None` is the built-in policy. Errors name the file and line.
    pub fn load(path: Option<&std::path::Path>) -> Result<AuditPolicy, PolicyError> {
        let Some(path) = path else {
            return Ok(AuditPolicy::builtin());
        };
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        AuditPolicy::parse(&text).map_err(|e| e.in_file(path))
    }

    /// Parses policy text. Errors name the line and the offending key, rule or date.
    pub fn parse(text: &str) -> Result<AuditPolicy, PolicyError> {
        let lines = Lines(text);
        let file: PolicyFile = toml::from_str(text).map_err(|e| {
            PolicyError::at(e.span().map(|s| lines.of(s.start)), one_line(e.message()))
        })?;
        let (disabled, severities) = rule_settings(&file.rules, lines)?;
        let thresholds = thresholds(file.thresholds.unwrap_or_default(), lines)?;
        let waivers = waivers(file.waivers, lines)?;
        let usage_anomaly = anomaly_thresholds(file.usage_anomaly.unwrap_or_default())
            .map_err(|message| PolicyError::at(None, message))?;
        Ok(AuditPolicy {
            name: file.name.unwrap_or_else(|| "custom".into()),
            sha256: format!("{:x}", Sha256::digest(text.as_bytes())),
            disabled,
            severities,
            thresholds,
            high_risk_scopes: file.high_risk_scopes.unwrap_or_else(|| {
                DEFAULT_HIGH_RISK_SCOPES
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            }),
            required_scopes: file
                .required_scopes
                .into_iter()
                .map(|r| RequiredScopes {
                    client: r.client,
                    scopes: r.scopes,
                })
                .collect(),
            waivers,
            usage_anomaly,
        })
    }

    /// The effective rule set, one line per rule, for `scopewatch policy check`.
    pub fn describe(&self) -> String {
        let mut out = format!("policy {} (sha256 {})\n", self.name, self.sha256);
        for meta in all_meta() {
            let id = meta.id;
            let state = if self.enabled(id) { "on " } else { "off" };
            let severity = self
                .severity(id)
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| meta.default_severity_text().to_string());
            out.push_str(&format!("  {state} {id:<28} {} [{severity}]\n", meta.title));
        }
        let t = &self.thresholds;
        out.push_str(&format!(
            "thresholds: usage window {} days, token lifetime max {} s ({} s for implicit), read-write scopes max {}, unused grant max {}%, privilege changes within {} days, secrets max {} days old\n",
            t.usage_window_days,
            t.max_token_lifetime_seconds,
            t.max_implicit_token_lifetime_seconds,
            t.max_read_write_scopes,
            t.max_unused_percent,
            t.privilege_change_days,
            t.max_secret_age.as_secs() / 86_400
        ));
        let a = &self.usage_anomaly;
        out.push_str(&format!(
            "usage anomalies: the last {} days against the {} before (a baseline needs calls on {} days), probing above {}% and {} refused calls, calls from other orgs read for at most {} clients\n",
            a.recent_days,
            a.baseline_days,
            a.min_baseline_days,
            a.error_share_percent,
            a.min_errors,
            a.max_client_queries
        ));
        out.push_str(&format!(
            "high-risk scopes: {}\n",
            self.high_risk_scopes.join(", ")
        ));
        for r in &self.required_scopes {
            out.push_str(&format!(
                "required for '{}': {}\n",
                r.client,
                r.scopes.join(", ")
            ));
        }
        for w in &self.waivers {
            out.push_str(&format!(
                "waiver: {} on {} until {} (owner {}: {})\n",
                w.rule,
                w.target(),
                w.expires,
                w.owner,
                w.reason
            ));
        }
        out
    }
}

/// The high-risk scopes of a policy that names none (as the built-in policy does).
const DEFAULT_HIGH_RISK_SCOPES: [&str; 9] = [
    "users",
    "organization",
    "scim",
    "integrations",
    "recordings",
    "gdpr",
    "telephony",
    "routing",
    "architect",
];

/// The policy text, to turn byte offsets into line numbers.
#[derive(Clone, Copy)]
struct Lines<'a>(&'a str);

impl Lines<'_> {
    fn of(self, offset: usize) -> usize {
        self.0[..offset.min(self.0.len())].matches('\n').count() + 1
    }
}

fn check_rule(
    name: &toml::Spanned<String>,
    key: &str,
    lines: Lines<'_>,
) -> Result<(), PolicyError> {
    if rule_meta(name.get_ref()).is_some() {
        return Ok(());
    }
    Err(PolicyError::at(
        Some(lines.of(name.span().start)),
        format!(
            "unknown rule id '{}' in {key} (known: {})",
            name.get_ref(),
            all_meta().map(|m| m.id).collect::<Vec<_>>().join(", ")
        ),
    ))
}

/// The `[rules]` table: the rules switched off and the severities changed.
fn rule_settings(
    rules: &BTreeMap<toml::Spanned<String>, RuleFile>,
    lines: Lines<'_>,
) -> Result<(Vec<String>, BTreeMap<String, Severity>), PolicyError> {
    let mut disabled = Vec::new();
    let mut severities = BTreeMap::new();
    for (rule, setting) in rules {
        check_rule(rule, "[rules]", lines)?;
        if setting.enabled == Some(false) {
            disabled.push(rule.get_ref().clone());
        }
        if let Some(sev) = &setting.severity {
            let parsed = Severity::parse(sev.get_ref()).ok_or_else(|| {
                PolicyError::at(
                    Some(lines.of(sev.span().start)),
                    format!(
                        "severity '{}' of rule '{}' is not one of critical, high, medium, low",
                        sev.get_ref(),
                        rule.get_ref()
                    ),
                )
            })?;
            severities.insert(rule.get_ref().clone(), parsed);
        }
    }
    Ok((disabled, severities))
}

/// The `[thresholds]` table over the built-in defaults, each within its range.
fn thresholds(t: ThresholdsFile, lines: Lines<'_>) -> Result<Thresholds, PolicyError> {
    let thresholds = Thresholds {
        usage_window_days: t.usage_window_days.unwrap_or(90),
        max_token_lifetime_seconds: t.max_token_lifetime_seconds.unwrap_or(86_400),
        max_implicit_token_lifetime_seconds: t.max_implicit_token_lifetime_seconds.unwrap_or(3_600),
        max_read_write_scopes: t.max_read_write_scopes.unwrap_or(15),
        max_unused_percent: t.max_unused_percent.unwrap_or(50),
        privilege_change_days: t.privilege_change_days.unwrap_or(7),
        max_secret_age: max_secret_age(t.max_secret_age.as_ref(), lines)?,
    };
    let out_of_range = |message: String| Err(PolicyError::at(None, message));
    if !(1..=365).contains(&thresholds.privilege_change_days) {
        return out_of_range(format!(
            "thresholds.privilege_change_days must be between 1 and 365, not {}",
            thresholds.privilege_change_days
        ));
    }
    if thresholds.max_unused_percent > 100 {
        return out_of_range(format!(
            "thresholds.max_unused_percent must be between 0 and 100, not {}",
            thresholds.max_unused_percent
        ));
    }
    if !(1..=365).contains(&thresholds.usage_window_days) {
        return out_of_range(format!(
            "thresholds.usage_window_days must be between 1 and 365 (the usage API reaches back one year), not {}",
            thresholds.usage_window_days
        ));
    }
    Ok(thresholds)
}

/// Secrets older than this are stale; between a day and ten years.
const SECRET_AGE_RANGE: std::ops::RangeInclusive<u64> = 1..=3650;
const DEFAULT_MAX_SECRET_AGE: &str = "365d";

/// `thresholds.max_secret_age`, a duration such as `365d` or `90d`.
fn max_secret_age(
    value: Option<&toml::Spanned<toml::Value>>,
    lines: Lines<'_>,
) -> Result<std::time::Duration, PolicyError> {
    let line = value.map(|v| lines.of(v.span().start));
    let text = match value.map(|v| v.get_ref()) {
        None => DEFAULT_MAX_SECRET_AGE,
        Some(toml::Value::String(text)) => text.as_str(),
        Some(other) => {
            return Err(PolicyError::at(
                line,
                format!(
                    "thresholds.max_secret_age must be a duration in quotes such as \"365d\", not a {} ({other:?})",
                    other.type_str()
                ),
            ));
        }
    };
    let age = crate::duration::parse_duration(text)
        .map_err(|e| PolicyError::at(line, format!("thresholds.max_secret_age: {e}")))?;
    if !SECRET_AGE_RANGE.contains(&(age.as_secs() / 86_400)) {
        return Err(PolicyError::at(
            line,
            format!(
                "thresholds.max_secret_age must be between 1d and 3650d, not '{}'",
                text.trim()
            ),
        ));
    }
    Ok(age)
}

/// The waivers, each for a known rule with a date it expires.
fn waivers(files: Vec<WaiverFile>, lines: Lines<'_>) -> Result<Vec<Waiver>, PolicyError> {
    let mut waivers = Vec::new();
    for w in files {
        check_rule(&w.rule, "a waiver", lines)?;
        let expires = match w.expires.get_ref() {
            toml::Value::Datetime(d) => d
                .date
                .and_then(|d| NaiveDate::from_ymd_opt(d.year as i32, d.month as u32, d.day as u32)),
            toml::Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(),
            _ => None,
        }
        .ok_or_else(|| {
            PolicyError::at(
                Some(lines.of(w.expires.span().start)),
                format!(
                    "waiver 'expires' must be a date YYYY-MM-DD, not {:?}",
                    w.expires.get_ref()
                ),
            )
        })?;
        let (scope, client) = waiver_scope(&w, lines)?;
        waivers.push(Waiver {
            rule: w.rule.into_inner(),
            client,
            scope,
            reason: w.reason,
            owner: w.owner,
            expires,
        });
    }
    Ok(waivers)
}

/// A waiver covers clients (`client = "selector"`) or, for an org-level rule, the organization
/// (`scope = "org"`, no `client`).
fn waiver_scope(w: &WaiverFile, lines: Lines<'_>) -> Result<(WaiverScope, String), PolicyError> {
    let rule = w.rule.get_ref();
    let org_level = ORG_RULES.iter().any(|r| r.meta.id == rule);
    let at = |span: std::ops::Range<usize>, message: String| {
        Err(PolicyError::at(Some(lines.of(span.start)), message))
    };
    match (
        w.scope.as_ref().map(|s| (s.get_ref().as_str(), s.span())),
        &w.client,
    ) {
        (Some(("org", span)), client) => {
            if client.is_some() {
                return at(
                    span,
                    format!(
                        "waiver of '{rule}' with scope = \"org\" names no client: remove 'client'"
                    ),
                );
            }
            if !org_level {
                return at(
                    span,
                    format!(
                        "waiver of '{rule}' has scope = \"org\", but '{rule}' judges clients, not the organization (org-level rules: {})",
                        ORG_RULES
                            .iter()
                            .map(|r| r.meta.id)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            Ok((WaiverScope::Organization, String::new()))
        }
        (Some((other, span)), _) => at(
            span,
            format!("waiver scope '{other}' is not \"org\" (leave it out to waive clients)"),
        ),
        (None, Some(client)) if org_level => at(
            w.rule.span(),
            format!(
                "'{rule}' is an org-level rule: waive it with scope = \"org\", not client = \"{client}\""
            ),
        ),
        (None, Some(client)) => Ok((WaiverScope::Clients, client.clone())),
        (None, None) => at(
            w.rule.span(),
            format!(
                "waiver of '{rule}' needs client = \"<id or name glob>\" (or scope = \"org\" for an org-level rule)"
            ),
        ),
    }
}

fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with('|') && !l.chars().all(|c| c == '^' || c == ' ')
        })
        .collect::<Vec<_>>()
        .join(": ")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    name: Option<String>,
    #[serde(default)]
    rules: BTreeMap<toml::Spanned<String>, RuleFile>,
    thresholds: Option<ThresholdsFile>,
    high_risk_scopes: Option<Vec<String>>,
    #[serde(default)]
    required_scopes: Vec<RequiredFile>,
    #[serde(default)]
    waivers: Vec<WaiverFile>,
    usage_anomaly: Option<AnomalyFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    enabled: Option<bool>,
    severity: Option<toml::Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ThresholdsFile {
    usage_window_days: Option<u32>,
    max_token_lifetime_seconds: Option<i64>,
    max_implicit_token_lifetime_seconds: Option<i64>,
    max_read_write_scopes: Option<usize>,
    max_unused_percent: Option<u32>,
    privilege_change_days: Option<u32>,
    max_secret_age: Option<toml::Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequiredFile {
    client: String,
    scopes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WaiverFile {
    rule: toml::Spanned<String>,
    client: Option<String>,
    scope: Option<toml::Spanned<String>>,
    reason: String,
    owner: String,
    expires: toml::Spanned<toml::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_policy_has_every_rule_on_with_default_thresholds() {
        let p = AuditPolicy::builtin();
        assert!(all_meta().all(|m| p.enabled(m.id)));
        assert_eq!(p.thresholds.usage_window_days, 90);
        assert_eq!(p.high_risk_scopes.len(), 9);
        assert_eq!(p.sha256.len(), 64);
    }

    #[test]
    fn a_policy_disables_rerates_and_waives() {
        let p = AuditPolicy::parse(
            r#"
name = "acme"
high_risk_scopes = ["admin:*", "users"]
[rules.no-description]
enabled = false
[rules.unused-client]
severity = "high"
[thresholds]
usage_window_days = 30
[[required_scopes]]
client = "Terraform*"
scopes = ["oauth:readonly"]
[[waivers]]
rule = "all-divisions"
client = "CX as Code"
reason = "needs every division"
owner = "platform-team"
expires = 2026-12-31
"#,
        )
        .unwrap();
        assert!(!p.enabled("no-description"));
        assert_eq!(p.severity("unused-client"), Some(Severity::High));
        assert_eq!(p.thresholds.usage_window_days, 30);
        assert_eq!(
            p.waivers[0].expires,
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        );
        assert_eq!(p.required_scopes[0].client, "Terraform*");
    }

    #[test]
    fn the_privilege_change_window_defaults_to_7_days_and_is_bounded() {
        assert_eq!(AuditPolicy::builtin().thresholds.privilege_change_days, 7);
        let p = AuditPolicy::parse("[thresholds]\nprivilege_change_days = 30\n").unwrap();
        assert_eq!(p.thresholds.privilege_change_days, 30);
        assert!(p.describe().contains("privilege changes within 30 days"));
        for bad in ["0", "366"] {
            let e = AuditPolicy::parse(&format!("[thresholds]\nprivilege_change_days = {bad}\n"))
                .unwrap_err();
            assert!(e.to_string().contains("privilege_change_days"), "{e}");
        }
        let described = AuditPolicy::builtin().describe();
        for id in [
            "client-administers-access",
            "orphaned-client",
            "recent-privilege-change",
        ] {
            assert!(described.contains(id), "policy check lists {id}");
        }
    }

    #[test]
    fn the_max_secret_age_is_a_duration_defaulting_to_365_days_and_bounded() {
        let day = 86_400;
        assert_eq!(
            AuditPolicy::builtin().thresholds.max_secret_age.as_secs(),
            365 * day
        );
        assert_eq!(
            AuditPolicy::parse("name = \"x\"\n")
                .unwrap()
                .thresholds
                .max_secret_age
                .as_secs(),
            365 * day,
            "the default without the key"
        );
        let p = AuditPolicy::parse("[thresholds]\nmax_secret_age = \"90d\"\n").unwrap();
        assert_eq!(p.thresholds.max_secret_age.as_secs(), 90 * day);
        assert!(
            p.describe().contains("secrets max 90 days old"),
            "{}",
            p.describe()
        );
        for bad in ["\"12h\"", "\"4000d\"", "\"soon\"", "\"90\"", "90"] {
            let e = AuditPolicy::parse(&format!("[thresholds]\nmax_secret_age = {bad}\n"))
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("max_secret_age") && e.contains("line 2"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn an_org_level_rule_is_waived_with_scope_org_and_nothing_else() {
        let waiver = |body: &str| {
            AuditPolicy::parse(&format!(
                "[[waivers]]\nrule = \"org-no-ip-allowlist\"\n{body}reason = \"r\"\nowner = \"o\"\nexpires = 2999-01-01\n"
            ))
        };
        let p = waiver("scope = \"org\"\n").unwrap();
        assert_eq!(p.waivers[0].scope, WaiverScope::Organization);
        assert!(
            p.describe()
                .contains("waiver: org-no-ip-allowlist on the organization until 2999-01-01"),
            "{}",
            p.describe()
        );
        for (body, says) in [
            ("client = \"*\"\n", "scope = \"org\""),
            ("scope = \"org\"\nclient = \"x\"\n", "names no client"),
            ("scope = \"tenant\"\n", "'tenant'"),
            ("", "needs client"),
        ] {
            let e = waiver(body).unwrap_err().to_string();
            assert!(e.contains(says) && e.contains("line "), "{body:?}: {e}");
        }
        let client_rule = AuditPolicy::parse(
            "[[waivers]]\nrule = \"admin-role\"\nscope = \"org\"\nreason = \"r\"\nowner = \"o\"\nexpires = 2999-01-01\n",
        )
        .unwrap_err()
        .to_string();
        assert!(client_rule.contains("judges clients"), "{client_rule}");
    }

    #[test]
    fn errors_carry_the_line_as_a_value() {
        let e = AuditPolicy::parse("name = \"x\"\n\n[rules.no-such-rule]\nenabled = false\n")
            .unwrap_err();
        assert_eq!(e.line(), Some(3));
        let e = AuditPolicy::parse("name = \"x\"\ncolour = \"red\"\n").unwrap_err();
        assert_eq!(e.line(), Some(2));
        let e = AuditPolicy::load(Some(std::path::Path::new("/nonexistent/p.toml"))).unwrap_err();
        assert!(matches!(e, PolicyError::Read { .. }), "{e:?}");
    }

    #[test]
    fn errors_name_the_line_and_the_problem() {
        let unknown_rule =
            AuditPolicy::parse("name = \"x\"\n\n[rules.no-such-rule]\nenabled = false\n")
                .unwrap_err()
                .to_string();
        assert!(
            unknown_rule.contains("line 3") && unknown_rule.contains("no-such-rule"),
            "{unknown_rule}"
        );
        let unknown_key = AuditPolicy::parse("name = \"x\"\ncolour = \"red\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            unknown_key.contains("line 2") && unknown_key.contains("colour"),
            "{unknown_key}"
        );
        let bad_date = AuditPolicy::parse(
            "[[waivers]]\nrule = \"admin-role\"\nclient = \"x\"\nreason = \"r\"\nowner = \"o\"\nexpires = \"31/12/2026\"\n",
        )
        .unwrap_err().to_string();
        assert!(
            bad_date.contains("line 6") && bad_date.contains("expires"),
            "{bad_date}"
        );
        let bad_toml_date = AuditPolicy::parse(
            "[[waivers]]\nrule = \"admin-role\"\nclient = \"x\"\nreason = \"r\"\nowner = \"o\"\nexpires = 2026-13-45\n",
        )
        .unwrap_err().to_string();
        assert!(bad_toml_date.contains("line 6"), "{bad_toml_date}");
        let bad_severity = AuditPolicy::parse("[rules.admin-role]\nseverity = \"urgent\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            bad_severity.contains("line 2") && bad_severity.contains("urgent"),
            "{bad_severity}"
        );
        let waiver_rule = AuditPolicy::parse(
            "[[waivers]]\nrule = \"nope\"\nclient = \"x\"\nreason = \"r\"\nowner = \"o\"\nexpires = 2026-01-01\n",
        )
        .unwrap_err().to_string();
        assert!(
            waiver_rule.contains("line 2") && waiver_rule.contains("nope"),
            "{waiver_rule}"
        );
    }
}

/// Property tests: any policy text parses or fails with a typed error whose line lies in the
/// text, never a panic; the committed corpus of hostile policy files too.
#[cfg(test)]
mod hostile_input {
    use proptest::prelude::*;

    use super::*;

    fn check(text: &str) {
        match AuditPolicy::parse(text) {
            Ok(policy) => {
                let _ = policy.describe();
            }
            Err(e) => {
                let lines = text.matches('\n').count() + 1;
                if let Some(line) = e.line() {
                    assert!((1..=lines).contains(&line), "line {line} of {lines}: {e}");
                }
                assert!(!e.to_string().is_empty());
            }
        }
    }

    proptest! {
        #![proptest_config(crate::proptest_config(400))]

        #[test]
        fn any_text_is_a_policy_or_a_typed_error(text in any::<String>()) {
            check(&text);
        }

        #[test]
        fn a_mangled_policy_is_a_policy_or_a_typed_error(
            at in 0usize..2000,
            cut in 0usize..40,
            insert in "[\\[\\]=\"'#\\n a-z0-9.*-]{0,12}",
        ) {
            let base = include_str!("../../examples/policy.toml");
            let mut at = at.min(base.len());
            while !base.is_char_boundary(at) { at -= 1; }
            let mut end = (at + cut).min(base.len());
            while !base.is_char_boundary(end) { end -= 1; }
            check(&format!("{}{insert}{}", &base[..at], &base[end..]));
        }
    }

    #[test]
    fn the_committed_corpus_of_hostile_policies_never_panics() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/policy");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("tests/corpus/policy exists") {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            check(&String::from_utf8_lossy(&bytes));
            seen += 1;
        }
        assert!(seen >= 3, "the corpus has policies ({seen})");
    }
}
