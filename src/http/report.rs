//! `GET /report`: the latest report as JSON, CSV or HTML, with filters, ETag/304 and gzip.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::error::{ApiError, clip};
use super::expensive::Expensive;
use super::html;
use super::query::{param, params, wants_html};
use super::state::Prefix;
use crate::audit::report::{ClientReport, Report, RiskLevel};
use crate::audit::rules::rule_meta;
use crate::cache::{CachedReport, ReportCache, View};
use crate::history::History;
use crate::render::{clients_csv, clients_ocsf};
use crate::store::StoredReport;

/// Whether the client takes gzip: named (or `*`) with a quality above zero.
pub(super) fn accepts_gzip(headers: &HeaderMap) -> bool {
    let Some(accept) = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let quality = |coding: &str| {
        accept.split(',').find_map(|entry| {
            let mut parts = entry.split(';');
            let name = parts.next()?.trim();
            if !name.eq_ignore_ascii_case(coding) {
                return None;
            }
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .next()
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok());
            Some(q.unwrap_or(0.0))
        })
    };
    quality("gzip")
        .or_else(|| quality("*"))
        .is_some_and(|q| q > 0.0)
}

fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|t| {
                let t = t.trim();
                t == "*" || t == etag || t.strip_prefix("W/") == Some(etag)
            })
        })
}

struct Filter {
    risk_level: Option<RiskLevel>,
    grant_type: Option<String>,
    rule: Option<String>,
}

impl Filter {
    fn parse(pairs: &[(String, String)]) -> Result<Filter, ApiError> {
        let risk_level = param(pairs, "risk_level")
            .map(|v| {
                RiskLevel::parse(v).ok_or_else(|| {
                    ApiError::bad_parameter(format!(
                        "risk_level '{}' is not one of CRITICAL, HIGH, MEDIUM, LOW, NONE",
                        clip(v)
                    ))
                })
            })
            .transpose()?;
        let rule = param(pairs, "rule")
            .map(|v| match rule_meta(v) {
                Some(meta) => Ok(meta.id.to_string()),
                None => Err(ApiError::bad_parameter(format!(
                    "rule '{}' is not a rule id",
                    clip(v)
                ))),
            })
            .transpose()?;
        Ok(Filter {
            risk_level,
            grant_type: param(pairs, "grant_type").map(str::to_string),
            rule,
        })
    }

    /// The filter as the page's links carry it.
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(level) = self.risk_level {
            pairs.push(("risk_level", level.as_str().to_string()));
        }
        if let Some(rule) = &self.rule {
            pairs.push(("rule", rule.clone()));
        }
        if let Some(grant) = &self.grant_type {
            pairs.push(("grant_type", grant.clone()));
        }
        pairs
    }

    fn is_empty(&self) -> bool {
        self.risk_level.is_none() && self.grant_type.is_none() && self.rule.is_none()
    }

    fn keeps(&self, c: &ClientReport) -> bool {
        self.risk_level.is_none_or(|l| c.risk_level >= l)
            && self
                .grant_type
                .as_deref()
                .is_none_or(|g| c.grant_type.eq_ignore_ascii_case(g))
            && self
                .rule
                .as_deref()
                .is_none_or(|r| c.findings.iter().any(|f| f.rule_id == r && !f.suppressed))
    }

    /// The clients this filter keeps, borrowed from the report.
    fn kept<'a>(&self, report: &'a Report) -> Vec<&'a ClientReport> {
        report.clients.iter().filter(|c| self.keeps(c)).collect()
    }
}

/// Runs CPU-heavy rendering on the blocking pool: on 2 cores a large report serialized or
/// compressed on an async worker stalls every other request.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        tracing::error!(error = %e, "rendering a report view failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the report view could not be rendered",
        )
    })
}

