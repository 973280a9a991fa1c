//! What a set of roles holds, as concrete permissions: policies with `*` wildcards expanded over
//! the catalog's permissions, the flat `admin` permission meaning everything.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A permission policy: `domain:entity:actions`, `*` allowed in each part.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Policy {
    pub domain: String,
    pub entity: String,
    pub actions: Vec<String>,
}

/// The flat permission that grants everything (Master Admin).
pub const ADMIN: &str = "admin";

/// A permission as `(domain, entity, action)`; `None` for a flat one such as `admin`.
pub fn split(permission: &str) -> Option<(&str, &str, &str)> {
    let mut parts = permission.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(d), Some(e), Some(a)) => Some((d, e, a)),
        _ => None,
    }
}

/// The permissions operations can require, with how many each domain and entity has, so
/// expanding and summarizing one client never walks the whole catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Universe {
    permissions: BTreeSet<String>,
    per_domain: HashMap<String, usize>,
    per_entity: HashMap<(String, String), usize>,
}

impl Universe {
    pub fn new(permissions: BTreeSet<String>) -> Universe {
        let mut per_domain: HashMap<String, usize> = HashMap::new();
        let mut per_entity: HashMap<(String, String), usize> = HashMap::new();
        for (d, e, _) in permissions.iter().filter_map(|p| split(p)) {
            *per_domain.entry(d.to_string()).or_default() += 1;
            *per_entity
                .entry((d.to_string(), e.to_string()))
                .or_default() += 1;
        }
        Universe {
            permissions,
            per_domain,
            per_entity,
        }
    }

    pub fn permissions(&self) -> &BTreeSet<String> {
        &self.permissions
    }

    /// The permissions of one domain (`domain:...`), found by range, not by scanning.
    fn of_domain<'u>(&'u self, domain: &str) -> impl Iterator<Item = &'u String> {
        let start = format!("{domain}:");
        let end = format!("{domain};");
        self.permissions.range(start..end)
    }
}

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
    pub fn expand(&self, universe: &Universe) -> BTreeSet<String> {
        let mut held: BTreeSet<String> = self.flat.iter().cloned().collect();
        if self.flat.contains(ADMIN) || self.policies.iter().any(|p| p.domain == "*") {
            let all = universe.permissions().iter();
            held.extend(all.filter(|p| self.allows(p)).cloned());
            return held;
        }
        for p in &self.policies {
            if p.entity == "*" || p.actions.iter().any(|a| a == "*") {
                let domain = universe.of_domain(&p.domain);
                held.extend(domain.filter(|x| self.allows(x)).cloned());
            }
            for action in p.actions.iter().filter(|a| *a != "*") {
                if p.entity != "*" {
                    held.insert(format!("{}:{}:{action}", p.domain, p.entity));
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

/// `unused` written compactly and exactly: `domain:*:*` when every permission of the domain in
/// `universe` is in it, `domain:entity:*` likewise for an entity, else `domain:entity:a,b`.
pub fn summarize(unused: &BTreeSet<String>, universe: &Universe) -> Vec<String> {
    let mut domain_unused: HashMap<&str, usize> = HashMap::new();
    let mut entity_unused: HashMap<(&str, &str), usize> = HashMap::new();
    for (d, e, _) in unused
        .iter()
        .filter(|p| universe.permissions.contains(*p))
        .filter_map(|p| split(p))
    {
        *domain_unused.entry(d).or_default() += 1;
        *entity_unused.entry((d, e)).or_default() += 1;
    }
    let whole_domain = |d: &str| {
        domain_unused
            .get(d)
            .is_some_and(|n| universe.per_domain.get(d) == Some(n))
    };
    let whole_entity = |d: &str, e: &str| {
        entity_unused
            .get(&(d, e))
            .is_some_and(|n| universe.per_entity.get(&(d.to_string(), e.to_string())) == Some(n))
    };
    let (policies, flat) = minimal_policies(unused);
    let mut out = Vec::new();
    let mut whole_domains = BTreeSet::new();
    for p in &policies {
        let (d, e) = (p.domain.as_str(), p.entity.as_str());
        if whole_domains.contains(d) {
            continue;
        }
        if whole_domain(d) {
            whole_domains.insert(d);
            out.push(format!("{d}:*:*"));
        } else if whole_entity(d, e) && p.actions.len() > 1 {
            out.push(format!("{d}:{e}:*"));
        } else {
            out.push(format!("{d}:{e}:{}", p.actions.join(",")));
        }
    }
    out.extend(flat);
    out
}

/// Whether a permission can change something: any action but `view`, or a flat one.
pub fn is_write(permission: &str) -> bool {
    match split(permission) {
        Some((_, _, action)) => action != "view",
        None => true,
    }
}

/// Holdings from literals, for the tests of this module and its users.
#[cfg(test)]
impl Holdings {
    pub(crate) fn of(flat: &[&str], policies: &[(&str, &str, &[&str])]) -> Holdings {
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

    #[test]
    fn wildcard_entities_and_actions_expand_over_the_catalog() {
        let h = Holdings::of(
            &[],
            &[("routing", "*", &["view"]), ("directory", "user", &["*"])],
        );
        assert_eq!(
            h.expand(&universe()),
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
            h.expand(&universe()),
            strings(&["quality:evaluation:edit", "quality:evaluation:view"])
        );
    }

    #[test]
    fn the_admin_permission_holds_everything() {
        let h = Holdings::of(&["admin"], &[]);
        assert!(h.allows("routing:queue:add"));
        assert!(h.allows("content_management_user"));
        let held = h.expand(&universe());
        assert_eq!(held.len(), universe().permissions().len() + 1);
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
    fn unused_is_summarized_by_domain_only_when_the_whole_domain_is_unused() {
        let unused = strings(&[
            "routing:queue:add",
            "directory:user:view",
            "directory:user:edit",
        ]);
        assert_eq!(
            summarize(&unused, &universe()),
            vec!["directory:*:*", "routing:queue:add"]
        );
    }

    #[test]
    fn only_view_is_read_only() {
        assert!(!is_write("routing:queue:view"));
        assert!(is_write("routing:queue:add"));
        assert!(is_write("admin"));
    }
}
