//! The simulated organization: clients (with the secrets only the simulator knows), roles,
//! the scope catalog and daily usage rows, all in the API's own wire format.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::directory::{Division, SimUser, divisions};
use genesys_api::models::TrailMessage;
use genesys_api::models::{
    OAuthClient, OAuthScope, PermissionPolicy, Role, RoleDivision, UsageRow,
};
use genesys_api::rng::Rng;

/// The read permissions scopewatch needs, given to the auditor client.
/// `directory:organization:admin` is the only permission Genesys accepts for reading the IP
/// allowlist.
/// `oauth:client:authorize` is the only one it accepts for listing the authorized (third-party)
/// apps.
pub(crate) const AUDITOR_PERMISSIONS: [(&str, &str, &str); 7] = [
    ("oauth", "client", "view"),
    ("authorization", "role", "view"),
    ("usage", "organization", "view"),
    ("usage", "client", "view"),
    ("audits", "audit", "view"),
    ("directory", "organization", "admin"),
    ("oauth", "client", "authorize"),
];

/// An OAuth client as the simulator stores it: the wire entity plus its secret, which the API
/// never returns on a GET.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimClient {
    #[serde(flatten)]
    pub client: OAuthClient,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl SimClient {
    /// An active client-credentials client holding one role grant, as an admin would make
    /// scopewatch's own client or a test operator.
    fn credentials(
        id: &str,
        secret: &str,
        name: &str,
        description: &str,
        validity_seconds: i64,
        grant: RoleDivision,
    ) -> SimClient {
        SimClient {
            client: OAuthClient {
                id: id.to_string(),
                name: name.into(),
                access_token_validity_seconds: Some(validity_seconds),
                description: Some(description.into()),
                registered_redirect_uri: Some(vec![]),
                role_ids: Some(vec![grant.role_id.clone()]),
                date_created: Some("2026-01-05T09:00:00.000Z".into()),
                date_modified: Some("2026-01-05T09:00:00.000Z".into()),
                created_by: None,
                modified_by: None,
                authorized_grant_type: "CLIENT-CREDENTIALS".into(),
                scope: Some(vec![]),
                role_divisions: Some(vec![grant]),
                state: Some("active".into()),
                date_to_delete: None,
                self_uri: Some(format!("/api/v2/oauth/clients/{id}")),
            },
            secret: Some(secret.to_string()),
        }
    }
}

/// A whole organization; `--org FILE` loads one and `--dump-org FILE` writes one.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Org {
    #[serde(default)]
    pub organization_id: String,
    #[serde(default)]
    pub home_division_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub organization_name: String,
    #[serde(default)]
    pub divisions: Vec<Division>,
    #[serde(default)]
    pub users: Vec<SimUser>,
    pub clients: Vec<SimClient>,
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub scopes: Vec<OAuthScope>,
    #[serde(default)]
    pub usage: Vec<UsageRow>,
    /// The audit trail, oldest first (the generated one, then the changes made while serving).
    #[serde(default)]
    pub audits: Vec<TrailMessage>,
    /// The org's IP allowlist (`networkWhitelist`): the networks its tokens may be used from.
    /// Generated orgs have none.
    #[serde(default)]
    pub ip_allowlist: Vec<String>,
    /// Apps of other orgs authorized, requested or revoked here (`OAuthAuthorization`, as served
    /// by `GET /api/v2/oauth/authorizations`).
    #[serde(default)]
    pub authorizations: Vec<super::authorizations::SimAuthorization>,
}

