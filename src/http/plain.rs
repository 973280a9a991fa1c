//! An answer without gzip: a compressed body inflated piece by piece as the socket takes it,
//! on the task that sends it. No reader ever holds a whole plain copy of a report, and a slow
//! reader holds only the inflater's state (tens of KB), never a blocking-pool thread: each
//! piece is a few hundred microseconds of work, done when the connection can take it.

use std::io::Read;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;

/// Bytes inflated per piece sent.
const PIECE: usize = 64 << 10;

/// The next piece of `reader`: empty at its end.
fn piece(reader: &mut impl Read) -> std::io::Result<Bytes> {
    let mut piece = Vec::with_capacity(PIECE);
    reader.by_ref().take(PIECE as u64).read_to_end(&mut piece)?;
    Ok(Bytes::from(piece))
}

/// The body `reader` gives (`len` bytes), sent as it is read; `hold` lives as long as the body
/// (a place counted by the expensive-request limit, or nothing).
pub(super) fn inflating<R, H>(reader: R, len: u64, hold: H) -> Response
where
    R: Read + Send + 'static,
    H: Send + 'static,
{
    let body = futures_util::stream::unfold(Some((reader, hold)), |state| async move {
        let (mut reader, hold) = state?;
        match piece(&mut reader) {
            Ok(p) if p.is_empty() => None,
            Ok(p) => Some((Ok(p), Some((reader, hold)))),
            // The error ends the body (the connection is closed short of its length).
            Err(e) => Some((Err(e), None)),
        }
    });
    let mut response = Response::new(Body::from_stream(body));
    if let Ok(len) = HeaderValue::from_str(&len.to_string()) {
        response.headers_mut().insert(header::CONTENT_LENGTH, len);
    }
    response
}

/// `bytes` as the body, in pieces (slices, not copies); `hold` lives until the last piece is
/// taken.
pub(super) fn holding<H: Send + 'static>(bytes: Bytes, hold: H) -> Response {
    let len = bytes.len();
    let body = futures_util::stream::unfold((bytes, Some(hold)), |(mut rest, hold)| async move {
        hold.as_ref()?;
        if rest.is_empty() {
            return None;
        }
        let piece = rest.split_to(rest.len().min(PIECE));
        Some((Ok::<_, std::io::Error>(piece), (rest, hold)))
    });
    let mut response = Response::new(Body::from_stream(body));
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    response
}
