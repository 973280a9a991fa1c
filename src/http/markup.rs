//! The pieces every page is made of: escaping, path segments, the page frame and its style,
//! the risk badges, and the Content-Security-Policy sent with each page.

use std::fmt::Write;

use crate::audit::report::RiskLevel;

/// The Content-Security-Policy sent with every page.
pub(super) const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Escapes text for HTML element content and quoted attributes.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a path segment.
pub(super) fn encode_segment(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn level_class(level: RiskLevel) -> &'static str {
    match level {
        RiskLevel::Critical => "critical",
        RiskLevel::High => "high",
        RiskLevel::Medium => "medium",
        RiskLevel::Low => "low",
        RiskLevel::None => "none",
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #d0d7de;vertical-align:top}\
.lvl{font-weight:600;padding:.1rem .45rem;border-radius:.3rem;color:#fff}\
.critical{background:#8b0000}.high{background:#d1242f}.medium{background:#bc4c00}.low{background:#7d8590}.none{background:#1a7f37}\
.cards{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}.card{border:1px solid #d0d7de;border-radius:.5rem;padding:.6rem 1rem}\
.card b{display:block;font-size:1.6rem}.muted{color:#57606a}.warn{background:#fff8c5;padding:.5rem;border-radius:.3rem}\
code{background:#f6f8fa;padding:0 .2rem}.new{background:#0969da;color:#fff;font-size:.75rem;padding:0 .3rem;border-radius:.3rem}\
nav p{margin:.3rem 0}nav a,nav b{margin-right:.4rem}#recommended{margin:1rem 0}#recommended .do{font-weight:600}pre{background:#f6f8fa;padding:.6rem;overflow-x:auto}#clients td:nth-child(4){white-space:nowrap}";

pub(super) fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
<title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        escape(title)
    )
}

pub(super) fn badge(level: RiskLevel) -> String {
    format!(
        "<span class=\"lvl {}\">{}</span>",
        level_class(level),
        level.as_str()
    )
}
