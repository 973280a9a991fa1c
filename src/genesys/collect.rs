//! Reads the whole org (clients, roles, usage, scope catalog) and converts it into a
//! `Snapshot`. Wire types end here.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::de::DeserializeOwned;

use super::client::GenesysClient;
use super::error::GenesysError;
use super::models::{
    EntityListing, OAuthClient, OAuthScopeListing, UsageExecutionResult, UsageQuery,
};
use super::read_models::{Division as WireDivision, ReadRole as Role};
use super::trail;
use super::usage_evidence::FoldedResult;
use crate::audit::snapshot::{
    Client, ClientState, GrantType, KnownTrail, Named, PermissionPolicy, Role as DomainRole,
    RoleGrant, Snapshot, Trail, Usage,
};
use crate::permissions::catalog::Catalog;

/// Told what the collection is doing (the audit command shows it on stderr).
pub type Progress = dyn Fn(&str) + Send + Sync;

const CLIENTS: &str = "/api/v2/oauth/clients";
const ROLES: &str = "/api/v2/authorization/roles";
const USAGE_QUERY: &str = "/api/v2/usage/query";
const USAGE_RESULTS: &str = "/api/v2/usage/query/{executionId}/results";
const SCOPES: &str = "/api/v2/oauth/scopes";
const DESCRIPTION: &str = "/api/v2/docs/swagger";

/// Reads everything one audit judges, within the configured deadline.
pub async fn collect(
    client: &GenesysClient,
    progress: &Progress,
) -> Result<Snapshot, GenesysError> {
    let deadline = client.config.deadline;
    tokio::time::timeout(deadline, collect_all(client, progress))
        .await
        .map_err(|_| GenesysError::Deadline(deadline))?
}

/// Optional evidence: its value, or `None` and a warning when it could not be read.
async fn optional<T>(
    client: &GenesysClient,
    what: &str,
    read: impl std::future::Future<Output = Result<T, GenesysError>>,
) -> Result<(Option<T>, Option<String>), GenesysError> {
    // Optional evidence has half the collection's time: a slow source (a trail of many pages)
    // becomes unknown rather than failing the whole audit at its deadline.
    let budget = client.config.deadline / 2;
    match tokio::time::timeout(budget, read).await {
        Ok(Ok(value)) => Ok((Some(value), None)),
        Ok(Err(e)) if degradable(&e) => Ok((None, Some(format!("{what}: {e}")))),
        Ok(Err(e)) => Err(e),
        Err(_) => Ok((
            None,
            Some(format!("{what}: not read within {}s", budget.as_secs())),
        )),
    }
}

