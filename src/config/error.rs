//! Why settings cannot be used. Every variant names the variable, file or line it is about;
//! none holds a secret value (tokens, secrets, database passwords, webhook URLs).

use std::path::PathBuf;

/// A configuration error (exit status 2). The message is one line; an I/O cause is kept as
/// the source, not repeated in the message.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A variable's value is unusable; `problem` says why (and shows the value only when it is
    /// not a secret).
    #[error("{key}: {problem}")]
    Invalid { key: String, problem: String },
    #[error("{key} is set but empty: unset it to serve without authentication")]
    EmptyAuth { key: &'static str },
    #[error("{first} and {second} are both set: {advice}")]
    Conflict {
        first: &'static str,
        second: &'static str,
        advice: &'static str,
    },
    #[error("{key} is not set{hint}")]
    Missing {
        key: &'static str,
        hint: &'static str,
    },
    #[error("{key} is not valid UTF-8 (its value is not shown)")]
    NotUtf8 { key: String },
    #[error("{key} '{path}': cannot read the file")]
    SecretFile {
        key: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{key} '{path}': the file is empty")]
    EmptySecretFile { key: &'static str, path: String },
    #[error("cannot read config file {}", path.display())]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config file {}: {message}", path.display())]
    FileSyntax { path: PathBuf, message: String },
    #[error("config file {} line {line}: {problem}", path.display())]
    FileKey {
        path: PathBuf,
        line: usize,
        problem: String,
    },
    #[error(transparent)]
    OrgsFile(#[from] crate::orgs_file::OrgsFileError),
}

impl ConfigError {
    /// `key`'s value is unusable because of `problem`.
    pub fn invalid(key: impl Into<String>, problem: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            key: key.into(),
            problem: problem.into(),
        }
    }
}
