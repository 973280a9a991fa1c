//! How a failed response is logged. A 503 is expected (no report yet before the first audit,
//! or the database away, which is logged at ERROR where it is seen), so it is logged at DEBUG;
//! any other server error at ERROR.

use std::time::Duration;

use axum::http::StatusCode;
use tower_http::classify::ServerErrorsFailureClass;

/// `TraceLayer`'s `on_failure`: a 503 at DEBUG, every other failure at ERROR.
pub(super) fn log_failure(class: ServerErrorsFailureClass, latency: Duration, _: &tracing::Span) {
    let latency_ms = latency.as_millis() as u64;
    match class {
        ServerErrorsFailureClass::StatusCode(StatusCode::SERVICE_UNAVAILABLE) => {
            tracing::debug!(status = 503, latency_ms, "service unavailable for now");
        }
        ServerErrorsFailureClass::StatusCode(status) => {
            tracing::error!(status = status.as_u16(), latency_ms, "response failed");
        }
        ServerErrorsFailureClass::Error(error) => {
            tracing::error!(error, latency_ms, "response failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Collects what a fmt subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(class: ServerErrorsFailureClass) -> String {
        let out = Captured::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            log_failure(class, Duration::from_millis(3), &tracing::Span::none());
        });
        String::from_utf8(out.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn a_503_is_not_an_error_and_a_500_is() {
        let unavailable = logged(ServerErrorsFailureClass::StatusCode(
            StatusCode::SERVICE_UNAVAILABLE,
        ));
        assert!(unavailable.contains("DEBUG"), "{unavailable}");
        assert!(!unavailable.contains("ERROR"), "{unavailable}");
        let failed = logged(ServerErrorsFailureClass::StatusCode(
            StatusCode::INTERNAL_SERVER_ERROR,
        ));
        assert!(
            failed.contains("ERROR") && failed.contains("500"),
            "{failed}"
        );
    }
}
