//! Why an audit did not produce a report.

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;

use crate::genesys::GenesysError;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Genesys Cloud could not be read (credentials, permissions, outage, limits).
    #[error(transparent)]
    Genesys(#[from] GenesysError),
    /// A bug: the audit panicked. The schedule goes on; the panic is logged and counted.
    #[error("the audit stopped on an internal error: {0}")]
    Panicked(String),
    /// Another audit holds the slot, here or on another replica (nothing was attempted).
    #[error("an audit is already running")]
    AlreadyRunning,
    /// The database session holding the audit lock ended mid-audit, so another replica may
    /// have audited at the same time: this result is dropped, not installed or stored.
    #[error("the audit lock was lost (the database session ended); this audit's result is dropped")]
    LockLost,
    /// The report served before is not in memory (`SCOPEWATCH_REPORT_CACHE_MB`) and the
    /// database could not give it back: its findings' first-seen times would be lost.
    #[error("cannot read the previous report back from the database: {0}")]
    Previous(#[source] crate::store::StoreError),
}

impl AuditError {
    /// A bounded label for metrics and logs.
    pub fn metric_label(&self) -> &'static str {
        match self {
            AuditError::Genesys(e) => e.metric_label(),
            AuditError::Panicked(_) => "panic",
            AuditError::AlreadyRunning => "already_running",
            AuditError::LockLost => "lock_lost",
            AuditError::Previous(_) => "database",
        }
    }
}

/// Runs `work`, turning a panic into `AuditError::Panicked`: a bug ends one audit as a counted
/// failure, never the schedule.
pub(super) async fn guarded<T>(
    work: impl std::future::Future<Output = Result<T, AuditError>>,
) -> Result<T, AuditError> {
    AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| Err(AuditError::Panicked(panic_message(panic))))
}

/// The message of a caught panic, if it carried text.
pub(super) fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_in_an_audit_becomes_a_counted_failure_with_its_message() {
        let ended: Result<(), AuditError> = guarded(async { panic!("index out of range") }).await;
        let err = ended.unwrap_err();
        assert_eq!(err.metric_label(), "panic");
        assert!(err.to_string().contains("index out of range"), "{err}");
        let fine: Result<u8, AuditError> = guarded(async { Ok(7) }).await;
        assert_eq!(fine.unwrap(), 7);
    }
}
