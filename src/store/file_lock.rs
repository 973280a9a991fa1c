//! One process per SQLite file: `serve` holds an exclusive lock on `<file>.lock` while it runs.
//! Two services on one file would both audit on their own schedules and mix their histories
//! (the audit lock of SQLite is per process); the second refuses to start and names the file.
//! Several replicas share one PostgreSQL instead.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;

/// Why the SQLite file could not be claimed.
#[derive(Debug, thiserror::Error)]
pub enum FileLockError {
    #[error(
        "the SQLite file {file} is in use by another scopewatch process{holder} (lock file \
         {lock}): two services on one file would mix their histories; stop the other one, give \
         this one its own file, or share a PostgreSQL database between replicas"
    )]
    InUse {
        file: String,
        lock: String,
        holder: String,
    },
    #[error("cannot lock the SQLite file {file} (lock file {lock})")]
    Io {
        file: String,
        lock: String,
        #[source]
        source: std::io::Error,
    },
}

/// Held while the process runs; the lock goes with the file handle (at exit, or a crash).
#[derive(Debug)]
pub struct FileLock {
    _file: File,
}

/// Claims the SQLite file of `url` for this process (`None` for PostgreSQL, or a URL that names
/// no file: the configuration refuses those).
pub fn claim_sqlite_file(url: &str) -> Result<Option<FileLock>, FileLockError> {
    if !url.starts_with("sqlite:") {
        return Ok(None);
    }
    let Ok(options) = SqliteConnectOptions::from_str(url) else {
        return Ok(None);
    };
    claim(options.get_filename()).map(Some)
}

/// The lock file beside `database`.
fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

fn claim(database: &Path) -> Result<FileLock, FileLockError> {
    let lock = lock_path(database);
    let io = |source| FileLockError::Io {
        file: database.display().to_string(),
        lock: lock.display().to_string(),
        source,
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = (&file).take(32).read_to_string(&mut pid);
            let pid = pid.trim();
            let holder = if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) {
                format!(" (pid {pid})")
            } else {
                String::new()
            };
            return Err(FileLockError::InUse {
                file: database.display().to_string(),
                lock: lock.display().to_string(),
                holder,
            });
        }
        Err(TryLockError::Error(e)) => return Err(io(e)),
    }
    // Who holds it, for the message the next process prints.
    file.set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| write!(file, "{}", std::process::id()))
        .map_err(io)?;
    Ok(FileLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_claim_on_one_file_is_refused_naming_it_until_the_first_ends() {
        let dir = std::env::temp_dir().join(format!("sw-file-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("history.db");
        let url = format!("sqlite://{}", db.display());
        let first = claim_sqlite_file(&url).unwrap().expect("a file is claimed");
        let e = claim_sqlite_file(&url).unwrap_err().to_string();
        assert!(e.contains(&db.display().to_string()), "{e}");
        assert!(e.contains(&format!("(pid {})", std::process::id())), "{e}");
        drop(first);
        assert!(claim_sqlite_file(&url).unwrap().is_some());
        assert!(
            claim_sqlite_file("postgres://u@h/db").unwrap().is_none(),
            "PostgreSQL is shared on purpose"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
