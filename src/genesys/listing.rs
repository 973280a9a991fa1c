//! Paged listings (`entities` with `pageNumber`/`pageCount` or `nextUri`), read whole within the
//! configured page and entity limits.

use std::collections::HashSet;

use serde::de::DeserializeOwned;

use super::client::GenesysClient;
use super::error::GenesysError;
use super::records::{Page, Records};

/// A `*Uri` as a path with query (Genesys sends them relative; an absolute one is accepted).
pub(super) fn as_path(uri: &str) -> String {
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

async fn read_pages<T: DeserializeOwned + Send + 'static>(
    client: &GenesysClient,
    endpoint: &str,
    first: &str,
) -> Result<Records<T>, GenesysError> {
    let limits = client.config.limits;
    let too_many_pages = || GenesysError::Limit {
        endpoint: endpoint.into(),
        what: "the number of pages",
        limit: u64::from(limits.max_pages),
        setting: "SCOPEWATCH_MAX_PAGES",
    };
    let mut items = Records::default();
    let add = |items: &mut Records<T>, entities: Records<T>| {
        let read = entities.items.len() as u64 + entities.skipped.count;
        if items.items.len() as u64 + items.skipped.count + read > limits.max_entities as u64 {
            return Err(GenesysError::Limit {
                endpoint: endpoint.into(),
                what: "the number of entities",
                limit: limits.max_entities as u64,
                setting: "SCOPEWATCH_MAX_ENTITIES",
            });
        }
        items.items.extend(entities.items);
        items.skipped.merge(entities.skipped);
        Ok(())
    };
    let page: Page<T> = client.get_json(endpoint, first).await?;
    if let (Some(1), Some(count)) = (page.page_number, page.page_count)
        && count > 1
        && first.contains("pageNumber=1")
    {
        if count > u64::from(limits.max_pages) {
            return Err(too_many_pages());
        }
        add(&mut items, page.entities)?;
        let rest = futures_util::future::try_join_all((2..=count).map(|n| {
            let path = with_page_number(first, n);
            async move { client.get_json_streamed::<Page<T>>(endpoint, &path).await }
        }))
        .await?;
        for page in rest {
            add(&mut items, page.entities)?;
        }
        return Ok(items);
    }
    // Unknown page count: follow the links, refusing loops.
    let mut seen = HashSet::from([first.to_string()]);
    let mut page = page;
    loop {
        add(&mut items, page.entities)?;
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