/// A JSON or CSV view of the report, filtered, compact or indented, off the async threads.
async fn build_view(
    cached: Arc<CachedReport>,
    format: Format,
    pretty: bool,
    filter: Filter,
) -> Result<Arc<View>, ApiError> {
    blocking(move || {
        let report = &cached.report;
        View::new(match format {
            Format::Json if pretty && filter.is_empty() => report.to_json_pretty(),
            Format::Json if pretty => report.with_clients(filter.kept(report)).to_json_pretty(),
            Format::Json => report.with_clients(filter.kept(report)).to_json(),
            Format::Ocsf => clients_ocsf(report, filter.kept(report)),
            _ => clients_csv(&report.rules, filter.kept(report)),
        })
    })
    .await
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Json,
    Csv,
    Html,
    /// OCSF Compliance Finding events, one per finding of the kept clients.
    Ocsf,
}

impl Format {
    /// The format asked for by `?format=`, else by the `Accept` header.
    fn parse(asked: Option<&str>, headers: &HeaderMap) -> Result<Format, ApiError> {
        match asked {
            Some("json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some("html") => Ok(Format::Html),
            Some("ocsf") => Ok(Format::Ocsf),
            Some(other) => Err(ApiError::bad_parameter(format!(
                "format '{}' is not one of json, csv, html, ocsf",
                clip(other)
            ))),
            None if wants_html(headers) => Ok(Format::Html),
            None => Ok(Format::Json),
        }
    }

    /// The name that tells this format's ETags and cached views apart.
    fn variant(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Html => "html",
            Format::Ocsf => "ocsf",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
            Format::Ocsf => "application/json",
        }
    }
}

/// What a `GET /report` asks for: the raw query (it names the view), format, filter, indent.
struct Ask {
    raw: Option<String>,
    format: Format,
    pretty: bool,
    filter: Filter,
}

impl Ask {
    fn parse(raw: Option<String>, headers: &HeaderMap) -> Result<Ask, ApiError> {
        let pairs = params(
            raw.as_deref(),
            &["format", "risk_level", "grant_type", "rule", "pretty"],
        )?;
        let pretty = match param(&pairs, "pretty") {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(ApiError::bad_parameter(format!(
                    "pretty '{}' is not one of true, false",
                    clip(other)
                )));
            }
        };
        Ok(Ask {
            format: Format::parse(param(&pairs, "format"), headers)?,
            filter: Filter::parse(&pairs)?,
            raw,
            pretty,
        })
    }

    fn query(&self) -> &str {
        self.raw.as_deref().unwrap_or("")
    }

    /// Whether the answer is the cached report's own compact JSON.
    fn is_whole_json(&self) -> bool {
        self.filter.is_empty() && self.format == Format::Json && !self.pretty
    }

    /// The report's ETag for the whole JSON; for any other view, one that names the view.
    fn etag(&self, report_etag: &str) -> String {
        if self.is_whole_json() {
            return report_etag.to_string();
        }
        let base = report_etag.trim_matches('"');
        let digest = Sha256::digest(self.query().as_bytes());
        let variant = self.format.variant();
        format!("\"{base}-{variant}-{}\"", &format!("{digest:x}")[..12])
    }
}

/// The view asked for: the cached JSON, an HTML page built for this request, or a JSON or CSV
/// view built once and kept with the report.
async fn view_of(
    ask: Ask,
    cached: Arc<CachedReport>,
    history: &History,
    expensive: &Expensive,
    prefix: &Prefix,
) -> Result<Arc<View>, ApiError> {
    match (ask.format, ask.filter.is_empty() && !ask.pretty) {
        (Format::Json, true) => Ok(cached.json.clone()),
        (Format::Html, _) => {
            let _turn = expensive.enter().await?;
            // The page charts the stored history, so it is built per request (off the async
            // threads), not kept.
            let trend = history.trend(60).await;
            let filter = ask.filter;
            let nav = html::Nav {
                filter: filter.pairs(),
                orgs_href: orgs_href(prefix),
            };
            blocking(move || {
                let kept = (!filter.is_empty()).then(|| filter.kept(&cached.report));
                View::new(html::report_page(
                    &cached.report,
                    kept.as_deref(),
                    &trend,
                    &nav,
                ))
            })
            .await
        }
        (_, _) => kept_view(ask, cached, expensive).await,
    }
}