/// Collection is a graph, not a line: the usage query is started first (Genesys needs the
/// longest for it), and the clients (then their creators), the roles, the scope catalog, the
/// organization, the divisions and the audit trail are read while it runs, all through the one
/// gate (rate ceiling, Retry-After). The first required read that fails ends the audit;
/// optional evidence degrades to unknown with a warning.
async fn collect_all(
    client: &GenesysClient,
    progress: &Progress,
) -> Result<Snapshot, GenesysError> {
    let now = Utc::now();
    progress(
        "running the usage query; reading OAuth clients and their creators, roles, the scope catalog, the organization, divisions and the audit trail",
    );
    let usage_evidence = async {
        match usage(client, now).await {
            Ok(usage) => Ok((usage, None)),
            Err(e) if degradable(&e) => Ok((
                Usage::Unknown,
                Some(format!(
                    "usage evidence unknown (no client is judged unused): {e}"
                )),
            )),
            Err(e) => Err(e),
        }
    };
    let scope_catalog = async {
        match client.get_json::<OAuthScopeListing>(SCOPES, SCOPES).await {
            Ok(listing) => Ok((
                Some(
                    listing
                        .entities
                        .into_iter()
                        .map(|s| s.id)
                        .collect::<BTreeSet<_>>(),
                ),
                None,
            )),
            Err(e) if degradable(&e) => Ok((
                None,
                Some(format!(
                    "scope catalog unknown (unknown-scope is not checked): {e}"
                )),
            )),
            Err(e) => Err(e),
        }
    };
    let permission_catalog = async {
        match client.fresh_live_catalog(DESCRIPTION, now).await {
            Ok(live) => Ok((live.catalog, None)),
            Err(e) if degradable(&e) => Ok((
                Catalog::snapshot(),
                Some(format!(
                    "API description unreadable (the embedded permission catalog is used): {e}"
                )),
            )),
            Err(e) => Err(e),
        }
    };
    // userCount=false: the default (true) is documented as slow for roles with many members.
    let roles_first = format!("{ROLES}?pageSize=100&pageNumber=1&userCount=false");
    let clients_and_creators = async {
        let clients = read_all::<OAuthClient>(client, CLIENTS, CLIENTS).await?;
        let ids: BTreeSet<String> = clients
            .iter()
            .filter_map(|c| c.created_by.as_ref().map(|u| u.id.clone()))
            .collect();
        let people = if ids.is_empty() {
            (Some(BTreeMap::new()), None)
        } else {
            optional(
                client,
                "creators unknown (orphaned-client is not checked)",
                trail::people(client, &ids),
            )
            .await?
        };
        Ok::<_, GenesysError>((clients, people))
    };
    let trail_start = trail::trail_start(now, client.config.usage_window_days);
    let divisions_first = trail::divisions_first_page();
    let (
        ((usage, usage_warning), (wire_clients, (people, people_warning)), wire_roles),
        ((scope_catalog, scope_warning), (catalog, catalog_warning)),
        ((organization, org_warning), (divisions, divisions_warning), (events, trail_warning)),
    ) = tokio::try_join!(
        async {
            tokio::try_join!(
                usage_evidence,
                clients_and_creators,
                read_all::<Role>(client, ROLES, &roles_first),
            )
        },
        async { tokio::try_join!(scope_catalog, permission_catalog) },
        async {
            tokio::try_join!(
                optional(client, "organization unknown", trail::organization(client)),
                optional(
                    client,
                    "divisions unknown (role grants show division ids)",
                    read_all::<WireDivision>(client, trail::DIVISIONS, &divisions_first),
                ),
                optional(
                    client,
                    "audit trail unknown (client-administers-access and recent-privilege-change are not checked)",
                    trail::trail(client, trail_start, now),
                ),
            )
        },
    )?;
    progress(&format!(
        "read {} OAuth clients and {} roles",
        wire_clients.len(),
        wire_roles.len()
    ));
    Ok(Snapshot {
        collected_at: now,
        api_base_url: client.config.api_base_url.clone(),
        region: client.config.region.clone(),
        auditor_client_id: client.config.client_id.clone(),
        usage_window_days: client.config.usage_window_days,
        clients: domain_clients(wire_clients),
        roles: wire_roles
            .into_iter()
            .filter_map(to_role)
            .map(|role| (role.id.clone(), role))
            .collect(),
        usage,
        scope_catalog,
        catalog,
        warnings: usage_warning
            .into_iter()
            .chain(scope_warning)
            .chain(catalog_warning)
            .chain(people_warning)
            .chain(org_warning)
            .chain(divisions_warning)
            .chain(trail_warning)
            .collect(),
        organization: organization.flatten(),
        divisions: divisions.map(trail::divisions),
        people,
        trail: match events {
            Some(events) => Trail::Known(KnownTrail::new(trail_start, events)),
            None => Trail::Unknown,
        },
    })
}

/// The clients in our own types, in a vector of their own size: collected in place, they would
/// keep the wire listing's larger buffer (470 bytes a client against 300) through judging.
fn domain_clients(wire: Vec<OAuthClient>) -> Vec<Client> {
    let mut clients = Vec::with_capacity(wire.len());
    clients.extend(wire.into_iter().map(to_client));
    clients
}

/// Failures of optional evidence that degrade it to unknown instead of failing the audit.
fn degradable(e: &GenesysError) -> bool {
    !matches!(
        e,
        GenesysError::Credentials { .. }
            | GenesysError::Unauthorized { .. }
            | GenesysError::Setup(_)
    )
}

