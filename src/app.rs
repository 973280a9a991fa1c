//! The service: `App::build` wires settings into the auditor, the router and (for `--demo`)
//! an in-process simulator; `run_until_stopped` serves until the shutdown future resolves and
//! waits for every task it spawned.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::audit::policy::AuditPolicy;
use crate::auditor::{
    AuditHandle, AuditLimit, Auditor, AuditorParts, ChangeTiming, ReportSync, change_loop,
    org_client_config, run_loop,
};
use crate::cache::{ReportBudget, ReportCache};
use crate::config::{ConfigError, Settings, WebhookSettings};
use crate::demo::{self, DemoError, DemoOrgs};
use crate::genesys::GenesysClient;
use crate::history::{History, RunningAudit};
use crate::http::Expensive;
use crate::http::server::{ServerLimits, serve};
use crate::http::{AppState, OrgState, Prefix, router};
use crate::metrics::{Metrics, OrgMetrics};
use crate::notify::{Notifier, NotifierParts, Origin};
use crate::orgs_file::OrgSettings;
use crate::outbox::{Outbox, OutboxLimits, OutboxQueue};
use crate::store::{Assignment, Store, beat, heartbeat_loop};

/// How long shutdown may take before in-flight work is dropped.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

/// With several orgs, each scheduled audit comes up to this fraction of the interval early or
/// late, so orgs that started together spread over the interval.
const SCHEDULE_JITTER: f64 = 0.1;

/// On PostgreSQL, how long a replica waits after its first heartbeat before its first audits,
/// so that replicas started together see each other and divide the orgs from the start.
pub const STARTUP_SETTLE: Duration = Duration::from_secs(2);

