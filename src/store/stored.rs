//! A stored report as the database holds it, and reading it within a bound: compressed rows are
//! inflated as a stream (never into one buffer) and checked as JSON without being kept, so a
//! damaged or hostile row (a gzip bomb, text that is not JSON) costs a bounded walk, not memory.

use std::io::Read;

use bytes::Bytes;
use serde::de::{DeserializeOwned, IgnoredAny};

use super::{Backend, MAX_REPORT_BYTES, Store, StoreError, query_error};

/// A stored report: gzip-compressed JSON, or JSON text for audits stored before reports were
/// compressed.
#[derive(Debug, Clone)]
pub enum StoredReport {
    Gzip(Bytes),
    Text(Bytes),
}

/// How many times its compressed size a stored report may inflate to. Reports are JSON
/// compressed at gzip's fast level, a few tens of times smaller; a gzip bomb is about a
/// thousand times, and is refused a quarter of the way.
const MAX_RATIO: u64 = 250;

impl StoredReport {
    /// The most its JSON may take: `MAX_RATIO` times the stored gzip (and 1 MiB), never more
    /// than `MAX_REPORT_BYTES`.
    pub fn bound(&self) -> u64 {
        match self {
            StoredReport::Gzip(gzip) => (gzip.len() as u64)
                .saturating_mul(MAX_RATIO)
                .saturating_add(1 << 20)
                .min(MAX_REPORT_BYTES),
            StoredReport::Text(text) => (text.len() as u64).min(MAX_REPORT_BYTES),
        }
    }

    /// The report's JSON as it is read: inflated piece by piece, never past `bound()` (one
    /// byte more reads as an error).
    pub fn reader(&self) -> Bounded<Box<dyn Read + Send>> {
        let inner: Box<dyn Read + Send> = match self {
            StoredReport::Gzip(gzip) => Box::new(flate2::read::GzDecoder::new(
                std::io::Cursor::new(gzip.clone()),
            )),
            StoredReport::Text(text) => Box::new(std::io::Cursor::new(text.clone())),
        };
        Bounded {
            inner,
            read: 0,
            limit: self.bound(),
        }
    }

    /// Whether a report of `json_len` bytes stored as this reads back within `bound()`: checked
    /// before a report is written, so a report that history could never read is refused at
    /// write time rather than found unreadable later. The error says which bound it passes.
    pub fn check_writable(&self, json_len: u64) -> Result<(), String> {
        let bound = self.bound();
        if json_len <= bound {
            return Ok(());
        }
        Err(format!(
            "the report's {json_len} bytes of JSON pass the {bound} bytes a stored report is read \
             within ({MAX_RATIO} times its {} stored bytes, at most {} MiB)",
            self.stored_len(),
            MAX_REPORT_BYTES >> 20
        ))
    }

    /// The bytes the database holds.
    pub fn stored_len(&self) -> usize {
        match self {
            StoredReport::Gzip(b) | StoredReport::Text(b) => b.len(),
        }
    }

    /// Checks that the report reads as one JSON document within the bound, walking it once
    /// without keeping it; its length inflated, or why it is unreadable. CPU-bound: call it
    /// on the blocking pool.
    pub fn verify(&self) -> Result<u64, String> {
        let mut reader = self.reader();
        let checked = serde_json::from_reader::<_, IgnoredAny>(&mut reader);
        if reader.passed() {
            return Err(format!(
                "it inflates past {} bytes ({MAX_RATIO} times its stored size, at most {} MiB)",
                reader.limit,
                MAX_REPORT_BYTES >> 20
            ));
        }
        match checked {
            Ok(IgnoredAny) => Ok(reader.read),
            Err(e) if e.is_io() => Err(format!("not a gzip-compressed JSON text: {e}")),
            Err(e) => Err(format!("not a JSON document: {e}")),
        }
    }

    /// The report parsed while it is inflated (never held whole as text), within the bound.
    /// CPU-bound: call it on the blocking pool.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, String> {
        let mut reader = std::io::BufReader::with_capacity(64 << 10, self.reader());
        serde_json::from_reader(&mut reader).map_err(|e| e.to_string())
    }
}

/// A reader that fails once more than `limit` bytes came through.
pub struct Bounded<R> {
    inner: R,
    read: u64,
    limit: u64,
}

