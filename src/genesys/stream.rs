//! Parsing a large JSON answer while it arrives, so it is never held whole in memory (the API
//! description is tens of MB). The body's chunks go from the async task that reads them to a
//! blocking thread that runs the parser, through a channel of a few chunks: at most that many
//! chunks (plus the parser's buffer) are in memory at any time.

use std::io::{self, Read};

use bytes::{Buf, Bytes};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

/// Chunks in flight between the reader and the parser.
const CHANNEL_CHUNKS: usize = 4;
/// The parser's read buffer.
const PARSER_BUFFER: usize = 64 << 10;

/// Why a streamed body gave no value.
#[derive(Debug)]
pub(super) enum StreamError<E> {
    /// More than the limit arrived.
    TooBig,
    /// Reading the body failed (the connection dropped, a timeout).
    Read(E),
    /// The body is not the JSON expected.
    Malformed(serde_json::Error),
}

/// The blocking side: a `Read` over the chunks the channel brings. The end of the channel
/// (the sender dropped) is the end of the body.
struct ChannelReader {
    chunks: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while !self.current.has_remaining() {
            match self.chunks.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.remaining());
        self.current.copy_to_slice(&mut buf[..n]);
        Ok(n)
    }
}

/// Where the chunks of a body come from: `Ok(None)` is the end of the body.
pub(super) trait Chunks {
    type Error;
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, Self::Error>;
}

impl Chunks for reqwest::Response {
    type Error = reqwest::Error;
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, reqwest::Error> {
        self.chunk().await
    }
}

/// Parses the chunks of `body` as one JSON value of type `T`, reading at most `limit` bytes.
pub(super) async fn parse<T, C>(limit: usize, body: &mut C) -> Result<T, StreamError<C::Error>>
where
    T: DeserializeOwned + Send + 'static,
    C: Chunks,
{
    let (sender, chunks) = mpsc::channel::<Bytes>(CHANNEL_CHUNKS);
    let parser = tokio::task::spawn_blocking(move || {
        let reader = io::BufReader::with_capacity(
            PARSER_BUFFER,
            ChannelReader {
                chunks,
                current: Bytes::new(),
            },
        );
        serde_json::from_reader::<_, T>(reader)
    });
    let mut read = 0usize;
    let outcome = loop {
        match body.next_chunk().await {
            Ok(Some(chunk)) => {
                read = read.saturating_add(chunk.len());
                if read > limit {
                    break Err(StreamError::TooBig);
                }
                if sender.send(chunk).await.is_err() {
                    // The parser stopped early: the body is malformed; its error says why.
                    break Ok(());
                }
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(StreamError::Read(e)),
        }
    };
    // Closing the channel ends the parser's input: after an error above it fails at once.
    drop(sender);
    let parsed = parser.await;
    outcome?;
    match parsed {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(StreamError::Malformed(e)),
        // The parser panicked or was cancelled: the body could not be read as JSON.
        Err(join) => Err(StreamError::Malformed(serde::de::Error::custom(format!(
            "the JSON parser stopped: {join}"
        )))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks_of(text: &str, size: usize) -> Vec<Bytes> {
        text.as_bytes()
            .chunks(size)
            .map(Bytes::copy_from_slice)
            .collect()
    }

    /// A body made of these chunks (or errors), then its end.
    struct Listed(std::vec::IntoIter<Result<Bytes, &'static str>>);

    impl Chunks for Listed {
        type Error = &'static str;
        async fn next_chunk(&mut self) -> Result<Option<Bytes>, &'static str> {
            self.0.next().transpose()
        }
    }

    /// An endless body of garbage, as a hostile server might send; counts what was pulled.
    struct Garbage(usize);

    impl Chunks for Garbage {
        type Error = &'static str;
        async fn next_chunk(&mut self) -> Result<Option<Bytes>, &'static str> {
            self.0 += 1;
            Ok(Some(Bytes::from_static(b"<html>not json</html>")))
        }
    }

    async fn parse_chunks<T: DeserializeOwned + Send + 'static>(
        chunks: Vec<Result<Bytes, &'static str>>,
        limit: usize,
    ) -> Result<T, StreamError<&'static str>> {
        parse(limit, &mut Listed(chunks.into_iter())).await
    }

    #[tokio::test]
    async fn a_value_split_across_many_small_chunks_parses_as_a_whole() {
        let text = r#"{"a": [1, 2, 3], "b": {"c": "a string with \u00e9 and \"quotes\""}}"#;
        for size in [1, 2, 7, 1000] {
            let value: serde_json::Value =
                parse_chunks(chunks_of(text, size).into_iter().map(Ok).collect(), 1 << 20)
                    .await
                    .unwrap();
            assert_eq!(value["b"]["c"], "a string with é and \"quotes\"", "{size}");
            assert_eq!(value["a"][2], 3);
        }
    }

    #[tokio::test]
    async fn more_than_the_limit_is_refused_even_when_it_would_parse() {
        let text = format!("[{}]", vec!["1"; 1000].join(","));
        let result: Result<Vec<u32>, _> =
            parse_chunks(chunks_of(&text, 100).into_iter().map(Ok).collect(), 500).await;
        assert!(matches!(result, Err(StreamError::TooBig)), "{result:?}");
        let whole: Vec<u32> =
            parse_chunks(chunks_of(&text, 100).into_iter().map(Ok).collect(), 10_000)
                .await
                .unwrap();
        assert_eq!(whole.len(), 1000);
    }

    #[tokio::test]
    async fn a_dropped_connection_is_a_read_error_not_a_parse_error() {
        let mut chunks: Vec<Result<Bytes, &'static str>> = vec![Ok(Bytes::from_static(b"[1, 2"))];
        chunks.push(Err("connection reset"));
        let result: Result<Vec<u32>, _> = parse_chunks(chunks, 1 << 20).await;
        assert!(
            matches!(result, Err(StreamError::Read("connection reset"))),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn malformed_or_truncated_json_says_why_and_stops_reading_early() {
        let result: Result<Vec<u32>, _> =
            parse_chunks(vec![Ok(Bytes::from_static(b"[1, 2"))], 1 << 20).await;
        match result {
            Err(StreamError::Malformed(e)) => assert!(e.is_eof(), "{e}"),
            other => panic!("expected a malformed body, got {other:?}"),
        }
        // Garbage at the start: the parser gives up and the rest is never read.
        let mut garbage = Garbage(0);
        let result: Result<Vec<u32>, _> = parse(usize::MAX, &mut garbage).await;
        assert!(matches!(result, Err(StreamError::Malformed(_))));
        assert!(
            garbage.0 < 100,
            "reading stopped soon after the parser failed"
        );
    }
}
