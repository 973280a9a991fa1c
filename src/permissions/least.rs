//! Least privilege from observed use: what a client needed for the endpoints it called, what it
//! holds, and the smallest grant that would have done the same job.

use std::collections::BTreeSet;

use genesys_api::permissions::algebra::{Holdings, Policy, minimal_policies};
use genesys_api::permissions::catalog::{Catalog, Mode};
use genesys_api::permissions::universe::{PermSet, summarize};

/// One endpoint a client called in the usage window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub method: String,
    /// The usage row's `templateUri` (no leading slash).
    pub template: String,
    pub requests: u64,
    /// Requests answered 2xx: a call with none may have been refused.
    pub succeeded: u64,
}

impl Call {
    /// `GET api/v2/routing/queues`, as evidence and the report write an endpoint.
    pub fn describe(&self) -> String {
        format!("{} {}", self.method, self.template)
    }
}

/// A client-credentials client's permissions measured against its calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionFit {
    pub used: BTreeSet<String>,
    /// Shared by every client holding the same roles (the expansion is computed once).
    pub granted: std::sync::Arc<PermSet>,
    pub unused: PermSet,
    /// `unused` written compactly (`universe::summarize`), computed once for the rule and the
    /// report.
    pub unused_summary: Vec<String>,
    pub suggested_policies: Vec<Policy>,
    pub suggested_permissions: Vec<String>,
    /// Endpoints the catalog does not know: listed, never guessed.
    pub unknown_endpoints: Vec<String>,
    /// Known endpoints called without a grant that explains them (refused calls, usually).
    pub unexplained: Vec<String>,
}

/// A user-grant client's scopes measured against its calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeFit {
    pub used: BTreeSet<String>,
    pub held: BTreeSet<String>,
    pub unused: BTreeSet<String>,
    pub suggested: BTreeSet<String>,
    pub unknown_endpoints: Vec<String>,
    pub unexplained: Vec<String>,
}

/// Needed = per known endpoint, ALL: every permission; ANY: those the holdings grant, else the
/// first; granted = the holdings expanded over the catalog; unused = granted minus needed.
#[cfg(test)]
fn fit_permissions(catalog: &Catalog, holdings: &Holdings, calls: &[Call]) -> PermissionFit {
    let granted = std::sync::Arc::new(holdings.expand(catalog.permissions()));
    fit_expanded(catalog, holdings, granted, calls)
}

/// `fit_permissions` with the holdings already expanded (`granted`), so clients that hold the
/// same roles share one expansion: an org of thousands of admin integrations expands it once.
pub(crate) fn fit_expanded(
    catalog: &Catalog,
    holdings: &Holdings,
    granted: std::sync::Arc<PermSet>,
    calls: &[Call],
) -> PermissionFit {
    let universe = catalog.permissions();
    let mut used = BTreeSet::new();
    let mut unknown_endpoints = Vec::new();
    let mut unexplained = Vec::new();
    for call in calls {
        let Some(op) = catalog.get(&call.method, &call.template) else {
            unknown_endpoints.push(call.describe());
            continue;
        };
        let granted: Vec<&String> = op
            .permissions
            .iter()
            .filter(|p| holdings.allows(p))
            .collect();
        let explained = match op.mode {
            Mode::None => true,
            Mode::All => {
                used.extend(op.permissions.iter().cloned());
                granted.len() == op.permissions.len()
            }
            Mode::Any => match granted.first() {
                Some(_) => {
                    used.extend(granted.iter().map(|p| p.to_string()));
                    true
                }
                None => {
                    used.extend(op.permissions.first().cloned());
                    op.permissions.is_empty()
                }
            },
        };
        if !explained {
            unexplained.push(call.describe());
        }
    }
    let mut used_set = universe.empty_set();
    for p in &used {
        used_set.insert(universe, p);
    }
    // What an operation required is in the universe by construction, so a flat permission
    // held (such as `admin`) is used exactly when an operation required it.
    let unused = granted.difference(&used_set);
    let unused_summary = summarize(&unused, universe);
    // Only what the grant explains goes in the suggestion: a refused call needs no permission.
    let needed: BTreeSet<String> = used
        .iter()
        .filter(|p| holdings.allows(p))
        .cloned()
        .collect();
    let (suggested_policies, suggested_permissions) = minimal_policies(&needed);
    PermissionFit {
        used: needed,
        granted,
        unused,
        unused_summary,
        suggested_policies,
        suggested_permissions,
        unknown_endpoints,
        unexplained,
    }
}