/// A `*Uri` as a path with query (Genesys sends them relative; an absolute one is accepted).
fn as_path(uri: &str) -> String {
    match url::Url::parse(uri) {
        Ok(u) => match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        },
        Err(_) => uri.to_string(),
    }
}

fn with_page_number(first: &str, number: u64) -> String {
    let (path, query) = first.split_once('?').unwrap_or((first, ""));
    let mut params: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("pageNumber="))
        .map(str::to_string)
        .collect();
    params.push(format!("pageNumber={number}"));
    format!("{path}?{}", params.join("&"))
}

/// Reads every page of a listing. When the first page says how many there are, the rest are
/// read at once (each through the gate); otherwise `nextUri` is followed page by page.
async fn read_all<T: DeserializeOwned + Send + 'static>(
    client: &GenesysClient,
    endpoint: &str,
    first: &str,
) -> Result<Vec<T>, GenesysError> {
    let limits = client.config.limits;
    let too_many_pages = || GenesysError::Limit {
        endpoint: endpoint.into(),
        what: "the number of pages",
        limit: u64::from(limits.max_pages),
        setting: "SCOPEWATCH_MAX_PAGES",
    };
    let mut items = Vec::new();
    let add = |items: &mut Vec<T>, entities: Vec<T>| {
        if items.len() + entities.len() > limits.max_entities {
            return Err(GenesysError::Limit {
                endpoint: endpoint.into(),
                what: "the number of entities",
                limit: limits.max_entities as u64,
                setting: "SCOPEWATCH_MAX_ENTITIES",
            });
        }
        items.extend(entities);
        Ok(())
    };
    let page: EntityListing<T> = client.get_json(endpoint, first).await?;
    if let (Some(1), Some(count)) = (page.page_number, page.page_count)
        && count > 1
        && first.contains("pageNumber=1")
    {
        if count > u64::from(limits.max_pages) {
            return Err(too_many_pages());
        }
        add(&mut items, page.entities)?;
        let rest = futures_util::future::try_join_all((2..=count).map(|n| {
            let path = with_page_number(first, n);
            async move {
                client
                    .get_json_streamed::<EntityListing<T>>(endpoint, &path)
                    .await
            }
        }))
        .await?;
        for page in rest {
            add(&mut items, page.entities)?;
        }
        return Ok(items);
    }
    // Unknown page count: follow the links, refusing loops.
    let mut seen = HashSet::from([first.to_string()]);
    let mut page = page;
    loop {
        add(&mut items, page.entities)?;
        let next = match (page.next_uri, page.page_number, page.page_count) {
            (Some(uri), _, _) => as_path(&uri),
            (None, Some(n), Some(count)) if n < count => with_page_number(first, n + 1),
            _ => return Ok(items),
        };
        if seen.len() >= limits.max_pages as usize {
            return Err(too_many_pages());
        }
        if !seen.insert(next.clone()) {
            return Err(GenesysError::Upstream {
                endpoint: endpoint.into(),
                status: 200,
                code: "paging.loop".into(),
                message: format!("the listing pointed back to {next}"),
            });
        }
        page = client.get_json(endpoint, &next).await?;
    }
}

