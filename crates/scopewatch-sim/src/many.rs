//! Many organizations on one address (`scopewatch sim --orgs N`), as Genesys Cloud serves every
//! org of a region from the same hosts: the login's client credentials decide the org, and so
//! does the bearer token afterwards. Each org is generated only when its auditor first logs in
//! and is then served by its own simulator state (clients, roles, trail, usage, token windows).
//! At most `ManyOrgs::resident` orgs stay generated: the least recently used one is dropped past
//! that and generated again, identical, at its next call (its tokens are gone, so its auditor
//! logs in again after a 401, as after an expired token).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use tower::ServiceExt;

use super::faults::{FaultConfig, Faults};
use super::generate::{OrgSize, generate};
use super::state::{Among, MAX_LOGGED_REQUESTS, RequestRecord, SimSettings, SimState};
use super::wire::{api_error, invalid_credentials, not_found_response, token_error};
use genesys_api::rng::{Rng, random_token, random_u64};

/// What `start_many` serves.
#[derive(Debug, Clone)]
pub struct ManyOrgs {
    /// How many orgs (named `org-0001`...).
    pub orgs: usize,
    /// The size of each org; org `i` (from 1) is generated from `seed + i - 1`.
    pub size: OrgSize,
    pub settings: SimSettings,
    pub faults: FaultConfig,
    /// Endpoints every org refuses as if its auditor lacked the permission.
    pub deny: Vec<String>,
    /// Orgs kept generated at most (at least 1); `RESIDENT_ORGS` for `scopewatch sim`.
    pub resident: usize,
}

/// How many orgs `scopewatch sim --orgs` keeps generated: far more than the audits that run at
/// once on a few replicas, far fewer than a thousand orgs' worth of generated records.
pub const RESIDENT_ORGS: usize = 256;

/// One org's name and its auditor's credentials. `Debug` hides the secret.
#[derive(Clone)]
pub struct OrgCredentials {
    /// `org-0001`...
    pub name: String,
    pub client_id: String,
    pub client_secret: String,
}

impl fmt::Debug for OrgCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrgCredentials")
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .finish()
    }
}

/// The name of org `index` (from 0): `org-0001`...
pub fn org_name(index: usize) -> String {
    format!("org-{:04}", index + 1)
}

/// An org served once its auditor logged in.
struct Built {
    state: Arc<SimState>,
    router: Router,
}

/// The generated orgs, least recently used first.
#[derive(Default)]
struct Resident {
    built: HashMap<usize, Arc<Built>>,
    order: VecDeque<usize>,
}

pub(crate) struct Many {
    plan: ManyOrgs,
    credentials: Vec<OrgCredentials>,
    by_client: HashMap<String, usize>,
    resident: Mutex<Resident>,
    /// One generation of an org at a time.
    building: Vec<tokio::sync::Mutex<()>>,
    /// How many times an org was generated (again after being dropped).
    generations: AtomicUsize,
    /// The request logs of the orgs dropped so far, kept for `requests`.
    retired: Mutex<Vec<RequestRecord>>,
    swagger_body: Bytes,
}

/// Why a request reaches no org.
enum Refusal {
    NoCredentials,
    UnknownClient,
    NotApi,
    NoBearer,
    BadToken,
}

