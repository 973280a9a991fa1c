use std::time::Duration;

use scopewatch::audit::policy::AuditPolicy;
use scopewatch::genesys::GenesysError;
use scopewatch_sim::{FaultConfig, SimSettings};

use super::*;

fn policy() -> AuditPolicy {
    AuditPolicy::builtin()
}

#[tokio::test]
async fn a_429_storm_is_waited_out_and_no_request_goes_before_retry_after() {
    let sim = start_sim_with(generated_org(30, 10), SimSettings::default()).await;
    let until = sim.clock().now() + chrono::Duration::milliseconds(1500);
    sim.faults().rate_limit_storm_until(until, 1);
    let report = assess_with(client_config(&sim), &policy())
        .await
        .expect("the audit completes");
    assert_eq!(report.summary.total_clients, 31);
    let log = sim.requests();
    let limited: Vec<_> = log.iter().filter(|r| r.status == 429).collect();
    assert!(!limited.is_empty(), "the storm answered 429");
    // Collection runs several calls at once: those already on their way when a 429 came back
    // arrive within moments of it; after that, nothing goes out until Retry-After has passed.
    let in_flight = Duration::from_millis(100);
    for r in &limited {
        if let Some(early) = log
            .iter()
            .find(|n| n.at > r.at + in_flight && n.at < r.at + Duration::from_millis(990))
        {
            panic!(
                "a request went out {:?} after a 429 with Retry-After: 1",
                early.at.duration_since(r.at)
            );
        }
    }
}

