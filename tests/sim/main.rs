//! The simulator over real HTTP: each wire behaviour and fault switch of SPEC §9.

mod cli;
mod faults;
mod wire;

use chrono::NaiveDate;
use scopewatch::sim::{self, Org, OrgSize, RunningSim, SimSettings};

pub const CLIENT_ID: &str = "test-auditor";
pub const SECRET: &str = "test-secret-123";

pub fn org(clients: usize, roles: usize) -> Org {
    let mut org = sim::generate(&OrgSize {
        clients,
        roles,
        seed: 42,
        anchor: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
    });
    org.ensure_auditor(CLIENT_ID, SECRET);
    org
}

pub async fn start(org: Org, settings: SimSettings) -> RunningSim {
    sim::start_on_loopback(org, settings)
        .await
        .expect("simulator starts")
}

pub async fn token_for(sim: &RunningSim, id: &str, secret: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/oauth/token", sim.base_url()))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

pub async fn token(sim: &RunningSim) -> String {
    let body: serde_json::Value = token_for(sim, CLIENT_ID, SECRET)
        .await
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

pub async fn get(sim: &RunningSim, token: &str, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}{path}", sim.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

pub async fn post_json(
    sim: &RunningSim,
    token: &str,
    path: &str,
    body: &serde_json::Value,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", sim.base_url()))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}
