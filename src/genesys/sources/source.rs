//! What an evidence source is: its declaration, and the collection its read borrows.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};

use crate::audit::snapshot::Snapshot;
use crate::genesys::client::GenesysClient;
use crate::genesys::error::GenesysError;

/// Told what the collection is doing (the audit command shows it on stderr).
pub type Progress = dyn Fn(&str) + Send + Sync;

/// What one audit's sources share: the client (and its gate) and the audit's moment.
pub(crate) struct Collection<'a> {
    pub(crate) client: &'a GenesysClient,
    pub(crate) now: DateTime<Utc>,
}

/// A source's evidence, ready to be put into the snapshot.
pub(crate) type Apply = Box<dyn FnOnce(&mut Snapshot) + Send>;

/// A read in flight: it borrows only the collection, never the snapshot.
pub(crate) type Reading<'a> =
    Pin<Box<dyn Future<Output = Result<Apply, GenesysError>> + Send + 'a>>;

/// Starts a source's read; `so_far` holds the evidence of the sources it `needs`.
pub(crate) type Start = for<'a> fn(&'a Collection<'a>, so_far: &Snapshot) -> Reading<'a>;

/// What the audit becomes when a source cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unreadable {
    /// The audit fails: no report can be judged without it.
    FailsTheAudit,
    /// The evidence stays unknown (the snapshot's default) and the report says `warning`.
    /// With `half_time`, a read slower than half the collection deadline is unknown too.
    Degrades {
        warning: &'static str,
        half_time: bool,
    },
}

/// One evidence source.
pub(crate) struct Source {
    /// Its name, as other sources' `needs` say it.
    pub(crate) name: &'static str,
    /// What the auditor's role needs for it (Genesys permission names; empty: none).
    pub(crate) permissions: &'static [&'static str],
    /// Sources whose evidence must be in the snapshot before it starts.
    pub(crate) needs: &'static [&'static str],
    pub(crate) unreadable: Unreadable,
    pub(crate) start: Start,
}

/// A finished read that puts `value` into the snapshot with `put`.
pub(crate) fn apply<T: Send + 'static>(value: T, put: fn(&mut Snapshot, T)) -> Apply {
    Box::new(move |snapshot| put(snapshot, value))
}
