//! The permissions operations can require, interned: each is an index into one sorted list, so
//! what a client holds, uses and leaves unused is a bit set, not a set of owned strings (an
//! admin client holds ~1 400 permissions; an org has thousands of such clients).

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;

use super::name::{is_write, split};

const NO_ENTITY: u32 = u32::MAX;

/// The catalog's permissions, with how many each domain and entity has, so expanding and
/// summarizing one client never walks the whole catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Universe {
    /// Sorted; a permission's id is its index.
    names: Vec<String>,
    /// Per id: its (domain, entity) index, `NO_ENTITY` for a flat permission.
    entity_of: Vec<u32>,
    /// Per entity: its domain index and how many permissions it has.
    entities: Vec<(u32, u32)>,
    /// Per domain: how many permissions it has.
    domain_size: Vec<u32>,
    domain_index: HashMap<String, u32>,
    entity_index: HashMap<(String, String), u32>,
    writes: Vec<u64>,
}

fn words(n: usize) -> usize {
    n.div_ceil(64)
}

impl Universe {
    pub fn new(permissions: BTreeSet<String>) -> Universe {
        let names: Vec<String> = permissions.into_iter().collect();
        let mut u = Universe {
            writes: vec![0; words(names.len())],
            ..Universe::default()
        };
        for (id, name) in names.iter().enumerate() {
            if is_write(name) {
                u.writes[id / 64] |= 1 << (id % 64);
            }
            let Some((d, e, _)) = split(name) else {
                u.entity_of.push(NO_ENTITY);
                continue;
            };
            let domains = u.domain_index.len() as u32;
            let domain = *u.domain_index.entry(d.to_string()).or_insert(domains);
            if domain as usize == u.domain_size.len() {
                u.domain_size.push(0);
            }
            u.domain_size[domain as usize] += 1;
            let entities = u.entity_index.len() as u32;
            let entity = *u
                .entity_index
                .entry((d.to_string(), e.to_string()))
                .or_insert(entities);
            if entity as usize == u.entities.len() {
                u.entities.push((domain, 0));
            }
            u.entities[entity as usize].1 += 1;
            u.entity_of.push(entity);
        }
        u.names = names;
        u
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Every permission, sorted (the index is the id).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn id(&self, name: &str) -> Option<usize> {
        self.names.binary_search_by(|n| n.as_str().cmp(name)).ok()
    }

    /// The ids of one domain (`domain:...`): contiguous, because the names are sorted.
    pub fn of_domain(&self, domain: &str) -> Range<usize> {
        let start = format!("{domain}:");
        let end = format!("{domain};");
        let from = self.names.partition_point(|n| *n < start);
        let to = self.names.partition_point(|n| *n < end);
        from..to
    }

    /// An empty set over this universe.
    pub fn empty_set(&self) -> PermSet {
        PermSet {
            bits: vec![0; words(self.names.len())],
            extra: BTreeSet::new(),
        }
    }
}

/// A set of permissions: ids of the universe as bits, and the few names outside it (literal
/// policies no operation requires) as strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PermSet {
    bits: Vec<u64>,
    extra: BTreeSet<String>,
}

impl PermSet {
    pub fn insert_id(&mut self, id: usize) {
        if let Some(word) = self.bits.get_mut(id / 64) {
            *word |= 1 << (id % 64);
        }
    }

    /// Adds a permission by name: its bit when the universe has it, else as an outside name.
    pub fn insert(&mut self, universe: &Universe, name: &str) {
        match universe.id(name) {
            Some(id) => self.insert_id(id),
            None => {
                self.extra.insert(name.to_string());
            }
        }
    }