/// A JSON or CSV view from the report's kept views, built (one build at a time) when missing.
async fn kept_view(
    ask: Ask,
    cached: Arc<CachedReport>,
    expensive: &Expensive,
) -> Result<Arc<View>, ApiError> {
    let key = format!("{}?{}", ask.format.variant(), ask.query());
    if let Some(view) = cached.views.get(&key) {
        return Ok(view);
    }
    let _turn = expensive.enter().await?;
    // One build at a time: whoever waited finds the view built.
    let _building = cached.views.building().await;
    if let Some(view) = cached.views.get(&key) {
        return Ok(view);
    }
    let view = build_view(cached.clone(), ask.format, ask.pretty, ask.filter).await?;
    cached.views.put(key, view.clone());
    Ok(view)
}

/// The view as the body, gzip-compressed when the client takes it, with its content type.
fn body_of(view: &View, format: Format, gzip_ok: bool) -> Response {
    let mut response = if gzip_ok {
        let mut r = Response::new(Body::from(view.gzip.clone()));
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        // Inflated as it is sent, on the sending task: a slow reader holds no thread.
        super::plain::inflating(view.reader(), view.len, ())
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if format == Format::Html {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(html::CSP),
        );
    }
    response
}

/// The stored report's JSON as the database holds it: its gzip to a client that takes it, else
/// inflated as it is sent.
fn stored_body(stored: StoredReport, len: u64, gzip_ok: bool) -> Response {
    let mut response = match stored {
        StoredReport::Gzip(gzip) if gzip_ok => {
            let mut r = Response::new(Body::from(gzip));
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            r
        }
        StoredReport::Text(text) => Response::new(Body::from(text)),
        stored @ StoredReport::Gzip(_) => super::plain::inflating(stored.reader(), len, ()),
    };
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(Format::Json.content_type()),
    );
    response
}

/// `/orgs` relative to a page at `{prefix}/report`.
pub(super) fn orgs_href(prefix: &Prefix) -> &'static str {
    if prefix.0.is_empty() {
        "orgs"
    } else {
        "../../orgs"
    }
}

pub(super) async fn get_report(
    State(cache): State<Arc<ReportCache>>,
    State(history): State<Arc<History>>,
    State(expensive): State<Arc<Expensive>>,
    State(prefix): State<Prefix>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let ask = Ask::parse(raw, &headers)?;
    let brief = cache.brief().ok_or_else(ApiError::report_unavailable)?;
    let mut etag = ask.etag(&brief.etag);
    let mut response = if etag_matches(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if ask.is_whole_json() && !cache.is_resident() {
        // Not in memory (the report budget kept other orgs'): the stored gzip, as stored.
        let (brief, stored) = cache
            .stored()
            .await?
            .ok_or_else(ApiError::report_unavailable)?;
        etag = brief.etag.clone();
        stored_body(stored, brief.json_len, accepts_gzip(&headers))
    } else {
        let cached = cache
            .get()
            .await?
            .ok_or_else(ApiError::report_unavailable)?;
        etag = ask.etag(&cached.etag);
        let format = ask.format;
        let view = view_of(ask, cached, &history, &expensive, &prefix).await?;
        body_of(&view, format, accepts_gzip(&headers))
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Encoding"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_encoding(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        h
    }

    #[test]
    fn gzip_is_sent_only_when_accepted_with_a_quality_above_zero() {
        assert!(accepts_gzip(&with_encoding("gzip")));
        assert!(accepts_gzip(&with_encoding("br, gzip;q=0.5")));
        assert!(accepts_gzip(&with_encoding("*")));
        assert!(!accepts_gzip(&with_encoding("gzip;q=0")));
        assert!(!accepts_gzip(&with_encoding("gzip; q=0.0, identity")));
        assert!(!accepts_gzip(&with_encoding("*;q=0")));
        assert!(!accepts_gzip(&with_encoding("deflate")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