/// Per known endpoint, the accepted scope to keep: a held read-only one; else the read-only
/// form of a held read-write one (narrowing); else a held one. Unused = held minus kept.
pub(crate) fn fit_scopes(catalog: &Catalog, held: &[String], calls: &[Call]) -> ScopeFit {
    let held_set: BTreeSet<String> = held.iter().cloned().collect();
    let mut used = BTreeSet::new();
    let mut unknown_endpoints = Vec::new();
    let mut unexplained = Vec::new();
    for call in calls {
        let Some(op) = catalog.get(&call.method, &call.template) else {
            unknown_endpoints.push(call.describe());
            continue;
        };
        if op.scopes.is_empty() {
            // The catalog does not say which scopes it accepts: unknown, not free.
            unknown_endpoints.push(call.describe());
            continue;
        }
        let accepted = |s: &&String| held_set.contains(*s);
        let read_only_held = op
            .scopes
            .iter()
            .filter(accepted)
            .find(|s| s.ends_with(":readonly"));
        let narrowed = op.scopes.iter().find(|s| {
            s.strip_suffix(":readonly")
                .is_some_and(|base| held_set.contains(base))
        });
        let any_held = op.scopes.iter().find(accepted);
        match read_only_held.or(narrowed).or(any_held) {
            Some(scope) => {
                used.insert(scope.clone());
            }
            None => unexplained.push(call.describe()),
        }
    }
    let unused = held_set.difference(&used).cloned().collect();
    ScopeFit {
        suggested: used.clone(),
        used,
        held: held_set,
        unused,
        unknown_endpoints,
        unexplained,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use genesys_api::permissions::catalog::{Operation, Source};

    fn op(method: &str, path: &str, mode: Mode, perms: &[&str], scopes: &[&str]) -> Operation {
        Operation {
            method: method.into(),
            path: path.into(),
            mode,
            permissions: perms.iter().map(|s| s.to_string()).collect(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn catalog() -> Catalog {
        Catalog::new(
            Source::Snapshot {
                line: "test".into(),
            },
            vec![
                op(
                    "GET",
                    "/api/v2/routing/queues",
                    Mode::Any,
                    &["routing:queue:view"],
                    &["routing", "routing:readonly"],
                ),
                op(
                    "POST",
                    "/api/v2/routing/queues",
                    Mode::Any,
                    &["routing:queue:add"],
                    &["routing"],
                ),
                op(
                    "GET",
                    "/api/v2/users/{userId}",
                    Mode::Any,
                    &["directory:user:view", "directory:user:edit"],
                    &["users", "users:readonly"],
                ),
                op(
                    "POST",
                    "/api/v2/quality/forms",
                    Mode::All,
                    &["quality:form:add", "quality:form:view"],
                    &["quality"],
                ),
                op(
                    "DELETE",
                    "/api/v2/users/{userId}/roles",
                    Mode::All,
                    &["admin"],
                    &["users"],
                ),
                op(
                    "GET",
                    "/api/v2/authorization/divisions",
                    Mode::None,
                    &[],
                    &[],
                ),
            ],
        )
    }

    fn call(method: &str, template: &str) -> Call {
        Call {
            method: method.into(),
            template: template.into(),
            requests: 10,
            succeeded: 10,
        }
    }

    #[test]
    fn master_admin_reading_queues_needs_only_routing_queue_view() {
        let fit = fit_permissions(
            &catalog(),
            &Holdings::of(&["admin"], &[("*", "*", &["*"])]),
            &[call("GET", "api/v2/routing/queues")],
        );
        assert_eq!(
            fit.used.iter().collect::<Vec<_>>(),
            vec!["routing:queue:view"]
        );
        assert_eq!(
            fit.suggested_policies,
            vec![Policy {
                domain: "routing".into(),
                entity: "queue".into(),
                actions: vec!["view".into()]
            }]
        );
        let universe = catalog();
        let universe = universe.permissions();
        assert!(fit.unused.contains(universe, "admin"));
        assert!(fit.unused.contains(universe, "routing:queue:add"));
        assert!(!fit.unused.contains(universe, "routing:queue:view"));
    }

    #[test]
    fn all_needs_every_permission_and_any_only_the_granted_one() {
        let h = Holdings::of(
            &[],
            &[
                ("quality", "form", &["*"]),
                ("directory", "user", &["edit"]),
            ],
        );
        let fit = fit_permissions(
            &catalog(),
            &h,
            &[
                call("POST", "api/v2/quality/forms"),
                call("GET", "api/v2/users/{id}"),
            ],
        );
        assert_eq!(
            fit.used.iter().collect::<Vec<_>>(),
            vec![
                "directory:user:edit",
                "quality:form:add",
                "quality:form:view"
            ]
        );
        assert!(fit.unexplained.is_empty());
    }

    #[test]
    fn a_call_the_grant_does_not_explain_is_listed_and_not_suggested() {
        let h = Holdings::of(&[], &[("routing", "queue", &["view"])]);
        let fit = fit_permissions(
            &catalog(),
            &h,
            &[
                call("GET", "api/v2/routing/queues"),
                call("POST", "api/v2/quality/forms"),
            ],
        );
        assert_eq!(fit.unexplained, vec!["POST api/v2/quality/forms"]);
        assert_eq!(
            fit.used.iter().collect::<Vec<_>>(),
            vec!["routing:queue:view"]
        );
    }

    #[test]
    fn the_admin_permission_is_used_only_by_operations_requiring_it() {
        let h = Holdings::of(&["admin"], &[]);
        let fit = fit_permissions(
            &catalog(),
            &h,
            &[call("DELETE", "api/v2/users/{userId}/roles")],
        );
        assert_eq!(fit.suggested_permissions, vec!["admin"]);
        assert!(!fit.unused.contains(catalog().permissions(), "admin"));
    }

    #[test]
    fn unknown_endpoints_are_listed_not_guessed() {
        let h = Holdings::of(&[], &[("routing", "queue", &["view", "add"])]);
        let fit = fit_permissions(&catalog(), &h, &[call("GET", "api/v2/brand/new/thing")]);
        assert_eq!(fit.unknown_endpoints, vec!["GET api/v2/brand/new/thing"]);
        assert!(fit.used.is_empty());
        let scopes = fit_scopes(
            &catalog(),
            &["routing".into()],
            &[call("GET", "api/v2/authorization/divisions")],
        );
        assert_eq!(
            scopes.unknown_endpoints,
            vec!["GET api/v2/authorization/divisions"]
        );
    }

    #[test]
    fn read_only_scopes_are_preferred_and_read_write_ones_narrowed() {
        let held = vec![
            "routing".to_string(),
            "users".to_string(),
            "users:readonly".to_string(),
        ];
        let fit = fit_scopes(
            &catalog(),
            &held,
            &[
                call("GET", "api/v2/routing/queues"),
                call("GET", "api/v2/users/{userId}"),
            ],
        );
        assert_eq!(
            fit.suggested.iter().collect::<Vec<_>>(),
            vec!["routing:readonly", "users:readonly"]
        );
        assert_eq!(
            fit.unused.iter().collect::<Vec<_>>(),
            vec!["routing", "users"]
        );
        let writes = fit_scopes(&catalog(), &held, &[call("POST", "api/v2/routing/queues")]);
        assert_eq!(writes.suggested.iter().collect::<Vec<_>>(), vec!["routing"]);
    }
}
