//! Third-party apps: the clients this org authorized, requested or revoked (usually apps of
//! other orgs: AppFoundry vendors, partners), with the scopes and roles it granted them
//! (`third-party-app-access`). `GET /api/v2/oauth/authorizations` is one listing, not paged
//! (`OAuthAuthorizationListing`: `total`, `entities`), and needs `oauth:client:authorize`.

use chrono::{DateTime, Utc};
use genesys_api::models::DomainEntityRef;
use genesys_api::read_models::OAuthAuthorization;

use super::source::{Collection, Reading, Source, Unreadable, apply};
use crate::audit::rules::AUTHORIZATIONS_PERMISSION;
use crate::audit::snapshot::{AuthorizationState, GrantType, Named, Snapshot, ThirdPartyApp};
use crate::genesys::records::Page;
use crate::genesys::trail::text;

const AUTHORIZATIONS: &str = "/api/v2/oauth/authorizations";

/// Authorizations kept from the answer: far more than any org grants; the rest are counted.
const MAX_APPS: usize = 2000;
/// Scopes or roles kept per authorization.
const MAX_GRANTS: usize = 500;

pub(super) const SOURCE: Source = Source {
    name: "third-party apps",
    permissions: &[AUTHORIZATIONS_PERMISSION],
    needs: &[],
    unreadable: Unreadable::Degrades {
        warning: "third-party apps unknown (third-party-app-access is not checked)",
        half_time: true,
    },
    start,
};

fn start<'a>(collection: &'a Collection<'a>, _: &Snapshot) -> Reading<'a> {
    Box::pin(async move {
        let listing: Page<OAuthAuthorization> = collection
            .client
            .get_json(AUTHORIZATIONS, AUTHORIZATIONS)
            .await?;
        let skipped = listing.entities.skipped;
        collection
            .client
            .records_skipped(AUTHORIZATIONS, skipped.count);
        let mut warnings: Vec<String> = skipped
            .warning(
                "authorizations",
                AUTHORIZATIONS,
                "third-party-app-access does not judge them",
            )
            .into_iter()
            .collect();
        let (apps, left_out) = apps(listing.entities.items);
        if left_out.no_client > 0 {
            warnings.push(format!(
                "{} authorizations from {AUTHORIZATIONS} name no client id: not judged",
                left_out.no_client
            ));
        }
        if left_out.past_bound > 0 {
            warnings.push(format!(
                "{} authorizations from {AUTHORIZATIONS} past the first {MAX_APPS}: not judged",
                left_out.past_bound
            ));
        }
        Ok(apply((apps, warnings), |s, (apps, warnings)| {
            s.third_party_apps = Some(apps);
            s.warnings.extend(warnings);
        }))
    })
}

/// Authorizations left out of the judged apps.
#[derive(Debug, Default, PartialEq)]
struct LeftOut {
    no_client: usize,
    past_bound: usize,
}

/// The authorizations in our own types, bounded, and which were left out.
fn apps(wire: Vec<OAuthAuthorization>) -> (Vec<ThirdPartyApp>, LeftOut) {
    let total = wire.len();
    let mut apps: Vec<ThirdPartyApp> = wire.into_iter().filter_map(to_app).collect();
    let no_client = total - apps.len();
    let past_bound = apps.len().saturating_sub(MAX_APPS);
    apps.truncate(MAX_APPS);
    (
        apps,
        LeftOut {
            no_client,
            past_bound,
        },
    )
}

/// One authorization, or `None` when it names no client (there is nothing to judge or revoke).
fn to_app(a: OAuthAuthorization) -> Option<ThirdPartyApp> {
    let client = a.client?;
    let client_id = text(client.id.as_deref().unwrap_or_default().trim());
    if client_id.is_empty() {
        return None;
    }
    Some(ThirdPartyApp {
        client_name: text(client.name.as_deref().unwrap_or(&client_id)),
        grant_type: GrantType::parse(client.authorized_grant_type.as_deref().unwrap_or_default()),
        state: AuthorizationState::parse(a.state.as_deref()),
        pending: a.pending.unwrap_or(false),
        scopes: names(a.scope),
        roles: names(a.roles),
        resource_owner: named(a.resource_owner),
        created_by: named(a.created_by),
        date_created: a
            .date_created
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc)),
        client_id,
    })
}

