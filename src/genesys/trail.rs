//! The Genesys audit trail: who created and changed OAuth clients and roles, and what clients
//! changed themselves, read by the trail evidence source and by the change poller.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Duration, SecondsFormat, SubsecRound, Utc};

use super::client::GenesysClient;
use super::error::GenesysError;
use crate::audit::snapshot::{AuditEvent, Named, PropertyChange};
use genesys_api::read_models::{
    EntityRef, TrailFilter, TrailMessage, TrailQuery, TrailQueryStatus, TrailRecord, TrailResults,
    TrailServiceMapping, TrailSort,
};

pub const AUDIT_MAPPING: &str = "/api/v2/audits/query/servicemapping";
pub const AUDIT_QUERY: &str = "/api/v2/audits/query";
pub const AUDIT_RESULTS: &str = "/api/v2/audits/query/{transactionId}/results";
pub const AUDIT_REALTIME: &str = "/api/v2/audits/query/realtime";
/// The realtime query's own services: it refuses (400) a service only the async mapping lists.
pub const AUDIT_REALTIME_MAPPING: &str = "/api/v2/audits/query/realtime/servicemapping";

/// The entity types whose trail scopewatch reads: OAuth clients and roles (who changed them,
/// and which clients changed them), and the access-granting ones a client may create itself:
/// authorizations of other orgs' apps and trusts given to partner orgs.
/// Types the org's service mapping does not list cost no call.
pub const TRAIL_ENTITY_TYPES: [&str; 4] = [
    "OAuthClient",
    "Role",
    "OAuthClientAuthorization",
    "OrganizationAuthorizationTrust",
];

/// Messages per page of audit results (the documented maximum).
const AUDIT_PAGE_SIZE: u64 = 500;

/// Services scopewatch queries at most (the mapping is the upstream's to answer).
const MAX_SERVICES: usize = 8;

/// The longest audit-query interval scopewatch asks for, in days. [GUESS] The API keeps a year
/// of audits; a narrower limit answers 400 and the trail becomes unknown with a warning.
pub const MAX_TRAIL_DAYS: u32 = 365;

/// Text kept from one upstream value, in characters, and values kept per property.
const MAX_TEXT: usize = 200;
const MAX_VALUES: usize = 20;
const MAX_PROPERTIES: usize = 20;
/// The most memory one trail's events may keep, in bytes, all its queries together (text and
/// structure: every string, property change and event counts its own size too): a hostile
/// trail of huge or many-valued messages is refused (the trail becomes unknown, with a
/// warning) instead of filling memory.
const MAX_TRAIL_BYTES: usize = 32 << 20;

/// Text from the upstream as kept in evidence: sanitized and bounded.
pub(crate) fn text(value: &str) -> String {
    genesys_api::text::sanitize(value, MAX_TEXT)
}

fn named(r: Option<EntityRef>) -> Option<Named> {
    let r = r?;
    let id = r.id.filter(|id| !id.is_empty())?;
    Some(Named {
        id: text(&id),
        name: r.name.filter(|n| !n.is_empty()).map(|n| text(&n)),
    })
}

/// `start/end` as the audit API writes intervals.
pub fn interval(start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    format!(
        "{}/{}",
        start.to_rfc3339_opts(SecondsFormat::Secs, true),
        end.to_rfc3339_opts(SecondsFormat::Secs, true)
    )
}

/// The services auditing each entity type scopewatch reads, as `(service, entity type)`.
pub fn trail_services(mapping: &TrailServiceMapping) -> Vec<(String, String)> {
    let mut pairs = BTreeSet::new();
    for service in mapping.services.iter() {
        let Some(name) = service.name.as_deref().filter(|n| !n.is_empty()) else {
            continue;
        };
        for entity in &service.entities {
            if let Some(kind) = entity
                .name
                .as_deref()
                .filter(|n| TRAIL_ENTITY_TYPES.contains(n))
            {
                pairs.insert((text(name), kind.to_string()));
            }
        }
    }
    pairs.into_iter().take(MAX_SERVICES).collect()
}

