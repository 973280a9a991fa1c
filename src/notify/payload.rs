//! The body of a webhook message in the receiver's format: plain JSON, a Slack message
//! (mrkdwn section blocks) or a Teams message carrying an Adaptive Card.

use serde_json::{Value, json};

use super::alert::{Alert, AlertAction};
use super::clean;
use crate::config::WebhookFormat;

/// Slack refuses a section whose text passes 3,000 characters.
const SLACK_SECTION_CHARS: usize = 3000;

/// The message for `alert` in `format`; every text in it passes the sink's sanitizer first.
pub fn body(alert: &Alert, format: WebhookFormat) -> Value {
    let alert = &clean::alert(alert);
    match format {
        WebhookFormat::Json => plain(alert),
        WebhookFormat::Slack => slack(alert),
        WebhookFormat::Teams => teams(alert),
    }
}

fn headline(alert: &Alert) -> String {
    let clients = alert.clients.len() + alert.more_clients;
    // The configured name when there are several orgs: Genesys' name is set upstream, and
    // two orgs may share it.
    let org = alert
        .org
        .as_ref()
        .or(alert.organization.as_ref())
        .map(|name| format!(" [{}]", genesys_api::text::sanitize(name, 80)))
        .unwrap_or_default();
    format!(
        "scopewatch{org}: {} new finding{} at {} or above in {} client{} (audit {})",
        alert.total_findings,
        plural(alert.total_findings),
        alert.min_severity.as_str(),
        clients,
        plural(clients),
        alert.audit_id
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn more(alert: &Alert) -> Option<String> {
    (alert.more_clients > 0).then(|| {
        format!(
            "and {} more client{} (see the report)",
            alert.more_clients,
            plural(alert.more_clients)
        )
    })
}

/// `SEVERITY title (risk N)`: one action of the plan on one line.
fn action_line(a: &AlertAction) -> String {
    format!(
        "{} {} (removes {} risk points)",
        a.severity.as_str(),
        a.title,
        a.risk_removed
    )
}

/// A link can be followed only when it is absolute (`SCOPEWATCH_PUBLIC_URL` is set).
fn absolute(url: Option<&str>) -> Option<&str> {
    url.filter(|url| url.starts_with("http://") || url.starts_with("https://"))
}

/// A URL that cannot end a Slack `<url|text>` or a Markdown `[text](url)` link early.
fn link_safe(url: &str) -> String {
    url.replace('|', "%7C")
        .replace('(', "%28")
        .replace(')', "%29")
        .replace('>', "%3E")
}

fn plain(alert: &Alert) -> Value {
    let findings: Vec<Value> = alert
        .clients
        .iter()
        .flat_map(|c| {
            c.findings.iter().map(move |f| {
                json!({
                    "client_id": c.id,
                    "client_name": c.name,
                    "rule_id": f.rule_id,
                    "severity": f.severity.as_str(),
                    "title": f.title,
                    "url": c.url,
                })
            })
        })
        .collect();
    json!({
        "audit_id": alert.audit_id,
        "org": alert.org,
        "organization": alert.organization,
        "generated_at": alert.generated_at,
        "min_severity": alert.min_severity.as_str(),
        "text": headline(alert),
        "total_findings": alert.total_findings,
        "more_clients": alert.more_clients,
        "findings": findings,
        "actions": alert.actions.iter().map(|a| json!({
            "id": a.id,
            "title": a.title,
            "severity": a.severity.as_str(),
            "risk_removed": a.risk_removed,
        })).collect::<Vec<Value>>(),
    })
}

/// Slack's three control characters in mrkdwn; everything else is literal.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Inside a code span a backtick would end it early.
fn slack_code(text: &str) -> String {
    format!("`{}`", slack_escape(&text.replace('`', "'")))
}

fn cut(mut text: String, max_chars: usize) -> String {
    if let Some((at, _)) = text.char_indices().nth(max_chars.saturating_sub(1)) {
        text.truncate(at);
        text.push('…');
    }
    text
}

fn slack(alert: &Alert) -> Value {
    let mut blocks = vec![json!({
        "type": "section",
        "text": {"type": "mrkdwn", "text": slack_escape(&headline(alert))},
    })];
    if !alert.actions.is_empty() {
        let lines: Vec<String> = alert
            .actions
            .iter()
            .map(|a| format!("\n• {}", slack_escape(&action_line(a))))
            .collect();
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": cut(format!("*Fix first*{}", lines.concat()), SLACK_SECTION_CHARS)},
        }));
    }
    for c in &alert.clients {
        let name = slack_escape(&c.name);
        let mut text = match (absolute(c.url.as_deref()), &c.url) {
            (Some(url), _) => format!("*<{}|{}>* {}", link_safe(url), name, slack_code(&c.id)),
            (None, Some(path)) => format!("*{name}* {} {}", slack_code(&c.id), slack_code(path)),
            (None, None) => format!("*{name}* {}", slack_code(&c.id)),
        };
        for f in &c.findings {
            text.push_str(&format!(
                "\n• {} {} {}",
                f.severity.as_str(),
                slack_code(&f.rule_id),
                slack_escape(&f.title)
            ));
        }
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": cut(text, SLACK_SECTION_CHARS)},
        }));
    }
    if let Some(more) = more(alert) {
        blocks.push(json!({
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": more}],
        }));
    }
    json!({"text": slack_escape(&headline(alert)), "blocks": blocks})
}

