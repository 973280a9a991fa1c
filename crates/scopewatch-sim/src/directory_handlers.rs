//! `GET /api/v2/organizations/me`, `/api/v2/authorization/divisions` and `/api/v2/users`: no
//! permission needed; the `deny` fault (`organization`, `divisions`,
//! `users`) answers 403 `not.authorized`, which names no permission since none is needed.
//! `GET /api/v2/organizations/ipaddressauthentication` needs `directory:organization:admin`.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use axum::Extension;

use super::access::{Shared, require};
use super::directory::{Division, SimUser};
use super::gate::Caller;
use super::params::{multi, page_param, query_pairs, single};
use super::wire::{Fail, paged_with, to_json};
use genesys_api::models::EntityListing;

/// Ids one `GET /api/v2/users?id=` call may name. The SDK documents no maximum: [GUESS] 100.
pub(crate) const MAX_USER_IDS: usize = 100;
/// Largest `pageSize` of the user listing ([3P]: 500).
pub(crate) const MAX_USER_PAGE_SIZE: usize = 500;
/// Largest `pageSize` of the division listing ([GUESS], as most listings: 100... Genesys
/// documents none; the Terraform provider pages divisions by 100).
pub(crate) const MAX_DIVISION_PAGE_SIZE: usize = 100;

fn page(pairs: &[(String, String)], max_size: usize) -> Result<(usize, usize), Fail> {
    let map: std::collections::HashMap<String, String> = pairs.iter().cloned().collect();
    Ok((
        page_param(&map, "pageSize", 25, max_size)?,
        page_param(&map, "pageNumber", 1, usize::MAX)?,
    ))
}

fn bool_param(pairs: &[(String, String)], name: &str) -> Result<bool, Fail> {
    match single(pairs, name) {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(Fail::BadRequest(format!(
            "{name} must be true or false, not '{v}'"
        ))),
    }
}

pub(super) async fn organization_me(State(state): State<Shared>) -> Result<Response, Fail> {
    if state.faults.is_denied("organization") {
        return Err(Fail::NotAuthorized);
    }
    let live = state.read();
    let org = &live.org;
    let short = format!(
        "sim-{}",
        org.organization_id.split('-').next().unwrap_or("org")
    );
    Ok(to_json(
        StatusCode::OK,
        &json!({
            "id": org.organization_id,
            "name": org.display_name(),
            "defaultLanguage": "en",
            "defaultCountryCode": "US",
            "thirdPartyOrgName": short,
            "domain": short,
            "version": 1,
            "state": "active",
            "productPlatform": "GenesysCloud",
            "selfUri": format!("/api/v2/organizations/{}", org.organization_id),
        }),
    ))
}

/// The org's IP allowlist as `IpAddressAuthentication`: `networkWhitelist`, empty when the org
/// has none (Genesys then accepts tokens from anywhere). The `deny` fault is `ip_allowlist`.
pub(super) async fn ip_allowlist(
    State(state): State<Shared>,
    Extension(who): Extension<Caller>,
) -> Result<Response, Fail> {
    require(
        &state,
        &who,
        "ip_allowlist",
        &["directory:organization:admin"],
    )?;
    let live = state.read();
    Ok(to_json(
        StatusCode::OK,
        &json!({ "networkWhitelist": live.org.ip_allowlist }),
    ))
}

pub(super) async fn list_divisions(
    State(state): State<Shared>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Fail> {
    if state.faults.is_denied("divisions") {
        return Err(Fail::NotAuthorized);
    }
    let pairs = query_pairs(&raw);
    let (size, number) = page(&pairs, MAX_DIVISION_PAGE_SIZE)?;
    let counts = bool_param(&pairs, "objectCount")?;
    let ids = multi(&pairs, "id");
    let live = state.read();
    let divisions: Vec<Division> = live
        .org
        .divisions
        .iter()
        .filter(|d| ids.is_empty() || ids.contains(&d.id))
        .map(|d| {
            let mut d = d.clone();
            if counts {
                d.object_counts.get_or_insert_with(Default::default);
            } else {
                d.object_counts = None;
            }
            d
        })
        .collect();
    let mut extra = Vec::new();
    if counts {
        extra.push(("objectCount", "true".to_string()));
    }
    if !ids.is_empty() {
        extra.push(("id", ids.join(",")));
    }
    let extra = serde_urlencoded::to_string(&extra).unwrap_or_default();
    let listing: EntityListing<Division> = paged_with(
        &divisions,
        "/api/v2/authorization/divisions",
        &extra,
        size,
        number,
    );
    Ok(to_json(StatusCode::OK, &listing))
}

pub(super) async fn home_division(State(state): State<Shared>) -> Result<Response, Fail> {
    if state.faults.is_denied("divisions") {
        return Err(Fail::NotAuthorized);
    }
    let live = state.read();
    let home = live
        .org
        .divisions
        .iter()
        .find(|d| d.home_division)
        .ok_or(Fail::NotFound)?;
    let mut home = home.clone();
    home.object_counts = None;
    Ok(to_json(StatusCode::OK, &home))
}

pub(super) async fn list_users(
    State(state): State<Shared>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Fail> {
    if state.faults.is_denied("users") {
        return Err(Fail::NotAuthorized);
    }
    let pairs = query_pairs(&raw);
    let (size, number) = page(&pairs, MAX_USER_PAGE_SIZE)?;
    let wanted = single(&pairs, "state").unwrap_or("active");
    if !matches!(wanted, "active" | "inactive" | "deleted" | "any") {
        return Err(Fail::BadRequest(format!(
            "state '{wanted}' is not one of active, inactive, deleted, any"
        )));
    }
    let ids = multi(&pairs, "id");
    if ids.len() > MAX_USER_IDS {
        return Err(Fail::BadRequest(format!(
            "id names {} users; at most {MAX_USER_IDS} may be requested at once",
            ids.len()
        )));
    }
    let live = state.read();
    let users: Vec<&SimUser> = live
        .org
        .users
        .iter()
        .filter(|u| ids.is_empty() || ids.contains(&u.id))
        .filter(|u| wanted == "any" || u.state == wanted)
        .collect();
    let mut extra = Vec::new();
    if !ids.is_empty() {
        extra.push(("id", ids.join(",")));
    }
    extra.push(("state", wanted.to_string()));
    let extra = serde_urlencoded::to_string(&extra).unwrap_or_default();
    let listing = paged_with(&users, "/api/v2/users", &extra, size, number);
    Ok(to_json(StatusCode::OK, &listing))
}
