//! The organization, its divisions and its users on the wire.

use std::collections::HashSet;

use scopewatch_sim::SimSettings;
use serde_json::Value;

use super::*;

async fn get_json(sim: &scopewatch_sim::RunningSim, token: &str, path: &str) -> Value {
    let response = sim_get(sim, token, path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_organization_names_itself() {
    let sim = start_sim_with(generated_org(10, 10), SimSettings::default()).await;
    let token = token(&sim).await;
    let org = get_json(&sim, &token, "/api/v2/organizations/me").await;
    assert_eq!(org["id"], sim.org().organization_id.as_str());
    assert_eq!(org["name"], "Simulated Org 42");
    assert_eq!(org["state"], "active");
    assert!(
        org["thirdPartyOrgName"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
    );
    assert_eq!(
        org["selfUri"],
        format!("/api/v2/organizations/{}", sim.org().organization_id)
    );
}

#[tokio::test]
async fn the_ip_allowlist_is_empty_in_a_generated_org_and_needs_the_organization_admin_permission()
{
    const PATH: &str = "/api/v2/organizations/ipaddressauthentication";
    let mut org = generated_org(5, 5);
    assert!(org.ip_allowlist.is_empty(), "generated orgs have none");
    let sim = start_sim_with(org.clone(), SimSettings::default()).await;
    let bearer = token(&sim).await;
    assert_eq!(
        get_json(&sim, &bearer, PATH).await,
        serde_json::json!({ "networkWhitelist": [] })
    );
    sim.faults().deny("ip_allowlist");
    let denied = sim_get(&sim, &bearer, PATH).await;
    assert_eq!(denied.status(), 403);
    let body = denied.text().await.unwrap();
    assert!(body.contains("directory:organization:admin"), "{body}");

    org.ip_allowlist = vec!["203.0.113.0/24".into()];
    let sim = start_sim_with(org, SimSettings::default()).await;
    let bearer = token(&sim).await;
    assert_eq!(
        get_json(&sim, &bearer, PATH).await["networkWhitelist"],
        serde_json::json!(["203.0.113.0/24"])
    );
}

#[tokio::test]
async fn divisions_page_with_object_counts_and_name_every_granted_division() {
    let sim = start_sim_with(generated_org(200, 30), SimSettings::default()).await;
    let token = token(&sim).await;
    let mut seen = Vec::new();
    let mut path =
        "/api/v2/authorization/divisions?pageSize=4&pageNumber=1&objectCount=true".to_string();
    let mut pages = 0;
    loop {
        let body = get_json(&sim, &token, &path).await;
        pages += 1;
        for d in body["entities"].as_array().unwrap() {
            assert!(d["objectCounts"].is_object(), "{d}");
            assert!(d["description"].is_string(), "description is required: {d}");
            seen.push(d.clone());
        }
        match body.get("nextUri") {
            Some(next) => {
                let next = next.as_str().unwrap();
                assert!(next.contains("objectCount=true"), "{next}");
                path = next.to_string();
            }
            None => break,
        }
    }
    assert_eq!(pages, 2);
    assert_eq!(seen.len(), 6);
    assert_eq!(seen.iter().filter(|d| d["homeDivision"] == true).count(), 1);
    let ids: HashSet<&str> = seen.iter().map(|d| d["id"].as_str().unwrap()).collect();
    for c in &sim.org().clients {
        for rd in c.client.role_divisions.iter().flatten() {
            let division = rd
                .division_id
                .as_deref()
                .expect("every grant names its division");
            assert!(
                division == "*" || ids.contains(division),
                "{division} unnamed"
            );
        }
    }
    // Without objectCount the counts are left out.
    let plain = get_json(&sim, &token, "/api/v2/authorization/divisions").await;
    assert!(plain["entities"][0].get("objectCounts").is_none());
    assert_eq!(plain["pageSize"], 25);
    let home = get_json(&sim, &token, "/api/v2/authorization/divisions/home").await;
    assert_eq!(home["homeDivision"], true);
    assert_eq!(home["id"], sim.org().home_division_id.as_str());
    let bad = sim_get(
        &sim,
        &token,
        "/api/v2/authorization/divisions?objectCount=maybe",
    )
    .await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn users_by_id_hide_the_deleted_unless_state_any() {
    let sim = start_sim_with(generated_org(100, 10), SimSettings::default()).await;
    let token = token(&sim).await;
    let (deleted, inactive, active) = {
        let org = sim.org();
        let of = |s: &str| org.users.iter().find(|u| u.state == s).unwrap().id.clone();
        (of("deleted"), of("inactive"), of("active"))
    };
    let ids = format!("{deleted},{inactive},{active}");
    let default = get_json(&sim, &token, &format!("/api/v2/users?id={ids}")).await;
    let states: Vec<&str> = default["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["active"], "the default state is active");
    let any = get_json(&sim, &token, &format!("/api/v2/users?id={ids}&state=any")).await;
    let users = any["entities"].as_array().unwrap();
    assert_eq!(users.len(), 3);
    for u in users {
        for field in ["id", "name", "email", "state", "selfUri"] {
            assert!(u.get(field).is_some(), "{field} missing in {u}");
        }
    }
    let deleted_only = get_json(
        &sim,
        &token,
        &format!("/api/v2/users?id={ids}&state=deleted"),
    )
    .await;
    assert_eq!(deleted_only["entities"][0]["id"], deleted.as_str());
    assert_eq!(deleted_only["total"], 1);
    // Repeated `id` parameters (as the SDK sends them) work too.
    let repeated = get_json(
        &sim,
        &token,
        &format!("/api/v2/users?id={deleted}&id={active}&state=any"),
    )
    .await;
    assert_eq!(repeated["total"], 2);
}

#[tokio::test]
async fn users_page_keep_their_filters_and_bound_the_ids() {
    let sim = start_sim_with(generated_org(100, 10), SimSettings::default()).await;
    let token = token(&sim).await;
    let ids: Vec<String> = sim.org().users.iter().map(|u| u.id.clone()).collect();
    assert!(ids.len() > 10);
    let first = get_json(
        &sim,
        &token,
        &format!("/api/v2/users?pageSize=10&id={}&state=any", ids.join(",")),
    )
    .await;
    assert_eq!(first["total"].as_u64().unwrap() as usize, ids.len());
    let next = first["nextUri"].as_str().unwrap();
    assert!(
        next.contains("state=any") && next.contains(&ids[0]),
        "{next}"
    );
    let second = get_json(&sim, &token, next).await;
    assert_eq!(second["pageNumber"], 2);
    let too_many: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
    let refused = sim_get(
        &sim,
        &token,
        &format!("/api/v2/users?id={}", too_many.join(",")),
    )
    .await;
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "bad.request");
    assert!(body["message"].as_str().unwrap().contains("100"));
    assert_eq!(
        sim_get(&sim, &token, "/api/v2/users?state=gone")
            .await
            .status(),
        400
    );
    assert_eq!(
        sim_get(&sim, &token, "/api/v2/users?pageSize=501")
            .await
            .status(),
        400
    );
}

#[tokio::test]
async fn the_deny_fault_refuses_the_directory_without_naming_a_permission() {
    let sim = start_sim_with(generated_org(5, 5), SimSettings::default()).await;
    let token = token(&sim).await;
    for (switch, path) in [
        ("organization", "/api/v2/organizations/me"),
        ("divisions", "/api/v2/authorization/divisions"),
        ("users", "/api/v2/users?state=any"),
    ] {
        assert_eq!(sim_get(&sim, &token, path).await.status(), 200, "{path}");
        sim.faults().deny(switch);
        let denied = sim_get(&sim, &token, path).await;
        assert_eq!(denied.status(), 403, "{path}");
        let body: Value = denied.json().await.unwrap();
        assert_eq!(body["code"], "not.authorized", "{path}");
    }
}