/// Why an org file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum OrgFileError {
    #[error("cannot read org file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("malformed org file {}", path.display())]
    Malformed {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("invalid org file {}: {problem}", path.display())]
    Invalid { path: PathBuf, problem: String },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Org {
    /// Reads an org file; the error names the file and the line and column of the problem.
    pub fn load(path: &Path) -> Result<Org, OrgFileError> {
        let file = path.to_path_buf();
        let text = std::fs::read_to_string(path).map_err(|source| OrgFileError::Read {
            path: file.clone(),
            source,
        })?;
        let org: Org = serde_json::from_str(&text).map_err(|source| OrgFileError::Malformed {
            path: file.clone(),
            source,
        })?;
        match org.problem() {
            Some(problem) => Err(OrgFileError::Invalid {
                path: file,
                problem,
            }),
            None => Ok(org),
        }
    }

    /// Writes the org as pretty JSON.
    pub fn dump(&self, path: &Path) -> Result<(), OrgFileError> {
        // An org of wire types and strings always serializes.
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        std::fs::write(path, text).map_err(|source| OrgFileError::Write {
            path: path.to_path_buf(),
            source,
        })
    }

    /// The first thing wrong with the org, if any.
    fn problem(&self) -> Option<String> {
        let mut ids = HashSet::new();
        for (i, c) in self.clients.iter().enumerate() {
            if c.client.id.trim().is_empty() {
                return Some(format!("clients[{i}].id is empty"));
            }
            if !ids.insert(c.client.id.as_str()) {
                return Some(format!("clients[{i}].id '{}' is duplicated", c.client.id));
            }
            if let Some(v) = c.client.access_token_validity_seconds
                && v <= 0
            {
                return Some(format!(
                    "clients[{i}].accessTokenValiditySeconds must be positive"
                ));
            }
        }
        let mut role_ids = HashSet::new();
        for (i, r) in self.roles.iter().enumerate() {
            if !role_ids.insert(r.id.as_str()) {
                return Some(format!("roles[{i}].id '{}' is duplicated", r.id));
            }
        }
        None
    }

    /// Makes sure the auditor's own client exists with this secret. A new one gets exactly the
    /// read permissions; an existing one keeps the roles the org gave it.
    pub fn ensure_auditor(&mut self, client_id: &str, secret: &str) {
        if let Some(existing) = self.clients.iter_mut().find(|c| c.client.id == client_id) {
            existing.secret = Some(secret.to_string());
            return;
        }
        let role_id = format!("{client_id}-role");
        if !self.roles.iter().any(|r| r.id == role_id) {
            self.roles.push(Role {
                id: role_id.clone(),
                name: "scopewatch auditor (read-only)".into(),
                description: Some("Read access for the OAuth client audit".into()),
                default_role_id: None,
                permissions: Some(vec![]),
                permission_policies: Some(
                    AUDITOR_PERMISSIONS
                        .iter()
                        .map(|(d, e, a)| PermissionPolicy {
                            domain: d.to_string(),
                            entity_name: e.to_string(),
                            policy_name: None,
                            action_set: vec![a.to_string()],
                            allow_conditions: Some(false),
                            named_resources: None,
                            resource_condition_node: None,
                        })
                        .collect(),
                ),
                user_count: Some(0),
                default: Some(false),
                base: Some(false),
                self_uri: Some(format!("/api/v2/authorization/roles/{role_id}")),
            });
        }
        // A grant always names its division (the model requires `divisionId`).
        self.ensure_divisions();
        let division = Some(self.home_division_id.clone());
        self.clients.push(SimClient::credentials(
            client_id,
            secret,
            "scopewatch auditor",
            "Reads OAuth clients, roles and usage for scopewatch",
            86_400,
            RoleDivision {
                role_id,
                division_id: division,
            },
        ));
    }

    /// Adds a client-credentials client that may create, edit and delete OAuth clients (in
    /// every division), for whoever changes the org while it serves (`scopewatch sim
    /// --operator`, tests). Its id and secret are the caller's; it is named "scopewatch test
    /// operator".
    pub fn add_operator(&mut self, client_id: &str, secret: &str) {
        self.ensure_divisions();
        let role_id = format!("{client_id}-role");
        self.roles.push(Role {
            id: role_id.clone(),
            name: "OAuth client operator".into(),
            description: Some("Creates, edits and deletes OAuth clients".into()),
            default_role_id: None,
            permissions: Some(vec![]),
            permission_policies: Some(vec![PermissionPolicy {
                domain: "oauth".into(),
                entity_name: "client".into(),
                policy_name: None,
                action_set: ["add", "edit", "delete", "view"].map(String::from).to_vec(),
                allow_conditions: Some(false),
                named_resources: None,
                resource_condition_node: None,
            }]),
            user_count: Some(0),
            default: Some(false),
            base: Some(false),
            self_uri: Some(format!("/api/v2/authorization/roles/{role_id}")),
        });
        self.clients.push(SimClient::credentials(
            client_id,
            secret,
            "scopewatch test operator",
            "Changes the org in tests",
            3600,
            RoleDivision {
                role_id,
                division_id: Some("*".into()),
            },
        ));
    }

    /// Whether the client's roles grant `domain:entity:action` (with `*` wildcards, or the
    /// flat `admin` permission).
    pub(crate) fn client_has_permission(&self, client: &OAuthClient, permission: &str) -> bool {
        let mut parts = permission.splitn(3, ':');
        let (Some(domain), Some(entity), Some(action)) = (parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let role_ids = client
            .role_divisions
            .iter()
            .flatten()
            .map(|rd| rd.role_id.as_str())
            .chain(client.role_ids.iter().flatten().map(String::as_str));
        let matches = |want: &str, have: &str| have == "*" || have == want;
        role_ids
            .filter_map(|id| self.roles.iter().find(|r| r.id == id))
            .any(|role| {
                role.permissions.iter().flatten().any(|p| p == "admin")
                    || role.permission_policies.iter().flatten().any(|p| {
                        matches(domain, &p.domain)
                            && matches(entity, &p.entity_name)
                            && p.action_set.iter().any(|a| matches(action, a))
                    })
            })
    }
}

impl Org {
    /// Makes the directory whole for an org that lacks parts of it (an org file written before
    /// divisions existed): a home division, and a division for every division id a client's
    /// role grant names, so every grant resolves to a named division.
    pub(crate) fn ensure_divisions(&mut self) {
        if self.home_division_id.is_empty() {
            self.home_division_id = self
                .divisions
                .iter()
                .find(|d| d.home_division)
                .map(|d| d.id.clone())
                .unwrap_or_else(|| Rng::new(0x40e_d1f5).uuid());
        }
        let mut known: HashSet<String> = self.divisions.iter().map(|d| d.id.clone()).collect();
        let home = self.home_division_id.clone();
        if !known.contains(&home) {
            self.divisions
                .insert(0, divisions(std::slice::from_ref(&home)).remove(0));
            known.insert(home.clone());
        }
        // A grant always names its division: the home one when the file left it out.
        for c in &mut self.clients {
            for rd in c.client.role_divisions.iter_mut().flatten() {
                if rd.division_id.is_none() {
                    rd.division_id = Some(home.clone());
                }
            }
        }
        let named: Vec<String> = self
            .clients
            .iter()
            .flat_map(|c| c.client.role_divisions.iter().flatten())
            .filter_map(|rd| rd.division_id.clone())
            .filter(|d| d != "*")
            .collect();
        for id in named {
            if known.insert(id.clone()) {
                let n = self.divisions.len();
                let mut d = divisions(std::slice::from_ref(&id)).remove(0);
                d.name = format!("Division {n}");
                d.home_division = false;
                d.description = String::new();
                self.divisions.push(d);
            }
        }
    }

    /// The organization name the org reports (`GET /api/v2/organizations/me`).
    pub(crate) fn display_name(&self) -> &str {
        if self.organization_name.is_empty() {
            "Simulated organization"
        } else {
            &self.organization_name
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_auditor_gets_exactly_the_read_permissions() {
        let mut org = Org::default();
        org.ensure_auditor("aud", "s3cret");
        let auditor = &org.clients[0].client;
        for (d, e, a) in AUDITOR_PERMISSIONS {
            assert!(org.client_has_permission(auditor, &format!("{d}:{e}:{a}")));
        }
        assert!(!org.client_has_permission(auditor, "oauth:client:add"));
        assert!(!org.client_has_permission(auditor, "usage:client:add"));
    }

    #[test]
    fn existing_auditor_keeps_its_roles_and_gets_the_secret() {
        let mut org = Org::default();
        org.ensure_auditor("aud", "one");
        org.clients[0].client.role_divisions = Some(vec![]);
        org.clients[0].client.role_ids = None;
        org.ensure_auditor("aud", "two");
        assert_eq!(org.clients.len(), 1);
        assert_eq!(org.clients[0].secret.as_deref(), Some("two"));
        assert!(!org.client_has_permission(&org.clients[0].client, "oauth:client:view"));
    }
}
