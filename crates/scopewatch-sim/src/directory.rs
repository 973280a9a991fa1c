//! The org's directory as Genesys shows it: the organization itself, its divisions (with object
//! counts) and its users (active, inactive or deleted), in the API's wire format.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use genesys_api::models::DomainEntityRef;
use genesys_api::rng::Rng;

/// `AuthzDivision`. `objectCounts` is only sent when the caller asks for it (`objectCount=true`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Division {
    pub id: String,
    pub name: String,
    /// Required by the model: always sent, empty when the division has none.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub home_division: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_counts: Option<BTreeMap<String, u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

/// A `User` with the fields an auditor reads (`GET /api/v2/users`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimUser {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `active`, `inactive` or `deleted`.
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<DomainEntityRef>,
    #[serde(default = "one")]
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

fn one() -> u64 {
    1
}

/// Names of the generated divisions after the home one.
const DIVISION_NAMES: &[&str] = &[
    "Sales",
    "Customer Care",
    "Billing",
    "EMEA Operations",
    "Partner Integrations",
    "Back Office",
    "APAC Operations",
    "Collections",
];
const GIVEN: &[&str] = &[
    "Ada", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kaia",
    "Luis", "Maren", "Noor", "Oskar", "Priya", "Quinn", "Rosa", "Sven", "Tariq",
];
const FAMILY: &[&str] = &[
    "Lindqvist",
    "Okafor",
    "Moreau",
    "Tanaka",
    "Novak",
    "Haddad",
    "Schmidt",
    "Costa",
    "Byrne",
    "Kowalski",
];
/// Object types counted per division (a few of the many Genesys keeps in divisions).
const COUNTED: &[&str] = &["queues", "users", "flows", "campaigns", "schedules"];

/// The divisions of a generated org: `ids[0]` is the home division.
pub(super) fn divisions(ids: &[String]) -> Vec<Division> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| Division {
            id: id.clone(),
            name: if i == 0 {
                "Home".to_string()
            } else {
                DIVISION_NAMES[(i - 1) % DIVISION_NAMES.len()].to_string()
            },
            description: if i == 0 {
                "The home division".to_string()
            } else {
                String::new()
            },
            home_division: i == 0,
            object_counts: None,
            self_uri: Some(format!("/api/v2/authorization/divisions/{id}")),
        })
        .collect()
}

/// Fills object counts from `rng`; counts are part of the org (dumped and loaded).
pub(super) fn count_objects(divisions: &mut [Division], rng: &mut Rng) {
    for d in divisions {
        let counts = COUNTED
            .iter()
            .map(|k| (k.to_string(), rng.range(0, 400) as u64))
            .collect();
        d.object_counts = Some(counts);
    }
}

/// A user for each id, named from its index (plus `first`); `state_of(i)` picks its state.
pub(super) fn users(
    ids: &[String],
    first: usize,
    home: &Division,
    state_of: impl Fn(usize) -> &'static str,
) -> Vec<SimUser> {
    ids.iter()
        .enumerate()
        .map(|(k, id)| {
            let i = k + first;
            let given = GIVEN[i % GIVEN.len()];
            let family = FAMILY[(i / GIVEN.len() + i) % FAMILY.len()];
            let login = format!("{}.{}", given.to_lowercase(), family.to_lowercase());
            SimUser {
                id: id.clone(),
                name: format!("{given} {family}"),
                email: Some(format!("{login}@example.com")),
                state: state_of(k).to_string(),
                username: Some(format!("{login}@example.com")),
                division: Some(DomainEntityRef {
                    id: Some(home.id.clone()),
                    name: Some(home.name.clone()),
                    self_uri: home.self_uri.clone(),
                }),
                version: 1,
                self_uri: Some(format!("/api/v2/users/{id}")),
            }
        })
        .collect()
}