/// The trail of OAuth clients and roles since `since`: the service mapping, then one async
/// query per (service, entity type), polled to `Succeeded` and read page by page by cursor.
pub async fn trail(
    client: &GenesysClient,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<AuditEvent>, GenesysError> {
    let mapping: TrailServiceMapping = client.get_json(AUDIT_MAPPING, AUDIT_MAPPING).await?;
    let services = trail_services(&mapping);
    if services.is_empty() {
        return Err(GenesysError::Upstream {
            endpoint: AUDIT_MAPPING.into(),
            status: 200,
            code: "no.service".into(),
            message: format!(
                "no audit service lists the entity types {}",
                TRAIL_ENTITY_TYPES.join(", ")
            ),
        });
    }
    let kept = Kept::default();
    let runs = futures_util::future::try_join_all(
        services
            .iter()
            .map(|(service, kind)| query(client, service, kind, since, now, &kept)),
    )
    .await?;
    let mut seen = HashSet::new();
    Ok(runs
        .into_iter()
        .flatten()
        .filter(|e| e.id.as_ref().is_none_or(|id| seen.insert(id.clone())))
        .collect())
}

/// The bytes an event keeps in memory: every string, property change and the event itself
/// count their fixed size as well as their text, so a message of 20 properties of 20 empty
/// values each counts the kilobytes it holds, not the few bytes of text it carries.
fn kept_bytes(e: &AuditEvent) -> usize {
    use crate::audit::snapshot::{Named, PropertyChange};
    use std::mem::size_of;
    let string = |s: &String| size_of::<String>() + s.len();
    let optional = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    let named = |n: &Option<Named>| n.as_ref().map_or(0, |n| n.id.len() + optional(&n.name));
    let values = |v: &[String]| v.iter().map(string).sum::<usize>();
    size_of::<AuditEvent>()
        + optional(&e.id)
        + named(&e.user)
        + named(&e.entity)
        + optional(&e.client_id)
        + e.action.len()
        + e.entity_type.len()
        + e.properties
            .iter()
            .map(|p| {
                size_of::<PropertyChange>()
                    + p.property.len()
                    + values(&p.old_values)
                    + values(&p.new_values)
                    + values(&p.added)
            })
            .sum::<usize>()
}

/// What one trail (all its queries together) may keep: each query adds what it keeps, and the
/// trail is refused once the total passes `MAX_TRAIL_BYTES`.
#[derive(Debug, Default)]
struct Kept(std::sync::atomic::AtomicUsize);

impl Kept {
    /// Counts `bytes` more; the error names the bound once the total passes it.
    fn add(&self, bytes: usize) -> Result<(), GenesysError> {
        let before = self
            .0
            .fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
        if before.saturating_add(bytes) > MAX_TRAIL_BYTES {
            return Err(GenesysError::Limit {
                endpoint: AUDIT_RESULTS.into(),
                what: "the memory the audit trail keeps",
                limit: MAX_TRAIL_BYTES as u64,
                setting: "a fixed bound, 32 MiB a trail",
            });
        }
        Ok(())
    }
}

async fn query(
    client: &GenesysClient,
    service: &str,
    kind: &str,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    kept: &Kept,
) -> Result<Vec<AuditEvent>, GenesysError> {
    let body = TrailQuery {
        // Whole seconds: the end is rounded up so an event of this very second is in.
        interval: interval(since, now + Duration::seconds(1)),
        service_name: Some(service.to_string()),
        filters: vec![TrailFilter {
            property: "EntityType".into(),
            value: kind.to_string(),
        }],
        sort: vec![TrailSort {
            name: "Timestamp".into(),
            sort_order: "descending".into(),
        }],
        page_number: None,
        page_size: None,
    };
    let status: TrailQueryStatus = client.post_json(AUDIT_QUERY, AUDIT_QUERY, &body).await?;
    let id = status.id.unwrap_or_default();
    if id.is_empty()
        || id.len() > 128
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(audit_failure(format!(
            "unexpected transaction id '{}'",
            text(&id)
        )));
    }
    let mut state = status.state;
    let mut pauses = client.config.poll_pauses();
    let status_path = format!("{AUDIT_QUERY}/{id}");
    let mut polls = 0;
    loop {
        match state.as_deref() {
            Some("Succeeded") => break,
            Some(s @ ("Failed" | "Cancelled")) => {
                return Err(audit_failure(format!(
                    "Genesys reported the audit query {s}"
                )));
            }
            _ => {}
        }
        if polls >= client.config.usage_max_polls {
            return Err(audit_failure(format!(
                "the audit query was not Succeeded after {polls} polls"
            )));
        }
        polls += 1;
        tokio::time::sleep(pauses.next().unwrap_or_default()).await;
        let status: TrailQueryStatus = client
            .get_json("/api/v2/audits/query/{transactionId}", &status_path)
            .await?;
        state = status.state;
    }
    read_results(client, &id, kept).await
}

