//! The webhook sink's one sanitizer: every text a message carries is one line of visible
//! characters before any receiver's escaping. A client's name is chosen by whoever can create
//! a client; a newline in it would start a line of its own in Slack or Teams (a fake
//! "• CRITICAL ..." line), and bidi or invisible characters would show one thing and mean
//! another.

use super::alert::{Alert, AlertAction, AlertClient, AlertFinding};
use crate::render::invisible::is_invisible;

/// `text` on one line: control characters (newlines, tabs, ESC, NUL) become a space, format
/// and bidi characters are removed.
pub(super) fn one_line(text: &str) -> String {
    text.chars()
        .filter(|&c| !is_invisible(c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `alert` with every text in it on one line: what every format renders from.
pub(super) fn alert(alert: &Alert) -> Alert {
    let clients = alert
        .clients
        .iter()
        .map(|c| AlertClient {
            id: one_line(&c.id),
            name: one_line(&c.name),
            url: c.url.as_deref().map(one_line),
            findings: c
                .findings
                .iter()
                .map(|f| AlertFinding {
                    rule_id: one_line(&f.rule_id),
                    severity: f.severity,
                    title: one_line(&f.title),
                })
                .collect(),
        })
        .collect();
    Alert {
        audit_id: one_line(&alert.audit_id),
        org: alert.org.as_deref().map(one_line),
        organization: alert.organization.as_deref().map(one_line),
        generated_at: alert.generated_at,
        min_severity: alert.min_severity,
        clients,
        more_clients: alert.more_clients,
        total_findings: alert.total_findings,
        actions: alert
            .actions
            .iter()
            .map(|a| AlertAction {
                id: one_line(&a.id),
                title: one_line(&a.title),
                severity: a.severity,
                risk_removed: a.risk_removed,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_invisible_characters_never_survive() {
        assert_eq!(
            one_line("a\nb\r\n\tc\u{1b}[31m\u{0}d\u{202E}e\u{2066}f\u{200B}g\u{061C}h\u{2028}i"),
            "a b   c [31m defghi"
        );
        assert_eq!(one_line("Café – 漢字 *x*"), "Café – 漢字 *x*");
    }
}
