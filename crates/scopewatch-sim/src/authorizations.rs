//! `GET /api/v2/oauth/authorizations`: the clients of other orgs this org authorized, requested
//! or revoked, as `OAuthAuthorizationListing` (`total`, `entities`; not paged). Genesys opens it
//! only to `oauth:client:authorize`; the `deny` fault is `authorizations`.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::access::{Shared, require};
use super::gate::Caller;
use super::org::Org;
use super::wire::{Fail, to_json};
use chrono::NaiveDate;
use genesys_api::models::{DomainEntityRef, OAuthClient, RoleDivision};
use genesys_api::rng::Rng;
use serde::{Deserialize, Serialize};

pub(super) async fn list(
    State(state): State<Shared>,
    Extension(who): Extension<Caller>,
) -> Result<Response, Fail> {
    require(&state, &who, "authorizations", &["oauth:client:authorize"])?;
    let live = state.read();
    let entities = &live.org.authorizations;
    Ok(to_json(
        StatusCode::OK,
        &json!({
            "total": entities.len(),
            "entities": entities,
            "selfUri": "/api/v2/oauth/authorizations",
        }),
    ))
}

/// `OAuthAuthorization` as Genesys answers it: the full `OAuthClient` (without its secret),
/// the scopes and roles granted, the org it belongs to (`resourceOwner`), who authorized it and
/// when, `pending` and `state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimAuthorization {
    pub client: OAuthClient,
    pub scope: Vec<String>,
    pub roles: Vec<String>,
    pub resource_owner: DomainEntityRef,
    pub date_created: String,
    pub date_modified: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<DomainEntityRef>,
    pub pending: bool,
    pub state: String,
    pub self_uri: String,
}

/// An app of another org, as the generated org authorized it.
struct Planned {
    name: &'static str,
    grant: &'static str,
    state: &'static str,
    scopes: &'static [&'static str],
    /// Whether the org's Master Admin role is named in the authorization.
    admin_role: bool,
}

/// The generated org's third-party apps: two broad ones (an admin role; write scopes), one
/// with read-only scopes it never calls (no usage row names it), one revoked and one still
/// requested (neither of which has access).
const PLANNED: [Planned; 5] = [
    Planned {
        name: "Acme CRM Connector",
        grant: "CLIENT-CREDENTIALS",
        state: "Authorized",
        scopes: &[],
        admin_role: true,
    },
    Planned {
        name: "Partner WFM Sync",
        grant: "CODE",
        state: "Authorized",
        scopes: &["users", "routing", "analytics:readonly"],
        admin_role: false,
    },
    Planned {
        name: "Survey Vendor",
        grant: "CODE",
        state: "Authorized",
        scopes: &["analytics:readonly", "quality:readonly"],
        admin_role: false,
    },
    Planned {
        name: "Legacy Recorder",
        grant: "CODE",
        state: "Revoked",
        scopes: &["recordings"],
        admin_role: false,
    },
    Planned {
        name: "Chat Bot Trial",
        grant: "CODE",
        state: "Requested",
        scopes: &["conversations"],
        admin_role: false,
    },
];

/// The authorizations of a generated org: each app's client belongs to another org (its own
/// organization id in the client's `selfUri` is not exposed by Genesys; its creator is a user of
/// that org), authorized by one of this org's users. From their own random stream, so the rest
/// of the org stays what it was for the seed.
pub(crate) fn generated(org: &Org, seed: u64, anchor: NaiveDate) -> Vec<SimAuthorization> {
    let mut rng = Rng::new(seed ^ 0x007a_a000_0023);
    let admin = org
        .roles
        .iter()
        .find(|r| r.name == "Master Admin")
        .map(|r| r.id.clone());
    let admins: Vec<_> = org.users.iter().filter(|u| u.state == "active").collect();
    let owner = DomainEntityRef {
        id: Some(org.organization_id.clone()),
        name: Some(org.organization_name.clone()).filter(|n| !n.is_empty()),
        self_uri: None,
    };
    PLANNED
        .iter()
        .enumerate()
        .map(|(n, plan)| {
            let client_id = rng.uuid();
            let vendor_user = rng.uuid();
            let admin_user = admins.get(n % admins.len().max(1));
            let created = anchor - chrono::Days::new(30 + 40 * n as u64);
            let date = format!("{created}T10:00:00.000Z");
            let roles: Vec<String> = match (&admin, plan.admin_role) {
                (Some(id), true) => vec![id.clone()],
                _ => vec![],
            };
            let scope: Vec<String> = plan.scopes.iter().map(|s| s.to_string()).collect();
            SimAuthorization {
                client: OAuthClient {
                    id: client_id.clone(),
                    name: plan.name.into(),
                    access_token_validity_seconds: Some(86_400),
                    description: Some(format!("{} (a vendor's app)", plan.name)),
                    registered_redirect_uri: (plan.grant == "CODE")
                        .then(|| vec![format!("https://apps.example.com/{n}/callback")]),
                    role_ids: None,
                    date_created: Some(date.clone()),
                    date_modified: Some(date.clone()),
                    created_by: Some(DomainEntityRef {
                        self_uri: Some(format!("/api/v2/users/{vendor_user}")),
                        id: Some(vendor_user),
                        name: None,
                    }),
                    modified_by: None,
                    authorized_grant_type: plan.grant.into(),
                    scope: Some(scope.clone()),
                    role_divisions: Some(Vec::<RoleDivision>::new()),
                    state: Some("active".into()),
                    date_to_delete: None,
                    self_uri: Some(format!("/api/v2/oauth/clients/{client_id}")),
                },
                scope,
                roles,
                resource_owner: owner.clone(),
                date_created: date.clone(),
                date_modified: date,
                created_by: admin_user.map(|u| DomainEntityRef {
                    id: Some(u.id.clone()),
                    name: Some(u.name.clone()),
                    self_uri: Some(format!("/api/v2/users/{}", u.id)),
                }),
                pending: plan.state == "Requested",
                state: plan.state.into(),
                self_uri: format!("/api/v2/oauth/authorizations/{client_id}"),
            }
        })
        .collect()
}
