//! Logging to stderr: `RUST_LOG` filters; `SCOPEWATCH_LOG_FORMAT` picks `json` or `pretty`, and
//! when it is unset, a terminal gets pretty lines and anything else (a file, a pipe, a log
//! collector) JSON. Colour codes go to a terminal only.

use std::collections::BTreeMap;
use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// The format `SCOPEWATCH_LOG_FORMAT` names (checked by the configuration), or by default
/// pretty on a terminal and JSON elsewhere.
pub fn log_format(variable: Option<&str>, terminal: bool) -> LogFormat {
    match variable {
        Some("json") => LogFormat::Json,
        Some("pretty") => LogFormat::Pretty,
        _ if terminal => LogFormat::Pretty,
        _ => LogFormat::Json,
    }
}

/// Installs the global subscriber. One-shot commands default to warnings only.
pub fn init(env: &BTreeMap<String, String>, one_shot: bool) {
    let default = if one_shot { "warn" } else { "info" };
    let filter = env
        .get("RUST_LOG")
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let terminal = std::io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(terminal)
        .with_writer(std::io::stderr);
    let format = log_format(
        env.get("SCOPEWATCH_LOG_FORMAT").map(String::as_str),
        terminal,
    );
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_wins_and_otherwise_a_terminal_gets_pretty_lines() {
        assert_eq!(log_format(None, true), LogFormat::Pretty);
        assert_eq!(log_format(None, false), LogFormat::Json);
        assert_eq!(log_format(Some("json"), true), LogFormat::Json);
        assert_eq!(log_format(Some("pretty"), false), LogFormat::Pretty);
    }
}
