//! One message to the receiver: POSTed with a timeout and retried with exponential backoff.
//! Nothing logged here carries the URL, and the receiver's answer is logged only as a short,
//! printable excerpt.

use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};

use crate::metrics::OrgMetrics;

/// How messages are delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// For one POST, answer included.
    pub timeout: Duration,
    /// Tries per message, the first included.
    pub attempts: u32,
    /// The wait before the first retry; it doubles for every retry after it.
    pub backoff: Duration,
    /// Messages waiting for the sender; one more is dropped and counted.
    pub queue: usize,
}

impl Default for Delivery {
    fn default() -> Self {
        // Four tries over about 47 s at worst (3 x 10 s timeouts, then 1 + 2 + 4 s apart): a
        // receiver that is briefly away still gets the message, and an hourly audit never
        // queues behind the one before it.
        Delivery {
            timeout: Duration::from_secs(10),
            attempts: 4,
            backoff: Duration::from_secs(1),
            queue: 16,
        }
    }
}

/// How a message ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Every attempt failed, or the receiver refused it for good.
    Failed,
    /// Never tried: the queue was full, or the service stopped first.
    Dropped,
}

impl Outcome {
    pub fn metric_label(self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Failed => "failed",
            Outcome::Dropped => "dropped",
        }
    }
}

/// Bytes of the receiver's answer read for the log, and characters of it kept.
const EXCERPT_BYTES: usize = 1024;
const EXCERPT_CHARS: usize = 200;

struct Failure {
    reason: String,
    retry: bool,
}

pub(super) struct Poster {
    http: reqwest::Client,
    url: SecretString,
    delivery: Delivery,
}

impl Poster {
    pub(super) fn new(url: SecretString, delivery: Delivery) -> Result<Poster, reqwest::Error> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("scopewatch/", env!("CARGO_PKG_VERSION")))
            // A redirect would send the findings somewhere nobody configured.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Poster {
            http,
            url,
            delivery,
        })
    }

    #[cfg(feature = "testing")]
    pub fn set_delivery(&mut self, delivery: Delivery) {
        self.delivery = delivery;
    }

    /// POSTs `body` until the receiver takes it or the attempts run out.
    pub(super) async fn post(&self, audit_id: &str, body: &Bytes, metrics: &OrgMetrics) -> Outcome {
        let attempts = self.delivery.attempts.max(1);
        let mut wait = self.delivery.backoff;
        for attempt in 1..=attempts {
            let failure = match self.attempt(body).await {
                Ok(()) => {
                    tracing::info!(audit_id, attempt, "webhook message sent");
                    return Outcome::Sent;
                }
                Err(failure) => failure,
            };
            if !failure.retry || attempt == attempts {
                tracing::error!(
                    audit_id,
                    attempts = attempt,
                    reason = failure.reason,
                    "webhook message dropped: the receiver did not take it"
                );
                return Outcome::Failed;
            }
            tracing::warn!(
                audit_id,
                attempt,
                retry_in_ms = wait.as_millis() as u64,
                reason = failure.reason,
                "webhook attempt failed; retrying"
            );
            metrics.webhook_retry();
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
        }
        Outcome::Failed
    }

    async fn attempt(&self, body: &Bytes) -> Result<(), Failure> {
        let response = self
            .http
            .post(self.url.expose_secret())
            .timeout(self.delivery.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.clone())
            .send()
            .await
            .map_err(|e| Failure {
                reason: self.describe(e),
                retry: true,
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let excerpt = excerpt(response).await;
        Err(Failure {
            reason: self.redact(format!("HTTP {}: {excerpt}", status.as_u16())),
            // Other answers (a 404 for a deleted hook, a 403) will not change on retry.
            retry: status.is_server_error()
                || status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::REQUEST_TIMEOUT,
        })
    }

    /// The error and its causes, without the URL reqwest puts in its message.
    fn describe(&self, e: reqwest::Error) -> String {
        if e.is_timeout() {
            return format!("no answer within {:?}", self.delivery.timeout);
        }
        let e = e.without_url();
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        self.redact(text)
    }

    /// A last guard: no text leaves here holding the URL or its path.
    fn redact(&self, text: String) -> String {
        let url = self.url.expose_secret();
        let mut text = text.replace(url, "[webhook URL]");
        if let Ok(parsed) = url::Url::parse(url) {
            let path = parsed.path();
            if path.len() > 1 {
                text = text.replace(path, "[webhook path]");
            }
            if let Some(query) = parsed.query().filter(|q| !q.is_empty()) {
                text = text.replace(query, "[webhook query]");
            }
        }
        text
    }
}

/// The start of the receiver's answer: bounded, printable, on one line.
async fn excerpt(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < EXCERPT_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    printable(&bytes)
}

fn printable(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(EXCERPT_BYTES)]);
    genesys_api::text::sanitize(&text, EXCERPT_CHARS)
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_is_short_printable_and_on_one_line() {
        let answer = format!("bad\r\n\x1b[31mred\x07 {}", "x".repeat(5000));
        let text = printable(answer.as_bytes());
        assert!(text.starts_with("bad   [31mred  xxx"), "{text}");
        assert!(!text.chars().any(char::is_control));
        assert_eq!(text.chars().count(), EXCERPT_CHARS + 1);
    }

    #[test]
    fn redaction_removes_the_url_its_path_and_its_query() {
        let poster = Poster::new(
            SecretString::from("https://hooks.example/services/T0KEN?sig=S1G"),
            Delivery::default(),
        )
        .unwrap();
        let text = poster.redact(
            "for https://hooks.example/services/T0KEN?sig=S1G and /services/T0KEN, sig=S1G".into(),
        );
        assert!(!text.contains("T0KEN") && !text.contains("S1G"), "{text}");
    }
}
