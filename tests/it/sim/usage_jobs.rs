//! The usage jobs API as the simulator serves it, against the SDK models
//! (`OrganizationUsageQueryResponse`, `OrganizationPublicApiUsageResultsResponse`,
//! `OrganizationPublicApiUsage`): a job, `Running`, then `Succeeded` pages joined by `nextUri`;
//! only the metrics asked for, on both usage APIs; no row newer than yesterday.

use scopewatch_sim::SimSettings;
use serde_json::{Value, json};

use super::*;

const JOBS: &str = "/api/v2/usage/aggregates/query/jobs";

fn interval(days: i64) -> String {
    let end = chrono::Utc::now() + chrono::Duration::days(1);
    let start = end - chrono::Duration::days(days);
    format!(
        "{}/{}",
        start.format("%Y-%m-%dT%H:%M:%SZ"),
        end.format("%Y-%m-%dT%H:%M:%SZ")
    )
}

/// Submits a job and reads every page: the pages as answered.
async fn job_pages(sim: &scopewatch_sim::RunningSim, token: &str, query: &Value) -> Vec<Value> {
    let submitted = sim_post_json(sim, token, JOBS, query).await;
    assert_eq!(submitted.status(), 202, "{query}");
    let submitted: Value = submitted.json().await.unwrap();
    let id = submitted["id"].as_str().unwrap();
    assert_eq!(submitted["resultsUri"], format!("{JOBS}/{id}"));
    let first = format!("{JOBS}/{id}?pageSize=1000");
    let running: Value = sim_get(sim, token, &first).await.json().await.unwrap();
    assert_eq!(running, json!({"queryStatus": "Running"}));
    let mut pages = Vec::new();
    let mut next = Some(first);
    while let Some(uri) = next {
        let page: Value = sim_get(sim, token, &uri).await.json().await.unwrap();
        assert_eq!(page["queryStatus"], "Succeeded", "{page}");
        next = page["nextUri"].as_str().map(str::to_string);
        pages.push(page);
        assert!(pages.len() < 1000, "nextUri never ends");
    }
    pages
}

fn rows(pages: &[Value]) -> Vec<Value> {
    pages
        .iter()
        .flat_map(|p| p["entities"].as_array().unwrap().clone())
        .collect()
}

#[tokio::test]
async fn a_usage_job_pages_its_rows_with_next_uri_only_while_another_page_follows() {
    let settings = SimSettings {
        usage_page_size_max: 7,
        ..SimSettings::default()
    };
    let sim = start_sim_with(generated_org(60, 10), settings).await;
    let token = token(&sim).await;
    let query = json!({"interval": interval(90), "granularity": "Day",
        "groupBy": ["OauthClientId", "TemplateUri", "HttpMethod"]});
    let pages = job_pages(&sim, &token, &query).await;
    assert!(pages.len() > 3, "{} pages", pages.len());
    let last = pages.last().unwrap();
    assert!(last.get("nextUri").is_none(), "no nextUri on the last page");
    assert!(
        pages[..pages.len() - 1]
            .iter()
            .all(|p| { p["entities"].as_array().unwrap().len() == 7 && p["nextUri"].is_string() })
    );
    let rows = rows(&pages);
    // Every row once: the pages neither overlap nor leave a gap.
    let mut keys: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r["oauthClient"]["id"], r["date"], r["templateUri"], r["httpMethod"]
            )
        })
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), rows.len());
    let today = chrono::Utc::now().date_naive().to_string();
    for r in &rows {
        let date = r["date"].as_str().unwrap();
        assert_eq!(date.len(), 10, "yyyy-MM-dd: {date}");
        assert!(date < today.as_str(), "a row of today: {r}");
        assert!(r["oauthClient"]["id"].is_string(), "{r}");
        assert!(r["requestCount"].as_u64().unwrap() > 0, "{r}");
        assert!(r["status200"].is_u64() && r["status429"].is_u64(), "{r}");
        assert!(
            ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
                .contains(&r["httpMethod"].as_str().unwrap_or("GET"))
        );
    }
    // The same requests as the older query over the same interval.
    let total: u64 = rows
        .iter()
        .map(|r| r["requestCount"].as_u64().unwrap())
        .sum();
    let legacy = legacy_results(&sim, &token, &json!({"interval": interval(90)})).await;
    let legacy_total: u64 = legacy["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(total, legacy_total);
    let bad_cursor = format!(
        "{}&after=nonsense",
        pages[0]["nextUri"]
            .as_str()
            .unwrap()
            .split("&after")
            .next()
            .unwrap()
    );
    assert_eq!(sim_get(&sim, &token, &bad_cursor).await.status(), 400);
    assert_eq!(
        sim_get(&sim, &token, &format!("{JOBS}/unknown"))
            .await
            .status(),
        404
    );
}

