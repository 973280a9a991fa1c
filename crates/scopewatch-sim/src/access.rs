//! Who may call what: the permission checks in front of the simulator's handlers, as
//! Genesys answers a missing permission (403 naming it) or a denied endpoint (the `deny` fault).

use std::sync::Arc;

use super::gate::Caller;
use super::state::SimState;
use super::wire::Fail;

pub(super) type Shared = Arc<SimState>;

/// Checks that the caller holds one of `permissions`, or that the endpoint is not denied.
pub(super) fn require(
    state: &SimState,
    caller: &Caller,
    endpoint: &str,
    permissions: &'static [&'static str],
) -> Result<(), Fail> {
    check(state, caller, endpoint, permissions, false).map_err(|()| Fail::Forbidden(permissions))
}

/// Checks that the caller holds every one of `permissions` (an operation that needs ALL of
/// them), or that the endpoint is not denied; Genesys words that refusal differently.
pub(super) fn require_all(
    state: &SimState,
    caller: &Caller,
    endpoint: &str,
    permissions: &'static [&'static str],
) -> Result<(), Fail> {
    check(state, caller, endpoint, permissions, true).map_err(|()| Fail::ForbiddenAll(permissions))
}

fn check(
    state: &SimState,
    caller: &Caller,
    endpoint: &str,
    permissions: &[&str],
    all: bool,
) -> Result<(), ()> {
    let live = state.read();
    let holds = live.client(&caller.client_id).is_some_and(|c| {
        let has = |p: &&str| live.org.client_has_permission(&c.client, p);
        if all {
            permissions.iter().all(has)
        } else {
            permissions.iter().any(has)
        }
    });
    if holds && !state.faults.is_denied(endpoint) {
        Ok(())
    } else {
        Err(())
    }
}