/// Runs the org-wide usage query (one query for every client) and polls it to `Complete`.
async fn usage(client: &GenesysClient, now: DateTime<Utc>) -> Result<Usage, GenesysError> {
    let days = client.config.usage_window_days;
    let start = now - Duration::days(days as i64);
    let query = UsageQuery {
        interval: format!(
            "{}/{}",
            start.to_rfc3339_opts(SecondsFormat::Secs, true),
            now.to_rfc3339_opts(SecondsFormat::Secs, true)
        ),
        granularity: Some("Day".into()),
        metrics: Some(vec!["Requests".into()]),
        // Grouping by endpoint too gives the least-privilege evidence in the same one query.
        group_by: Some(vec![
            "OAuthClientId".into(),
            "TemplateUri".into(),
            "HttpMethod".into(),
        ]),
    };
    let execution: UsageExecutionResult =
        client.post_json(USAGE_QUERY, USAGE_QUERY, &query).await?;
    if execution.execution_id.is_empty()
        || !execution
            .execution_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(GenesysError::UsageQuery(format!(
            "unexpected execution id '{}'",
            execution.execution_id
        )));
    }
    let path = format!("/api/v2/usage/query/{}/results", execution.execution_id);
    let mut pauses = client.config.poll_pauses();
    for _ in 0..client.config.usage_max_polls {
        // The answer with the rows is tens of MB: parsed while it arrives, each row folded
        // into the evidence as it is read.
        let result: FoldedResult = client.get_json_streamed(USAGE_RESULTS, &path).await?;
        match result.query_status.as_deref() {
            Some("Complete") => {
                let (last_used, calls) = result.results.unwrap_or_default().finish();
                return Ok(Usage::Known {
                    window_start: start.date_naive(),
                    last_used,
                    calls,
                });
            }
            Some("Failed") => {
                return Err(GenesysError::UsageQuery(
                    "Genesys reported the query Failed".into(),
                ));
            }
            _ => {
                tokio::time::sleep(pauses.next().unwrap_or_default()).await;
            }
        }
    }
    Err(GenesysError::UsageQuery(format!(
        "still Running after {} polls",
        client.config.usage_max_polls
    )))
}

fn parse_time(text: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text?)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

fn to_client(c: OAuthClient) -> Client {
    let roles = match c.role_divisions {
        Some(rds) if !rds.is_empty() => rds
            .into_iter()
            .map(|rd| RoleGrant {
                role_id: rd.role_id,
                division_id: rd.division_id.unwrap_or_else(|| "home".into()),
            })
            .collect(),
        // Older clients may carry only the deprecated roleIds (home division).
        _ => c
            .role_ids
            .unwrap_or_default()
            .into_iter()
            .map(|role_id| RoleGrant {
                role_id,
                division_id: "home".into(),
            })
            .collect(),
    };
    Client {
        grant_type: GrantType::parse(&c.authorized_grant_type),
        state: ClientState::parse(c.state.as_deref()),
        scopes: c.scope.unwrap_or_default(),
        roles,
        token_validity_seconds: c.access_token_validity_seconds,
        redirect_uris: c.registered_redirect_uri.unwrap_or_default(),
        date_created: parse_time(c.date_created.as_deref()),
        date_modified: parse_time(c.date_modified.as_deref()),
        created_by: c.created_by.map(|u| Named {
            id: u.id,
            name: u.name,
        }),
        date_to_delete: parse_time(c.date_to_delete.as_deref()),
        description: c.description,
        name: c.name,
        id: c.id,
    }
}