fn audit_failure(message: String) -> GenesysError {
    GenesysError::Upstream {
        endpoint: AUDIT_QUERY.into(),
        status: 200,
        code: "audit.query".into(),
        message,
    }
}

/// Every page of a succeeded query, following `cursor`, within the page and entity limits; each
/// page is turned into bounded events as it arrives, each counted in `kept` (the trail's bound).
async fn read_results(
    client: &GenesysClient,
    id: &str,
    kept: &Kept,
) -> Result<Vec<AuditEvent>, GenesysError> {
    let limits = client.config.limits;
    // `allowRedirect=false`, always: with it allowed, Genesys may answer a large result set with
    // a download URL instead of a page. The client follows no redirect (a redirect elsewhere
    // could carry the token off), so that answer would fail the trail; paging by cursor keeps
    // every page within the same bounds as any listing.
    let base = format!(
        "{AUDIT_QUERY}/{id}/results?pageSize={AUDIT_PAGE_SIZE}&expand=user&allowRedirect=false"
    );
    let mut messages = Vec::new();
    let mut cursors = HashSet::new();
    let mut path = base.clone();
    for _ in 0..limits.max_pages {
        let page: TrailResults = client.get_json(AUDIT_RESULTS, &path).await?;
        if messages.len() + page.entities.len() > limits.max_entities {
            return Err(GenesysError::Limit {
                endpoint: AUDIT_RESULTS.into(),
                what: "the number of entities",
                limit: limits.max_entities as u64,
                setting: "SCOPEWATCH_MAX_ENTITIES",
            });
        }
        for e in readable(client, page.entities, AUDIT_RESULTS)
            .into_iter()
            .filter_map(event)
        {
            kept.add(kept_bytes(&e))?;
            messages.push(e);
        }
        let Some(cursor) = page.cursor.filter(|c| !c.is_empty()) else {
            return Ok(messages);
        };
        if !cursors.insert(cursor.clone()) {
            return Err(GenesysError::Upstream {
                endpoint: AUDIT_RESULTS.into(),
                status: 200,
                code: "paging.loop".into(),
                message: "the results pointed back to a cursor already read".into(),
            });
        }
        path = format!("{base}&cursor={}", encode(&cursor));
    }
    Err(GenesysError::Limit {
        endpoint: AUDIT_RESULTS.into(),
        what: "the number of pages",
        limit: u64::from(limits.max_pages),
        setting: "SCOPEWATCH_MAX_PAGES",
    })
}

/// The messages of a page that read as messages. Each one that does not is skipped, logged with
/// its id and counted (`scopewatch_upstream_records_skipped_total`): one odd message must not
/// cost the page, the audit or the poll.
pub fn readable(
    client: &GenesysClient,
    records: Vec<TrailRecord>,
    endpoint: &str,
) -> Vec<TrailMessage> {
    let mut skipped = 0;
    let messages = records
        .into_iter()
        .filter_map(|record| match record {
            TrailRecord::Read(message) => Some(message),
            TrailRecord::Unreadable { id } => {
                skipped += 1;
                tracing::warn!(
                    endpoint,
                    id = %text(id.as_deref().unwrap_or("")),
                    "skipped an audit message that does not read as AuditLogMessage"
                );
                None
            }
        })
        .collect();
    client.records_skipped(endpoint, skipped);
    messages
}

