//! The permission catalog: for each API operation (method, path template), the permissions it
//! requires (ALL or ANY of a list) and the OAuth scopes it accepts. Built from the embedded
//! snapshot (`data/genesys-permissions.tsv`) or from the org's live API description.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;

use super::universe::Universe;

/// The snapshot shipped in the binary, so an audit can always fall back to it.
const SNAPSHOT_TSV: &str = include_str!("../../data/genesys-permissions.tsv");

/// How an operation's permission list is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Mode {
    /// Every listed permission is required.
    All,
    /// One of the listed permissions is enough.
    Any,
    /// No permission is named (any token with an accepted scope, or no auth).
    None,
}

impl Mode {
    /// Reads `ALL`, `ANY` or `NONE` (the API description's `type` and the snapshot's column).
    pub fn parse(text: &str) -> Option<Mode> {
        match text {
            "ALL" => Some(Mode::All),
            "ANY" => Some(Mode::Any),
            "NONE" | "" => Some(Mode::None),
            _ => None,
        }
    }
}

/// What one operation requires (serialized compactly when a live catalog is kept).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Operation {
    /// Upper-case HTTP method.
    pub method: String,
    /// Path template with a leading slash, as the API description writes it.
    pub path: String,
    pub mode: Mode,
    pub permissions: Vec<String>,
    pub scopes: Vec<String>,
}

/// Where a catalog came from; the report says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The org's API description, read on this day.
    Live { date: NaiveDate },
    /// The embedded snapshot; `line` is its first comment line naming its sources.
    Snapshot { line: String },
}

/// Why a catalog text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("permission catalog line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("API description: {0}")]
    Description(String),
}

/// Operations indexed by (method, path template with its parameter names erased).
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    pub source: Source,
    operations: Vec<Operation>,
    index: HashMap<(String, String), usize>,
    /// Every permission some operation requires, kept because every client's fit expands over it.
    universe: Universe,
}

/// The lookup key of a path: leading slash added, `{anyName}` written `{}`, because usage rows
/// drop the slash and two descriptions may name the same parameter differently.
pub fn path_key(path: &str) -> String {
    let mut key = String::with_capacity(path.len() + 1);
    if !path.starts_with('/') {
        key.push('/');
    }
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                key.push('{');
            }
            '}' => {
                in_param = false;
                key.push('}');
            }
            _ if in_param => {}
            _ => key.push(c),
        }
    }
    key
}

impl Catalog {
    /// Indexes operations; a later duplicate of a (method, path) replaces an earlier one.
    pub fn new(source: Source, operations: Vec<Operation>) -> Catalog {
        let mut kept: Vec<Operation> = Vec::with_capacity(operations.len());
        let mut index = HashMap::with_capacity(operations.len());
        for op in operations {
            let key = (op.method.to_ascii_uppercase(), path_key(&op.path));
            match index.get(&key) {
                Some(&at) => kept[at] = op,
                None => {
                    index.insert(key, kept.len());
                    kept.push(op);
                }
            }
        }
        let universe = Universe::new(
            kept.iter()
                .flat_map(|op| op.permissions.iter().cloned())
                .collect(),
        );
        Catalog {
            source,
            operations: kept,
            index,
            universe,
        }
    }

    /// The embedded snapshot, parsed once per process.
    pub fn snapshot() -> Arc<Catalog> {
        static SNAPSHOT: OnceLock<Arc<Catalog>> = OnceLock::new();
        SNAPSHOT
            .get_or_init(|| {
                // The snapshot is ours and tested; failing to parse it is a build defect.
                Arc::new(Catalog::from_tsv(SNAPSHOT_TSV).expect("the embedded catalog parses"))
            })
            .clone()
    }

    /// Parses the snapshot format: `#` comments, a header line, then
    /// `method<TAB>path<TAB>mode<TAB>permissions,...<TAB>scopes,...`.
    pub fn from_tsv(text: &str) -> Result<Catalog, CatalogError> {
        let mut source_line = None;
        let mut operations = Vec::new();
        let mut header_seen = false;
        for (n, line) in text.lines().enumerate() {
            let line_no = n + 1;
            if let Some(comment) = line.strip_prefix('#') {
                source_line.get_or_insert_with(|| comment.trim().to_string());
                continue;
            }
            if line.trim().is_empty() {
                continue;
            }
            if !header_seen {
                header_seen = true;
                if line.starts_with("method\t") {
                    continue;
                }
            }
            let fields: Vec<&str> = line.split('\t').collect();
            let [method, path, mode, permissions, scopes] = fields[..] else {
                return Err(CatalogError::Line {
                    line: line_no,
                    message: format!("expected 5 tab-separated fields, found {}", fields.len()),
                });
            };
            let mode = Mode::parse(mode).ok_or_else(|| CatalogError::Line {
                line: line_no,
                message: format!("mode '{mode}' is not ALL, ANY or NONE"),
            })?;
            if !path.starts_with('/') {
                return Err(CatalogError::Line {
                    line: line_no,
                    message: format!("path '{path}' does not start with /"),
                });
            }
            operations.push(Operation {
                method: method.to_ascii_uppercase(),
                path: path.to_string(),
                mode,
                permissions: list(permissions),
                scopes: list(scopes),
            });
        }
        let line = source_line.unwrap_or_else(|| "embedded snapshot".into());
        Ok(Catalog::new(Source::Snapshot { line }, operations))
    }

    /// The operation behind a usage row's `httpMethod` and `templateUri`, if known.
    pub fn get(&self, method: &str, template: &str) -> Option<&Operation> {
        let key = (method.to_ascii_uppercase(), path_key(template));
        self.index.get(&key).map(|&at| &self.operations[at])
    }

    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// Every permission some operation requires: the universe wildcards expand over.
    pub fn permissions(&self) -> &Universe {
        &self.universe
    }
}

fn list(field: &str) -> Vec<String> {
    field
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_snapshot_indexes_every_operation_and_names_its_source() {
        let catalog = Catalog::snapshot();
        assert_eq!(catalog.operations().len(), 3164);
        let Source::Snapshot { line } = &catalog.source else {
            panic!("the snapshot is a snapshot");
        };
        assert!(line.starts_with("source: MyPureCloud/platform-client-sdk-python"));
        let queues = catalog.get("get", "api/v2/routing/queues").unwrap();
        assert_eq!(queues.mode, Mode::Any);
        assert_eq!(queues.permissions, vec!["routing:queue:view"]);
        assert_eq!(queues.scopes, vec!["routing", "routing:readonly"]);
    }

    #[test]
    fn paths_match_whatever_their_parameters_are_called() {
        let catalog = Catalog::snapshot();
        let by_name = catalog.get("GET", "/api/v2/routing/queues/{queueId}");
        assert!(by_name.is_some());
        assert_eq!(by_name, catalog.get("GET", "api/v2/routing/queues/{id}"));
        assert_eq!(catalog.get("GET", "api/v2/nothing/here"), None);
    }

    #[test]
    fn a_malformed_line_is_an_error_naming_the_line() {
        let err =
            Catalog::from_tsv("# s\nmethod\tpath\tmode\tpermissions\tscopes\nGET\t/x\tSOME\t\t\n")
                .unwrap_err();
        assert_eq!(
            err,
            CatalogError::Line {
                line: 3,
                message: "mode 'SOME' is not ALL, ANY or NONE".into()
            }
        );
        assert!(Catalog::from_tsv("GET\t/x\n").is_err());
    }
}