/// Scope or role names: nulls and blanks left out, bounded.
fn names(list: Option<Vec<Option<String>>>) -> Vec<String> {
    list.unwrap_or_default()
        .into_iter()
        .flatten()
        .map(|n| text(n.trim()))
        .filter(|n| !n.is_empty())
        .take(MAX_GRANTS)
        .collect()
}

/// A reference with an id (the SDK's `DomainEntityRef` requires none: without one it names no
/// one).
fn named(r: Option<DomainEntityRef>) -> Option<Named> {
    let r = r?;
    let id = r.id.filter(|id| !id.trim().is_empty())?;
    Some(Named {
        id: text(id.trim()),
        name: r.name.map(|n| text(&n)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> (Vec<ThirdPartyApp>, LeftOut) {
        let page: Page<OAuthAuthorization> = serde_json::from_str(json).unwrap();
        apps(page.entities.items)
    }

    #[test]
    fn an_authorization_is_read_leniently_and_unknown_states_are_kept() {
        let (apps, dropped) = read(
            r#"{"total": 3, "entities": [
                {"client": {"id": "v1", "name": "Vendor", "authorizedGrantType": "CLIENT-CREDENTIALS"},
                 "scope": ["users", null, " "], "roles": ["r1"], "state": "Authorized",
                 "resourceOwner": {"id": "org-here"}, "createdBy": {"name": "no id"},
                 "dateCreated": "2026-05-01T10:00:00Z", "pending": false, "extra": 1},
                {"client": {"id": "v2", "name": null, "secret": "never kept"},
                 "state": "Suspended"},
                {"scope": ["users"], "state": "Authorized"}
            ]}"#,
        );
        assert_eq!(dropped.no_client, 1, "the authorization without a client");
        assert_eq!(apps.len(), 2);
        let a = &apps[0];
        assert_eq!(a.client_id, "v1");
        assert_eq!(a.state, AuthorizationState::Authorized);
        assert_eq!(a.scopes, vec!["users"]);
        assert_eq!(a.roles, vec!["r1"]);
        assert_eq!(a.grant_type, GrantType::ClientCredentials);
        assert_eq!(a.created_by, None, "a creator without an id names no one");
        assert_eq!(a.resource_owner.as_ref().unwrap().id, "org-here");
        assert_eq!(
            a.date_created.unwrap().to_rfc3339(),
            "2026-05-01T10:00:00+00:00"
        );
        assert_eq!(apps[1].state, AuthorizationState::Other("Suspended".into()));
        assert_eq!(
            apps[1].client_name, "v2",
            "a client without a name goes by its id"
        );
        assert!(apps[1].scopes.is_empty() && apps[1].date_created.is_none());
    }

    #[test]
    fn a_null_listing_is_empty_and_a_huge_one_is_bounded() {
        assert_eq!(read(r#"{"entities": null}"#), (vec![], LeftOut::default()));
        let many: Vec<serde_json::Value> = (0..MAX_APPS + 5)
            .map(|i| {
                serde_json::json!({"client": {"id": format!("c{i}"), "name": "n",
                    "authorizedGrantType": "CODE"}, "scope": vec!["users"; 600]})
            })
            .collect();
        let json = serde_json::json!({ "entities": many }).to_string();
        let (apps, dropped) = read(&json);
        assert_eq!(apps.len(), MAX_APPS);
        assert_eq!(
            dropped,
            LeftOut {
                no_client: 0,
                past_bound: 5
            }
        );
        assert_eq!(apps[0].scopes.len(), MAX_GRANTS);
    }
}