/// Why the service could not start: bad configuration (exit 2) or the machine (exit 3).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("SCOPEWATCH_DATABASE_URL")]
    Database(#[source] crate::store::StoreError),
    #[error("SCOPEWATCH_LISTEN {addr}: cannot listen")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// `origin`: the variable or org that names the policy file.
    #[error("{origin}")]
    Policy {
        origin: String,
        #[source]
        source: crate::audit::policy_file::PolicyError,
    },
    #[error(transparent)]
    Demo(#[from] DemoError),
    #[error("cannot build the Genesys client")]
    Client(#[source] crate::genesys::GenesysError),
    #[error("cannot build the webhook client")]
    Webhook(#[source] reqwest::Error),
}

impl StartError {
    /// Whether the configuration is at fault (exit 2) rather than the machine (exit 3).
    pub fn is_config(&self) -> bool {
        matches!(
            self,
            StartError::Config(_)
                | StartError::Database(_)
                | StartError::Listen { .. }
                | StartError::Policy { .. }
                | StartError::Demo(DemoError::NotBuilt)
        )
    }
}

pub struct App {
    listener: TcpListener,
    state: AppState,
    orgs: Vec<OrgRuntime>,
    store: Arc<Store>,
    tasks: TaskTracker,
    cancel: CancellationToken,
    server_limits: ServerLimits,
    /// How the audit trail is polled for changes (`None`: off).
    change_poll: Option<ChangeTiming>,
    schedule: bool,
    /// Which replica audits which org (PostgreSQL; alone on SQLite).
    assignment: Arc<Assignment>,
    /// Keeps every org's served report as new as the database's.
    sync: ReportSync,
    _demo: DemoOrgs,
}

/// One audited org inside the service: its auditor, schedule and notifications.
struct OrgRuntime {
    name: String,
    auditor: Arc<Auditor>,
    interval: Duration,
    notifier: Option<Notifier>,
}

impl App {
    /// The service for the configured orgs, or (`demo`) one simulated org.
    pub async fn build(settings: Settings, demo: bool) -> Result<App, StartError> {
        App::build_with(settings, demo.then_some(1)).await
    }

    /// The service; `demo_orgs`: that many simulated orgs instead of the configured ones.
    pub async fn build_with(
        settings: Settings,
        demo_orgs: Option<usize>,
    ) -> Result<App, StartError> {
        let (orgs, demo) = match demo_orgs {
            Some(count) => demo::start(count).await?,
            None => (settings.orgs()?, DemoOrgs::default()),
        };
        let metrics = Arc::new(Metrics::new());
        let store = Store::connect(
            settings.database_url.expose_secret(),
            settings.database_wait,
        )
        .await
        .map_err(StartError::Database)?;
        tracing::info!(database = store.url(), orgs = orgs.len(), "database ready");
        let store = Arc::new(store);
        // Listening before the orgs restore their reports: nothing stored between is missed.
        let sync = ReportSync::start(store.clone()).await;
        let assignment = Assignment::new(Arc::from(settings.replica_id.as_str()));
        if store.is_postgres() {
            beat(&store, &assignment, &mut false).await;
        }
        let tasks = TaskTracker::new();
        let cancel = CancellationToken::new();
        let several = orgs.len() > 1;
        let mut runtimes = Vec::new();
        let mut states = BTreeMap::new();
        let shared = Shared {
            store: store.clone(),
            metrics: metrics.clone(),
            tasks: tasks.clone(),
            cancel: cancel.clone(),
            outbox: OutboxQueue::new(OutboxLimits::default()),
            expensive: Arc::new(Expensive::default().counted(metrics.http_busy())),
            limit: AuditLimit::new(settings.max_concurrent_audits),
            replica: Arc::from(settings.replica_id.as_str()),
            reports: ReportBudget::new(settings.report_cache_mb << 20, Some(metrics.clone())),
            assignment: assignment.clone(),
        };
        tracing::info!(
            replica = settings.replica_id,
            max_concurrent_audits = shared.limit.bound(),
            "audits at once bounded"
        );
        for org in &orgs {
            let (runtime, state) = build_org(&settings, org, several, &shared).await?;
            states.insert(org.name.clone(), state);
            runtimes.push(runtime);
        }
        let mut sync = sync;
        sync.serve(runtimes.iter().map(|r| r.auditor.clone()));
        let listener =
            TcpListener::bind(settings.listen)
                .await
                .map_err(|source| StartError::Listen {
                    addr: settings.listen,
                    source,
                })?;
        Ok(App {
            listener,
            state: AppState {
                orgs: Arc::new(states),
                metrics,
                api_tokens: Arc::new(settings.api_tokens.clone()),
            },
            orgs: runtimes,
            store,
            tasks,
            cancel,
            server_limits: settings.server_limits,
            change_poll: settings.change_poll.map(|period| ChangeTiming {
                period,
                debounce: settings.change_debounce,
            }),
            schedule: true,
            assignment,
            sync,
            _demo: demo,
        })
    }

    #[cfg(feature = "testing")]
    /// Serves without the audit loop (tests drive audits with `Auditor::run`).
    pub fn without_schedule(mut self) -> App {
        self.schedule = false;
        self
    }

    #[cfg(feature = "testing")]
    /// Changes how webhook messages are delivered (tests shorten the timeout and backoff).
    pub fn with_webhook_delivery(mut self, delivery: crate::notify::Delivery) -> App {
        for org in &mut self.orgs {
            if let Some(notifier) = &mut org.notifier {
                notifier.set_delivery(delivery);
            }
        }
        self
    }

    #[cfg(feature = "testing")]
    /// Follows what became of each of the first org's webhook messages; `None` without a
    /// webhook.
    pub fn webhook_handled(
        &self,
    ) -> Option<tokio::sync::watch::Receiver<Option<crate::notify::Handled>>> {
        self.orgs.first()?.notifier.as_ref().map(Notifier::handled)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The bound on audits at once that every org of this process shares.
    pub fn audit_limit(&self) -> Arc<AuditLimit> {
        self.orgs[0].auditor.limit().clone()
    }

    /// The first org's auditor (the only one of a single-org service): its unit of work and its
    /// refresh, for tests to call directly.
    pub fn auditor(&self) -> Arc<Auditor> {
        self.orgs[0].auditor.clone()
    }

    /// The auditor of the org named `name`.
    pub fn org_auditor(&self, name: &str) -> Option<Arc<Auditor>> {
        self.orgs
            .iter()
            .find(|o| o.name == name)
            .map(|o| o.auditor.clone())
    }

    /// Serves until `shutdown` resolves, then stops accepting, lets in-flight requests finish,
    /// abandons a running audit, and returns within the grace period.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let App {
            listener,
            state,
            orgs,
            store,
            tasks,
            cancel,
            server_limits,
            change_poll,
            schedule,
            assignment,
            sync,
            _demo,
        } = self;
        tasks.spawn(sync.run(cancel.clone()));
        let auditors: Vec<Arc<Auditor>> = orgs.iter().map(|o| o.auditor.clone()).collect();
        // One org keeps its exact interval; several drift apart by up to a tenth of it.
        let jitter = if orgs.len() > 1 { SCHEDULE_JITTER } else { 0.0 };
        let start = OrgTasks {
            tasks: tasks.clone(),
            cancel: cancel.clone(),
            schedule: schedule.then_some(jitter),
            change_poll,
        };
        tasks.spawn(start.spawn_all(orgs, store.clone(), assignment));
        let addr = listener.local_addr()?;
        tracing::info!(%addr, "scopewatch serving");
        let stopping = cancel.clone();
        let server = serve(listener, router(state), server_limits, async move {
            shutdown.await;
            tracing::info!("shutting down: no new connections, finishing in-flight requests");
            stopping.cancel();
        });
        tokio::select! {
            () = server => {}
            _ = async { cancel.cancelled().await; tokio::time::sleep(SHUTDOWN_GRACE).await } => {
                tracing::warn!("shutdown grace period over; dropping remaining connections");
            }
        };
        cancel.cancel();
        tasks.close();
        if tokio::time::timeout(Duration::from_millis(500), tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                tasks = tasks.len(),
                "background tasks still running at exit"
            );
        }
        flush_outboxes(&auditors).await;
        let _ = tokio::time::timeout(Duration::from_millis(500), store.close()).await;
        Ok(())
    }
}

/// What every org's tasks are started with.
struct OrgTasks {
    tasks: TaskTracker,
    cancel: CancellationToken,
    /// The schedule's jitter, or `None` for no schedule.
    schedule: Option<f64>,
    change_poll: Option<ChangeTiming>,
}

impl OrgTasks {
    /// On PostgreSQL, first waits `STARTUP_SETTLE` (replicas started together see each other
    /// before anyone audits; the server answers meanwhile) and keeps the heartbeat going; then
    /// starts every org's tasks.
    async fn spawn_all(
        self,
        orgs: Vec<OrgRuntime>,
        store: Arc<Store>,
        assignment: Arc<Assignment>,
    ) {
        if store.is_postgres() {
            if self.schedule.is_some() {
                tokio::select! {
                    _ = tokio::time::sleep(STARTUP_SETTLE) => {}
                    _ = self.cancel.cancelled() => return,
                }
                beat(&store, &assignment, &mut false).await;
            }
            tracing::info!(
                replicas = assignment.live().len(),
                "this replica audits its share of the orgs"
            );
            self.tasks
                .spawn(heartbeat_loop(store, assignment, self.cancel.clone()));
        }
        for org in orgs {
            self.spawn(org);
        }
    }

    /// Starts one org's tasks: its notifier, schedule and change poller (one task of the
    /// process keeps every org's report up to date: `ReportSync`). Each org runs on its own
    /// tasks: one org's outage, 429 storm or wrong secret never delays another's schedule.
    fn spawn(&self, org: OrgRuntime) {
        use tracing::Instrument;
        let (tasks, cancel) = (&self.tasks, &self.cancel);
        // Every line the org's tasks log carries the org (a span; `AuditHandle` does the same
        // for the audits the API starts).
        let span = tracing::info_span!("org", org = %org.name);
        if let Some(notifier) = org.notifier {
            let _entered = span.enter();
            notifier.spawn(tasks, cancel.clone());
        }
        if let Some(jitter) = self.schedule {
            tasks.spawn(
                run_loop(org.auditor.clone(), org.interval, jitter, cancel.clone())
                    .instrument(span.clone()),
            );
            if let Some(timing) = self.change_poll {
                let audits = AuditHandle::new(org.auditor.clone(), tasks.clone(), cancel.clone());
                tasks.spawn(
                    change_loop(org.auditor.clone(), audits, timing, cancel.clone())
                        .instrument(span),
                );
            }
        }
    }
}

/// A last try for every org's waiting audits at shutdown.
async fn flush_outboxes(auditors: &[Arc<Auditor>]) {
    // A last try for every org's waiting audits, together bounded so shutdown stays within
    // its 10 s (on timeout, count them all as lost: some may have been written, none is
    // known to be).
    let waiting: usize = auditors.iter().map(|a| a.outbox().len()).sum();
    if waiting > 0 {
        let flushes = futures_util::future::join_all(auditors.iter().map(|a| a.outbox().flush()));
        let left = tokio::time::timeout(Duration::from_secs(1), flushes)
            .await
            .map(|left| left.into_iter().sum())
            .unwrap_or(waiting);
        if left > 0 {
            tracing::error!(
                audits = left,
                "audits not stored: the database is unavailable at shutdown"
            );
        }
    }
}

/// The org's webhook notifier; its links point at the org's own routes.
fn notifier(
    settings: &Settings,
    org: &OrgSettings,
    several: bool,
    webhook: WebhookSettings,
    auditor: &Auditor,
    cache: &Arc<ReportCache>,
    metrics: Arc<OrgMetrics>,
) -> Result<Notifier, StartError> {
    tracing::info!(
        org = org.name,
        format = ?webhook.format,
        min_severity = webhook.min_severity.as_str(),
        links = if settings.public_url.is_some() { "absolute" } else { "paths (SCOPEWATCH_PUBLIC_URL is not set)" },
        "webhook notifications on"
    );
    let parts = NotifierParts {
        webhook,
        origin: Origin {
            public_url: settings.public_url.clone(),
            org: several.then(|| org.name.clone()),
        },
        finished: auditor.finished(),
        cache: cache.clone(),
        metrics,
    };
    Notifier::new(parts).map_err(StartError::Webhook)
}

/// What every org of the process shares: the database, the metrics, the tasks, the queue of
/// writes waiting for the database, the limit on expensive requests and the bound on audits
/// running at once (one bound each), and this replica's name.
struct Shared {
    store: Arc<Store>,
    metrics: Arc<Metrics>,
    tasks: TaskTracker,
    cancel: CancellationToken,
    outbox: Arc<OutboxQueue>,
    expensive: Arc<Expensive>,
    limit: Arc<AuditLimit>,
    replica: Arc<str>,
    /// `SCOPEWATCH_REPORT_CACHE_MB`: the bytes of reports every org keeps in memory.
    reports: Arc<ReportBudget>,
    assignment: Arc<Assignment>,
}

/// One org's parts: its policy, client, history view, cache, outbox, auditor and notifier.
async fn build_org(
    settings: &Settings,
    org: &OrgSettings,
    several: bool,
    shared: &Shared,
) -> Result<(OrgRuntime, OrgState), StartError> {
    let (store, metrics) = (&shared.store, &shared.metrics);
    let (policy_path, policy_source) = match &org.policy {
        Some(path) => (Some(path.as_str()), format!("org '{}': policy", org.name)),
        None => (
            settings.policy_path.as_deref(),
            "SCOPEWATCH_POLICY".to_string(),
        ),
    };
    let policy = AuditPolicy::load(policy_path.map(std::path::Path::new)).map_err(|source| {
        StartError::Policy {
            origin: policy_source,
            source,
        }
    })?;
    let org_metrics = metrics.org(&org.name);
    let client = GenesysClient::new(
        org_client_config(settings, org, &policy),
        org_metrics.clone(),
    )
    .map_err(StartError::Client)?;
    let store = Arc::new(store.for_org(&org.name));
    let cache = Arc::new(ReportCache::new(&shared.reports, Some(store.clone())));
    let outbox = Arc::new(Outbox::sharing(
        store.clone(),
        org_metrics.clone(),
        shared.outbox.clone(),
    ));
    let running = Arc::new(RunningAudit::default());
    let history = Arc::new(History::new(store.clone(), outbox.clone(), running.clone()));
    let auditor = Arc::new(Auditor::new(AuditorParts {
        client,
        policy,
        store,
        cache: cache.clone(),
        metrics: org_metrics.clone(),
        outbox,
        running,
        retention: settings.retention,
        limit: shared.limit.clone(),
        replica: shared.replica.clone(),
        assignment: shared.assignment.clone(),
    }));
    let notifier = match settings.webhook.clone() {
        Some(webhook) => Some(notifier(
            settings,
            org,
            several,
            webhook,
            &auditor,
            &cache,
            org_metrics,
        )?),
        None => None,
    };
    // Serve the last good report at once: ready before any new audit.
    if auditor.refresh().await {
        tracing::info!(
            org = org.name,
            "restored the last successful report from the database"
        );
    }
    let state = OrgState {
        name: org.name.clone(),
        region: org.region.clone(),
        cache,
        history,
        audits: AuditHandle::new(auditor.clone(), shared.tasks.clone(), shared.cancel.clone()),
        prefix: Prefix(format!("/orgs/{}", org.name)),
        expensive: shared.expensive.clone(),
    };
    let runtime = OrgRuntime {
        name: org.name.clone(),
        auditor,
        interval: org.interval.unwrap_or(settings.audit_interval),
        notifier,
    };
    Ok((runtime, state))
}
