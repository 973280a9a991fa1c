//! The audit API, permission ALL of `audits:audit:view`; the `deny`
//! fault `audits` refuses it with 403 `missing.permissions` naming the permission.
//!
//! - `GET /api/v2/audits/query/servicemapping`; `GET /api/v2/audits/query/realtime/servicemapping`
//!   (a smaller set: the realtime query answers 400 for a service or entity type outside it)
//! - `POST /api/v2/audits/query` -> `Queued`; `GET /api/v2/audits/query/{id}` -> `Running`,
//!   then `Succeeded`; `GET /api/v2/audits/query/{id}/results?cursor=&pageSize=&expand=user&allowRedirect=`
//! - `POST /api/v2/audits/query/realtime?expand=user`: at once, paged, the last 14 days only

use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;

use super::access::{Shared, require_all};
use super::gate::Caller;
use super::params::{multi, query_pairs};
use super::trail::{Mapping, REALTIME_DAYS, expand_user, service_mapping, validate};
use super::wire::{Fail, to_json};
use genesys_api::models::{TrailExecutionStatus, TrailRealtimePage, TrailResultsPage};
use genesys_api::read_models::TrailQuery;
use genesys_api::rng::{Rng, random_u64};

pub(crate) const AUDIT_PERMISSION: &str = "audits:audit:view";
/// Largest `pageSize` of the results (SDK: "The maximum page size is 500").
pub(crate) const MAX_RESULTS_PAGE_SIZE: usize = 500;
/// Largest `pageSize` of the realtime query ([GUESS]: the same as the results).
pub(crate) const MAX_REALTIME_PAGE_SIZE: u64 = 500;

fn require_audits(state: &Shared, caller: &Caller) -> Result<(), Fail> {
    require_all(state, caller, "audits", &[AUDIT_PERMISSION])
}

fn body(bytes: &Bytes) -> Result<TrailQuery, Fail> {
    serde_json::from_slice(bytes)
        .map_err(|e| Fail::BadRequest(format!("The audit query body is not valid: {e}")))
}

fn expand(raw: &Option<String>) -> Result<bool, Fail> {
    expand_user(&multi(&query_pairs(raw), "expand")).map_err(|e| Fail::BadRequest(e.0))
}

pub(super) async fn servicemapping(
    State(state): State<Shared>,
    Extension(who): Extension<Caller>,
) -> Result<Response, Fail> {
    require_audits(&state, &who)?;
    Ok(to_json(StatusCode::OK, &service_mapping(Mapping::Async)))
}

pub(super) async fn realtime_servicemapping(
    State(state): State<Shared>,
    Extension(who): Extension<Caller>,
) -> Result<Response, Fail> {
    require_audits(&state, &who)?;
    Ok(to_json(StatusCode::OK, &service_mapping(Mapping::Realtime)))
}

pub(super) async fn submit(
    State(state): State<Shared>,
    Extension(who): Extension<Caller>,
    bytes: Bytes,
) -> Result<Response, Fail> {
    require_audits(&state, &who)?;
    let query = body(&bytes)?;
    let selection = validate(&query, Mapping::Async).map_err(|e| Fail::BadRequest(e.0))?;
    let messages = selection.select(&state.read().org, true);
    let status = TrailExecutionStatus {
        id: Rng::new(random_u64()).uuid(),
        state: "Queued".into(),
        start_date: state
            .clock
            .now()
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string(),
        interval: selection.interval.clone(),
        service_name: query.service_name.clone(),
        filters: query.filters.clone(),
        sort: query.sort.clone(),
    };
    state.store_audit_execution(status.clone(), messages);
    Ok(to_json(StatusCode::OK, &status))
}

