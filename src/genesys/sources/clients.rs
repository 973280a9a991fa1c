//! OAuth clients: the entities the audit judges. Without them there is no report.

use chrono::{DateTime, Utc};
use genesys_api::models::OAuthClient;

use super::source::{Collection, Reading, Source, Unreadable, apply};
use crate::audit::snapshot::{
    Client, ClientState, GrantType, Named, RoleGrant, Snapshot, UnreadableClient,
};
use crate::genesys::listing::read_all;
use crate::genesys::records::SkippedRecord;

const CLIENTS: &str = "/api/v2/oauth/clients";

pub(super) const SOURCE: Source = Source {
    name: "clients",
    permissions: &["oauth:client:view"],
    needs: &[],
    unreadable: Unreadable::FailsTheAudit,
    start,
};

fn start<'a>(collection: &'a Collection<'a>, _: &Snapshot) -> Reading<'a> {
    Box::pin(async move {
        let mut wire = read_all::<OAuthClient>(collection.client, CLIENTS, CLIENTS).await?;
        // A client whose record did not parse is named in the warning (with its id and name
        // where the record has them) and is in the report as unreadable, so it is never
        // silently missing.
        let warning = wire.skipped.warning(
            "OAuth clients",
            CLIENTS,
            "in the report as unreadable, not judged: their records did not parse",
        );
        let unreadable = unreadable_clients(std::mem::take(&mut wire.skipped.records));
        Ok(apply(
            (wire.items, unreadable, warning),
            |s, (wire, unreadable, warning)| {
                s.clients = domain_clients(wire);
                s.unreadable_clients = unreadable;
                s.warnings.extend(warning);
            },
        ))
    })
}

/// The clients in our own types, in a vector of their own size: collected in place, they would
/// keep the wire listing's larger buffer (470 bytes a client against 300) through judging.
fn domain_clients(wire: Vec<OAuthClient>) -> Vec<Client> {
    let mut clients = Vec::with_capacity(wire.len());
    clients.extend(wire.into_iter().map(to_client));
    clients
}

/// The skipped client records, in our own types.
fn unreadable_clients(records: Vec<SkippedRecord>) -> Vec<UnreadableClient> {
    records
        .into_iter()
        .map(|r| UnreadableClient {
            id: r.id,
            name: r.name,
            reason: r.reason,
        })
        .collect()
}

fn parse_time(text: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text?)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// A client in our own types: grants from `roleDivisions`, or the deprecated `roleIds` (home
/// division) where only those are given.
pub(crate) fn to_client(c: OAuthClient) -> Client {
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
        // A creator without an id (the SDK's DomainEntityRef requires none) is no known creator.
        created_by: c
            .created_by
            .and_then(|u| Some((u.id.filter(|id| !id.is_empty())?, u.name)))
            .map(|(id, name)| Named { id, name }),
        date_to_delete: parse_time(c.date_to_delete.as_deref()),
        description: c.description,
        name: c.name,
        id: c.id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