    pub fn contains_id(&self, id: usize) -> bool {
        self.bits
            .get(id / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    pub fn contains(&self, universe: &Universe, name: &str) -> bool {
        match universe.id(name) {
            Some(id) => self.contains_id(id),
            None => self.extra.contains(name),
        }
    }

    pub fn len(&self) -> usize {
        self.bits
            .iter()
            .map(|w| w.count_ones() as usize)
            .sum::<usize>()
            + self.extra.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bits.iter().all(|w| *w == 0) && self.extra.is_empty()
    }

    /// The universe ids in the set, ascending.
    pub fn ids(&self) -> impl Iterator<Item = usize> + '_ {
        self.bits.iter().enumerate().flat_map(|(i, &word)| {
            let mut w = word;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let bit = w.trailing_zeros() as usize;
                w &= w - 1;
                Some(i * 64 + bit)
            })
        })
    }

    /// Every name in the set, sorted.
    pub fn names<'a>(&'a self, universe: &'a Universe) -> Vec<&'a str> {
        let mut out: Vec<&str> = self
            .ids()
            .map(|id| universe.names[id].as_str())
            .chain(self.extra.iter().map(String::as_str))
            .collect();
        out.sort_unstable();
        out
    }

    /// What `self` holds and `other` does not.
    pub fn difference(&self, other: &PermSet) -> PermSet {
        PermSet {
            bits: self
                .bits
                .iter()
                .enumerate()
                .map(|(i, w)| w & !other.bits.get(i).copied().unwrap_or(0))
                .collect(),
            extra: self.extra.difference(&other.extra).cloned().collect(),
        }
    }

    /// Whether any permission in the set can change something (see `name::is_write`).
    pub fn any_write(&self, universe: &Universe) -> bool {
        self.bits
            .iter()
            .zip(&universe.writes)
            .any(|(w, writes)| w & writes != 0)
            || self.extra.iter().any(|p| is_write(p))
    }
}

/// One (domain, entity) of a set being summarized.
struct Group<'a> {
    domain: &'a str,
    entity: &'a str,
    actions: Vec<&'a str>,
    /// Of the universe's permissions of this entity, how many are in the set.
    in_universe: u32,
    entity_id: Option<u32>,
}

/// `set` written compactly and exactly: `domain:*:*` when every permission of the domain in
/// the universe is in it, `domain:entity:*` likewise for an entity (of more than one action),
/// else `domain:entity:a,b`; flat permissions last, sorted.
pub fn summarize(set: &PermSet, universe: &Universe) -> Vec<String> {
    let Grouped {
        groups,
        mut flat,
        domain_count,
    } = group(set, universe);
    let whole_domain = |d: &str| {
        universe
            .domain_index
            .get(d)
            .is_some_and(|&i| domain_count[i as usize] == universe.domain_size[i as usize])
    };
    let whole_entity = |g: &Group| {
        g.in_universe > 0
            && g.entity_id
                .is_some_and(|e| universe.entities[e as usize].1 == g.in_universe)
    };
    let mut out = Vec::new();
    let mut whole_domains: Vec<&str> = Vec::new();
    for g in &groups {
        if whole_domains.last() == Some(&g.domain) {
            continue;
        }
        if whole_domain(g.domain) {
            whole_domains.push(g.domain);
            out.push(format!("{}:*:*", g.domain));
        } else if whole_entity(g) && g.actions.len() > 1 {
            out.push(format!("{}:{}:*", g.domain, g.entity));
        } else {
            out.push(format!("{}:{}:{}", g.domain, g.entity, g.actions.join(",")));
        }
    }
    flat.sort_unstable();
    flat.dedup();
    out.extend(flat.into_iter().map(str::to_string));
    out
}

/// A set's permissions grouped by (domain, entity), sorted, with its flat permissions and how
/// many of each domain's permissions it holds.
struct Grouped<'a> {
    groups: Vec<Group<'a>>,
    flat: Vec<&'a str>,
    domain_count: Vec<u32>,
}

