//! Evidence sources: everything one audit reads, as a declared set. Each source is a file that
//! says what it reads, which permission the auditor's role needs for it, which other sources it
//! waits for, and what the audit becomes when it cannot be read. `collect` runs them all at
//! once through the client's one gate, each as soon as the sources it needs have arrived, and
//! assembles the `Snapshot`. Adding a source is a new file here and its line in `SOURCES`.

mod authorizations;
mod catalog;
mod clients;
mod creators;
mod divisions;
#[cfg(test)]
mod hostile_input;
mod ip_allowlist;
mod organization;
mod roles;
mod scopes;
mod source;
mod trail;
mod usage;
mod usage_orgs;

use chrono::Utc;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use genesys_api::permissions::catalog::Catalog;

use super::client::GenesysClient;
use super::error::GenesysError;
use crate::audit::snapshot::{Snapshot, Trail, Usage};

pub use self::source::Progress;
#[cfg(test)]
use self::source::Start;
#[cfg(test)]
use self::source::apply;
use self::source::{Apply, Collection, Reading, Source, Unreadable};

/// Every source, in the order their warnings are reported. The usage query comes first:
/// Genesys takes the longest to answer it.
pub(crate) static SOURCES: &[Source] = &[
    usage::SOURCE,
    usage_orgs::SOURCE,
    clients::SOURCE,
    roles::SOURCE,
    scopes::SOURCE,
    catalog::SOURCE,
    creators::SOURCE,
    organization::SOURCE,
    ip_allowlist::SOURCE,
    authorizations::SOURCE,
    divisions::SOURCE,
    trail::SOURCE,
];

/// The permissions the auditor's role needs: those of every source, once each, sorted.
pub fn auditor_permissions() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = SOURCES
        .iter()
        .flat_map(|s| s.permissions.iter().copied())
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// Reads everything one audit judges, within the configured deadline.
pub async fn collect(
    client: &GenesysClient,
    progress: &Progress,
) -> Result<Snapshot, GenesysError> {
    let deadline = client.config.deadline;
    let collection = Collection {
        client,
        now: Utc::now(),
    };
    let names: Vec<&str> = SOURCES.iter().map(|s| s.name).collect();
    progress(&format!("reading {}", names.join(", ")));
    let snapshot = tokio::time::timeout(
        deadline,
        run(SOURCES, &collection, empty_snapshot(&collection)),
    )
    .await
    .map_err(|_| GenesysError::Deadline(deadline))??;
    progress(&format!(
        "read {} OAuth clients and {} roles",
        snapshot.clients.len(),
        snapshot.roles.len()
    ));
    Ok(snapshot)
}

/// The snapshot before any evidence: every optional part unknown.
fn empty_snapshot(collection: &Collection<'_>) -> Snapshot {
    let config = &collection.client.config;
    Snapshot {
        collected_at: collection.now,
        api_base_url: config.api_base_url.clone(),
        region: config.region.clone(),
        auditor_client_id: config.client_id.clone(),
        usage_window_days: config.usage_window_days,
        clients: Vec::new(),
        unreadable_clients: Vec::new(),
        roles: Default::default(),
        usage: Usage::Unknown,
        scope_catalog: None,
        catalog: Catalog::snapshot(),
        warnings: Vec::new(),
        organization: None,
        ip_allowlist: None,
        third_party_apps: None,
        usage_days: None,
        other_org_calls: None,
        divisions: None,
        people: None,
        trail: Trail::Unknown,
    }
}

