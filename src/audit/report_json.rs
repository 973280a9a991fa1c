//! The report's compact JSON with its clients serialized on every core: pieces of clients are
//! serialized by worker threads and written in order, so the bytes are exactly those of
//! `serde_json::to_writer` on one thread, and at most two pieces per worker are held at once.
//! It knows nothing of the report but that its clients are the last field of its header.

use std::io::{self, Write};
use std::sync::mpsc;

use serde::Serialize;

/// Clients per piece: large enough that a piece costs more than handing it over.
const PIECE: usize = 256;

/// Below this many clients the report is written on the calling thread alone.
pub(super) const PARALLEL_FROM: usize = 2_000;

/// Writes `header` with `clients` as its last field (`header` serializes it as `[]`) as
/// compact JSON, the clients serialized on up to one thread per core.
pub(super) fn write_compact<T: Serialize + Sync>(
    header: &impl Serialize,
    clients: &[T],
    out: &mut impl Write,
) -> io::Result<()> {
    let threads = if clients.len() < PARALLEL_FROM {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    };
    write_compact_on(header, clients, threads, out)
}

fn write_compact_on<T: Serialize + Sync>(
    header: &impl Serialize,
    clients: &[T],
    threads: usize,
    out: &mut impl Write,
) -> io::Result<()> {
    // The header is the report with no clients; `clients` is its last field, so its bytes end
    // in `[]}` and the clients go between the brackets.
    let header = serde_json::to_vec(header)?;
    let Some(open) = header.strip_suffix(b"]}") else {
        return Err(io::Error::other(
            "the report header does not end with its clients",
        ));
    };
    out.write_all(open)?;
    if threads <= 1 {
        for (i, client) in clients.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            serde_json::to_writer(&mut *out, client)?;
        }
    } else {
        write_pieces(clients, threads, out)?;
    }
    out.write_all(b"]}")
}

/// Worker `w` serializes pieces `w`, `w + threads`, …; the caller takes them in turn from each
/// worker's channel (two pieces deep), so they are written in order.
fn write_pieces<T: Serialize + Sync>(
    clients: &[T],
    threads: usize,
    out: &mut impl Write,
) -> io::Result<()> {
    let pieces: Vec<&[T]> = clients.chunks(PIECE).collect();
    std::thread::scope(|scope| {
        let receivers: Vec<mpsc::Receiver<io::Result<Vec<u8>>>> = (0..threads)
            .map(|w| {
                let (tx, rx) = mpsc::sync_channel(2);
                let pieces = &pieces;
                scope.spawn(move || {
                    for piece in pieces.iter().skip(w).step_by(threads) {
                        let mut buf = Vec::with_capacity(64 * 1024);
                        let written = piece.iter().enumerate().try_for_each(|(i, client)| {
                            if i > 0 {
                                buf.push(b',');
                            }
                            serde_json::to_writer(&mut buf, client)
                        });
                        // A closed channel: the writer stopped (its output failed).
                        if tx
                            .send(written.map(|()| buf).map_err(io::Error::from))
                            .is_err()
                        {
                            return;
                        }
                    }
                });
                rx
            })
            .collect();
        for i in 0..pieces.len() {
            let piece = receivers[i % threads]
                .recv()
                .map_err(|_| io::Error::other("a report writer thread ended early"))??;
            if i > 0 {
                out.write_all(b",")?;
            }
            out.write_all(&piece)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clients(n: usize) -> Vec<serde_json::Value> {
        (0..n)
            .map(|i| serde_json::json!({"client_id": format!("c{i}"), "n": i, "s": "é\"\n"}))
            .collect()
    }

    fn header() -> serde_json::Value {
        serde_json::json!({"audit_id": "a1", "by_level": {"HIGH": 3}, "clients": []})
    }

    #[test]
    fn clients_written_by_several_threads_are_the_bytes_of_one_serializer() {
        for n in [0, 1, PIECE - 1, PIECE, 3 * PIECE + 7] {
            let clients = clients(n);
            let mut whole = header();
            whole["clients"] = serde_json::Value::Array(clients.clone());
            let expected = serde_json::to_string(&whole).unwrap();
            for threads in [1, 2, 3] {
                let mut out = Vec::new();
                write_compact_on(&header(), &clients, threads, &mut out).unwrap();
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    expected,
                    "{n} clients on {threads} threads"
                );
            }
        }
    }

    #[test]
    fn a_header_whose_clients_are_not_last_is_refused() {
        let header = serde_json::json!({"clients": [], "z": 1});
        let err = write_compact_on(&header, &clients(3), 1, &mut Vec::new()).unwrap_err();
        assert!(
            err.to_string().contains("does not end with its clients"),
            "{err}"
        );
    }

    /// Fails after `left` bytes.
    struct Full {
        left: usize,
    }

    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.left == 0 {
                return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
            }
            let n = buf.len().min(self.left);
            self.left -= n;
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn an_output_that_fails_midway_is_an_error_and_stops_the_workers() {
        let err = write_compact_on(
            &header(),
            &clients(20 * PIECE),
            2,
            &mut Full { left: 10_000 },
        )
        .expect_err("the full disk is reported");
        assert_eq!(err.kind(), io::ErrorKind::StorageFull);
    }
}
