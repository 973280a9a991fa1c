//! The least-privilege fit of one client: its calls from the usage evidence measured against
//! what its roles (client credentials) or scopes (user grants) hold, through the catalog.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
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

/// The permissions the client's roles hold only through narrowed policies, sorted, each with
/// how the first such policy narrows it: `directory:user:edit (named resources: 3)`. A
/// permission some other policy (or a flat permission) holds outright is not listed.
pub fn conditional(snapshot: &Snapshot, client: &Client) -> Vec<String> {
    let roles: Vec<_> = client
        .roles
        .iter()
        .filter_map(|g| snapshot.roles.get(&g.role_id))
        .collect();
    let mut outright = Holdings::default();
    for role in &roles {
        outright.flat.extend(role.permissions.iter().cloned());
        outright.policies.extend(
            role.policies
                .iter()
                .filter(|p| p.narrowed.is_none())
                .map(|p| Policy {
                    domain: p.domain.clone(),
                    entity: p.entity.clone(),
                    actions: p.actions.clone(),
                }),
        );
    }
    let mut held: BTreeMap<String, String> = BTreeMap::new();
    for role in &roles {
        for p in &role.policies {
            let Some(narrowing) = &p.narrowed else {
                continue;
            };
            for action in &p.actions {
                let permission = format!("{}:{}:{action}", p.domain, p.entity);
                if !outright.allows(&permission) {
                    held.entry(permission)
                        .or_insert_with(|| narrowing.describe());
                }
            }
        }
    }
    held.into_iter()
        .map(|(permission, how)| format!("{permission} ({how})"))
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::rules::testkit::{client, role, with_narrowed_role, with_roles};

    #[test]
    fn permissions_held_only_through_narrowed_policies_are_listed_with_how() {
        let mut snap = with_narrowed_role(
            &[
                ("directory", "user", &["edit", "view"]),
                ("routing", "queue", &["*"]),
            ],
            3,
        );
        // Another role of the client holds directory:user:view outright.
        snap.roles.insert(
            "viewer".into(),
            role("viewer", "Viewer", &[], &[("directory", "user", &["view"])]),
        );
        let c = with_roles(
            client("CLIENT-CREDENTIALS"),
            &[("narrowed", "*"), ("viewer", "d1")],
        );
        assert_eq!(
            conditional(&snap, &c),
            vec![
                "directory:user:edit (named resources: 3)".to_string(),
                "routing:queue:* (conditions: 1)".to_string(),
            ]
        );
        let outright = with_roles(client("CLIENT-CREDENTIALS"), &[("viewer", "d1")]);
        assert!(conditional(&snap, &outright).is_empty());
    }
}