fn group<'a>(set: &'a PermSet, universe: &'a Universe) -> Grouped<'a> {
    let mut domain_count = vec![0u32; universe.domain_size.len()];
    let mut groups: Vec<Group> = Vec::new();
    let mut flat: Vec<&str> = Vec::new();
    for id in set.ids() {
        let name = universe.names[id].as_str();
        let entity = universe.entity_of[id];
        let Some((d, e, a)) = split(name).filter(|_| entity != NO_ENTITY) else {
            flat.push(name);
            continue;
        };
        domain_count[universe.entities[entity as usize].0 as usize] += 1;
        match groups.last_mut() {
            Some(g) if g.entity_id == Some(entity) => {
                g.actions.push(a);
                g.in_universe += 1;
            }
            _ => groups.push(Group {
                domain: d,
                entity: e,
                actions: vec![a],
                in_universe: 1,
                entity_id: Some(entity),
            }),
        }
    }
    let mut merge = false;
    for name in &set.extra {
        match split(name) {
            Some((d, e, a)) => {
                merge = true;
                groups.push(Group {
                    domain: d,
                    entity: e,
                    actions: vec![a],
                    in_universe: 0,
                    entity_id: None,
                });
            }
            None => flat.push(name),
        }
    }
    groups.sort_by(|x, y| (x.domain, x.entity).cmp(&(y.domain, y.entity)));
    if merge {
        merge_same_entity(&mut groups);
    }
    Grouped {
        groups,
        flat,
        domain_count,
    }
}

/// Permissions outside the universe join the group of their (domain, entity).
fn merge_same_entity(groups: &mut Vec<Group<'_>>) {
    groups.dedup_by(|later, kept| {
        let same = (later.domain, later.entity) == (kept.domain, kept.entity);
        if same {
            kept.actions.append(&mut later.actions);
            kept.in_universe += later.in_universe;
            kept.entity_id = kept.entity_id.or(later.entity_id);
        }
        same
    });
    for g in groups {
        g.actions.sort_unstable();
        g.actions.dedup();
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
                "routing-x:queue:view",
                "directory:user:view",
                "directory:user:edit",
                "content_management_user",
            ]
            .into_iter()
            .map(str::to_string)
            .collect(),
        )
    }

    fn set(u: &Universe, names: &[&str]) -> PermSet {
        let mut s = u.empty_set();
        for n in names {
            s.insert(u, n);
        }
        s
    }

    #[test]
    fn names_inside_the_universe_are_bits_and_others_kept_by_name() {
        let u = universe();
        let s = set(
            &u,
            &[
                "routing:queue:view",
                "quality:form:add",
                "routing:queue:view",
            ],
        );
        assert_eq!(s.len(), 2);
        assert!(s.contains(&u, "routing:queue:view"));
        assert!(s.contains(&u, "quality:form:add"));
        assert!(!s.contains(&u, "routing:queue:add"));
        assert_eq!(s.names(&u), vec!["quality:form:add", "routing:queue:view"]);
        let rest = s.difference(&set(&u, &["quality:form:add"]));
        assert_eq!(rest.names(&u), vec!["routing:queue:view"]);
        assert!(!rest.any_write(&u));
        assert!(set(&u, &["routing:queue:add"]).any_write(&u));
        assert!(
            set(&u, &["admin"]).any_write(&u),
            "a flat outside name writes"
        );
        assert!(u.empty_set().is_empty());
    }

    #[test]
    fn a_domain_is_found_by_range_without_its_lookalikes() {
        let u = universe();
        let ids: Vec<&str> = u
            .of_domain("routing")
            .map(|id| u.names()[id].as_str())
            .collect();
        assert_eq!(
            ids,
            vec![
                "routing:queue:add",
                "routing:queue:view",
                "routing:skill:view"
            ]
        );
    }

    #[test]
    fn a_summary_collapses_whole_domains_and_entities_only() {
        let u = universe();
        let s = set(
            &u,
            &[
                "routing:queue:add",
                "routing:queue:view",
                "routing-x:queue:view",
                "directory:user:view",
                "directory:user:edit",
                "content_management_user",
            ],
        );
        assert_eq!(
            summarize(&s, &u),
            vec![
                "directory:*:*",
                "routing:queue:*",
                "routing-x:*:*",
                "content_management_user"
            ]
        );
    }

    #[test]
    fn outside_names_join_their_entity_in_a_summary() {
        let u = universe();
        let s = set(
            &u,
            &[
                "routing:queue:view",
                "routing:queue:export",
                "quality:form:add",
                "admin",
            ],
        );
        assert_eq!(
            summarize(&s, &u),
            vec!["quality:form:add", "routing:queue:export,view", "admin"]
        );
    }
}
