//! Spreads each generated client's daily usage over the endpoints its grant allows, so usage
//! grouped by `TemplateUri` and `HttpMethod` looks like a real org's: most clients call a small
//! part of what they hold, some call all of it, a few call endpoints outside their grant and get
//! refused (their rows count the requests as 4xx, none as 200).

use std::collections::{BTreeSet, HashMap};

use super::org::Org;
use genesys_api::models::{Role, UsageRow};
use genesys_api::permissions::algebra::{Holdings, Policy};
use genesys_api::permissions::catalog::{Catalog, Mode, Operation};
use genesys_api::rng::Rng;

/// "Calls all it holds" is only simulated for grants this small; bigger ones call a small part.
const ALL_OF_IT_LIMIT: usize = 24;

fn holdings(roles: &[&Role]) -> Holdings {
    let mut h = Holdings::default();
    for r in roles {
        h.flat.extend(r.permissions.iter().flatten().cloned());
        h.policies
            .extend(r.permission_policies.iter().flatten().map(|p| Policy {
                domain: p.domain.clone(),
                entity: p.entity_name.clone(),
                actions: p.action_set.clone(),
            }));
    }
    h
}

fn allowed_by_role(op: &Operation, h: &Holdings) -> bool {
    match op.mode {
        // An operation naming no permission says nothing about the grant: not picked.
        Mode::None => false,
        Mode::All => op.permissions.iter().all(|p| h.allows(p)),
        Mode::Any => op.permissions.iter().any(|p| h.allows(p)),
    }
}

/// Indices of the catalog's operations a client may call: by its roles or by its scopes.
struct Allowed<'c> {
    catalog: &'c Catalog,
    by_role: HashMap<String, Vec<usize>>,
    by_scope: HashMap<&'c str, Vec<usize>>,
}

impl<'c> Allowed<'c> {
    fn new(catalog: &'c Catalog, roles: &[Role]) -> Allowed<'c> {
        let ops = catalog.operations();
        let by_role = roles
            .iter()
            .map(|r| {
                let h = holdings(&[r]);
                let fits = (0..ops.len())
                    .filter(|&i| allowed_by_role(&ops[i], &h))
                    .collect();
                (r.id.clone(), fits)
            })
            .collect();
        let mut by_scope: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, op) in ops.iter().enumerate() {
            for s in &op.scopes {
                by_scope.entry(s.as_str()).or_default().push(i);
            }
        }
        Allowed {
            catalog,
            by_role,
            by_scope,
        }
    }

    fn for_client(&self, role_ids: &[String], scopes: &[String]) -> Vec<usize> {
        let keys = role_ids
            .iter()
            .filter_map(|r| self.by_role.get(r))
            .chain(scopes.iter().filter_map(|s| self.by_scope.get(s.as_str())));
        let set: BTreeSet<usize> = keys.flatten().copied().collect();
        set.into_iter().collect()
    }
}

/// Replaces each client's rows without an endpoint by rows per endpoint it called.
pub(super) fn spread(org: &mut Org, catalog: &Catalog, seed: u64) {
    let allowed = Allowed::new(catalog, &org.roles);
    let ops = allowed.catalog.operations();
    let grants: HashMap<String, (Vec<String>, Vec<String>)> = org
        .clients
        .iter()
        .map(|c| {
            let roles = c.client.role_ids.clone().unwrap_or_default();
            let scopes = c.client.scope.clone().unwrap_or_default();
            (c.client.id.clone(), (roles, scopes))
        })
        .collect();
    // Each client's endpoints are chosen once, so every day it calls the same few.
    let mut chosen: HashMap<String, Vec<(usize, bool)>> = HashMap::new();
    // A separate stream: the org's other fields stay what they were for the same seed.
    let mut rng = Rng::new(seed ^ 0x5eed_e2d9_0000_0001);
    let mut rows = Vec::with_capacity(org.usage.len() * 3);
    for row in std::mem::take(&mut org.usage) {
        let id = row.client_id.clone().unwrap_or_default();
        let (Some((roles, scopes)), true) = (grants.get(&id), row.template_uri.is_none()) else {
            rows.push(row);
            continue;
        };
        let endpoints = chosen
            .entry(id)
            .or_insert_with(|| choose(&mut rng, &allowed.for_client(roles, scopes), ops.len()));
        if endpoints.is_empty() {
            rows.push(row);
            continue;
        }
        split_row(&row, endpoints, ops, &mut rows);
    }
    org.usage = rows;
}

