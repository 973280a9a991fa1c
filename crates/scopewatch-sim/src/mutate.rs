//! Changing the org while it serves, as Genesys does: `POST
//! /api/v2/oauth/clients`, `PUT` and `DELETE /api/v2/oauth/clients/{id}` with the
//! `OAuthClientRequest` body, each recording the audit event it produces. The caller holds a
//! client-credentials token, so the event's `client` is the caller and it has no `user`.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::access::{Shared, require};
use super::gate::Caller;
use super::org::{Org, SimClient};
use super::state::Live;
use super::trail::{ENTITY_OAUTH_CLIENT, SERVICE};
use super::wire::{Fail, to_json};
use genesys_api::models::{DomainEntityRef, OAuthClient, RoleDivision};
use genesys_api::models::{TrailClientRef, TrailMessage, TrailPropertyChange};
use genesys_api::rng::{Rng, random_token, random_u64};

const GRANTS: [&str; 5] = [
    "CODE",
    "TOKEN",
    "SAML2-BEARER",
    "PASSWORD",
    "CLIENT-CREDENTIALS",
];
const STATES: [&str; 3] = ["active", "disabled", "inactive"];
/// Token lifetime bounds of the model ("between 5mins and 48hrs").
const VALIDITY: std::ops::RangeInclusive<i64> = 300..=172_800;
/// "Deleting clients created within the last 30 days is not reversible. Clients created more
/// than 30 days ago deactivate for seven days before permanent removal."
const REVERSIBLE_AFTER_DAYS: i64 = 30;
const RESTORE_DAYS: i64 = 7;

/// `OAuthClientRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClientRequest {
    name: Option<String>,
    access_token_validity_seconds: Option<i64>,
    description: Option<String>,
    registered_redirect_uri: Option<Vec<String>>,
    role_ids: Option<Vec<String>>,
    authorized_grant_type: Option<String>,
    scope: Option<Vec<String>>,
    role_divisions: Option<Vec<RoleDivisionRequest>>,
    state: Option<String>,
    date_to_delete: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleDivisionRequest {
    role_id: Option<String>,
    division_id: Option<String>,
}

pub(super) fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn bad(message: String) -> Fail {
    Fail::BadRequest(message)
}

/// Checks a request against the org and builds the client it describes (id and dates are the
/// caller's to fill).
fn build(org: &Org, body: &Bytes, id: &str) -> Result<OAuthClient, Fail> {
    let request: ClientRequest = serde_json::from_slice(body)
        .map_err(|e| bad(format!("The OAuth client body is not valid: {e}")))?;
    // One field at a time, in a fixed order: the 400 names the first bad one.
    let name = request
        .name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| bad("name is required".into()))?;
    let grant = grant_type(request.authorized_grant_type)?;
    let validity = token_validity(request.access_token_validity_seconds)?;
    let state = client_state(request.state)?;
    let grants = role_grants(
        org,
        request.role_divisions.as_deref().unwrap_or_default(),
        request.role_ids.as_deref().unwrap_or_default(),
    )?;
    let scope = scopes(org, request.scope.unwrap_or_default())?;
    let mut role_ids: Vec<String> = Vec::new();
    for g in &grants {
        if !role_ids.contains(&g.role_id) {
            role_ids.push(g.role_id.clone());
        }
    }
    Ok(OAuthClient {
        id: id.to_string(),
        name,
        access_token_validity_seconds: Some(validity),
        description: request.description,
        registered_redirect_uri: Some(request.registered_redirect_uri.unwrap_or_default()),
        role_ids: Some(role_ids),
        date_created: None,
        date_modified: None,
        created_by: None,
        modified_by: None,
        authorized_grant_type: grant,
        scope: Some(scope),
        role_divisions: Some(grants),
        state: Some(state),
        date_to_delete: request.date_to_delete,
        self_uri: Some(format!("/api/v2/oauth/clients/{id}")),
    })
}

fn grant_type(grant: Option<String>) -> Result<String, Fail> {
    let grant = grant.ok_or_else(|| bad("authorizedGrantType is required".into()))?;
    if !GRANTS.contains(&grant.as_str()) {
        return Err(bad(format!(
            "authorizedGrantType '{grant}' is not one of {}",
            GRANTS.join(", ")
        )));
    }
    Ok(grant)
}

