//! The listener: HTTP/1.1 connections with a bound on how many are open, how long a client
//! may take to send its request head, and how long a connection may sit idle. Without them a
//! few hundred silent or trickling clients hold every file descriptor and `/healthz` stops
//! answering, so Kubernetes restarts a healthy pod.

use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

pub use crate::config::ServerLimits;

/// A connection idle at least this long may be closed to make room for a new one.
const EVICTABLE_AFTER: Duration = Duration::from_secs(1);

/// The open connections: when every slot is taken, a new connection closes the one idle the
/// longest (a slow reader, a silent client), so `/healthz` and real clients get in while
/// hundreds of slow connections try to hold every slot.
#[derive(Default)]
struct Open {
    next: AtomicU64,
    connections: std::sync::Mutex<std::collections::HashMap<u64, Slot>>,
}

/// One open connection: its activity, and how to close it.
struct Slot {
    activity: Arc<Activity>,
    close: Arc<tokio::sync::Notify>,
}

impl Open {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<u64, Slot>> {
        self.connections.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add(&self, activity: Arc<Activity>) -> (u64, Arc<tokio::sync::Notify>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let close = Arc::new(tokio::sync::Notify::new());
        self.lock().insert(
            id,
            Slot {
                activity,
                close: close.clone(),
            },
        );
        (id, close)
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Closes the connection idle the longest, if one has been idle `EVICTABLE_AFTER`; true
    /// when one is closed.
    fn close_idlest(&self) -> bool {
        let open = self.lock();
        let idlest = open
            .values()
            .map(|slot| (slot.activity.idle(), slot))
            .filter(|(idle, _)| *idle >= EVICTABLE_AFTER)
            .max_by_key(|(idle, _)| *idle);
        match idlest {
            Some((idle, slot)) => {
                tracing::debug!(
                    idle_ms = idle.as_millis() as u64,
                    "closing the idlest connection to make room"
                );
                slot.close.notify_one();
                true
            }
            None => false,
        }
    }
}

/// A slot for a new connection: a free one, else the idlest connection's once it is closed,
/// else the first that frees up. `None` once the server is shutting down.
async fn slot(
    permits: &Arc<Semaphore>,
    open: &Open,
    shutdown: &mut Pin<&mut impl Future<Output = ()>>,
) -> Option<tokio::sync::OwnedSemaphorePermit> {
    if let Ok(permit) = permits.clone().try_acquire_owned() {
        return Some(permit);
    }
    loop {
        open.close_idlest();
        tokio::select! {
            permit = permits.clone().acquire_owned() => return permit.ok(),
            () = tokio::time::sleep(EVICTABLE_AFTER / 4) => {}
            () = shutdown.as_mut() => return None,
        }
    }
}

/// Serves `router` until `shutdown` resolves, then stops accepting and waits for the open
/// connections to finish their requests (the caller bounds that wait).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let open = Arc::new(Open::default());
    let mut shutdown = pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before accept: pause
                    // briefly rather than spin, and go on.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(permit) = slot(&permits, &open, &mut shutdown).await else {
            break;
        };
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new());
        let (id, close) = open.add(activity.clone());
        let io = TokioIo::new(Tracked {
            inner: stream,
            activity: activity.clone(),
            pending: Vec::new(),
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .serve_connection(
                io,
                TowerToHyperService::new(busy_while_answering(&router, &activity)),
            );
        let connection = graceful.watch(connection);
        let open = open.clone();
        tokio::spawn(async move {
            let _permit = permit;
            tokio::select! {
                _ = connection => {}
                () = activity.idle_for(limits.idle_timeout) => {
                    tracing::debug!("closing an idle connection");
                }
                () = close.notified() => {}
            }
            open.remove(id);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// `router`, with `activity` busy from each request's arrival until its answer is ready: a
/// request waiting for its turn or being computed is not idle, whatever its bytes do. (Once
/// the answer is sent, a reader that stops reading is idle again.)
fn busy_while_answering(
    router: &Router,
    activity: &Arc<Activity>,
) -> impl tower::Service<
    axum::http::Request<hyper::body::Incoming>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Future<Output = Result<axum::response::Response, std::convert::Infallible>> + Send,
> + Clone
+ Send
+ 'static {
    let (router, activity) = (router.clone(), activity.clone());
    tower::service_fn(move |request: axum::http::Request<hyper::body::Incoming>| {
        let answering = Answering::new(&activity);
        let router = router.clone();
        async move {
            let answer = tower::ServiceExt::oneshot(router, request).await;
            drop(answering);
            answer
        }
    })
}

/// One request being answered on a connection; it ends when dropped (answered or cancelled).
struct Answering(Arc<Activity>);

impl Answering {
    fn new(activity: &Arc<Activity>) -> Answering {
        activity.answering.fetch_add(1, Ordering::AcqRel);
        Answering(activity.clone())
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.touch();
        self.0.answering.fetch_sub(1, Ordering::AcqRel);
    }
}

/// When a connection last moved a byte, and how many of its requests are being answered.
struct Activity {
    started: Instant,
    last_ms: AtomicU64,
    answering: AtomicUsize,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            started: Instant::now(),
            last_ms: AtomicU64::new(0),
            answering: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        self.last_ms
            .store(self.started.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// How long no byte has moved while no request was being answered (zero while one is).
    fn idle(&self) -> Duration {
        if self.answering.load(Ordering::Acquire) > 0 {
            return Duration::ZERO;
        }
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.started.elapsed().saturating_sub(last)
    }

    /// Resolves once the connection has been idle (as `idle` counts) for `limit`.
    async fn idle_for(&self, limit: Duration) {
        loop {
            let idle = self.idle();
            if idle >= limit {
                return;
            }
            tokio::time::sleep((limit - idle).max(Duration::from_millis(10))).await;
        }
    }
}

/// A TCP stream that records its activity, and gives the answers hyper writes on its own
/// (400, 414 and 431 for requests it cannot parse, before our router sees them) the JSON
/// error body every other error has.
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
    /// A rewritten answer not yet written out.
    pending: Vec<u8>,
}

/// Our answer for one of hyper's automatic error heads (`HTTP/1.1 4xx ...` with an empty
/// body), or `None` for anything else. Our router never sends these statuses without a body.
fn json_for_automatic_error(head: &[u8]) -> Option<Vec<u8>> {
    let (status, code, detail) = match head.get(..13)? {
        b"HTTP/1.1 400 " => (
            "400 Bad Request",
            "bad_request",
            "the request line or a header could not be parsed",
        ),
        b"HTTP/1.1 414 " => (
            "414 URI Too Long",
            "uri_too_long",
            "the request URI is too long",
        ),
        b"HTTP/1.1 431 " => (
            "431 Request Header Fields Too Large",
            "headers_too_large",
            "the request headers are too large",
        ),
        _ => return None,
    };
    let head = std::str::from_utf8(head).ok()?.to_ascii_lowercase();
    if !head.contains("\r\ncontent-length: 0\r\n") {
        return None;
    }
    let body = format!(r#"{{"code":"{code}","detail":"{detail}"}}"#);
    Some(
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

impl Tracked {
    /// Writes out a rewritten answer; ready once it is all written.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            match Pin::new(&mut self.inner).poll_write(cx, &self.pending) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    self.pending.drain(..n);
                    self.activity.touch();
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        std::task::ready!(self.poll_pending(cx))?;
        if let Some(answer) = json_for_automatic_error(data) {
            // Taken whole: the rewritten answer is written out before anything else.
            self.pending = answer;
            let _ = self.poll_pending(cx);
            return Poll::Ready(Ok(data.len()));
        }
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    /// Vectored, so hyper queues a response body (`Bytes`, shared with the cache) instead of
    /// copying it into its write buffer: 64 readers of a 2 MB report were 128 MB of copies.
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        // hyper's own error answers are a head alone: the plain path rewrites them.
        if let Some(first) = bufs.iter().find(|b| !b.is_empty())
            && json_for_automatic_error(first).is_some()
        {
            return self.poll_write(cx, first);
        }
        std::task::ready!(self.poll_pending(cx))?;
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found in review: a request waiting for its turn under the expensive-request limit moved
    /// no byte and was closed as "idle" to make room for a new connection.
    #[test]
    fn a_connection_answering_a_request_is_never_idle_and_is_idle_again_after() {
        let activity = Arc::new(Activity::new());
        std::thread::sleep(Duration::from_millis(600));
        assert!(activity.idle() >= Duration::from_millis(600));
        let answering = Answering::new(&activity);
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(activity.idle(), Duration::ZERO, "busy while answering");
        drop(answering);
        // The answer counts as activity: idle starts again from it, not from before.
        assert!(activity.idle() < Duration::from_millis(500));
        std::thread::sleep(Duration::from_millis(30));
        assert!(activity.idle() >= Duration::from_millis(30));
    }
}
