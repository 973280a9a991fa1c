//! Every endpoint once: its path, method, handler and who serves it. The router, the
//! org-prefixed routes, the single-org answers and the OpenAPI check all read this table, so
//! adding an endpoint is one line here and its entry in `openapi.yaml` (a test holds the two
//! together).

use axum::routing::{MethodFilter, MethodRouter, on};

use super::state::{AppState, OrgState};
use super::{actions, audits, clients, orgs, report, system};

/// The methods the API answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Method {
    Get,
    Post,
}

impl Method {
    /// The method as `openapi.yaml` spells it.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Method::Get => MethodFilter::GET,
            Method::Post => MethodFilter::POST,
        }
    }
}

/// A handler bound to the method filter it answers.
type Bind<S> = fn(MethodFilter) -> MethodRouter<S>;

/// Who answers a route, and with which state.
pub(super) enum Serve {
    /// Anyone, without a token: probes and metrics.
    Open(Bind<AppState>),
    /// Token holders, once for the whole server.
    Shared(Bind<AppState>),
    /// Token holders, once per org under `/orgs/{org}`, and at the root for the single org.
    Org(Bind<OrgState>),
}

/// One endpoint.
pub(super) struct Route {
    pub(super) path: &'static str,
    pub(super) method: Method,
    pub(super) serve: Serve,
}

impl Route {
    /// The method router that answers this route's method.
    pub(super) fn bound<S>(&self, bind: Bind<S>) -> MethodRouter<S> {
        bind(self.method.filter())
    }
}

const fn route(path: &'static str, method: Method, serve: Serve) -> Route {
    Route {
        path,
        method,
        serve,
    }
}

use Method::{Get, Post};
use Serve::{Open, Org, Shared};

/// Every endpoint the API serves.
pub(super) static ROUTES: &[Route] = &[
    route("/report", Get, Org(|m| on(m, report::get_report))),
    route(
        "/clients/{client_id}",
        Get,
        Org(|m| on(m, clients::get_client)),
    ),
    route(
        "/clients/{client_id}/remediation.tf",
        Get,
        Org(|m| on(m, clients::get_remediation)),
    ),
    route("/actions", Get, Org(|m| on(m, actions::get_actions))),
    route("/audits", Get, Org(|m| on(m, audits::list))),
    route("/audits", Post, Org(|m| on(m, audits::start))),
    route("/audits/{audit_id}", Get, Org(|m| on(m, audits::get_one))),
    route("/audits/{audit_id}/diff", Get, Org(|m| on(m, audits::diff))),
    route("/", Get, Shared(|m| on(m, orgs::home))),
    route("/orgs", Get, Shared(|m| on(m, orgs::list))),
    route("/openapi.yaml", Get, Shared(|m| on(m, system::openapi))),
    route("/healthz", Get, Open(|m| on(m, system::healthz))),
    route("/readyz", Get, Open(|m| on(m, system::readyz))),
    route("/metrics", Get, Open(|m| on(m, system::metrics))),
];

/// Where the org routes are served for the org named by the path's `{org}`.
const ORG_PREFIX: &str = "/orgs/{org}";

/// `(method, path template)` of every route the router serves: an org route once at the root
/// and once under `/orgs/{org}`.
pub fn templates() -> Vec<(&'static str, String)> {
    let mut templates = Vec::new();
    for r in ROUTES {
        templates.push((r.method.as_str(), r.path.to_string()));
        if matches!(r.serve, Org(_)) {
            templates.push((r.method.as_str(), format!("{ORG_PREFIX}{}", r.path)));
        }
    }
    templates
}

/// The paths of the org routes, each once (the single-org paths).
pub(super) fn org_paths() -> impl Iterator<Item = &'static str> {
    let mut seen = std::collections::BTreeSet::new();
    ROUTES
        .iter()
        .filter(|r| matches!(r.serve, Org(_)))
        .map(|r| r.path)
        .filter(move |path| seen.insert(*path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_org_path_is_listed_once_whatever_its_methods() {
        let paths: Vec<&str> = org_paths().collect();
        for r in ROUTES {
            let listed = paths.iter().filter(|p| **p == r.path).count();
            let expected = usize::from(matches!(r.serve, Org(_)));
            assert_eq!(listed, expected, "{} {}", r.method.as_str(), r.path);
        }
        assert!(
            ROUTES.iter().filter(|r| r.path == "/audits").count() > 1,
            "the case this test is about: one path, two methods"
        );
    }

    #[test]
    fn org_routes_are_templated_at_the_root_and_under_the_org_prefix() {
        let templates = templates();
        let unique: std::collections::BTreeSet<_> = templates.iter().collect();
        assert_eq!(unique.len(), templates.len(), "no template twice");
        for r in ROUTES {
            let method = r.method.as_str();
            assert!(templates.contains(&(method, r.path.to_string())));
            let prefixed = (method, format!("/orgs/{{org}}{}", r.path));
            assert_eq!(templates.contains(&prefixed), matches!(r.serve, Org(_)));
        }
    }
}
