//! The least-privilege fit of one client: its calls from the usage evidence measured against
//! what its roles (client credentials) or scopes (user grants) hold, through the catalog.

use super::snapshot::{Client, GrantType, Snapshot, Usage};
use crate::permissions::algebra::{Holdings, Policy};
use crate::permissions::least::{PermissionFit, ScopeFit, fit_permissions, fit_scopes};

/// A client's fit, by what its access is made of.
#[derive(Debug, Clone, PartialEq)]
pub enum Fit {
    Permissions(PermissionFit),
    Scopes(ScopeFit),
}

/// The client's role holdings, with grants of unknown roles left out.
pub fn holdings(snapshot: &Snapshot, client: &Client) -> Holdings {
    let mut h = Holdings::default();
    for role in client
        .roles
        .iter()
        .filter_map(|g| snapshot.roles.get(&g.role_id))
    {
        h.flat.extend(role.permissions.iter().cloned());
        h.policies.extend(role.policies.iter().map(|p| Policy {
            domain: p.domain.clone(),
            entity: p.entity.clone(),
            actions: p.actions.clone(),
        }));
    }
    h
}

/// `None` without endpoint evidence: usage unknown, or no call with an endpoint in the window
/// (a client with no call at all is `unused-client`'s business, not this one's).
pub fn fit(snapshot: &Snapshot, client: &Client) -> Option<Fit> {
    let Usage::Known { calls, .. } = &snapshot.usage else {
        return None;
    };
    let calls = calls.get(&client.id).filter(|c| !c.is_empty())?;
    let catalog = &snapshot.catalog;
    Some(match client.grant_type {
        GrantType::ClientCredentials => {
            Fit::Permissions(fit_permissions(catalog, &holdings(snapshot, client), calls))
        }
        _ => Fit::Scopes(fit_scopes(catalog, &client.scopes, calls)),
    })
}
