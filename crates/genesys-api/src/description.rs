//! The org's API description (`GET /api/v2/docs/swagger`, Swagger 2.0, tens of MB), read for
//! the permission catalog. Only paths, methods, `x-inin-requires-permissions` and `security` are
//! kept: the document is walked with serde visitors and everything else is skipped with
//! `IgnoredAny`, so no tree of the whole document is ever built.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::permissions::catalog::{Catalog, Mode, Operation, Source};

/// A live catalog and when it was read: it is read again only when older than `MAX_AGE`.
#[derive(Debug, Clone)]
pub struct LiveCatalog {
    pub fetched_at: DateTime<Utc>,
    pub catalog: Arc<Catalog>,
}

/// The description changes with Genesys releases, not by the hour, and it is tens of MB:
/// reading it once a day is fresh enough.
pub const MAX_AGE: chrono::Duration = chrono::Duration::hours(24);

impl LiveCatalog {
    pub fn new(fetched_at: DateTime<Utc>, operations: Vec<Operation>) -> LiveCatalog {
        let source = Source::Live {
            date: fetched_at.date_naive(),
        };
        LiveCatalog {
            fetched_at,
            catalog: Arc::new(Catalog::new(source, operations)),
        }
    }

    pub fn is_fresh(&self, now: DateTime<Utc>) -> bool {
        now - self.fetched_at < MAX_AGE && self.fetched_at <= now
    }

    /// The operations as compact JSON, for the database (never the raw description).
    pub fn operations_json(&self) -> String {
        serde_json::to_string(self.catalog.operations()).unwrap_or_else(|_| "[]".into())
    }

    /// A catalog kept by `operations_json`.
    pub fn from_stored(
        fetched_at: DateTime<Utc>,
        json: &str,
    ) -> Result<LiveCatalog, StoredCatalogError> {
        let operations: Vec<Operation> = serde_json::from_str(json).map_err(StoredCatalogError)?;
        Ok(LiveCatalog::new(fetched_at, operations))
    }
}

/// A stored catalog that does not parse (written by another version, or damaged).
#[derive(Debug, thiserror::Error)]
#[error("the stored permission catalog does not parse")]
pub struct StoredCatalogError(#[source] serde_json::Error);

/// The operations an API description declares.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ApiDescription {
    pub operations: Vec<Operation>,
}

/// The most operations believed (the real description declares about 3 200): a hostile or broken
/// description cannot make the catalog grow without end.
pub const MAX_OPERATIONS: usize = 50_000;

/// Swagger 2.0 operation keys of a path item; `parameters` and `$ref` are not operations.
const METHODS: [&str; 7] = ["get", "put", "post", "delete", "options", "head", "patch"];

impl<'de> Deserialize<'de> for ApiDescription {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(Document)
    }
}

/// The top level: only `paths` is read.
struct Document;

impl<'de> Visitor<'de> for Document {
    type Value = ApiDescription;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Swagger 2.0 API description (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut operations = Vec::new();
        let mut saw_paths = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "paths" {
                saw_paths = true;
                map.next_value_seed(Paths(&mut operations))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if !saw_paths {
            return Err(serde::de::Error::missing_field("paths"));
        }
        Ok(ApiDescription { operations })
    }
}

/// `paths`: path template -> path item.
struct Paths<'a>(&'a mut Vec<Operation>);

impl<'de> DeserializeSeed<'de> for Paths<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Paths<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("`paths` as an object of path templates")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(path) = map.next_key::<String>()? {
            map.next_value_seed(PathItem {
                path: &path,
                operations: self.0,
            })?;
        }
        Ok(())
    }
}

/// One path item: HTTP method -> operation; other keys are skipped.
struct PathItem<'a> {
    path: &'a str,
    operations: &'a mut Vec<Operation>,
}

impl<'de> DeserializeSeed<'de> for PathItem<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PathItem<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "the path item of {} as an object", self.path)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let method = key.to_ascii_lowercase();
            if !METHODS.contains(&method.as_str()) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            if self.operations.len() >= MAX_OPERATIONS {
                return Err(serde::de::Error::custom(format!(
                    "the API description declares more than {MAX_OPERATIONS} operations"
                )));
            }
            let fields: OperationFields = map.next_value()?;
            let (mode, permissions) = match fields.requires {
                None => (Mode::None, Vec::new()),
                Some(r) => {
                    let mode = Mode::parse(&r.kind).ok_or_else(|| {
                        serde::de::Error::custom(format!(
                            "{} {}: x-inin-requires-permissions type '{}' is not ALL or ANY",
                            method.to_ascii_uppercase(),
                            self.path,
                            crate::text::sanitize(&r.kind, 40)
                        ))
                    })?;
                    (mode, r.permissions)
                }
            };
            let scopes = fields.security.into_iter().flat_map(|s| s.scopes).collect();
            self.operations.push(Operation {
                method: method.to_ascii_uppercase(),
                path: self.path.to_string(),
                mode,
                permissions,
                scopes,
            });
        }
        Ok(())
    }
}

