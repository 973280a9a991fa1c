//! The Genesys Cloud simulator: a real HTTP server answering the calls scopewatch makes, as
//! Genesys Cloud does on the wire. Behind `scopewatch sim`, `serve --demo`,
//! the tests and the benchmarks.

// Every module is private: the facade below is what the binary, the examples and the
// integration tests use, so the rest can change without breaking them.
mod access;
pub mod anomalies;
mod authorizations;
mod catalog;
mod client_gen;
mod client_usage_jobs;
mod directory;
mod directory_handlers;
mod endpoints;
mod faults;
mod gate;
mod generate;
mod handlers;
mod interval;
mod many;
mod mutate;
mod odd_records;
mod org;
mod params;
mod scripted;
mod state;
mod trail;
mod trail_gen;
mod trail_handlers;
mod usage;
mod usage_jobs;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use authorizations::SimAuthorization;
pub use directory::{Division, SimUser};
pub use faults::{FaultConfig, Faults};
pub use generate::{OrgSize, generate};
pub use genesys_api::rng::random_token;
pub use many::{ManyOrgs, OrgCredentials, RESIDENT_ORGS, org_name};
pub use odd_records::OddRecords;
pub use org::{Org, OrgFileError, SimClient};
use state::SimState;
pub use state::{RequestRecord, SimClock, SimSettings};

/// The scopes a generated org offers, for tests that build an org by hand.
#[cfg(feature = "testing")]
pub const SCOPE_CATALOG: &[&str] = catalog::SCOPE_CATALOG;

/// A read view of the simulator's org, for tests that check what the API changed.
#[cfg(feature = "testing")]
pub struct OrgView<'a>(std::sync::RwLockReadGuard<'a, state::Live>);

#[cfg(feature = "testing")]
impl std::ops::Deref for OrgView<'_> {
    type Target = Org;
    fn deref(&self) -> &Org {
        &self.0.org
    }
}

/// A server task serving on a local port until stopped or dropped (one simulated org or many).
struct Serving {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Serving {
    fn spawn(listener: TcpListener, app: axum::Router) -> Serving {
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(error = %e, "simulator server failed");
            }
        });
        Serving {
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops accepting and waits for the server task to end.
    async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A simulator serving on a local port until stopped or dropped.
pub struct RunningSim {
    addr: SocketAddr,
    state: Arc<SimState>,
    server: Serving,
}

impl RunningSim {
    /// `http://127.0.0.1:PORT`: both the login and the API base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The fault switches, to change while it serves.
    pub fn faults(&self) -> &Faults {
        &self.state.faults
    }

    /// The simulator's clock (tests move it forward).
    pub fn clock(&self) -> &SimClock {
        &self.state.clock
    }

    /// The org as it is now (tests may change it through the API while it serves). Hold the
    /// guard briefly: requests that change the org wait for it.
    #[cfg(feature = "testing")]
    pub fn org(&self) -> OrgView<'_> {
        OrgView(self.state.read())
    }

    /// Every request answered so far, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.requests()
    }

    /// Stops accepting and waits for the server task to end.
    pub async fn stop(mut self) {
        self.server.stop().await;
    }
}

/// Binds `listen` and serves `org` in a background task.
pub async fn start(
    org: Org,
    settings: SimSettings,
    faults: FaultConfig,
    listen: SocketAddr,
) -> std::io::Result<RunningSim> {
    let mut org = org;
    // Every grant names a division and every named division is listed, whatever the org file.
    org.ensure_divisions();
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let state = Arc::new(SimState::new(org, settings, Faults::new(faults)));
    let app = handlers::router(state.clone());
    Ok(RunningSim {
        addr,
        state,
        server: Serving::spawn(listener, app),
    })
}

/// Serves `org` on a free loopback port with no faults switched on (the demo and the tests).
pub async fn start_on_loopback(org: Org, settings: SimSettings) -> std::io::Result<RunningSim> {
    let loopback = SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0));
    start(org, settings, FaultConfig::default(), loopback).await
}

/// Many orgs serving on one local port until stopped or dropped (`scopewatch sim --orgs`).
pub struct RunningOrgs {
    addr: SocketAddr,
    many: Arc<many::Many>,
    server: Serving,
}

impl RunningOrgs {
    /// `http://127.0.0.1:PORT`: the login and API base URL of every org.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Each org's name and auditor credentials, `org-0001` first.
    pub fn credentials(&self) -> &[OrgCredentials] {
        self.many.credentials()
    }

    /// How many orgs are generated now (each at its auditor's first call, at most
    /// `ManyOrgs::resident`).
    pub fn resident(&self) -> usize {
        self.many.resident()
    }

    /// Every request the orgs answered so far, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.many.requests()
    }

    /// Stops accepting and waits for the server task to end.
    pub async fn stop(mut self) {
        self.server.stop().await;
    }
}

/// Binds `listen` and serves the orgs `plan` describes in a background task.
pub async fn start_many(plan: ManyOrgs, listen: SocketAddr) -> std::io::Result<RunningOrgs> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let many = Arc::new(many::Many::new(plan));
    let app = many::router(many.clone());
    Ok(RunningOrgs {
        addr,
        many,
        server: Serving::spawn(listener, app),
    })
}
