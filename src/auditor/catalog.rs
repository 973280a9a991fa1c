//! The live permission catalog kept in the database: seeded into the client once per process,
//! stored again when the client read a newer one.

use super::unit::Auditor;

impl Auditor {
    /// Seeds the client with the live permission catalog kept in the database, once per process,
    /// so a restart does not read the API description again within the day. A database that
    /// cannot answer only costs one more read of the description.
    pub(super) async fn load_catalog(&self) {
        let mut stored = self.stored_catalog_at.lock().await;
        if stored.is_some() {
            return;
        }
        match self.store.permission_catalog().await {
            Ok(Some((fetched_at, body))) => {
                match genesys_api::description::LiveCatalog::from_stored(fetched_at, &body) {
                    Ok(live) => {
                        self.client.seed_live_catalog(live).await;
                        *stored = Some(Some(fetched_at));
                    }
                    Err(e) => {
                        tracing::warn!(
                            error = %genesys_api::text::with_causes(&e),
                            "ignoring the stored permission catalog"
                        );
                        *stored = Some(None);
                    }
                }
            }
            Ok(None) => *stored = Some(None),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the stored permission catalog");
                self.metrics.store_error("permission_catalog");
            }
        }
    }

    /// Stores the client's live permission catalog when it is newer than the stored one.
    pub(super) async fn keep_catalog(&self) {
        let Some(live) = self.client.live_catalog().await else {
            return;
        };
        let mut stored = self.stored_catalog_at.lock().await;
        if stored.flatten().is_some_and(|at| at >= live.fetched_at) {
            return;
        }
        match self
            .store
            .save_permission_catalog(live.fetched_at, &live.operations_json())
            .await
        {
            Ok(()) => *stored = Some(Some(live.fetched_at)),
            Err(e) => {
                tracing::warn!(error = %e, "cannot keep the permission catalog in the database");
                self.metrics.store_error("permission_catalog");
            }
        }
    }
}
