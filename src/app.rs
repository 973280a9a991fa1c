//! The service: `App::build` wires settings into the auditor, the router and (for `--demo`)
//! an in-process simulator; `run_until_stopped` serves until the shutdown future resolves and
//! waits for every task it spawned.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::audit::policy::AuditPolicy;
use crate::auditor::{
    AuditHandle, Auditor, AuditorParts, change_loop, client_config, refresh_loop, run_loop,
};
use crate::cache::ReportCache;
use crate::config::{ConfigError, Settings};
use crate::genesys::GenesysClient;
use crate::history::{History, RunningAudit};
use crate::http::server::{ServerLimits, serve};
use crate::http::{AppState, router};
use crate::metrics::Metrics;
use crate::notify::{Delivery, Handled, Notifier, NotifierParts};
use crate::outbox::{Outbox, OutboxLimits};
use crate::sim::{self, OrgSize, RunningSim, SimSettings};
use crate::store::Store;

/// How long shutdown may take before in-flight work is dropped.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

/// How often a replica looks for a newer stored report and retries waiting writes.
pub const REFRESH_PERIOD: Duration = Duration::from_secs(3);

/// Why the service could not start: bad configuration (exit 2) or the machine (exit 3).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Io(String),
}

pub struct App {
    listener: TcpListener,
    state: AppState,
    auditor: Arc<Auditor>,
    tasks: TaskTracker,
    cancel: CancellationToken,
    server_limits: ServerLimits,
    interval: Duration,
    /// How often the audit trail is polled for changes (`None`: off).
    change_poll: Option<Duration>,
    schedule: bool,
    notifier: Option<Notifier>,
    _demo: Option<RunningSim>,
}

/// Starts the built-in simulated org for `--demo` and points the settings at it.
async fn start_demo(settings: &mut Settings) -> Result<RunningSim, StartError> {
    let mut org = sim::generate(&OrgSize {
        clients: 300,
        roles: 60,
        seed: 1,
        anchor: chrono::Utc::now().date_naive(),
    });
    let secret = sim::random_token();
    org.ensure_auditor("scopewatch-demo", &secret);
    let running = sim::start_on_loopback(org, SimSettings::default())
        .await
        .map_err(|e| StartError::Io(format!("cannot start the demo organization: {e}")))?;
    settings.client_id = Some("scopewatch-demo".into());
    settings.client_secret = Some(SecretString::from(secret));
    settings.api_base_url = running.base_url();
    settings.login_base_url = running.base_url();
    settings.region = "demo (simulated)".into();
    tracing::info!(url = %running.base_url(), clients = 301, "demo: simulated Genesys Cloud organization started");
    Ok(running)
}

