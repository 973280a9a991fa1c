//! How bad a finding is: the scale every rule, policy and report shares.

use serde::{Deserialize, Serialize};

/// How bad a finding is. Ordered: `Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn parse(text: &str) -> Option<Severity> {
        match text.to_ascii_lowercase().as_str() {
            "critical" => Some(Severity::Critical),
            "high" => Some(Severity::High),
            "medium" => Some(Severity::Medium),
            "low" => Some(Severity::Low),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "CRITICAL",
            Severity::High => "HIGH",
            Severity::Medium => "MEDIUM",
            Severity::Low => "LOW",
        }
    }

    /// Points towards a client's `risk_score`: one critical outweighs three highs, a high
    /// five mediums, a medium five lows.
    pub fn weight(self) -> u32 {
        match self {
            Severity::Critical => 100,
            Severity::High => 25,
            Severity::Medium => 5,
            Severity::Low => 1,
        }
    }
}