pub(super) async fn status(
    State(state): State<Shared>,
    Extension(who): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, Fail> {
    require_audits(&state, &who)?;
    let status = state.poll_audit_execution(&id).ok_or(Fail::NotFound)?;
    Ok(to_json(StatusCode::OK, &status))
}

/// The cursor names the execution and the offset of the next page; opaque to callers.
fn cursor_for(id: &str, offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{id}:{offset}"))
}

fn offset_of(id: &str, cursor: &str, len: usize) -> Option<usize> {
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    let text = String::from_utf8(text).ok()?;
    let (for_id, offset) = text.rsplit_once(':')?;
    let offset: usize = offset.parse().ok()?;
    (for_id == id && offset <= len).then_some(offset)
}

pub(super) async fn results(
    State(state): State<Shared>,
    Extension(who): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Fail> {
    require_audits(&state, &who)?;
    let pairs = query_pairs(&raw);
    let expand_user = expand(&raw)?;
    let size = match pairs.iter().rev().find(|(k, _)| k == "pageSize") {
        None => 25,
        Some((_, v)) => match v.parse::<usize>() {
            Ok(n) if (1..=MAX_RESULTS_PAGE_SIZE).contains(&n) => n,
            _ => {
                return Err(Fail::BadRequest(format!(
                    "pageSize must be an integer between 1 and {MAX_RESULTS_PAGE_SIZE}, not '{v}'"
                )));
            }
        },
    };
    // A boolean, as Genesys reads it. [GUESS] Answering `true` with a download URL is not
    // simulated: the pages are served either way.
    if let Some((_, v)) = pairs.iter().rev().find(|(k, _)| k == "allowRedirect")
        && v != "true"
        && v != "false"
    {
        return Err(Fail::BadRequest(format!(
            "allowRedirect must be true or false, not '{v}'"
        )));
    }
    let (state_now, messages) = state.audit_execution(&id).ok_or(Fail::NotFound)?;
    if state_now != "Succeeded" {
        return Err(Fail::BadRequest(format!(
            "The audit query {id} is {state_now}: poll /api/v2/audits/query/{id} until it has Succeeded"
        )));
    }
    let offset = match pairs.iter().rev().find(|(k, _)| k == "cursor") {
        None => 0,
        Some((_, c)) if c.is_empty() => 0,
        Some((_, c)) => offset_of(&id, c, messages.len())
            .ok_or_else(|| Fail::BadRequest(format!("cursor '{c}' is not a cursor of {id}")))?,
    };
    let end = (offset + size).min(messages.len());
    let mut entities = messages[offset..end].to_vec();
    if !expand_user {
        for m in &mut entities {
            if let Some(user) = &mut m.user {
                user.name = None;
            }
        }
    }
    Ok(to_json(
        StatusCode::OK,
        &TrailResultsPage {
            id: id.clone(),
            page_size: size as u64,
            cursor: (end < messages.len()).then(|| cursor_for(&id, end)),
            entities,
        },
    ))
}

pub(super) async fn realtime(
    State(state): State<Shared>,
    Extension(who): Extension<Caller>,
    RawQuery(raw): RawQuery,
    bytes: Bytes,
) -> Result<Response, Fail> {
    require_audits(&state, &who)?;
    let expand_user = expand(&raw)?;
    let query = body(&bytes)?;
    let mut selection = validate(&query, Mapping::Realtime).map_err(|e| Fail::BadRequest(e.0))?;
    let size = query.page_size.unwrap_or(25);
    if !(1..=MAX_REALTIME_PAGE_SIZE).contains(&size) {
        return Err(Fail::BadRequest(format!(
            "pageSize must be between 1 and {MAX_REALTIME_PAGE_SIZE}, not {size}"
        )));
    }
    let number = query.page_number.unwrap_or(1);
    if number < 1 {
        return Err(Fail::BadRequest(format!(
            "pageNumber must be 1 or more, not {number}"
        )));
    }
    selection.not_before(state.clock.now() - chrono::Duration::days(REALTIME_DAYS));
    let messages = selection.select(&state.read().org, expand_user);
    let (size, number) = (size as usize, number as usize);
    let start = (number - 1).saturating_mul(size).min(messages.len());
    let end = (start + size).min(messages.len());
    Ok(to_json(
        StatusCode::OK,
        &TrailRealtimePage {
            entities: messages[start..end].to_vec(),
            page_size: size as u64,
            page_number: number as u64,
            total: messages.len() as u64,
            page_count: messages.len().div_ceil(size) as u64,
        },
    ))
}