/// Runs `sources` concurrently, each once its needs have arrived, applying each one's evidence
/// as it arrives. The first source that fails the audit ends it; degraded ones add their
/// warning, in the order of `sources`.
pub(crate) async fn run(
    sources: &[Source],
    collection: &Collection<'_>,
    mut snapshot: Snapshot,
) -> Result<Snapshot, GenesysError> {
    let mut started = vec![false; sources.len()];
    let mut arrived = vec![false; sources.len()];
    let mut warnings: Vec<Option<String>> = vec![None; sources.len()];
    let mut reading = FuturesUnordered::new();
    loop {
        for (i, source) in sources.iter().enumerate() {
            let ready = source.needs.iter().all(|need| {
                sources
                    .iter()
                    .position(|s| s.name == *need)
                    .is_some_and(|at| arrived[at])
            });
            if !started[i] && ready {
                started[i] = true;
                let read = (source.start)(collection, &snapshot);
                reading.push(guarded(i, source, collection, read));
            }
        }
        let Some((i, outcome)) = reading.next().await else {
            break;
        };
        match outcome? {
            Arrived::Evidence(apply) => apply(&mut snapshot),
            Arrived::Unknown(warning) => warnings[i] = Some(warning),
        }
        arrived[i] = true;
    }
    if let Some(never) = sources.iter().zip(&started).find(|(_, s)| !**s) {
        return Err(GenesysError::Setup(format!(
            "evidence source {} waits for a source that never arrives",
            never.0.name
        )));
    }
    snapshot.warnings.extend(warnings.into_iter().flatten());
    Ok(snapshot)
}

/// What became of a source that did not end the audit.
enum Arrived {
    /// Its evidence, to put into the snapshot.
    Evidence(Apply),
    /// It stays unknown; the report says why.
    Unknown(String),
}

/// One source's read under its rule for failure: its evidence, its warning, or the error that
/// ends the audit.
async fn guarded<'a>(
    index: usize,
    source: &Source,
    collection: &Collection<'a>,
    read: Reading<'a>,
) -> (usize, Result<Arrived, GenesysError>) {
    let Unreadable::Degrades { warning, half_time } = source.unreadable else {
        return (index, read.await.map(Arrived::Evidence));
    };
    // Optional evidence may have half the collection's time: a slow source (a trail of many
    // pages) becomes unknown rather than failing the whole audit at its deadline.
    let budget = collection.client.config.deadline / 2;
    let outcome = if half_time {
        match tokio::time::timeout(budget, read).await {
            Ok(outcome) => outcome,
            Err(_) => {
                let why = format!("{warning}: not read within {}s", budget.as_secs());
                return (index, Ok(Arrived::Unknown(why)));
            }
        }
    } else {
        read.await
    };
    let result = match outcome {
        Ok(apply) => Ok(Arrived::Evidence(apply)),
        Err(e) if degradable(&e) => Ok(Arrived::Unknown(format!("{warning}: {e}"))),
        Err(e) => Err(e),
    };
    (index, result)
}