#[tokio::test]
async fn a_retry_after_over_the_cap_fails_the_audit_clearly() {
    let sim = start_sim_with(generated_org(5, 5), SimSettings::default()).await;
    let until = sim.clock().now() + chrono::Duration::seconds(600);
    sim.faults().rate_limit_storm_until(until, 500);
    let mut c = client_config(&sim);
    c.retry_after_cap = Duration::from_secs(180);
    let err = assess_with(c, &policy()).await.unwrap_err();
    assert!(
        matches!(err, GenesysError::RateLimitCapExceeded { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("rate limited for 500s"), "{err}");
}

#[tokio::test]
async fn a_5xx_burst_is_retried_and_a_5xx_outage_fails_cleanly() {
    let sim = start_sim_with(generated_org(20, 5), SimSettings::default()).await;
    sim.faults().server_error_burst(3);
    let report = assess_with(client_config(&sim), &policy())
        .await
        .expect("transient 5xx is retried");
    assert_eq!(report.summary.total_clients, 21);
    assert_eq!(sim.requests().iter().filter(|r| r.status == 503).count(), 3);

    sim.faults().set(FaultConfig {
        server_error_rate: 1.0,
        ..Default::default()
    });
    let err = assess_with(client_config(&sim), &policy())
        .await
        .unwrap_err();
    // The required reads run at once: whichever gives up first names itself.
    assert!(
        matches!(&err, GenesysError::RetriesExhausted { attempts: 5, endpoint, .. }
            if endpoint == "/api/v2/oauth/clients" || endpoint == "/api/v2/authorization/roles"),
        "{err}"
    );
    assert!(err.to_string().contains("failed after 5 attempts"), "{err}");
    assert_no_secret(&format!("{err} {err:?}"));
}

#[tokio::test]
async fn dropped_connections_and_malformed_bodies_are_retried() {
    let sim = start_sim_with(generated_org(20, 5), SimSettings::default()).await;
    sim.faults().drop_next(2);
    let report = assess_with(client_config(&sim), &policy())
        .await
        .expect("drops are transient");
    assert_eq!(report.summary.total_clients, 21);
    sim.faults().malformed_next(2);
    let report = assess_with(client_config(&sim), &policy())
        .await
        .expect("malformed bodies are transient");
    assert_eq!(report.summary.total_clients, 21);
}

#[tokio::test]
async fn a_token_revoked_mid_audit_is_renewed_once_and_the_call_replayed() {
    let sim = start_sim_with(generated_org(20, 250), SimSettings::default()).await;
    sim.faults().revoke_tokens_after(2);
    let report = assess_with(client_config(&sim), &policy())
        .await
        .expect("the audit completes");
    assert_eq!(report.summary.total_clients, 21);
    let log = sim.requests();
    assert_eq!(
        log.iter().filter(|r| r.path == "/oauth/token").count(),
        2,
        "one renewal for every call refused at once"
    );
    // At most one refusal per concurrent branch, one per evidence source (usage, clients,
    // roles, scopes, the API description, creators, the organization, the IP allowlist, the
    // third-party apps, the divisions, the audit trail).
    let refused = log.iter().filter(|r| r.status == 401).count();
    assert!((1..=11).contains(&refused), "{refused} refusals");
}

#[tokio::test]
async fn a_stalled_upstream_times_out_and_the_deadline_bounds_the_audit() {
    let sim = start_sim_with(generated_org(5, 5), SimSettings::default()).await;
    sim.faults().set(FaultConfig {
        latency: Duration::from_secs(2),
        ..Default::default()
    });
    let mut c = client_config(&sim);
    c.request_timeout = Duration::from_millis(200);
    c.max_attempts = 2;
    let err = assess_with(c, &policy()).await.unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");

    let mut c = client_config(&sim);
    c.deadline = Duration::from_millis(700);
    let err = assess_with(c, &policy()).await.unwrap_err();
    assert!(matches!(err, GenesysError::Deadline(_)), "{err}");
}

#[tokio::test]
async fn a_wrong_secret_fails_naming_the_credentials_without_showing_them() {
    let sim = start_sim_with(generated_org(5, 5), SimSettings::default()).await;
    let mut c = client_config(&sim);
    c.client_secret = secrecy::SecretString::from("wrong-secret-value");
    let err = assess_with(c, &policy()).await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(
        text.contains("authentication failed") && text.contains("GENESYS_OAUTH_CLIENT_SECRET"),
        "{text}"
    );
    assert!(!text.contains("wrong-secret-value"));
    // A refused login is not retried: one token call.
    assert_eq!(sim.requests().len(), 1);
}

#[tokio::test]
async fn a_missing_permission_on_roles_fails_naming_it() {
    let sim = start_sim_with(generated_org(5, 5), SimSettings::default()).await;
    sim.faults().deny("roles");
    let err = assess_with(client_config(&sim), &policy())
        .await
        .unwrap_err();
    assert!(
        matches!(err, GenesysError::MissingPermission { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("authorization:role:view"), "{err}");
}

#[tokio::test]
async fn missing_usage_or_scope_permission_degrades_to_unknown_with_warnings() {
    let sim = start_sim_with(generated_org(40, 5), SimSettings::default()).await;
    sim.faults().deny("usage");
    sim.faults().deny("scopes");
    let report = assess_with(client_config(&sim), &policy())
        .await
        .expect("optional evidence degrades");
    assert!(!report.complete);
    assert_eq!(report.warnings.len(), 2);
    assert!(
        report.warnings[0].contains("usage evidence unknown")
            && report.warnings[0].contains("usage:organization:view")
    );
    assert!(report.warnings[1].contains("scope catalog unknown"));
    assert!(report.clients.iter().all(|c| c.usage_evidence == "unknown"));
    assert!(
        !report
            .summary
            .findings_by_rule
            .contains_key("unused-client")
    );
    assert!(
        !report
            .summary
            .findings_by_rule
            .contains_key("unknown-scope")
    );
}

#[tokio::test]
async fn clients_are_read_to_the_last_page_when_the_listing_pages() {
    let settings = SimSettings {
        client_page_size: Some(7),
        ..SimSettings::default()
    };
    let sim = start_sim_with(generated_org(30, 5), settings).await;
    let report = assess_with(client_config(&sim), &policy()).await.unwrap();
    assert_eq!(report.summary.total_clients, 31);
    assert_eq!(
        sim.requests()
            .iter()
            .filter(|r| r.path == "/api/v2/oauth/clients")
            .count(),
        5
    );
}

#[tokio::test]
async fn a_token_refused_again_after_renewal_fails_with_a_clear_message() {
    let mut org = generated_org(5, 5);
    // Tokens that are already expired when issued: every call is refused with 401.
    let auditor = org
        .clients
        .iter_mut()
        .find(|c| c.client.id == CLIENT_ID)
        .unwrap();
    auditor.client.access_token_validity_seconds = Some(0);
    let sim = start_sim_with(org, SimSettings::default()).await;
    let err = assess_with(client_config(&sim), &policy())
        .await
        .unwrap_err();
    assert!(matches!(err, GenesysError::Unauthorized { .. }), "{err}");
    assert!(err.to_string().contains("refused twice with 401"), "{err}");
    let log = sim.requests();
    assert_eq!(
        log.iter().filter(|r| r.path == "/oauth/token").count(),
        2,
        "one renewal, no hot loop"
    );
    // Each concurrent branch is refused once with each token, then gives up.
    let refused = log.iter().filter(|r| r.status == 401).count();
    assert!((2..=22).contains(&refused), "{refused} refusals");
}
