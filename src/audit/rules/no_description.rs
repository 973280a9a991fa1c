//! `no-description`: nobody can tell who owns the client.

use super::{Context, Fix, Hit, Rule, RuleMeta, Severity};
use crate::audit::snapshot::Client;

pub(super) const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "no-description",
        default_severity: Severity::Low,
        title: "Client has no description",
        description: "Without a description nobody can tell who owns the client or what it is for, so nobody dares to remove it.",
        remediation: "In Admin > Integrations > OAuth, add a description naming the owning team, the application and a contact.",
        severity_text: None,
        windowed: false,
        fix: Fix::Manual,
    },
    check,
};

fn check(_ctx: &Context, client: &Client) -> Option<Hit> {
    let blank = client
        .description
        .as_deref()
        .is_none_or(|d| d.trim().is_empty());
    blank.then(|| {
        Hit::new(
            "The client has no description.",
            vec!["description is empty".into()],
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    #[test]
    fn flags_missing_or_blank_descriptions() {
        let mut c = client("CODE");
        c.description = None;
        assert!(run(&RULE, &c).is_some());
        c.description = Some("   ".into());
        assert!(run(&RULE, &c).is_some());
    }

    #[test]
    fn a_description_passes() {
        assert_eq!(run(&RULE, &client("CODE")), None);
    }
}
