//! Roles with their permissions and permission policies: what each client's grants allow.

use genesys_api::read_models::ReadRole;

use super::source::{Collection, Reading, Source, Unreadable, apply};
use crate::audit::snapshot::{PermissionPolicy, Role, Snapshot};
use crate::genesys::listing::read_all;

const ROLES: &str = "/api/v2/authorization/roles";

pub(super) const SOURCE: Source = Source {
    name: "roles",
    permissions: &["authorization:role:view"],
    needs: &[],
    unreadable: Unreadable::FailsTheAudit,
    start,
};

fn start<'a>(collection: &'a Collection<'a>, _: &Snapshot) -> Reading<'a> {
    Box::pin(async move {
        // userCount=false: the default (true) is documented as slow for roles with many members.
        let first = format!("{ROLES}?pageSize=100&pageNumber=1&userCount=false");
        let wire = read_all::<ReadRole>(collection.client, ROLES, &first).await?;
        let warning = wire
            .skipped
            .warning("roles", ROLES, "grants of these roles are not judged");
        Ok(apply((wire.items, warning), |s, (wire, warning)| {
            s.warnings.extend(warning);
            s.roles = wire
                .into_iter()
                .filter_map(to_role)
                .map(|role| (role.id.clone(), role))
                .collect();
        }))
    })
}

/// A role in our own types; one without an id is skipped, and a policy missing its domain or
/// entity is left out (§12.6: one odd policy must not fail the roles page).
pub(crate) fn to_role(r: ReadRole) -> Option<Role> {
    let id = r.id.filter(|id| !id.is_empty())?;
    Some(Role {
        name: r.name.unwrap_or_else(|| id.clone()),
        id,
        permissions: r.permissions.unwrap_or_default(),
        policies: r
            .permission_policies
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| {
                Some(PermissionPolicy {
                    domain: p.domain.filter(|d| !d.is_empty())?,
                    entity: p.entity_name.filter(|e| !e.is_empty())?,
                    actions: p.action_set.unwrap_or_default(),
                })
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use genesys_api::models::EntityListing;

    use super::*;

    #[test]
    fn roles_and_policies_missing_fields_do_not_fail_the_page() {
        let page: EntityListing<ReadRole> = serde_json::from_str(
            r#"{"entities":[
                {"id":"r1","permissionPolicies":[{"domain":"oauth","actionSet":["view"]},{"domain":"oauth","entityName":"client","actionSet":["add"]}]},
                {"name":"no id"},
                {"id":"r2","name":"Flat","permissions":["admin"]}
            ],"pageNumber":1,"pageCount":1}"#,
        )
        .unwrap();
        let roles: Vec<Role> = page.entities.into_iter().filter_map(to_role).collect();
        assert_eq!(roles.len(), 2, "the role without an id is skipped");
        assert_eq!(roles[0].name, "r1", "a nameless role is named by its id");
        assert_eq!(
            roles[0].policies,
            vec![PermissionPolicy {
                domain: "oauth".into(),
                entity: "client".into(),
                actions: vec!["add".into()]
            }]
        );
        assert_eq!(roles[1].permissions, vec!["admin".to_string()]);
    }
}
