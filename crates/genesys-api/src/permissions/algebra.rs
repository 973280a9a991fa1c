//! What a set of roles holds, as concrete permissions: policies with `*` wildcards expanded over
//! the catalog's permissions, the flat `admin` permission meaning everything.

use std::collections::{BTreeMap, BTreeSet};

/// A permission policy: `domain:entity:actions`, `*` allowed in each part.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Policy {
    pub domain: String,
    pub entity: String,
    pub actions: Vec<String>,
}

pub use super::name::{ADMIN, is_write, split};
use super::universe::{PermSet, Universe};

/// Everything some roles hold: flat permissions and policies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holdings {
    pub flat: BTreeSet<String>,
    pub policies: Vec<Policy>,
}

fn part_matches(have: &str, want: &str) -> bool {
    have == "*" || have == want
}

impl Holdings {
    /// Whether the holdings grant one concrete permission.
    pub fn allows(&self, permission: &str) -> bool {
        if self.flat.contains(ADMIN) || self.flat.contains(permission) {
            return true;
        }
        let Some((domain, entity, action)) = split(permission) else {
            return false;
        };
        self.policies.iter().any(|p| {
            part_matches(&p.domain, domain)
                && part_matches(&p.entity, entity)
                && p.actions.iter().any(|a| part_matches(a, action))
        })
    }

    /// The concrete permissions held: literal policies as written, wildcard policies and
    /// `admin` expanded over `universe` (what the catalog's operations can require).
    pub fn expand(&self, universe: &Universe) -> PermSet {
        let mut held = universe.empty_set();
        for p in &self.flat {
            held.insert(universe, p);
        }
        if self.flat.contains(ADMIN) || self.policies.iter().any(|p| p.domain == "*") {
            for (id, name) in universe.names().iter().enumerate() {
                if self.allows(name) {
                    held.insert_id(id);
                }
            }
            return held;
        }
        for p in &self.policies {
            if p.entity == "*" || p.actions.iter().any(|a| a == "*") {
                for id in universe.of_domain(&p.domain) {
                    if self.allows(&universe.names()[id]) {
                        held.insert_id(id);
                    }
                }
            }
            for action in p.actions.iter().filter(|a| *a != "*") {
                if p.entity != "*" {
                    held.insert(universe, &format!("{}:{}:{action}", p.domain, p.entity));
                }
            }
        }
        held
    }
}

/// The smallest policies covering `permissions` exactly: one per (domain, entity), its
/// actions sorted. Flat permissions are returned apart (a role lists them as `permissions`).
pub fn minimal_policies<'a>(
    permissions: impl IntoIterator<Item = &'a String>,
) -> (Vec<Policy>, Vec<String>) {
    let mut grouped: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    let mut flat = Vec::new();
    for p in permissions {
        match split(p) {
            Some((d, e, a)) => {
                grouped.entry((d, e)).or_default().insert(a);
            }
            None => flat.push(p.clone()),
        }
    }
    let policies = grouped
        .into_iter()
        .map(|((d, e), actions)| Policy {
            domain: d.into(),
            entity: e.into(),
            actions: actions.into_iter().map(str::to_string).collect(),
        })
        .collect();
    flat.sort();
    flat.dedup();
    (policies, flat)
}

/// Holdings from literals, for the tests of this module and its users.
impl Holdings {
    /// Holdings written out: flat permission names and `(domain, entity, actions)` policies.
    pub fn of(flat: &[&str], policies: &[(&str, &str, &[&str])]) -> Holdings {
        Holdings {
            flat: flat.iter().map(|s| s.to_string()).collect(),
            policies: policies
                .iter()
                .map(|(d, e, a)| Policy {
                    domain: d.to_string(),
                    entity: e.to_string(),
                    actions: a.iter().map(|s| s.to_string()).collect(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn universe() -> Universe {
        Universe::new(
            [
                "routing:queue:view",
                "routing:queue:add",
                "routing:skill:view",
                "directory:user:view",
                "directory:user:edit",
                "content_management_user",
            ]
            .into_iter()
            .map(str::to_string)
            .collect(),
        )
    }

    fn strings(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    /// What `h` expands to, by name.
    fn expanded(h: &Holdings) -> BTreeSet<String> {
        let u = universe();
        h.expand(&u)
            .names(&u)
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn wildcard_entities_and_actions_expand_over_the_catalog() {
        let h = Holdings::of(
            &[],
            &[("routing", "*", &["view"]), ("directory", "user", &["*"])],
        );
        assert_eq!(
            expanded(&h),
            strings(&[
                "directory:user:edit",
                "directory:user:view",
                "routing:queue:view",
                "routing:skill:view"
            ])
        );
        let everything = Holdings::of(&[], &[("*", "*", &["*"])]);
        assert_eq!(
            everything.expand(&universe()).len(),
            5,
            "flat ones are not policies"
        );
    }

    #[test]
    fn literal_policies_count_even_when_no_operation_requires_them() {
        let h = Holdings::of(&[], &[("quality", "evaluation", &["view", "edit"])]);
        assert_eq!(
            expanded(&h),
            strings(&["quality:evaluation:edit", "quality:evaluation:view"])
        );
    }

    #[test]
    fn the_admin_permission_holds_everything() {
        let h = Holdings::of(&["admin"], &[]);
        assert!(h.allows("routing:queue:add"));
        assert!(h.allows("content_management_user"));
        let held = expanded(&h);
        assert_eq!(held.len(), universe().len() + 1);
        assert!(held.contains("admin"));
        assert!(!Holdings::of(&[], &[("*", "*", &["*"])]).allows("admin"));
    }

    #[test]
    fn minimal_policies_group_actions_by_entity() {
        let used = strings(&["routing:queue:view", "routing:queue:add", "admin"]);
        let (policies, flat) = minimal_policies(&used);
        assert_eq!(
            policies,
            vec![Policy {
                domain: "routing".into(),
                entity: "queue".into(),
                actions: vec!["add".into(), "view".into()]
            }]
        );
        assert_eq!(flat, vec!["admin"]);
    }

    #[test]
    fn only_view_is_read_only() {
        assert!(!is_write("routing:queue:view"));
        assert!(is_write("routing:queue:add"));
        assert!(is_write("admin"));
    }
}