impl<R> Bounded<R> {
    pub(super) fn passed(&self) -> bool {
        self.read > self.limit
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.passed() {
            return Err(std::io::Error::other("the report inflates past its bound"));
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.passed() {
            return Err(std::io::Error::other("the report inflates past its bound"));
        }
        Ok(n)
    }
}

impl Store {
    /// The stored report of an audit as the database holds it (`None` for unknown ids and
    /// failures); never inflated here.
    pub async fn stored_report(&self, audit_id: &str) -> Result<Option<StoredReport>, StoreError> {
        type Stored = (Option<String>, Option<Vec<u8>>);
        let found = on_pool!(self, pool => {
            sqlx::query_as::<_, Stored>("SELECT report, report_gzip FROM audits WHERE audit_id = $1 AND org = $2")
                .bind(audit_id)
                .bind(&self.org)
                .fetch_optional(pool)
                .await
                .map_err(query_error("report"))?
        });
        Ok(match found {
            Some((_, Some(gzip))) => Some(StoredReport::Gzip(Bytes::from(gzip))),
            Some((Some(text), None)) => Some(StoredReport::Text(Bytes::from(text))),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(bytes: &[u8]) -> Bytes {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(bytes).unwrap();
        Bytes::from(e.finish().unwrap())
    }

    #[test]
    fn a_gzip_bomb_is_refused_a_fraction_of_the_way_without_being_held() {
        // 16 MiB of spaces (valid JSON around a value would be no better), compressed to
        // about a thousandth.
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let spaces = vec![b' '; 1 << 20];
        for _ in 0..16 {
            std::io::Write::write_all(&mut e, &spaces).unwrap();
        }
        let bomb = StoredReport::Gzip(Bytes::from(e.finish().unwrap()));
        assert!(bomb.stored_len() < 64 << 10, "{}", bomb.stored_len());
        assert!(bomb.bound() < 16 << 20, "{}", bomb.bound());
        let err = bomb.verify().unwrap_err();
        assert!(err.contains("250 times its stored size"), "{err}");
        assert!(bomb.parse::<serde_json::Value>().is_err());
        let huge = StoredReport::Gzip(Bytes::from(vec![0; 4 << 20]));
        assert_eq!(huge.bound(), MAX_REPORT_BYTES, "never past the bound");
    }

    #[test]
    fn a_report_past_the_read_bound_is_refused_when_it_is_written() {
        let small = StoredReport::Gzip(Bytes::from(vec![0u8; 1000]));
        assert_eq!(small.check_writable(1 << 20), Ok(()), "1 MiB always reads");
        assert!(small.check_writable(small.bound()).is_ok());
        let refused = small.check_writable(small.bound() + 1).unwrap_err();
        assert!(
            refused.contains("250 times its 1000 stored bytes"),
            "{refused}"
        );
        let huge = StoredReport::Gzip(Bytes::from(vec![0u8; 4 << 20]));
        let refused = huge.check_writable(MAX_REPORT_BYTES + 1).unwrap_err();
        assert!(refused.contains("at most 256 MiB"), "{refused}");
        assert!(huge.check_writable(MAX_REPORT_BYTES).is_ok());
    }

    #[test]
    fn text_that_is_not_one_json_document_is_refused_naming_why() {
        for bad in [
            &b"<html>not json</html>"[..],
            b"{\"a\":1} trailing",
            b"{\"a\":",
        ] {
            let err = StoredReport::Gzip(gzip(bad)).verify().unwrap_err();
            assert!(err.starts_with("not a JSON document"), "{err}");
            let err = StoredReport::Text(Bytes::copy_from_slice(bad))
                .verify()
                .unwrap_err();
            assert!(err.starts_with("not a JSON document"), "{err}");
        }
        let err = StoredReport::Gzip(Bytes::from_static(b"{\"plain\":1}"))
            .verify()
            .unwrap_err();
        assert!(err.starts_with("not a gzip-compressed JSON text"), "{err}");
        let good = br#"{"audit_id":"a1","clients":[]}"#;
        assert_eq!(
            StoredReport::Gzip(gzip(good)).verify(),
            Ok(good.len() as u64)
        );
        let value: serde_json::Value = StoredReport::Gzip(gzip(good)).parse().unwrap();
        assert_eq!(value["audit_id"], "a1");
    }
}