async fn legacy_results(sim: &scopewatch_sim::RunningSim, token: &str, query: &Value) -> Value {
    let submitted = sim_post_json(sim, token, "/api/v2/usage/query", query).await;
    assert_eq!(submitted.status(), 202, "{query}");
    let submitted: Value = submitted.json().await.unwrap();
    let uri = submitted["resultsUri"].as_str().unwrap().to_string();
    loop {
        let body: Value = sim_get(sim, token, &uri).await.json().await.unwrap();
        if body["queryStatus"] == "Complete" {
            return body;
        }
    }
}

#[tokio::test]
async fn both_usage_apis_answer_only_the_metrics_asked_and_refuse_an_unknown_one() {
    let sim = start_sim_with(generated_org(40, 10), SimSettings::default()).await;
    let token = token(&sim).await;
    let only_requests = json!({"interval": interval(90), "granularity": "Day",
        "metrics": ["Requests"]});
    let job = rows(&job_pages(&sim, &token, &only_requests).await);
    assert!(!job.is_empty());
    assert!(job.iter().all(|r| {
        r["requestCount"].is_u64()
            && [
                "status200",
                "status300",
                "status400",
                "status429",
                "status500",
            ]
            .iter()
            .all(|k| r.get(*k).is_none())
    }));
    let legacy = legacy_results(&sim, &token, &only_requests).await;
    let legacy = legacy["results"].as_array().unwrap();
    assert!(!legacy.is_empty());
    assert!(
        legacy
            .iter()
            .all(|r| r["requests"].is_u64() && r.get("status200").is_none())
    );
    let statuses = json!({"interval": interval(90), "granularity": "Day",
        "metrics": ["Status200", "Status429"]});
    let job = rows(&job_pages(&sim, &token, &statuses).await);
    assert!(job.iter().all(|r| r.get("requestCount").is_none()
        && r["status200"].is_u64()
        && r["status429"].is_u64()
        && r.get("status400").is_none()));
    let today = chrono::Utc::now().date_naive().to_string();
    assert!(
        legacy
            .iter()
            .all(|r| r["date"].as_str().unwrap() < today.as_str()),
        "no row of today on the older API either"
    );
    for path in [JOBS, "/api/v2/usage/query"] {
        let bogus = json!({"interval": interval(90), "metrics": ["Requests", "Bogus"]});
        let refused = sim_post_json(&sim, &token, path, &bogus).await;
        assert_eq!(refused.status(), 400, "{path}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["code"], "bad.request", "{body}");
        assert_eq!(body["status"], 400);
        assert!(
            body["message"].as_str().unwrap().contains("Bogus"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_usage_job_refuses_a_long_span_or_an_old_start_and_the_older_group_spelling() {
    let sim = start_sim_with(generated_org(5, 5), SimSettings::default()).await;
    let token = token(&sim).await;
    for query in [
        json!({"interval": interval(120)}),
        json!({"interval": "2020-01-01T00:00:00Z/2020-02-01T00:00:00Z"}),
        json!({"interval": interval(30), "groupBy": ["OAuthClientId"]}),
        json!({"interval": interval(30), "granularity": "Hour"}),
    ] {
        let refused = sim_post_json(&sim, &token, JOBS, &query).await;
        assert_eq!(refused.status(), 400, "{query}");
    }
}

#[tokio::test]
async fn denied_usage_jobs_answer_404_while_the_older_query_works_and_a_failed_job_says_why() {
    let sim = start_sim_with(generated_org(5, 5), SimSettings::default()).await;
    let token = token(&sim).await;
    let query = json!({"interval": interval(30)});
    sim.faults().deny("usage-jobs");
    let absent = sim_post_json(&sim, &token, JOBS, &query).await;
    assert_eq!(absent.status(), 404);
    assert_eq!(absent.json::<Value>().await.unwrap()["code"], "not.found");
    assert_eq!(
        sim_post_json(&sim, &token, "/api/v2/usage/query", &query)
            .await
            .status(),
        202
    );
    sim.faults().clear();
    sim.faults().fail_usage_jobs();
    let submitted: Value = sim_post_json(&sim, &token, JOBS, &query)
        .await
        .json()
        .await
        .unwrap();
    let failed: Value = sim_get(&sim, &token, submitted["resultsUri"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(failed["queryStatus"], "Failed");
    assert!(failed["errorBody"]["message"].is_string(), "{failed}");
    assert!(failed.get("entities").is_none());
}