/// The two fields of an operation scopewatch reads; serde skips the others (`parameters`,
/// `responses`, descriptions: most of the document) without keeping them.
#[derive(Deserialize)]
struct OperationFields {
    #[serde(rename = "x-inin-requires-permissions", default)]
    requires: Option<Requires>,
    #[serde(default)]
    security: Vec<SecurityRequirement>,
}

#[derive(Deserialize)]
struct Requires {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    permissions: Vec<String>,
}

/// One `security` entry; schemes other than the OAuth one name no scopes scopewatch checks.
#[derive(Deserialize)]
struct SecurityRequirement {
    #[serde(rename = "PureCloud OAuth", default)]
    scopes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_methods_permissions_and_scopes_are_kept_and_everything_else_is_skipped() {
        let text = r##"{
            "swagger": "2.0",
            "info": {"title": "x", "nested": {"deep": [1, 2, {"a": null}]}},
            "definitions": {"Queue": {"type": "object", "properties": {"id": {"type": "string"}}}},
            "paths": {
                "/api/v2/routing/queues": {
                    "parameters": [{"name": "x", "in": "query"}],
                    "get": {
                        "operationId": "getRoutingQueues",
                        "description": "lists queues",
                        "responses": {"200": {"schema": {"$ref": "#/definitions/Queue"}}},
                        "x-inin-requires-permissions": {"type": "ANY", "permissions": ["routing:queue:view", "routing:queue:edit"], "extra": true},
                        "security": [{"Guest Chat JWT": []}, {"PureCloud OAuth": ["routing", "routing:readonly"]}]
                    },
                    "post": {"operationId": "postRoutingQueues", "x-inin-requires-permissions": {"type": "ALL", "permissions": ["routing:queue:add"]}}
                },
                "/api/v2/health": {"get": {"operationId": "health"}}
            },
            "tags": [{"name": "Routing"}]
        }"##;
        let description: ApiDescription = serde_json::from_str(text).unwrap();
        assert_eq!(
            description.operations,
            vec![
                Operation {
                    method: "GET".into(),
                    path: "/api/v2/routing/queues".into(),
                    mode: Mode::Any,
                    permissions: vec!["routing:queue:view".into(), "routing:queue:edit".into()],
                    scopes: vec!["routing".into(), "routing:readonly".into()],
                },
                Operation {
                    method: "POST".into(),
                    path: "/api/v2/routing/queues".into(),
                    mode: Mode::All,
                    permissions: vec!["routing:queue:add".into()],
                    scopes: vec![],
                },
                Operation {
                    method: "GET".into(),
                    path: "/api/v2/health".into(),
                    mode: Mode::None,
                    permissions: vec![],
                    scopes: vec![],
                },
            ]
        );
    }

    #[test]
    fn a_description_without_paths_or_with_a_bad_permission_type_is_refused_with_a_reason() {
        let err = serde_json::from_str::<ApiDescription>(r#"{"swagger": "2.0"}"#).unwrap_err();
        assert!(err.to_string().contains("paths"), "{err}");
        let err = serde_json::from_str::<ApiDescription>(
            r#"{"paths": {"/a": {"get": {"x-inin-requires-permissions": {"type": "SOME", "permissions": []}}}}}"#,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("'SOME' is not ALL or ANY"),
            "{err}"
        );
        assert!(serde_json::from_str::<ApiDescription>("[1, 2]").is_err());
        let endless: String = (0..=MAX_OPERATIONS)
            .map(|i| format!(r#""/p{i}": {{"get": {{}}}}"#))
            .collect::<Vec<_>>()
            .join(",");
        let err = serde_json::from_str::<ApiDescription>(&format!(r#"{{"paths": {{{endless}}}}}"#))
            .unwrap_err();
        assert!(
            err.to_string().contains("more than 50000 operations"),
            "{err}"
        );
        assert!(serde_json::from_str::<ApiDescription>(r#"{"paths": []}"#).is_err());
    }
}
