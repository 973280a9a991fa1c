//! `expired-waiver`: a waiver whose expiry has passed; the finding it covered is active again.
//! Raised by the engine, which sees the other findings; the per-client check finds nothing.

use super::{Context, Fix, Hit, Rule, RuleMeta, Severity};
use crate::audit::policy::Waiver;
use crate::audit::snapshot::Client;

pub const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "expired-waiver",
        default_severity: Severity::Low,
        title: "A waiver has expired",
        description: "The policy waived a finding until a date that has passed; the finding counts again.",
        remediation: "Fix the finding the waiver covered, or, if the risk is still accepted, renew the waiver in the policy file with a new expiry, owner and reason.",
        severity_text: None,
        windowed: false,
        fix: Fix::Manual,
    },
    check,
};

fn check(_ctx: &Context, _client: &Client) -> Option<Hit> {
    None
}

/// The finding for an expired waiver that matched one of the client's findings.
pub fn hit(waiver: &Waiver) -> Hit {
    Hit::new(
        format!(
            "The waiver of {} expired on {}; that finding counts again.",
            waiver.rule, waiver.expires
        ),
        vec![format!(
            "waiver of {} for {} (owner {}, reason: {}) expired {}",
            waiver.rule,
            waiver.target(),
            waiver.owner,
            waiver.reason,
            waiver.expires
        )],
    )
}