/// A query-string value, percent-encoded.
fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A property whose values may be a credential (a client secret recorded on create or rotate):
/// never kept, so never in a report, a page, the database or a webhook.
fn is_secret_property(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["secret", "password", "token", "credential", "privatekey"]
        .iter()
        .any(|s| name.contains(s))
}

/// An audit message in domain terms; one without a date or an action says nothing.
pub fn event(m: TrailMessage) -> Option<AuditEvent> {
    let at = DateTime::parse_from_rfc3339(m.event_date.as_deref()?)
        .ok()?
        .with_timezone(&Utc);
    let action = m.action.filter(|a| !a.is_empty())?;
    Some(AuditEvent {
        id: m.id.map(|id| text(&id)),
        at,
        user: named(m.user),
        client_id: m
            .client
            .and_then(|c| c.id)
            .filter(|id| !id.is_empty())
            .map(|id| text(&id)),
        action: text(&action),
        entity_type: text(m.entity_type.as_deref().unwrap_or("")),
        entity: named(m.entity),
        properties: m
            .property_changes
            .unwrap_or_default()
            .into_iter()
            .filter(|p| !p.property.as_deref().is_some_and(is_secret_property))
            .take(MAX_PROPERTIES)
            .filter_map(|p| {
                let property = text(&p.property.filter(|p| !p.is_empty())?);
                let old = p.old_values.unwrap_or_default();
                let new = p.new_values.unwrap_or_default();
                // What was added is decided on the whole values, before any is cut.
                let before: std::collections::HashSet<&str> =
                    old.iter().map(String::as_str).collect();
                let added = new
                    .iter()
                    .filter(|v| !before.contains(v.as_str()))
                    .take(MAX_VALUES)
                    .map(|s| text(s))
                    .collect();
                let bounded = |v: &[String]| v.iter().take(MAX_VALUES).map(|s| text(s)).collect();
                Some(PropertyChange {
                    property,
                    old_values: bounded(&old),
                    new_values: bounded(&new),
                    added,
                })
            })
            .collect(),
    })
}

/// The realtime audit services that record the entity types read (what the change poller
/// asks), from the realtime query's own mapping: a pair only the async mapping lists would be
/// refused on every poll and its changes never seen.
pub async fn change_services(
    client: &GenesysClient,
) -> Result<Vec<(String, String)>, GenesysError> {
    let mapping: TrailServiceMapping = client
        .get_json(AUDIT_REALTIME_MAPPING, AUDIT_REALTIME_MAPPING)
        .await?;
    let mut pairs = trail_services(&mapping);
    pairs.dedup();
    Ok(pairs)
}

/// Messages per realtime page the change poller reads (one page per poll).
pub const REALTIME_PAGE_SIZE: u64 = 100;