impl Refusal {
    /// The answer Genesys gives in that case.
    fn response(self) -> Response {
        match self {
            Refusal::NoCredentials => token_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "authentication failed",
            ),
            Refusal::UnknownClient => token_error(
                StatusCode::BAD_REQUEST,
                "invalid_client",
                "client not found",
            ),
            Refusal::NotApi => not_found_response(),
            Refusal::NoBearer => api_error(
                StatusCode::UNAUTHORIZED,
                "authentication.required",
                "No authentication bearer token specified in authorization header.",
                None,
            ),
            Refusal::BadToken => invalid_credentials(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Separates the org number from the random part of a token (not in the token alphabet).
const TOKEN_SEPARATOR: char = '.';

impl Many {
    pub(crate) fn new(plan: ManyOrgs) -> Many {
        let mut ids = Rng::new(random_u64());
        let credentials: Vec<OrgCredentials> = (0..plan.orgs)
            .map(|i| OrgCredentials {
                name: org_name(i),
                client_id: ids.uuid(),
                client_secret: random_token(),
            })
            .collect();
        let by_client = credentials
            .iter()
            .enumerate()
            .map(|(i, c)| (c.client_id.clone(), i))
            .collect();
        let swagger_body = super::wire::render_swagger(plan.settings.description_bytes).into();
        Many {
            resident: Mutex::new(Resident::default()),
            building: (0..plan.orgs)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
            generations: AtomicUsize::new(0),
            retired: Mutex::new(Vec::new()),
            plan,
            credentials,
            by_client,
            swagger_body,
        }
    }

    pub(crate) fn credentials(&self) -> &[OrgCredentials] {
        &self.credentials
    }

    /// How many orgs are generated now.
    pub(crate) fn resident(&self) -> usize {
        lock(&self.resident).built.len()
    }

    /// How many times an org was generated (a dropped org counts again).
    #[cfg(test)]
    pub(crate) fn generations(&self) -> usize {
        self.generations.load(Ordering::Relaxed)
    }

    /// The requests every org answered, oldest first (bounded as one org's log).
    pub(crate) fn requests(&self) -> Vec<RequestRecord> {
        let mut all = lock(&self.retired).clone();
        let resident: Vec<Arc<Built>> = lock(&self.resident).built.values().cloned().collect();
        all.extend(resident.iter().flat_map(|b| b.state.requests()));
        all.sort_by_key(|r| r.at);
        all
    }

    /// Org `index`, marked used last; generated when it is not resident (on the blocking pool:
    /// a large org takes a while).
    async fn org(self: &Arc<Self>, index: usize) -> Arc<Built> {
        if let Some(built) = self.touch(index) {
            return built;
        }
        let _one = self.building[index].lock().await;
        if let Some(built) = self.touch(index) {
            return built;
        }
        let many = self.clone();
        let built = tokio::task::spawn_blocking(move || many.build(index))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        let built = Arc::new(built);
        self.generations.fetch_add(1, Ordering::Relaxed);
        self.install(index, built.clone());
        built
    }

    /// The resident org `index`, now the most recently used.
    fn touch(&self, index: usize) -> Option<Arc<Built>> {
        let mut resident = lock(&self.resident);
        let built = resident.built.get(&index)?.clone();
        if let Some(at) = resident.order.iter().position(|&i| i == index) {
            resident.order.remove(at);
        }
        resident.order.push_back(index);
        Some(built)
    }

    /// Makes `built` resident, dropping the least recently used orgs past the bound.
    fn install(&self, index: usize, built: Arc<Built>) {
        let mut dropped = Vec::new();
        {
            let mut resident = lock(&self.resident);
            resident.built.insert(index, built);
            resident.order.push_back(index);
            while resident.order.len() > self.plan.resident.max(1) {
                if let Some(old) = resident.order.pop_front()
                    && let Some(gone) = resident.built.remove(&old)
                {
                    dropped.push(gone);
                }
            }
        }
        if !dropped.is_empty() {
            let mut retired = lock(&self.retired);
            for gone in dropped {
                retired.extend(gone.state.requests());
            }
            if retired.len() > MAX_LOGGED_REQUESTS {
                let excess = retired.len() - MAX_LOGGED_REQUESTS / 2;
                retired.drain(..excess);
            }
        }
    }

    fn build(&self, index: usize) -> Built {
        let size = OrgSize {
            seed: self.plan.size.seed.wrapping_add(index as u64),
            ..self.plan.size.clone()
        };
        let mut org = generate(&size);
        let credentials = &self.credentials[index];
        org.organization_name = format!("Simulated {}", credentials.name);
        org.ensure_auditor(&credentials.client_id, &credentials.client_secret);
        org.ensure_divisions();
        let faults = Faults::new(self.plan.faults.clone());
        for endpoint in &self.plan.deny {
            faults.deny(endpoint);
        }
        let among = Among {
            token_prefix: format!("{}{TOKEN_SEPARATOR}", index + 1),
            swagger_body: self.swagger_body.clone(),
            log_capacity: (MAX_LOGGED_REQUESTS / self.plan.orgs.min(self.plan.resident).max(1))
                .max(1_000),
        };
        let state = Arc::new(SimState::among(
            org,
            self.plan.settings.clone(),
            faults,
            among,
        ));
        let router = super::handlers::router(state.clone());
        Built { state, router }
    }

    /// The org a request is for: the login's client id, or the bearer token's prefix.
    fn org_of(&self, path: &str, headers: &HeaderMap) -> Result<usize, Refusal> {
        if path == "/oauth/token" {
            let (client, _) =
                super::handlers::basic_credentials(headers).ok_or(Refusal::NoCredentials)?;
            // No org has this client: the answer a wrong client id gets from Genesys.
            return self
                .by_client
                .get(&client)
                .copied()
                .ok_or(Refusal::UnknownClient);
        }
        if !path.starts_with("/api/") {
            return Err(Refusal::NotApi);
        }
        let token = bearer(headers).ok_or(Refusal::NoBearer)?;
        token
            .split_once(TOKEN_SEPARATOR)
            .and_then(|(number, _)| number.parse::<usize>().ok())
            .filter(|n| (1..=self.credentials.len()).contains(n))
            .map(|n| n - 1)
            .ok_or(Refusal::BadToken)
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Every request: find its org, then let that org's simulator answer it.
async fn dispatch(State(many): State<Arc<Many>>, req: Request) -> Response {
    let index = match many.org_of(req.uri().path(), req.headers()) {
        Ok(index) => index,
        Err(refusal) => return refusal.response(),
    };
    let built = many.org(index).await;
    match built.router.clone().oneshot(req).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// The front router of many orgs.
pub(crate) fn router(many: Arc<Many>) -> Router {
    Router::new().fallback(dispatch).with_state(many)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use base64::Engine;

    pub(super) fn plan(orgs: usize) -> ManyOrgs {
        ManyOrgs {
            orgs,
            size: OrgSize {
                clients: 5,
                roles: 6,
                seed: 7,
                anchor: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            },
            settings: SimSettings {
                rate_limit_per_minute: 3,
                ..SimSettings::default()
            },
            faults: FaultConfig::default(),
            deny: vec!["users".into()],
            resident: 8,
        }
    }

    async fn call(many: &Arc<Many>, req: Request) -> (StatusCode, serde_json::Value) {
        let response = router(many.clone()).oneshot(req).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 24)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap_or_default())
    }

    async fn login(many: &Arc<Many>, id: &str, secret: &str) -> (StatusCode, serde_json::Value) {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        let req = Request::post("/oauth/token")
            .header(header::AUTHORIZATION, format!("Basic {basic}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("grant_type=client_credentials"))
            .unwrap();
        call(many, req).await
    }

    pub(super) async fn get(
        many: &Arc<Many>,
        path: &str,
        token: &str,
    ) -> (StatusCode, serde_json::Value) {
        let req = Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        call(many, req).await
    }

    pub(super) async fn token_of(many: &Arc<Many>, index: usize) -> String {
        let c = many.credentials()[index].clone();
        let (status, body) = login(many, &c.client_id, &c.client_secret).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().unwrap().to_string()
    }

    #[tokio::test]
    async fn the_token_decides_the_org_and_orgs_are_generated_at_first_login() {
        let many = Arc::new(Many::new(plan(3)));
        let names: Vec<&str> = many.credentials().iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["org-0001", "org-0002", "org-0003"]);
        assert_eq!(many.resident(), 0, "nothing generated before a login");
        let first = token_of(&many, 0).await;
        let third = token_of(&many, 2).await;
        assert_eq!((many.resident(), many.generations()), (2, 2));
        let (_, one) = get(&many, "/api/v2/organizations/me", &first).await;
        let (_, three) = get(&many, "/api/v2/organizations/me", &third).await;
        assert_eq!(one["name"], "Simulated org-0001");
        assert_eq!(three["name"], "Simulated org-0003");
        assert_ne!(one["id"], three["id"], "each org its own id");
        let (_, clients_one) = get(&many, "/api/v2/oauth/clients", &first).await;
        let (_, clients_three) = get(&many, "/api/v2/oauth/clients", &third).await;
        let ids = |v: &serde_json::Value| -> Vec<String> {
            v["entities"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_string())
                .collect()
        };
        let (a, b) = (ids(&clients_one), ids(&clients_three));
        assert_eq!(a.len(), 6, "5 generated clients and the auditor");
        assert!(a.contains(&many.credentials()[0].client_id));
        assert!(!b.contains(&many.credentials()[0].client_id));
        assert!(a.iter().all(|id| !b.contains(id)), "no client shared");
        // The denied endpoint is refused in every org.
        let (status, _) = get(&many, "/api/v2/users", &third).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn wrong_credentials_and_tokens_are_refused_as_genesys_does() {
        let many = Arc::new(Many::new(plan(2)));
        let first = many.credentials()[0].clone();
        let second = many.credentials()[1].clone();
        let (status, body) = login(&many, "no-such-client", "x").await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_client"))
        );
        let (status, body) = call(
            &many,
            Request::post("/oauth/token")
                .body(Body::from("grant_type=client_credentials"))
                .unwrap(),
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_client"))
        );
        // One org's secret does not open another org.
        let (status, _) = login(&many, &first.client_id, &second.client_secret).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        for token in ["", "9.abc", "0.abc", "no-separator", "1.not-issued"] {
            let (status, body) = get(&many, "/api/v2/oauth/clients", token).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{token}: {body}");
        }
        let (status, _) = call(
            &many,
            Request::get("/api/v2/oauth/clients")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = call(
            &many,
            Request::get("/elsewhere").body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(!format!("{first:?}").contains(&first.client_secret));
    }

    #[tokio::test]
    async fn each_token_has_its_own_rate_limit() {
        let many = Arc::new(Many::new(plan(2)));
        let one = token_of(&many, 0).await;
        let two = token_of(&many, 1).await;
        for _ in 0..3 {
            assert_eq!(
                get(&many, "/api/v2/oauth/clients", &one).await.0,
                StatusCode::OK
            );
        }
        let (status, _) = get(&many, "/api/v2/oauth/clients", &one).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        let (status, _) = get(&many, "/api/v2/oauth/clients", &two).await;
        assert_eq!(status, StatusCode::OK, "another org's token is not limited");
        assert_eq!(many.requests().len(), 7, "two logins and five calls logged");
    }
}

#[cfg(test)]
mod resident_tests {
    use super::tests::{get, plan, token_of};
    use super::*;

    #[tokio::test]
    async fn past_the_bound_the_least_used_org_is_dropped_and_comes_back_the_same() {
        let mut plan = plan(3);
        plan.resident = 2;
        let many = Arc::new(Many::new(plan));
        let one = token_of(&many, 0).await;
        let (_, before) = get(&many, "/api/v2/oauth/clients", &one).await;
        token_of(&many, 1).await;
        assert_eq!(many.resident(), 2);
        // Org 1 was used before org 2: org 3 takes its place.
        token_of(&many, 2).await;
        assert_eq!((many.resident(), many.generations()), (2, 3));
        let (status, _) = get(&many, "/api/v2/oauth/clients", &one).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "its tokens went with it");
        let again = token_of(&many, 0).await;
        let (_, after) = get(&many, "/api/v2/oauth/clients", &again).await;
        assert_eq!(before, after, "generated again, identical");
        assert_eq!((many.resident(), many.generations()), (2, 4));
        assert_eq!(
            many.requests().len(),
            7,
            "the dropped orgs' requests are kept"
        );
    }
}