fn token_validity(seconds: Option<i64>) -> Result<i64, Fail> {
    let validity = seconds.unwrap_or(86_400);
    if !VALIDITY.contains(&validity) {
        return Err(bad(format!(
            "accessTokenValiditySeconds must be between 300 and 172800, not {validity}"
        )));
    }
    Ok(validity)
}

fn client_state(state: Option<String>) -> Result<String, Fail> {
    let state = state.unwrap_or_else(|| "active".into());
    if !STATES.contains(&state.as_str()) {
        return Err(bad(format!(
            "state '{state}' is not one of {}",
            STATES.join(", ")
        )));
    }
    Ok(state)
}

/// The role grants of a request: its `roleDivisions`, then each of its `roleIds` not named
/// there in the home division; every role and division must exist.
fn role_grants(
    org: &Org,
    divisions: &[RoleDivisionRequest],
    role_ids: &[String],
) -> Result<Vec<RoleDivision>, Fail> {
    let mut grants: Vec<RoleDivision> = Vec::new();
    for (i, rd) in divisions.iter().enumerate() {
        let role_id = rd
            .role_id
            .clone()
            .ok_or_else(|| bad(format!("roleDivisions[{i}].roleId is required")))?;
        // The home division when none is named.
        let division_id = rd
            .division_id
            .clone()
            .unwrap_or_else(|| org.home_division_id.clone());
        grants.push(RoleDivision {
            role_id,
            division_id: Some(division_id),
        });
    }
    for role_id in role_ids {
        if !grants.iter().any(|g| &g.role_id == role_id) {
            grants.push(RoleDivision {
                role_id: role_id.clone(),
                division_id: Some(org.home_division_id.clone()),
            });
        }
    }
    for g in &grants {
        if !org.roles.iter().any(|r| r.id == g.role_id) {
            return Err(bad(format!("role '{}' does not exist", g.role_id)));
        }
        let division = g.division_id.as_deref().unwrap_or_default();
        if division != "*" && !org.divisions.iter().any(|d| d.id == division) {
            return Err(bad(format!("division '{division}' does not exist")));
        }
    }
    Ok(grants)
}

fn scopes(org: &Org, scope: Vec<String>) -> Result<Vec<String>, Fail> {
    if let Some(unknown) = scope
        .iter()
        .find(|s| !org.scopes.iter().any(|k| &k.id == *s))
    {
        return Err(bad(format!("scope '{unknown}' is not a valid scope")));
    }
    Ok(scope)
}

/// The audit values of a client's properties, by property name.
fn properties(c: &OAuthClient) -> BTreeMap<&'static str, Vec<String>> {
    let list = |v: &Option<Vec<String>>| v.clone().unwrap_or_default();
    let one = |v: Option<String>| v.into_iter().collect::<Vec<_>>();
    BTreeMap::from([
        ("name", vec![c.name.clone()]),
        ("description", one(c.description.clone())),
        ("authorizedGrantType", vec![c.authorized_grant_type.clone()]),
        (
            "accessTokenValiditySeconds",
            one(c.access_token_validity_seconds.map(|v| v.to_string())),
        ),
        ("registeredRedirectUri", list(&c.registered_redirect_uri)),
        ("roleIds", list(&c.role_ids)),
        ("scope", list(&c.scope)),
        ("state", one(c.state.clone())),
    ])
}

/// What changed from `before` to `after` (everything, for a creation or a deletion).
pub(super) fn changes(
    before: Option<&OAuthClient>,
    after: Option<&OAuthClient>,
) -> Vec<TrailPropertyChange> {
    let old = before.map(properties).unwrap_or_default();
    let new = after.map(properties).unwrap_or_default();
    let names: std::collections::BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
    names
        .into_iter()
        .filter_map(|p| {
            let o = old.get(p).cloned().unwrap_or_default();
            let n = new.get(p).cloned().unwrap_or_default();
            (o != n).then(|| TrailPropertyChange {
                property: p.to_string(),
                old_values: o,
                new_values: n,
            })
        })
        .collect()
}