/// Picks (operation, refused) pairs: a small part of `fits` (70%), all of it (20%), or a small
/// part plus one or two operations outside it, refused (10%).
fn choose(rng: &mut Rng, fits: &[usize], universe: usize) -> Vec<(usize, bool)> {
    if fits.is_empty() {
        return vec![];
    }
    let profile = rng.below(100);
    let mut picked: BTreeSet<(usize, bool)> = BTreeSet::new();
    if (70..90).contains(&profile) && fits.len() <= ALL_OF_IT_LIMIT {
        picked.extend(fits.iter().map(|&i| (i, false)));
    } else {
        for _ in 0..rng.range(1, 5) {
            picked.insert((*rng.pick(fits), false));
        }
    }
    if profile >= 90 {
        for _ in 0..rng.range(1, 2) {
            let outside = rng.below(universe as u64) as usize;
            if fits.binary_search(&outside).is_err() {
                picked.insert((outside, true));
            }
        }
    }
    picked.into_iter().collect()
}

fn split_row(
    row: &UsageRow,
    endpoints: &[(usize, bool)],
    ops: &[Operation],
    out: &mut Vec<UsageRow>,
) {
    let n = endpoints.len() as u64;
    for (k, &(op, refused)) in endpoints.iter().enumerate() {
        let share = |total: u64| total / n + u64::from((k as u64) < total % n);
        let requests = share(row.requests);
        if requests == 0 {
            continue;
        }
        let mut r = row.clone();
        r.template_uri = Some(ops[op].path.trim_start_matches('/').to_string());
        r.http_method = Some(ops[op].method.clone());
        r.requests = requests;
        if refused {
            // 403 missing permission: the wire has no 403 column, it is counted in status400.
            r.status200 = 0;
            r.status300 = 0;
            r.status400 = requests;
            r.status429 = 0;
            r.status500 = 0;
        } else {
            r.status400 = share(row.status400).min(requests);
            r.status429 = share(row.status429).min(r.status400);
            r.status500 = share(row.status500).min(requests - r.status400);
            r.status300 = 0;
            r.status200 = requests - r.status400 - r.status500;
        }
        out.push(r);
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::super::generate::{OrgSize, generate};
    use genesys_api::permissions::catalog::Catalog;

    #[test]
    fn generated_usage_fits_the_grants_with_a_few_refused_calls_outside_them() {
        let org = generate(&OrgSize {
            clients: 400,
            roles: 30,
            seed: 9,
            anchor: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        });
        let catalog = Catalog::snapshot();
        // A client whose grant fits no catalog operation keeps rows without an endpoint.
        let with_endpoint: Vec<_> = org
            .usage
            .iter()
            .filter(|r| r.template_uri.is_some())
            .collect();
        assert!(
            with_endpoint.len() * 10 > org.usage.len() * 9,
            "{} of {}",
            with_endpoint.len(),
            org.usage.len()
        );
        let mut refused = 0;
        for row in with_endpoint {
            let op = catalog
                .get(
                    row.http_method.as_deref().unwrap(),
                    row.template_uri.as_deref().unwrap(),
                )
                .expect("every generated endpoint is in the catalog");
            assert!(!op.path.is_empty());
            assert_eq!(
                row.requests,
                row.status200 + row.status300 + row.status400 + row.status500
            );
            if row.status200 == 0 && row.status400 == row.requests {
                refused += 1;
            }
        }
        assert!(refused > 0, "some clients call outside their grant");
        let per_client = |id: &str| {
            org.usage
                .iter()
                .filter(|r| r.client_id.as_deref() == Some(id))
                .count()
        };
        assert!(org.clients.iter().any(|c| per_client(&c.client.id) > 6));
    }
}