/// Failures of optional evidence that degrade it to unknown instead of failing the audit: not
/// the ones that say scopewatch's own credentials or setup are wrong.
fn degradable(e: &GenesysError) -> bool {
    !matches!(
        e,
        GenesysError::Credentials { .. }
            | GenesysError::Unauthorized { .. }
            | GenesysError::Setup(_)
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::genesys::NoObserver;

    fn client() -> GenesysClient {
        crate::genesys::client::offline_client(std::sync::Arc::new(NoObserver))
    }

    fn source(name: &'static str, needs: &'static [&'static str], start: Start) -> Source {
        Source {
            name,
            permissions: &[],
            needs,
            unreadable: Unreadable::Degrades {
                warning: "test evidence unknown",
                half_time: true,
            },
            start,
        }
    }

    /// Adds a client named after the number of clients in the snapshot when the read started,
    /// after `secs` seconds.
    fn counting_after<'a>(secs: u64, so_far: &Snapshot) -> Reading<'a> {
        let seen = so_far.clients.len();
        Box::pin(async move {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            Ok(apply(seen, |s, seen| {
                let mut c = crate::audit::rules::testkit::client("CLIENT-CREDENTIALS");
                c.id = format!("saw {seen}");
                s.clients.push(c);
            }))
        })
    }

    fn counting<'a>(_: &'a Collection<'a>, so_far: &Snapshot) -> Reading<'a> {
        counting_after(1, so_far)
    }

    fn counting_late<'a>(_: &'a Collection<'a>, so_far: &Snapshot) -> Reading<'a> {
        counting_after(10, so_far)
    }

    fn slow<'a>(_: &'a Collection<'a>, _: &Snapshot) -> Reading<'a> {
        Box::pin(async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(apply((), |_, ()| {}))
        })
    }

    fn refused<'a>(_: &'a Collection<'a>, _: &Snapshot) -> Reading<'a> {
        Box::pin(async {
            Err(GenesysError::Unauthorized {
                endpoint: "/x".into(),
            })
        })
    }

    async fn run_sources(sources: &[Source]) -> Result<Snapshot, GenesysError> {
        let client = client();
        let collection = Collection {
            client: &client,
            now: Utc::now(),
        };
        let empty = empty_snapshot(&collection);
        run(sources, &collection, empty).await
    }

    #[tokio::test(start_paused = true)]
    async fn a_source_starts_once_what_it_needs_has_arrived() {
        let sources = [
            source("second", &["first"], counting),
            source("first", &[], counting),
            source("unrelated", &[], counting_late),
        ];
        let snapshot = run_sources(&sources).await.unwrap();
        let seen: Vec<&str> = snapshot.clients.iter().map(|c| c.id.as_str()).collect();
        // "first" and "unrelated" start at once on an empty snapshot; "second" starts when
        // "first" has arrived (it sees its client), without waiting for "unrelated".
        assert_eq!(seen, vec!["saw 0", "saw 1", "saw 0"]);
    }

    #[tokio::test(start_paused = true)]
    async fn optional_evidence_that_takes_too_long_is_unknown_not_a_failed_audit() {
        let sources = [source("slow", &[], slow), source("quick", &[], counting)];
        let snapshot = run_sources(&sources).await.unwrap();
        assert_eq!(
            snapshot.clients.len(),
            1,
            "the quick source's evidence is kept"
        );
        assert_eq!(
            snapshot.warnings,
            vec!["test evidence unknown: not read within 30s".to_string()]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_required_source_that_fails_ends_the_audit_and_wrong_credentials_end_it_too() {
        let mut required = source("required", &[], slow);
        required.unreadable = Unreadable::FailsTheAudit;
        required.start = refused;
        assert!(matches!(
            run_sources(&[required, source("quick", &[], counting)]).await,
            Err(GenesysError::Unauthorized { .. })
        ));
        // Degradable evidence does not hide scopewatch's own credentials being refused.
        assert!(
            run_sources(&[source("optional", &[], refused)])
                .await
                .is_err()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_source_waiting_for_an_unknown_source_is_a_setup_error() {
        let sources = [source("orphan", &["nobody"], counting)];
        let Err(GenesysError::Setup(why)) = run_sources(&sources).await else {
            panic!("an unknown need must fail");
        };
        assert!(why.contains("orphan"), "{why}");
    }

    #[test]
    fn every_need_names_a_source_and_the_auditor_permissions_are_the_sources() {
        for source in SOURCES {
            for need in source.needs {
                assert!(
                    SOURCES.iter().any(|s| s.name == *need),
                    "{} needs unknown source {need}",
                    source.name
                );
            }
        }
        assert_eq!(
            auditor_permissions(),
            vec![
                "audits:audit:view",
                "authorization:role:view",
                "directory:organization:admin",
                "oauth:client:authorize",
                "oauth:client:view",
                "usage:client:view",
                "usage:organization:view"
            ]
        );
    }

    /// The README's table of evidence sources, row by row: (evidence, permission, when it
    /// cannot be read).
    fn readme_rows() -> Vec<(String, String, String)> {
        let readme = include_str!("../../../README.md");
        let start = readme
            .find("<!-- evidence-sources:")
            .expect("the README has the evidence-sources table");
        let end = readme.find("<!-- end of evidence-sources -->").unwrap();
        readme[start..end]
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| evidence"))
            .map(|l| {
                let cells: Vec<String> = l
                    .trim_matches('|')
                    .split(" | ")
                    .map(|c| c.trim().trim_matches('`').to_string())
                    .collect();
                (cells[0].clone(), cells[1].clone(), cells[2].clone())
            })
            .collect()
    }

    #[test]
    fn the_readme_table_says_what_each_source_needs_and_degrades_to() {
        let expected: Vec<(String, String, String)> = SOURCES
            .iter()
            .map(|s| {
                let permission = if s.permissions.is_empty() {
                    "none".to_string()
                } else {
                    s.permissions.join("`, `")
                };
                let unreadable = match s.unreadable {
                    Unreadable::FailsTheAudit => "the audit fails",
                    Unreadable::Degrades { warning, .. } => warning,
                };
                (s.name.to_string(), permission, unreadable.to_string())
            })
            .collect();
        assert_eq!(readme_rows(), expected);
    }
}
