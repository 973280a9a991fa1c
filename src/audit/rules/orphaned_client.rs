//! `orphaned-client`: the person who created the client is deleted or inactive, so nobody
//! answers for it.

use super::{Context, Fix, Hit, Rule, RuleMeta, Severity};
use crate::audit::snapshot::Client;

pub(super) const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "orphaned-client",
        default_severity: Severity::Medium,
        title: "Its creator is deleted or inactive",
        description: "The person who created the client has left (deleted or inactive user): nobody owns the credential, reviews its access or rotates its secret.",
        remediation: "Find a new owner for the client and write them in its description (Admin > Integrations > OAuth); if nobody claims it, set it inactive, then delete it.",
        severity_text: None,
        windowed: false,
        fix: Fix::Manual,
    },
    check,
};

fn check(ctx: &Context, client: &Client) -> Option<Hit> {
    let creator = client.created_by.as_ref()?;
    let person = ctx.snapshot.people.as_ref()?.get(&creator.id)?;
    person.is_gone().then(|| {
        let who = match person.name.as_ref().or(creator.name.as_ref()) {
            Some(name) => format!("'{name}' ({})", creator.id),
            None => creator.id.clone(),
        };
        Hit::new(
            format!("The client's creator is {}.", person.state),
            vec![format!("created by {who}, now {}", person.state)],
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::audit::snapshot::{Named, Person};

    fn created_by(state: Option<&str>) -> (crate::audit::snapshot::Snapshot, Client) {
        let mut s = snapshot();
        s.people = Some(
            state
                .map(|state| {
                    (
                        "u1".to_string(),
                        Person {
                            id: "u1".into(),
                            name: Some("Bob Gone".into()),
                            state: state.into(),
                        },
                    )
                })
                .into_iter()
                .collect(),
        );
        let mut c = client("CLIENT-CREDENTIALS");
        c.created_by = Some(Named {
            id: "u1".into(),
            name: None,
        });
        (s, c)
    }

    #[test]
    fn flags_a_deleted_or_inactive_creator() {
        let (s, c) = created_by(Some("deleted"));
        assert_eq!(
            run_with(&RULE, &s, &policy(), &c).unwrap().evidence,
            vec!["created by 'Bob Gone' (u1), now deleted"]
        );
        let (s, c) = created_by(Some("inactive"));
        assert!(run_with(&RULE, &s, &policy(), &c).is_some());
    }

    #[test]
    fn silent_for_an_active_or_unknown_creator() {
        let (s, c) = created_by(Some("active"));
        assert_eq!(run_with(&RULE, &s, &policy(), &c), None);
        let (s, c) = created_by(None);
        assert_eq!(run_with(&RULE, &s, &policy(), &c), None, "not answered");
        let (mut s, c) = created_by(Some("deleted"));
        s.people = None;
        assert_eq!(run_with(&RULE, &s, &policy(), &c), None, "users unreadable");
    }
}
