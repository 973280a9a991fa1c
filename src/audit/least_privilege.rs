//! The least-privilege fit of one client: its calls from the usage evidence measured against
//! what its roles (client credentials) or scopes (user grants) hold, through the catalog.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use super::snapshot::{Client, GrantType, Snapshot, Usage};
use crate::permissions::least::{PermissionFit, ScopeFit, fit_expanded, fit_scopes};
use genesys_api::permissions::algebra::{Holdings, Policy};
use genesys_api::permissions::universe::PermSet;

/// Expanded holdings by the set of roles held, for one audit: most clients share a few role
/// combinations, and expanding a wildcard role means walking the whole catalog.
#[derive(Default)]
pub struct Expansions(RefCell<HashMap<Vec<String>, Arc<PermSet>>>);

impl Expansions {
    fn granted(&self, snapshot: &Snapshot, client: &Client, holdings: &Holdings) -> Arc<PermSet> {
        let mut key: Vec<String> = client.roles.iter().map(|g| g.role_id.clone()).collect();
        key.sort();
        key.dedup();
        if let Some(found) = self.0.borrow().get(&key) {
            return found.clone();
        }
        let granted = Arc::new(holdings.expand(snapshot.catalog.permissions()));
        self.0.borrow_mut().insert(key, granted.clone());
        granted
    }
}

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
pub fn fit(snapshot: &Snapshot, client: &Client, expansions: &Expansions) -> Option<Fit> {
    let Usage::Known { calls, .. } = &snapshot.usage else {
        return None;
    };
    let calls = calls.get(&client.id).filter(|c| !c.is_empty())?;
    let catalog = &snapshot.catalog;
    Some(match client.grant_type {
        GrantType::ClientCredentials => {
            let holdings = holdings(snapshot, client);
            let granted = expansions.granted(snapshot, client, &holdings);
            Fit::Permissions(fit_expanded(catalog, &holdings, granted, calls))
        }
        _ => Fit::Scopes(fit_scopes(catalog, &client.scopes, calls)),
    })
}