/// Changes to one entity type (OAuth clients or roles) one service recorded since `since`,
/// newest first, in one call; `true` when there were more than one page holds (the poller then
/// cannot rule a change out). The query is filtered on the entity type, so a busy org's other
/// events (tokens, users) never read as a possible change.
pub async fn realtime_changes(
    client: &GenesysClient,
    service: &str,
    entity_type: &str,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(Vec<AuditEvent>, bool), GenesysError> {
    let until = now.max(since) + Duration::seconds(1);
    let body = TrailQuery {
        interval: interval(since, until),
        service_name: Some(service.to_string()),
        filters: vec![TrailFilter {
            property: "EntityType".into(),
            value: entity_type.to_string(),
        }],
        sort: vec![TrailSort {
            name: "Timestamp".into(),
            sort_order: "descending".into(),
        }],
        page_number: Some(1),
        page_size: Some(REALTIME_PAGE_SIZE),
    };
    let page: genesys_api::read_models::TrailRealtimeResults = client
        .post_json(AUDIT_REALTIME, AUDIT_REALTIME, &body)
        .await?;
    let more =
        page.page_count.is_some_and(|n| n > 1) || page.entities.len() as u64 > REALTIME_PAGE_SIZE;
    let mut records = page.entities;
    records.truncate(REALTIME_PAGE_SIZE as usize);
    let events: Vec<AuditEvent> = readable(client, records, AUDIT_REALTIME)
        .into_iter()
        .filter_map(event)
        .filter(|e| TRAIL_ENTITY_TYPES.contains(&e.entity_type.as_str()))
        .collect();
    Ok((within(client, events, since, until), more))
}

/// The events dated inside the interval asked (to the second, as it was sent); the others are
/// skipped and counted. One dated in the future would otherwise move the poller's mark past
/// now, and every later window would be asked in the future, where nothing is ever recorded.
fn within(
    client: &GenesysClient,
    events: Vec<AuditEvent>,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<AuditEvent> {
    let (from, to) = (since.trunc_subsecs(0), until.trunc_subsecs(0));
    // Inclusive to the second at both ends, as the query is.
    let end = to + Duration::seconds(1);
    let (kept, outside): (Vec<AuditEvent>, Vec<AuditEvent>) =
        events.into_iter().partition(|e| e.at >= from && e.at < end);
    if let Some(first) = outside.first() {
        tracing::warn!(
            endpoint = AUDIT_REALTIME,
            count = outside.len(),
            at = %first.at,
            asked = %interval(from, to),
            "skipped realtime audit events dated outside the interval asked"
        );
    }
    client.records_skipped(AUDIT_REALTIME, outside.len() as u64);
    kept
}

/// The start of the trail window: the usage window, as far as the audit API reaches.
pub fn trail_start(now: DateTime<Utc>, usage_window_days: u32) -> DateTime<Utc> {
    now - Duration::days(i64::from(usage_window_days.min(MAX_TRAIL_DAYS)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use genesys_api::read_models::{TrailService, TrailServiceEntity};

    #[test]
    fn what_a_change_added_is_found_on_the_whole_values_and_secrets_are_dropped() {
        let scopes: Vec<String> = (0..25).map(|i| format!("scope{i:02}")).collect();
        let long = |tail: &str| format!("{}{tail}", "p".repeat(250));
        let m = TrailMessage {
            event_date: Some("2026-11-20T10:00:00Z".into()),
            action: Some("Update".into()),
            property_changes: Some(vec![
                genesys_api::read_models::TrailPropertyChange {
                    property: Some("scope".into()),
                    old_values: Some(scopes.clone()),
                    new_values: Some(scopes[1..].to_vec()),
                },
                genesys_api::read_models::TrailPropertyChange {
                    property: Some("permissionPolicies".into()),
                    old_values: Some(vec![long("a")]),
                    new_values: Some(vec![long("a"), long("b")]),
                },
                genesys_api::read_models::TrailPropertyChange {
                    property: Some("clientSecret".into()),
                    old_values: None,
                    new_values: Some(vec!["s3cr3t-value".into()]),
                },
            ]),
            ..TrailMessage::default()
        };
        let e = event(m).unwrap();
        assert_eq!(e.properties.len(), 2, "the secret property is dropped");
        assert!(
            e.properties[0].added.is_empty(),
            "removing one of 25 scopes adds nothing, though only 20 are kept: {:?}",
            e.properties[0].added
        );
        assert_eq!(e.properties[0].new_values.len(), MAX_VALUES);
        assert_eq!(
            e.properties[1].added.len(),
            1,
            "a value that differs past the kept length is still new"
        );
        assert!(!format!("{e:?}").contains("s3cr3t"));
    }

    #[test]
    fn a_message_missing_fields_is_read_leniently_and_bounded() {
        let m: TrailMessage = serde_json::from_str(&format!(
            r#"{{"id":"m1","eventDate":"2026-11-20T10:00:00Z","action":"Update","entityType":"OAuthClient",
                "entity":{{"id":"c1"}},"client":{{"id":""}},"user":{{"id":"u1","name":"Ann"}},
                "propertyChanges":[{{"property":"scope","oldValues":[],"newValues":["{}"]}},{{"newValues":["x"]}}],
                "unknown":{{"a":1}}}}"#,
            "y".repeat(1000)
        ))
        .unwrap();
        let e = event(m).unwrap();
        assert_eq!(e.client_id, None, "an empty client id is no client");
        assert_eq!(e.user.unwrap().name.as_deref(), Some("Ann"));
        assert_eq!(e.entity.unwrap().id, "c1");
        assert_eq!(
            e.properties.len(),
            1,
            "a change without a property is dropped"
        );
        assert!(e.properties[0].new_values[0].chars().count() <= MAX_TEXT + 1);
        let dateless: TrailMessage = serde_json::from_str(r#"{"action":"Create"}"#).unwrap();
        assert_eq!(event(dateless), None);
    }

    #[test]
    fn the_mapping_gives_each_service_of_the_entity_types_read() {
        let entity = |n: &str| TrailServiceEntity {
            name: Some(n.into()),
            actions: vec![],
        };
        let mapping = TrailServiceMapping {
            services: vec![
                TrailService {
                    name: Some("PeoplePermissions".into()),
                    entities: vec![entity("OAuthClient"), entity("Role"), entity("User")],
                },
                TrailService {
                    name: Some("Routing".into()),
                    entities: vec![entity("Queue")],
                },
                TrailService {
                    name: Some("Directory".into()),
                    entities: vec![entity("OrganizationAuthorizationTrust")],
                },
                TrailService {
                    name: None,
                    entities: vec![entity("Role")],
                },
            ],
        };
        assert_eq!(
            trail_services(&mapping),
            vec![
                (
                    "Directory".to_string(),
                    "OrganizationAuthorizationTrust".to_string()
                ),
                ("PeoplePermissions".to_string(), "OAuthClient".to_string()),
                ("PeoplePermissions".to_string(), "Role".to_string()),
            ],
            "trusts given to partner orgs are read too, wherever the mapping puts them"
        );
    }

    #[test]
    fn entries_that_are_not_messages_are_skipped_and_the_others_kept() {
        let page: TrailResults = serde_json::from_str(
            r#"{"entities": [null, 5, "text", {"id": 7, "entity": 1}, {"id": "odd", "user": "u"},
                {"id": "ok", "eventDate": "2026-11-20T10:00:00Z", "action": "Create"}]}"#,
        )
        .expect("the envelope reads");
        assert_eq!(
            page.entities.get(4),
            Some(&TrailRecord::Unreadable {
                id: Some("odd".into())
            }),
            "an unreadable message keeps its id for the warning"
        );
        let client =
            crate::genesys::client::offline_client(std::sync::Arc::new(crate::genesys::NoObserver));
        let kept = readable(&client, page.entities, AUDIT_RESULTS);
        assert_eq!(
            kept.iter().map(|m| m.id.as_deref()).collect::<Vec<_>>(),
            [Some("ok")]
        );
        assert!(
            serde_json::from_str::<TrailResults>(r#"{"entities": {"a": 1}}"#).is_err(),
            "a broken envelope still fails the page"
        );
    }

    /// Counts the records skipped, as the service's metrics do.
    #[derive(Default)]
    struct Skipped(std::sync::atomic::AtomicU64);

    impl crate::genesys::Observer for Skipped {
        fn records_skipped(&self, endpoint: &str, count: u64) {
            assert_eq!(endpoint, AUDIT_REALTIME);
            self.0
                .fetch_add(count, std::sync::atomic::Ordering::Relaxed);
        }
    }

    #[test]
    fn realtime_events_outside_the_interval_asked_are_skipped_and_counted_at_both_ends() {
        let skipped = std::sync::Arc::new(Skipped::default());
        let client = crate::genesys::client::offline_client(skipped.clone());
        let at = |t: &str| DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc);
        let dated = |t: &str| {
            event(TrailMessage {
                id: Some(t.into()),
                event_date: Some(t.into()),
                action: Some("Update".into()),
                entity_type: Some("OAuthClient".into()),
                ..TrailMessage::default()
            })
            .unwrap()
        };
        let events = [
            "2026-11-20T09:59:59.900Z",
            "2026-11-20T10:00:00Z",
            "2026-11-20T10:05:00.999Z",
            "2026-11-20T10:05:01Z",
            "2027-11-20T10:00:00Z",
        ]
        .map(dated)
        .to_vec();
        let kept = within(
            &client,
            events,
            at("2026-11-20T10:00:00.400Z"),
            at("2026-11-20T10:05:00.700Z"),
        );
        assert_eq!(
            kept.iter()
                .map(|e| e.id.as_deref().unwrap())
                .collect::<Vec<_>>(),
            ["2026-11-20T10:00:00Z", "2026-11-20T10:05:00.999Z"],
            "inclusive to the second at both ends, as the interval is sent"
        );
        assert_eq!(
            skipped.0.load(std::sync::atomic::Ordering::Relaxed),
            3,
            "one before, two after"
        );
    }

    /// The message of the hostile trail: 20 properties of 20 empty values before and after,
    /// almost no text but kilobytes of strings and vectors.
    fn hollow_message(i: usize) -> TrailMessage {
        let empty = || Some(vec![String::new(); 20]);
        TrailMessage {
            id: Some(format!("m{i}")),
            event_date: Some("2026-11-20T10:00:00Z".into()),
            action: Some("Update".into()),
            entity_type: Some("OAuthClient".into()),
            property_changes: Some(
                (0..20)
                    .map(|p| genesys_api::read_models::TrailPropertyChange {
                        property: Some(format!("p{p}")),
                        old_values: empty(),
                        new_values: empty(),
                    })
                    .collect(),
            ),
            ..TrailMessage::default()
        }
    }

    #[test]
    fn kept_memory_counts_every_string_and_change_not_only_text() {
        let e = event(hollow_message(0)).unwrap();
        let strings = e
            .properties
            .iter()
            .map(|p| 1 + p.old_values.len() + p.new_values.len() + p.added.len())
            .sum::<usize>();
        assert_eq!(strings, 20 * 41, "the case this test is about");
        let floor = strings * std::mem::size_of::<String>();
        assert!(
            kept_bytes(&e) >= floor,
            "{} bytes counted for at least {floor} held",
            kept_bytes(&e)
        );
    }

    #[test]
    fn one_bound_holds_for_all_the_queries_of_a_trail() {
        // The hostile trail: 8 services x 12 pages x 500 hollow messages (> 1 GB once kept).
        // One budget for the whole trail, whichever query keeps the bytes.
        let kept = Kept::default();
        let each = kept_bytes(&event(hollow_message(0)).unwrap());
        let mut taken = 0usize;
        let refused = (0..8 * 12 * 500).find(|_| {
            taken += each;
            kept.add(each).is_err()
        });
        let refused = refused.expect("the trail is refused before it is all kept");
        assert!(
            taken <= MAX_TRAIL_BYTES + each,
            "refused at message {refused}, {taken} bytes kept"
        );
        let err = kept.add(1).unwrap_err().to_string();
        assert!(err.contains("32 MiB a trail"), "{err}");
    }

    proptest::proptest! {
        #![proptest_config(crate::proptest_config(200))]

        /// Whatever a hostile upstream sends as a results page decodes or fails cleanly, and
        /// every message it holds converts without a panic, within the text bounds.
        #[test]
        fn any_results_page_decodes_or_fails_and_converts_bounded(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
            date in "[0-9:TZ+.-]{0,30}",
            text in proptest::prelude::any::<String>(),
        ) {
            let _ = serde_json::from_slice::<TrailResults>(&bytes);
            let m = TrailMessage {
                id: Some(text.clone()),
                event_date: Some(date),
                action: Some(text.clone()),
                entity_type: Some(text.clone()),
                entity: Some(EntityRef { id: Some(text.clone()), name: Some(text.clone()) }),
                user: Some(EntityRef { id: Some(text.clone()), name: None }),
                property_changes: Some(vec![genesys_api::read_models::TrailPropertyChange {
                    property: Some(text.clone()),
                    old_values: Some(vec![text.clone(); 50]),
                    new_values: None,
                }]),
                ..TrailMessage::default()
            };
            if let Some(e) = event(m) {
                proptest::prop_assert!(e.action.chars().count() <= MAX_TEXT + 1);
                proptest::prop_assert!(e.properties.iter().all(|p| p.old_values.len() <= MAX_VALUES));
            }
        }
    }
}
