//! Property tests: any listing the upstream may send is decoded, converted, judged and rendered
//! without a panic.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::clients::to_client;
use super::roles::to_role;
use crate::audit::policy::AuditPolicy;
use crate::audit::rules::testkit::snapshot;
use crate::audit::{AuditRun, judge};
use genesys_api::models::{EntityListing, OAuthClient};
use genesys_api::read_models::ReadRole;

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
        .filter_map(|r| serde_json::from_value::<ReadRole>(r.clone()).ok())
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
        crate::render::Format::Ocsf,
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
        let _ = serde_json::from_slice::<genesys_api::models::ErrorBody>(&bytes);
        let _ = serde_json::from_slice::<genesys_api::models::TokenResponse>(&bytes);
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