/// A role in domain terms; one without an id cannot be granted and is skipped. A policy
/// missing its domain or entity allows nothing that can be named and is skipped too.
fn to_role(r: Role) -> Option<DomainRole> {
    let id = r.id.filter(|id| !id.is_empty())?;
    Some(DomainRole {
        name: r.name.unwrap_or_else(|| id.clone()),
        id,
        permissions: r.permissions.unwrap_or_default(),
        policies: r
            .permission_policies
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| {
                Some(PermissionPolicy {
                    domain: p.domain.filter(|d| !d.is_empty())?,
                    entity: p.entity_name.filter(|e| !e.is_empty())?,
                    actions: p.action_set.unwrap_or_default(),
                })
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn optional_evidence_that_takes_too_long_is_unknown_not_a_failed_audit() {
        let mut config = crate::genesys::ClientConfig::new(
            "id".into(),
            secrecy::SecretString::from("secret"),
            "mypurecloud.com".into(),
            "http://127.0.0.1:9".into(),
            "http://127.0.0.1:9".into(),
        );
        config.deadline = std::time::Duration::from_secs(60);
        let client =
            GenesysClient::new(config, std::sync::Arc::new(crate::genesys::NoObserver)).unwrap();
        let slow = async {
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
            Ok::<u32, GenesysError>(1)
        };
        let (value, warning) = optional(&client, "trail unknown", slow).await.unwrap();
        assert_eq!(value, None);
        assert_eq!(
            warning.as_deref(),
            Some("trail unknown: not read within 30s")
        );
        let quick = async { Ok::<u32, GenesysError>(7) };
        assert_eq!(
            optional(&client, "x", quick).await.unwrap(),
            (Some(7), None)
        );
    }

    #[test]
    fn page_numbers_replace_or_extend_the_query() {
        assert_eq!(
            with_page_number("/api/v2/oauth/clients", 2),
            "/api/v2/oauth/clients?pageNumber=2"
        );
        assert_eq!(
            with_page_number("/api/v2/authorization/roles?pageSize=100&pageNumber=1", 3),
            "/api/v2/authorization/roles?pageSize=100&pageNumber=3"
        );
        assert_eq!(
            as_path("https://api.example.com/api/v2/x?pageNumber=2"),
            "/api/v2/x?pageNumber=2"
        );
        assert_eq!(as_path("/api/v2/x?a=1"), "/api/v2/x?a=1");
    }

    #[test]
    fn roles_and_policies_missing_fields_do_not_fail_the_page() {
        let page: EntityListing<Role> = serde_json::from_str(
            r#"{"entities":[
                {"id":"r1","permissionPolicies":[{"domain":"oauth","actionSet":["view"]},{"domain":"oauth","entityName":"client","actionSet":["add"]}]},
                {"name":"no id"},
                {"id":"r2","name":"Flat","permissions":["admin"]}
            ],"pageNumber":1,"pageCount":1}"#,
        )
        .unwrap();
        let roles: Vec<DomainRole> = page.entities.into_iter().filter_map(to_role).collect();
        assert_eq!(roles.len(), 2, "the role without an id is skipped");
        assert_eq!(roles[0].name, "r1", "a nameless role is named by its id");
        assert_eq!(
            roles[0].policies,
            vec![PermissionPolicy {
                domain: "oauth".into(),
                entity: "client".into(),
                actions: vec!["add".into()]
            }]
        );
        assert_eq!(roles[1].permissions, vec!["admin".to_string()]);
    }

    #[test]
    fn unknown_grant_types_and_states_are_kept() {
        let wire: OAuthClient = serde_json::from_str(
            r#"{"id":"x","name":"n","authorizedGrantType":"DEVICE-CODE","state":"deleted","roleIds":["r"],"unknownField":1}"#,
        )
        .unwrap();
        let c = to_client(wire);
        assert_eq!(c.grant_type, GrantType::Other("DEVICE-CODE".into()));
        assert_eq!(c.state, ClientState::Other("deleted".into()));
        assert_eq!(
            c.roles,
            vec![RoleGrant {
                role_id: "r".into(),
                division_id: "home".into()
            }]
        );
    }
}

/// Property tests: whatever a hostile or broken upstream sends in a client or role listing is
/// decoded, judged and rendered without a panic, and the corpus of handcrafted listings too.
#[cfg(test)]
mod hostile_input {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;
    use crate::audit::policy::AuditPolicy;
    use crate::audit::rules::testkit::snapshot;
    use crate::audit::{AuditRun, judge};

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[a-z:*.-]{0,24}",
            Just(String::new()),
            Just("*".to_string()),
            Just("\u{0}\u{1b}[31m\n".to_string()),
            Just("javascript:alert(1)".to_string()),
            Just("http://*.example.com/cb".to_string()),
            Just("https://localhost:99999/x".to_string()),
            Just("9999-12-31T23:59:59.999Z".to_string()),
            Just("-262144-01-01T00:00:00Z".to_string()),
            Just("2026-11-01T00:00:00Z".to_string()),
            Just("master".to_string()),
            Just("CLIENT-CREDENTIALS".to_string()),
            Just("TOKEN".to_string()),
        ]
    }

    fn maybe<T: Strategy>(s: T) -> impl Strategy<Value = Option<T::Value>> {
        proptest::option::of(s)
    }

    fn client_json() -> impl Strategy<Value = Value> {
        (
            (text(), text(), maybe(any::<i64>()), maybe(text())),
            (maybe(prop::collection::vec(text(), 0..4)), maybe(prop::collection::vec(text(), 0..4))),
            (maybe(text()), maybe(text()), text(), maybe(prop::collection::vec(text(), 0..6))),
            (maybe(prop::collection::vec((text(), maybe(text())), 0..4)), maybe(text()), maybe(text())),
        )
            .prop_map(|(a, b, c, d)| {
                json!({
                    "id": a.0, "name": a.1, "accessTokenValiditySeconds": a.2, "description": a.3,
                    "registeredRedirectUri": b.0, "roleIds": b.1,
                    "dateCreated": c.0, "dateModified": c.1, "authorizedGrantType": c.2, "scope": c.3,
                    "roleDivisions": d.0.map(|rds| rds.into_iter().map(|(r, dv)| json!({"roleId": r, "divisionId": dv})).collect::<Vec<_>>()),
                    "state": d.1, "dateToDelete": d.2,
                })
            })
    }

    fn role_json() -> impl Strategy<Value = Value> {
        (text(), text(), prop::collection::vec((text(), text(), prop::collection::vec(text(), 0..3)), 0..4))
            .prop_map(|(id, name, policies)| {
                json!({
                    "id": id, "name": name,
                    "permissionPolicies": policies.into_iter().map(|(d, e, a)| json!({"domain": d, "entityName": e, "actionSet": a})).collect::<Vec<_>>(),
                })
            })
    }

    /// Decodes, converts, judges and renders one listing the way an audit does.
    fn audit_listing(clients: &[Value], roles: &[Value]) {
        let mut s = snapshot();
        s.clients = clients
            .iter()
            .filter_map(|c| serde_json::from_value::<OAuthClient>(c.clone()).ok())
            .map(to_client)
            .collect();
        for r in roles
            .iter()
            .filter_map(|r| serde_json::from_value::<Role>(r.clone()).ok())
        {
            if let Some(role) = to_role(r) {
                s.roles.insert(role.id.clone(), role);
            }
        }
        let at = s.collected_at;
        let run = AuditRun {
            audit_id: "prop".into(),
            started_at: at,
            generated_at: at,
            first_seen: &|_| None,
        };
        let count = s.clients.len();
        let report = judge(s, &AuditPolicy::builtin(), &run);
        assert_eq!(report.clients.len(), count);
        let json = report.to_json();
        let back: crate::audit::report::Report =
            serde_json::from_str(&json).expect("the report reads back");
        assert_eq!(back.clients.len(), report.clients.len());
        for format in [
            crate::render::Format::Csv,
            crate::render::Format::Sarif,
            crate::render::Format::Table,
        ] {
            let _ = crate::render::render(&report, format);
        }
    }

    proptest! {
        #![proptest_config(crate::proptest_config(300))]

        #[test]
        fn any_listing_is_decoded_judged_and_rendered_without_a_panic(
            clients in prop::collection::vec(client_json(), 0..6),
            roles in prop::collection::vec(role_json(), 0..3),
        ) {
            audit_listing(&clients, &roles);
        }

        #[test]
        fn any_bytes_for_a_listing_decode_or_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = serde_json::from_slice::<EntityListing<OAuthClient>>(&bytes);
            let _ = serde_json::from_slice::<crate::genesys::models::ErrorBody>(&bytes);
            let _ = serde_json::from_slice::<crate::genesys::models::TokenResponse>(&bytes);
        }
    }

    #[test]
    fn the_committed_corpus_of_hostile_listings_is_audited_without_a_panic() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/upstream");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("tests/corpus/upstream exists") {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let Ok(listing) = serde_json::from_slice::<Value>(&bytes) else {
                continue; // undecodable bodies are the client's concern, tested elsewhere
            };
            let clients = listing["entities"].as_array().cloned().unwrap_or_default();
            let roles = listing["roles"].as_array().cloned().unwrap_or_default();
            audit_listing(&clients, &roles);
            seen += 1;
        }
        assert!(seen >= 3, "the corpus has listings ({seen})");
    }
}