pub(super) fn record(
    live: &mut Live,
    caller: &Caller,
    at: DateTime<Utc>,
    action: &str,
    client: &OAuthClient,
    property_changes: Vec<TrailPropertyChange>,
) {
    live.org.audits.push(TrailMessage {
        id: Rng::new(random_u64()).uuid(),
        user_home_org_id: None,
        user: None,
        client: Some(TrailClientRef {
            id: caller.client_id.clone(),
            self_uri: Some(format!("/api/v2/oauth/clients/{}", caller.client_id)),
        }),
        remote_ip: vec!["127.0.0.1".into()],
        service_name: SERVICE.into(),
        level: "USER".into(),
        event_date: stamp(at),
        action: action.into(),
        entity: Some(DomainEntityRef {
            id: Some(client.id.clone()),
            name: Some(client.name.clone()),
            self_uri: client.self_uri.clone(),
        }),
        entity_type: ENTITY_OAUTH_CLIENT.into(),
        status: Some("SUCCESS".into()),
        property_changes,
        context: BTreeMap::new(),
        extras: Default::default(),
    });
}

/// The client as POST answers it: with its secret, the only time the API shows it.
fn with_secret(client: &OAuthClient, secret: &str) -> Response {
    let mut value = serde_json::to_value(client).unwrap_or_default();
    if let serde_json::Value::Object(map) = &mut value {
        map.insert("secret".into(), serde_json::Value::String(secret.into()));
    }
    to_json(StatusCode::OK, &value)
}

pub(super) async fn create(
    State(state): State<Shared>,
    Extension(who): Extension<Caller>,
    body: Bytes,
) -> Result<Response, Fail> {
    require(&state, &who, "clients", &["oauth:client:add"])?;
    let now = state.clock.now();
    let id = Rng::new(random_u64()).uuid();
    let mut live = state.write();
    let mut client = build(&live.org, &body, &id)?;
    client.date_created = Some(stamp(now));
    client.date_modified = Some(stamp(now));
    let secret = random_token();
    live.org.clients.push(SimClient {
        client: client.clone(),
        secret: Some(secret.clone()),
    });
    live.clients_changed();
    record(
        &mut live,
        &who,
        now,
        "Create",
        &client,
        changes(None, Some(&client)),
    );
    Ok(with_secret(&client, &secret))
}

pub(super) async fn update(
    State(state): State<Shared>,
    Extension(who): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Fail> {
    require(&state, &who, "clients", &["oauth:client:edit"])?;
    let now = state.clock.now();
    let mut live = state.write();
    let at = live.client_position(&id).ok_or(Fail::NotFound)?;
    let before = live.org.clients[at].client.clone();
    let mut client = build(&live.org, &body, &id)?;
    client.date_created = before.date_created.clone();
    client.created_by = before.created_by.clone();
    client.date_modified = Some(stamp(now));
    live.org.clients[at].client = client.clone();
    live.clients_changed();
    record(
        &mut live,
        &who,
        now,
        "Update",
        &client,
        changes(Some(&before), Some(&client)),
    );
    Ok(to_json(StatusCode::OK, &client))
}

pub(super) async fn delete(
    State(state): State<Shared>,
    Extension(who): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, Fail> {
    require(&state, &who, "clients", &["oauth:client:delete"])?;
    let now = state.clock.now();
    let mut live = state.write();
    let at = live.client_position(&id).ok_or(Fail::NotFound)?;
    let before = live.org.clients[at].client.clone();
    let created = before
        .date_created
        .as_deref()
        .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
        .map(|d| d.with_timezone(&Utc));
    let old = created.is_some_and(|c| now - c > chrono::Duration::days(REVERSIBLE_AFTER_DAYS));
    let after = if old {
        // Deactivated, restorable for a week, then gone.
        let c = &mut live.org.clients[at].client;
        c.state = Some("inactive".into());
        c.date_to_delete = Some(stamp(now + chrono::Duration::days(RESTORE_DAYS)));
        c.date_modified = Some(stamp(now));
        Some(c.clone())
    } else {
        live.org.clients.remove(at);
        None
    };
    live.clients_changed();
    record(
        &mut live,
        &who,
        now,
        "Delete",
        &before,
        changes(Some(&before), after.as_ref()),
    );
    Ok(StatusCode::NO_CONTENT.into_response())
}
