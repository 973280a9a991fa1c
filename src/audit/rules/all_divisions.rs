//! `all-divisions`: a role granted in every division.

use super::{Context, Fix, Hit, Rule, RuleMeta, Severity};
use crate::audit::snapshot::{Client, GrantType};

pub(super) const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "all-divisions",
        default_severity: Severity::Medium,
        title: "Role granted in all divisions",
        description: "A role granted with division * reaches every division, including ones created later, instead of the ones the integration serves.",
        remediation: "In Admin > Integrations > OAuth, open the client's Roles/Divisions tab and replace 'All divisions' with the specific divisions the integration works in.",
        severity_text: None,
        windowed: false,
        fix: Fix::Manual,
    },
    check,
};

fn check(ctx: &Context, client: &Client) -> Option<Hit> {
    if client.grant_type != GrantType::ClientCredentials {
        return None;
    }
    let evidence: Vec<String> = client
        .roles
        .iter()
        .filter(|g| g.division_id == "*")
        .map(|g| {
            let name = ctx
                .snapshot
                .roles
                .get(&g.role_id)
                .map(|r| r.name.as_str())
                .unwrap_or("(unknown role)");
            format!("role '{name}' ({}) in division *", g.role_id)
        })
        .collect();
    (!evidence.is_empty()).then(|| {
        Hit::new(
            format!("{} role(s) granted in every division.", evidence.len()),
            evidence,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    #[test]
    fn flags_roles_in_division_star() {
        let c = with_roles(
            client("CLIENT-CREDENTIALS"),
            &[("reader", "*"), ("auditor", "d1")],
        );
        assert_eq!(
            run(&RULE, &c).unwrap().evidence,
            vec!["role 'Reader' (reader) in division *"]
        );
    }

    #[test]
    fn specific_divisions_pass() {
        let c = with_roles(
            client("CLIENT-CREDENTIALS"),
            &[("reader", "d1"), ("master", "d2")],
        );
        assert_eq!(run(&RULE, &c), None);
    }
}