/// Teams renders TextBlock text as Markdown: a client's name must not become a link or
/// emphasis.
fn teams_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if "\\`*_{}[]()#+-.!<>~|".contains(ch) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

fn text_block(text: String) -> Value {
    json!({"type": "TextBlock", "text": text, "wrap": true})
}

fn teams(alert: &Alert) -> Value {
    let mut body = vec![json!({
        "type": "TextBlock",
        "text": teams_escape(&headline(alert)),
        "size": "Medium",
        "weight": "Bolder",
        "wrap": true,
    })];
    if !alert.actions.is_empty() {
        body.push(text_block("**Fix first**".into()));
        for a in &alert.actions {
            body.push(text_block(teams_escape(&format!("- {}", action_line(a)))));
        }
    }
    for c in &alert.clients {
        let name = teams_escape(&c.name);
        let id = teams_escape(&c.id);
        let line = match (absolute(c.url.as_deref()), &c.url) {
            (Some(url), _) => format!("**[{name}]({})** ({id})", link_safe(url)),
            (None, Some(path)) => format!("**{name}** ({id}) {}", teams_escape(path)),
            (None, None) => format!("**{name}** ({id})"),
        };
        let facts: Vec<Value> = c
            .findings
            .iter()
            .map(|f| {
                json!({
                    "title": f.severity.as_str(),
                    "value": teams_escape(&format!("{}: {}", f.rule_id, f.title)),
                })
            })
            .collect();
        body.push(json!({
            "type": "Container",
            "separator": true,
            "items": [text_block(line), {"type": "FactSet", "facts": facts}],
        }));
    }
    if let Some(more) = more(alert) {
        body.push(text_block(teams_escape(&more)));
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body,
            },
        }],
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::audit::severity::Severity;
    use crate::notify::alert::{AlertAction, AlertClient, AlertFinding};
    use crate::render::invisible::is_invisible;

    fn alert(public: bool, clients: usize, more_clients: usize) -> Alert {
        let url = |id: &str| {
            Some(if public {
                format!("https://sw.example/clients/{id}")
            } else {
                format!("/clients/{id}")
            })
        };
        Alert {
            audit_id: "20260101T000000Z-0000abcd".into(),
            org: None,
            organization: None,
            generated_at: chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 1).unwrap(),
            min_severity: Severity::High,
            clients: (0..clients)
                .map(|i| AlertClient {
                    id: format!("id-{i}"),
                    name: if i == 0 {
                        "<script>*bold* [x](y) & `co`</script>".into()
                    } else {
                        format!("Client {i}")
                    },
                    url: url(&format!("id-{i}")),
                    findings: vec![
                        AlertFinding {
                            rule_id: "admin-role".into(),
                            severity: Severity::Critical,
                            title: "Holds an admin role".into(),
                        },
                        AlertFinding {
                            rule_id: "privilege-escalation".into(),
                            severity: Severity::High,
                            title: "Can create clients".into(),
                        },
                    ],
                })
                .collect(),
            more_clients,
            total_findings: 2 * (clients + more_clients),
            actions: vec![],
        }
    }

    #[test]
    fn every_format_names_each_action_of_the_plan_on_one_line_after_the_headline() {
        let mut a = alert(true, 1, 0);
        a.actions = vec![
            AlertAction {
                id: "remove-admin-role".into(),
                title: "Replace the admin-level role of 9 clients\n• CRITICAL fake".into(),
                severity: Severity::Critical,
                risk_removed: 900,
            },
            AlertAction {
                id: "describe-clients".into(),
                title: "Describe 3 clients".into(),
                severity: Severity::Low,
                risk_removed: 3,
            },
        ];
        let json = body(&a, WebhookFormat::Json);
        let actions = json["actions"].as_array().unwrap();
        assert_eq!(actions.len(), 2);
        assert_eq!(actions[0]["id"], "remove-admin-role");
        assert_eq!(actions[0]["risk_removed"], 900);
        assert_eq!(actions[1]["severity"], "LOW");
        let slack = body(&a, WebhookFormat::Slack);
        let plan = slack["blocks"][1]["text"]["text"].as_str().unwrap();
        assert_eq!(
            plan,
            "*Fix first*\n• CRITICAL Replace the admin-level role of 9 clients • CRITICAL fake \
             (removes 900 risk points)\n• LOW Describe 3 clients (removes 3 risk points)"
        );
        let teams = body(&a, WebhookFormat::Teams);
        let card = teams["attachments"][0]["content"]["body"]
            .as_array()
            .unwrap();
        assert_eq!(card[1]["text"], "**Fix first**");
        assert_eq!(
            card[3]["text"],
            "\\- LOW Describe 3 clients \\(removes 3 risk points\\)"
        );
        assert_eq!(card.len(), 1 + 3 + 1, "headline, plan, the client");
    }

    #[test]
    fn the_json_body_lists_every_finding_with_its_client_and_link() {
        let v = body(&alert(true, 2, 0), WebhookFormat::Json);
        assert_eq!(v["audit_id"], "20260101T000000Z-0000abcd");
        assert_eq!(v["generated_at"], "2026-01-01T00:00:01Z");
        assert_eq!(v["min_severity"], "HIGH");
        let findings = v["findings"].as_array().unwrap();
        assert_eq!(findings.len(), 4);
        let f = &findings[2];
        assert_eq!(f["client_id"], "id-1");
        assert_eq!(f["client_name"], "Client 1");
        assert_eq!(f["rule_id"], "admin-role");
        assert_eq!(f["severity"], "CRITICAL");
        assert_eq!(f["title"], "Holds an admin role");
        assert_eq!(f["url"], "https://sw.example/clients/id-1");
    }

    #[test]
    fn every_format_names_the_organization_when_it_is_known() {
        let mut named = alert(true, 1, 0);
        assert!(body(&named, WebhookFormat::Json)["organization"].is_null());
        named.organization = Some("Acme\nCorp".into());
        let json = body(&named, WebhookFormat::Json);
        assert_eq!(json["organization"], "Acme Corp");
        assert!(
            json["text"]
                .as_str()
                .unwrap()
                .starts_with("scopewatch [Acme Corp]: "),
            "control characters never reach the headline: {}",
            json["text"]
        );
        let slack = body(&named, WebhookFormat::Slack);
        assert!(
            slack["text"].as_str().unwrap().contains("[Acme Corp]"),
            "{slack}"
        );
        // Teams escapes the brackets so they are not read as a Markdown link.
        let teams = body(&named, WebhookFormat::Teams).to_string();
        assert!(teams.contains("scopewatch \\\\[Acme Corp\\\\]"), "{teams}");
    }

    #[test]
    fn the_slack_body_has_text_and_one_mrkdwn_section_per_client() {
        let v = body(&alert(true, 3, 4), WebhookFormat::Slack);
        assert!(v["text"].as_str().unwrap().contains("14 new findings"));
        let blocks = v["blocks"].as_array().unwrap();
        assert_eq!(blocks.len(), 1 + 3 + 1);
        for b in &blocks[..4] {
            assert_eq!(b["type"], "section");
            assert_eq!(b["text"]["type"], "mrkdwn");
        }
        let second = blocks[2]["text"]["text"].as_str().unwrap();
        assert!(
            second.starts_with("*<https://sw.example/clients/id-1|Client 1>* `id-1`"),
            "{second}"
        );
        assert!(second.contains("• CRITICAL `admin-role` Holds an admin role"));
        assert_eq!(blocks[4]["type"], "context");
        assert_eq!(
            blocks[4]["elements"][0]["text"],
            "and 4 more clients (see the report)"
        );
    }

    #[test]
    fn slack_control_characters_in_a_name_are_escaped() {
        let v = body(&alert(true, 1, 0), WebhookFormat::Slack);
        let text = v["blocks"][1]["text"]["text"].as_str().unwrap();
        assert!(text.contains("&lt;script&gt;*bold* [x](y) &amp; `co`&lt;/script&gt;"));
        assert!(!text.contains("<script>"));
    }

    #[test]
    fn without_a_public_url_slack_shows_the_path_instead_of_a_dead_link() {
        let v = body(&alert(false, 2, 0), WebhookFormat::Slack);
        let text = v["blocks"][2]["text"]["text"].as_str().unwrap();
        assert!(
            text.starts_with("*Client 1* `id-1` `/clients/id-1`"),
            "{text}"
        );
        assert!(!text.contains("<"));
    }

    #[test]
    fn a_long_slack_section_is_cut_to_slacks_limit() {
        let mut a = alert(true, 1, 0);
        let finding = a.clients[0].findings[0].clone();
        a.clients[0].findings = vec![finding; 200];
        let v = body(&a, WebhookFormat::Slack);
        let text = v["blocks"][1]["text"]["text"].as_str().unwrap();
        assert_eq!(text.chars().count(), SLACK_SECTION_CHARS);
        assert!(text.ends_with('…'));
    }

    #[test]
    fn the_teams_body_is_an_adaptive_card_message() {
        let v = body(&alert(true, 2, 1), WebhookFormat::Teams);
        assert_eq!(v["type"], "message");
        let attachment = &v["attachments"][0];
        assert_eq!(
            attachment["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        let card = &attachment["content"];
        assert_eq!(card["type"], "AdaptiveCard");
        assert_eq!(card["version"], "1.4");
        let body = card["body"].as_array().unwrap();
        assert_eq!(body.len(), 1 + 2 + 1);
        assert_eq!(body[0]["type"], "TextBlock");
        let client = &body[2];
        assert_eq!(client["type"], "Container");
        assert_eq!(
            client["items"][0]["text"],
            "**[Client 1](https://sw.example/clients/id-1)** (id\\-1)"
        );
        assert_eq!(client["items"][1]["type"], "FactSet");
        assert_eq!(client["items"][1]["facts"][0]["title"], "CRITICAL");
        assert_eq!(
            client["items"][1]["facts"][0]["value"],
            "admin\\-role: Holds an admin role"
        );
        assert!(body[3]["text"].as_str().unwrap().contains("1 more client"));
    }

    #[test]
    fn teams_markdown_in_a_name_is_escaped() {
        let v = body(&alert(true, 1, 0), WebhookFormat::Teams);
        let line = v["attachments"][0]["content"]["body"][1]["items"][0]["text"]
            .as_str()
            .unwrap();
        assert!(
            line.starts_with("**[\\<script\\>\\*bold\\* \\[x\\]\\(y\\) & \\`co\\`"),
            "{line}"
        );
    }

    #[test]
    fn a_hostile_name_adds_no_line_and_no_invisible_character_to_any_format() {
        let mut a = alert(false, 1, 0);
        a.clients[0].name =
            "ok\n• CRITICAL `fake` line\r\n\u{7}\u{1b}[2J\u{202E}gnp.exe\u{2066}".into();
        a.clients[0].id = "id\n0\u{200B}".into();
        a.organization = Some("Org\u{061C}\ttwo".into());
        for format in [
            WebhookFormat::Json,
            WebhookFormat::Slack,
            WebhookFormat::Teams,
        ] {
            let v = body(&a, format);
            let mut texts = Vec::new();
            strings(&v, &mut texts);
            for text in texts {
                // Slack puts each finding on a line of its own: those lines are ours.
                let fake = text
                    .lines()
                    .skip(1)
                    .any(|l| !l.starts_with("• ") || l.contains("fake"));
                assert!(!fake, "{format:?}: a line the name brought: {text:?}");
                assert!(
                    !text
                        .chars()
                        .any(|c| (c.is_control() && c != '\n') || is_invisible(c)),
                    "{format:?}: {text:?}"
                );
            }
        }
    }

    fn strings(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
            Value::Object(map) => map.values().for_each(|i| strings(i, out)),
            _ => {}
        }
    }

    #[test]
    fn with_several_orgs_the_message_names_the_configured_org_and_links_to_its_routes() {
        let mut a = alert(false, 1, 0);
        a.org = Some("emea".into());
        a.organization = Some("Chosen Upstream".into());
        a.clients[0].url = Some("/orgs/emea/clients/id-0".into());
        let json = body(&a, WebhookFormat::Json);
        assert_eq!(json["org"], "emea");
        assert!(
            json["text"]
                .as_str()
                .unwrap()
                .starts_with("scopewatch [emea]: ")
        );
        assert_eq!(json["findings"][0]["url"], "/orgs/emea/clients/id-0");
        let slack = body(&a, WebhookFormat::Slack);
        let section = slack["blocks"][1]["text"]["text"].as_str().unwrap();
        assert!(section.contains("`/orgs/emea/clients/id-0`"), "{section}");
        assert!(!section.contains("``"), "no empty code span: {section}");
        a.clients[0].url = None;
        let section = body(&a, WebhookFormat::Slack)["blocks"][1]["text"]["text"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(!section.contains("``"), "no empty code span: {section}");
        assert!(body(&a, WebhookFormat::Json)["findings"][0]["url"].is_null());
    }
}