impl App {
    pub async fn build(mut settings: Settings, demo: bool) -> Result<App, StartError> {
        let demo_org = if demo {
            Some(start_demo(&mut settings).await?)
        } else {
            None
        };
        let policy =
            AuditPolicy::load(settings.policy_path.as_deref().map(std::path::Path::new))
                .map_err(|e| StartError::Config(ConfigError(format!("SCOPEWATCH_POLICY: {e}"))))?;
        let metrics = Arc::new(Metrics::new());
        let client = GenesysClient::new(client_config(&settings, &policy)?, metrics.clone())
            .map_err(|e| StartError::Io(e.to_string()))?;
        let store = Store::connect(
            settings.database_url.expose_secret(),
            settings.database_wait,
        )
        .await
        .map_err(|e| StartError::Config(ConfigError(format!("SCOPEWATCH_DATABASE_URL: {e}"))))?;
        tracing::info!(database = store.url(), "database ready");
        let store = Arc::new(store);
        let cache = Arc::new(ReportCache::default());
        let outbox = Arc::new(Outbox::new(
            store.clone(),
            metrics.clone(),
            OutboxLimits::default(),
        ));
        let running = Arc::new(RunningAudit::default());
        let history = Arc::new(History::new(store.clone(), outbox.clone(), running.clone()));
        let auditor = Arc::new(Auditor::new(AuditorParts {
            client,
            policy,
            store,
            cache: cache.clone(),
            metrics: metrics.clone(),
            outbox,
            running,
            retention: settings.retention,
        }));
        let notifier = match settings.webhook.clone() {
            Some(webhook) => {
                tracing::info!(
                    format = ?webhook.format,
                    min_severity = webhook.min_severity.as_str(),
                    links = if settings.public_url.is_some() { "absolute" } else { "paths (SCOPEWATCH_PUBLIC_URL is not set)" },
                    "webhook notifications on"
                );
                let parts = NotifierParts {
                    webhook,
                    public_url: settings.public_url.clone(),
                    finished: auditor.finished(),
                    cache: cache.clone(),
                    metrics: metrics.clone(),
                };
                Some(
                    Notifier::new(parts).map_err(|e| {
                        StartError::Io(format!("cannot build the webhook client: {e}"))
                    })?,
                )
            }
            None => None,
        };
        // Serve the last good report at once: ready before any new audit.
        if auditor.refresh().await {
            tracing::info!("restored the last successful report from the database");
        }
        let listener = TcpListener::bind(settings.listen).await.map_err(|e| {
            StartError::Config(ConfigError(format!(
                "SCOPEWATCH_LISTEN {}: cannot listen: {e}",
                settings.listen
            )))
        })?;
        let tasks = TaskTracker::new();
        let cancel = CancellationToken::new();
        Ok(App {
            listener,
            state: AppState {
                cache,
                history,
                metrics,
                audits: AuditHandle::new(auditor.clone(), tasks.clone(), cancel.clone()),
                api_tokens: Arc::new(settings.api_tokens.clone()),
            },
            auditor,
            tasks,
            cancel,
            server_limits: settings.server_limits,
            interval: settings.audit_interval,
            change_poll: settings.change_poll,
            schedule: true,
            notifier,
            _demo: demo_org,
        })
    }

    /// Serves without the audit loop (tests drive audits with `Auditor::run`).
    pub fn without_schedule(mut self) -> App {
        self.schedule = false;
        self
    }

    /// Changes how webhook messages are delivered (tests shorten the timeout and backoff).
    pub fn with_webhook_delivery(mut self, delivery: Delivery) -> App {
        if let Some(notifier) = &mut self.notifier {
            notifier.set_delivery(delivery);
        }
        self
    }

    /// Follows what became of each audit's webhook message; `None` without a webhook.
    pub fn webhook_handled(&self) -> Option<tokio::sync::watch::Receiver<Option<Handled>>> {
        self.notifier.as_ref().map(Notifier::handled)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The auditor: its unit of work and its refresh, for tests to call directly.
    pub fn auditor(&self) -> Arc<Auditor> {
        self.auditor.clone()
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
            auditor,
            tasks,
            cancel,
            server_limits,
            interval,
            change_poll,
            schedule,
            notifier,
            _demo,
        } = self;
        if let Some(notifier) = notifier {
            notifier.spawn(&tasks, cancel.clone());
        }
        if schedule {
            tasks.spawn(run_loop(auditor.clone(), interval, cancel.clone()));
            if let Some(period) = change_poll {
                let audits = AuditHandle::new(auditor.clone(), tasks.clone(), cancel.clone());
                tasks.spawn(change_loop(auditor.clone(), audits, period, cancel.clone()));
            }
        }
        tasks.spawn(refresh_loop(
            auditor.clone(),
            REFRESH_PERIOD,
            cancel.clone(),
        ));
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
        let outbox = auditor.outbox();
        let waiting = outbox.len();
        if waiting > 0 {
            // A last try, bounded so shutdown stays within its 10 s (on timeout, count them all
            // as lost: some may have been written, none is known to be).
            let left = tokio::time::timeout(Duration::from_secs(1), outbox.flush())
                .await
                .unwrap_or(waiting);
            if left > 0 {
                tracing::error!(
                    audits = left,
                    "audits not stored: the database is unavailable at shutdown"
                );
            }
        }
        let _ = tokio::time::timeout(Duration::from_millis(500), auditor.store().close()).await;
        Ok(())
    }
}
