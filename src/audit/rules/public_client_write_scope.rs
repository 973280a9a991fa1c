//! `public-client-write-scope`: a public (implicit) client with a read-write scope.

use super::{Context, Fix, Hit, Rule, RuleMeta, Severity};
use crate::audit::snapshot::{Client, is_read_write};

pub(super) const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "public-client-write-scope",
        default_severity: Severity::High,
        title: "Public (implicit grant) client can write",
        description: "An implicit-grant client holds no secret and hands tokens to the browser, where any script on the page can read them. Write scopes there let such a script change data as the user.",
        remediation: "Move the browser app to the Code Authorization grant with PKCE, or in Admin > Integrations > OAuth reduce the client's scopes to :readonly forms.",
        severity_text: None,
        windowed: false,
        fix: Fix::Manual,
    },
    check,
};

fn check(_ctx: &Context, client: &Client) -> Option<Hit> {
    if !client.is_public() {
        return None;
    }
    let writes: Vec<String> = client
        .scopes
        .iter()
        .filter(|s| is_read_write(s))
        .map(|s| format!("scope {s}"))
        .collect();
    (!writes.is_empty()).then(|| {
        Hit::new(
            format!(
                "A public client holds {} read-write scope(s).",
                writes.len()
            ),
            writes,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    #[test]
    fn flags_implicit_clients_with_write_scopes() {
        let c = with_scopes(client("TOKEN"), &["analytics:readonly", "conversations"]);
        assert_eq!(
            run(&RULE, &c).unwrap().evidence,
            vec!["scope conversations"]
        );
    }

    #[test]
    fn readonly_implicit_and_confidential_clients_pass() {
        assert_eq!(
            run(&RULE, &with_scopes(client("TOKEN"), &["users:readonly"])),
            None
        );
        assert_eq!(
            run(&RULE, &with_scopes(client("CODE"), &["conversations"])),
            None
        );
    }
}
