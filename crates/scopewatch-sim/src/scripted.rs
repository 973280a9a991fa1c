//! The demo's one scripted change (`SimSettings::change_at_second_listing`): when the client
//! listing is read the second time (the second audit), before answering, an operator moves the
//! first implicit-grant client to the authorization code grant and grants the Master Admin role
//! to the first client-credentials client without it, each recorded in the trail as the
//! `PUT /api/v2/oauth/clients/{id}` of `mutate` records it. The second audit then has findings
//! resolved and findings new, which the diff page shows.

use genesys_api::models::{OAuthClient, RoleDivision};

use super::gate::Caller;
use super::mutate::{changes, record, stamp};
use super::state::SimState;

/// The operator the trail names as making the change.
pub(crate) const OPERATOR: &str = "demo-operator";

/// Applies the change once; what it changed (`(fixed, escalated)` client ids, when found).
pub(crate) fn apply(state: &SimState) -> (Option<String>, Option<String>) {
    let now = state.clock.now();
    let operator = Caller {
        client_id: OPERATOR.into(),
    };
    let mut live = state.write();
    let admin = live
        .org
        .roles
        .iter()
        .find(|r| r.name == "Master Admin")
        .map(|r| r.id.clone());
    let home = live.org.home_division_id.clone();
    let fixed = live
        .org
        .clients
        .iter()
        .position(|c| c.client.authorized_grant_type == "TOKEN");
    let escalated = admin.as_ref().and_then(|admin| {
        live.org.clients.iter().position(|c| {
            c.client.authorized_grant_type == "CLIENT-CREDENTIALS"
                && c.client.state.as_deref() == Some("active")
                && !holds(&c.client, admin)
        })
    });
    let mut changed = Vec::new();
    if let Some(at) = fixed {
        let before = live.org.clients[at].client.clone();
        let c = &mut live.org.clients[at].client;
        c.authorized_grant_type = "CODE".into();
        c.date_modified = Some(stamp(now));
        changed.push((before, c.clone()));
    }
    if let (Some(at), Some(admin)) = (escalated, admin) {
        let before = live.org.clients[at].client.clone();
        let c = &mut live.org.clients[at].client;
        c.role_ids.get_or_insert_with(Vec::new).push(admin.clone());
        c.role_divisions
            .get_or_insert_with(Vec::new)
            .push(RoleDivision {
                role_id: admin,
                division_id: Some(home),
            });
        c.date_modified = Some(stamp(now));
        changed.push((before, c.clone()));
    }
    live.clients_changed();
    let ids: Vec<String> = changed.iter().map(|(_, c)| c.id.clone()).collect();
    for (before, after) in changed {
        let properties = changes(Some(&before), Some(&after));
        record(&mut live, &operator, now, "Update", &after, properties);
    }
    let id_at = |at: Option<usize>, i: usize| at.and_then(|_| ids.get(i).cloned());
    (
        id_at(fixed, 0),
        id_at(escalated, usize::from(fixed.is_some())),
    )
}

fn holds(client: &OAuthClient, role_id: &str) -> bool {
    client
        .role_divisions
        .iter()
        .flatten()
        .any(|g| g.role_id == role_id)
        || client.role_ids.iter().flatten().any(|r| r == role_id)
}
