//! Logging: `RUST_LOG` filters, `SCOPEWATCH_LOG_FORMAT` picks JSON (default) or pretty, to stderr.

use std::collections::BTreeMap;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. One-shot commands default to warnings only.
pub fn init(env: &BTreeMap<String, String>, one_shot: bool) {
    let default = if one_shot { "warn" } else { "info" };
    let filter = env
        .get("RUST_LOG")
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let pretty = env.get("SCOPEWATCH_LOG_FORMAT").map(String::as_str) == Some("pretty");
    let _ = if pretty {
        builder.try_init()
    } else {
        builder.json().flatten_event(true).try_init()
    };
}
