//! `excessive-scopes`: more read-write scopes than the policy maximum.

use super::{Context, Fix, Hit, Rule, RuleMeta, Severity};
use crate::audit::snapshot::{Client, is_read_write};

pub(super) const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "excessive-scopes",
        default_severity: Severity::Medium,
        title: "Client holds too many read-write scopes",
        description: "A client with many read-write scopes was likely given everything rather than what it needs.",
        remediation: "In Admin > Integrations > OAuth, edit the client's Scope tab: remove scopes the application does not call and use :readonly forms where it only reads.",
        severity_text: None,
        windowed: false,
        fix: Fix::Manual,
    },
    check,
};

fn check(ctx: &Context, client: &Client) -> Option<Hit> {
    let writes: Vec<&String> = client.scopes.iter().filter(|s| is_read_write(s)).collect();
    let max = ctx.policy.thresholds.max_read_write_scopes;
    (writes.len() > max).then(|| {
        Hit::new(
            format!(
                "{} read-write scopes; the policy allows {max}.",
                writes.len()
            ),
            vec![format!(
                "{} read-write scopes > {max}: {}",
                writes.len(),
                writes
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )],
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    #[test]
    fn flags_more_than_the_maximum() {
        let scopes: Vec<String> = (0..16).map(|i| format!("s{i}")).collect();
        let refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
        let hit = run(&RULE, &with_scopes(client("CODE"), &refs)).unwrap();
        assert!(hit.evidence[0].starts_with("16 read-write scopes > 15"));
    }

    #[test]
    fn the_maximum_and_readonly_scopes_pass() {
        let scopes: Vec<String> = (0..15)
            .map(|i| format!("s{i}"))
            .chain((0..10).map(|i| format!("r{i}:readonly")))
            .collect();
        let refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
        assert_eq!(run(&RULE, &with_scopes(client("CODE"), &refs)), None);
    }
}
