//! Paged listings (`entities` with `pageNumber`/`pageCount` or `nextUri`), read whole within the
//! configured page and entity limits.

use std::collections::HashSet;

use serde::de::DeserializeOwned;

use super::client::GenesysClient;
use super::error::GenesysError;
use super::records::{MAX_RECORD_BYTES, Page, Records};

/// Pages of a listing of known length read at once: each is checked against the entity limit
/// and the listing's budget as it arrives, so at most this many are in flight past the check.
pub(crate) const PAGES_AT_ONCE: usize = 4;

/// The most JSON one listing's kept records may take, in bytes: a listing within the page and
/// entity limits but of huge records is refused before it fills memory.
pub(crate) const MAX_LISTING_BYTES: usize = 256 << 20;

/// A `*Uri` as a path with query (Genesys sends them relative; an absolute one is accepted).
fn as_path(uri: &str) -> String {
    match url::Url::parse(uri) {
        Ok(u) => match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        },
        Err(_) => uri.to_string(),
    }
}

fn with_page_number(first: &str, number: u64) -> String {
    let (path, query) = first.split_once('?').unwrap_or((first, ""));
    let mut params: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("pageNumber="))
        .map(str::to_string)
        .collect();
    params.push(format!("pageNumber={number}"));
    format!("{path}?{}", params.join("&"))
}

/// Reads every page of a listing. When the first page says how many there are, the rest are
/// read at once (each through the gate); otherwise `nextUri` is followed page by page. Records
/// that do not parse are skipped and counted (the client's observer hears of them once).
pub(crate) async fn read_all<T: DeserializeOwned + Send + 'static>(
    client: &GenesysClient,
    endpoint: &str,
    first: &str,
) -> Result<Records<T>, GenesysError> {
    let records = read_pages(client, endpoint, first).await?;
    client.records_skipped(endpoint, records.skipped.count);
    Ok(records)
}

/// Adds a page's records to the listing, or names the limit it passes: entities, one record's
/// size, or the listing's budget.
pub(crate) fn add<T>(
    limits: super::client::Limits,
    endpoint: &str,
    items: &mut Records<T>,
    page: Records<T>,
) -> Result<(), GenesysError> {
    let limit = |what, limit: u64, setting| GenesysError::Limit {
        endpoint: endpoint.into(),
        what,
        limit,
        setting,
    };
    if page.oversized > 0 {
        return Err(limit(
            "the size of one record",
            MAX_RECORD_BYTES as u64,
            "a fixed bound, 4 MiB a record",
        ));
    }
    let read = page.items.len() as u64 + page.skipped.count;
    if items.items.len() as u64 + items.skipped.count + read > limits.max_entities as u64 {
        return Err(limit(
            "the number of entities",
            limits.max_entities as u64,
            "SCOPEWATCH_MAX_ENTITIES",
        ));
    }
    if items.bytes + page.bytes > MAX_LISTING_BYTES {
        return Err(limit(
            "the bytes one listing keeps",
            MAX_LISTING_BYTES as u64,
            "a fixed bound, 256 MiB a listing",
        ));
    }
    items.items.extend(page.items);
    items.skipped.merge(page.skipped);
    items.bytes += page.bytes;
    Ok(())
}

async fn read_pages<T: DeserializeOwned + Send + 'static>(
    client: &GenesysClient,
    endpoint: &str,
    first: &str,
) -> Result<Records<T>, GenesysError> {
    use futures_util::StreamExt;
    let limits = client.config.limits;
    let too_many_pages = || GenesysError::Limit {
        endpoint: endpoint.into(),
        what: "the number of pages",
        limit: u64::from(limits.max_pages),
        setting: "SCOPEWATCH_MAX_PAGES",
    };
    let mut items = Records::default();
    let page: Page<T> = client.get_json(endpoint, first).await?;
    if let (Some(1), Some(count)) = (page.page_number, page.page_count)
        && count > 1
        && first.contains("pageNumber=1")
    {
        if count > u64::from(limits.max_pages) {
            return Err(too_many_pages());
        }
        add(limits, endpoint, &mut items, page.entities)?;
        // A few pages in flight, each checked as it arrives: a listing over a limit stops
        // there instead of holding every page first.
        let mut rest = futures_util::stream::iter(2..=count)
            .map(|n| {
                let path = with_page_number(first, n);
                async move { client.get_json_streamed::<Page<T>>(endpoint, &path).await }
            })
            .buffer_unordered(PAGES_AT_ONCE);
        while let Some(page) = rest.next().await {
            add(limits, endpoint, &mut items, page?.entities)?;
        }
        return Ok(items);
    }
    // Unknown page count: follow the links, refusing loops.
    let mut seen = HashSet::from([first.to_string()]);
    let mut page = page;
    loop {
        add(limits, endpoint, &mut items, page.entities)?;
        let next = match (page.next_uri, page.page_number, page.page_count) {
            (Some(uri), _, _) => as_path(&uri),
            (None, Some(n), Some(count)) if n < count => with_page_number(first, n + 1),
            _ => return Ok(items),
        };
        if seen.len() >= limits.max_pages as usize {
            return Err(too_many_pages());
        }
        if !seen.insert(next.clone()) {
            return Err(GenesysError::Upstream {
                endpoint: endpoint.into(),
                status: 200,
                code: "paging.loop".into(),
                message: format!("the listing pointed back to {next}"),
            });
        }
        page = client.get_json(endpoint, &next).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_over_its_bound_fails_the_listing_and_is_never_decoded() {
        let big = format!(
            r#"{{"entities":[{{"id":"a"}},{{"id":"{}"}}]}}"#,
            "x".repeat(MAX_RECORD_BYTES)
        );
        let page: Page<serde_json::Value> = serde_json::from_str(&big).unwrap();
        assert_eq!(page.entities.oversized, 1);
        assert_eq!(page.entities.items.len(), 1, "the small one is read");
        let mut items = Records::default();
        let err = add(Default::default(), "/x", &mut items, page.entities).unwrap_err();
        assert!(err.to_string().contains("4 MiB a record"), "{err}");
    }

    #[test]
    fn a_listing_is_refused_once_its_records_pass_the_budget() {
        let mut items = Records::<u8>::default();
        let page = |bytes| Records::<u8> {
            items: vec![1],
            bytes,
            ..Records::default()
        };
        add(
            Default::default(),
            "/x",
            &mut items,
            page(MAX_LISTING_BYTES - 10),
        )
        .unwrap();
        let err = add(Default::default(), "/x", &mut items, page(11)).unwrap_err();
        assert!(err.to_string().contains("256 MiB a listing"), "{err}");
    }

    #[test]
    fn page_numbers_replace_or_extend_the_query() {
        assert_eq!(
            with_page_number("/api/v2/oauth/clients", 2),
            "/api/v2/oauth/clients?pageNumber=2"
        );
        assert_eq!(
            with_page_number("/api/v2/authorization/roles?pageSize=100&pageNumber=1", 3),
            "/api/v2/authorization/roles?pageSize=100&pageNumber=3"
        );
        assert_eq!(
            as_path("https://api.example.com/api/v2/x?pageNumber=2"),
            "/api/v2/x?pageNumber=2"
        );
        assert_eq!(as_path("/api/v2/x?a=1"), "/api/v2/x?a=1");
    }
}
