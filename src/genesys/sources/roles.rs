//! Roles with their permissions and permission policies: what each client's grants allow.

use genesys_api::read_models::{ReadPolicy, ReadRole};

use super::source::{Collection, Reading, Source, Unreadable, apply};
use crate::audit::snapshot::{Narrowing, PermissionPolicy, Role, Snapshot};
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
                let narrowed = narrowing(&p);
                Some(PermissionPolicy {
                    domain: p.domain.filter(|d| !d.is_empty())?,
                    entity: p.entity_name.filter(|e| !e.is_empty())?,
                    actions: p.action_set.unwrap_or_default(),
                    narrowed,
                })
            })
            .collect(),
    })
}

/// How a policy is narrowed, if it is: named resources (a non-empty list), or a condition
/// tree with at least one comparison, unless `allowConditions` is `false` (then Genesys does
/// not apply it). A narrowing that cannot be read leaves the grant full: the safe side.
fn narrowing(p: &ReadPolicy) -> Option<Narrowing> {
    let named_resources = p.named_resources.unwrap_or(0);
    let condition = p
        .resource_condition_node
        .as_ref()
        .filter(|_| p.allow_conditions != Some(false));
    let conditions = condition.map_or(0, |c| c.comparisons);
    let more_conditions = condition.is_some_and(|c| c.beyond_bounds);
    (named_resources > 0 || conditions > 0 || more_conditions).then_some(Narrowing {
        named_resources,
        conditions,
        more_conditions,
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
                actions: vec!["add".into()],
                narrowed: None,
            }]
        );
        assert_eq!(roles[1].permissions, vec!["admin".to_string()]);
    }

    #[test]
    fn narrowed_policies_are_read_as_conditional_and_a_disallowed_condition_is_not() {
        let role: ReadRole = serde_json::from_str(
            r#"{"id":"r","permissionPolicies":[
                {"domain":"directory","entityName":"user","actionSet":["edit"],"namedResources":["a","b","c"]},
                {"domain":"routing","entityName":"queue","actionSet":["edit"],"allowConditions":true,
                 "resourceConditionNode":{"variableName":"queue.id","operator":"EQ","operands":[{"type":"SCALAR","value":"q"}]}},
                {"domain":"routing","entityName":"wrapupCode","actionSet":["add"],"allowConditions":false,
                 "resourceConditionNode":{"variableName":"queue.id","operator":"EQ"}},
                {"domain":"oauth","entityName":"client","actionSet":["view"],"namedResources":[],"resourceConditionNode":{}}
            ]}"#,
        )
        .unwrap();
        let narrowed: Vec<Option<String>> = to_role(role)
            .unwrap()
            .policies
            .iter()
            .map(|p| p.narrowed.as_ref().map(Narrowing::describe))
            .collect();
        assert_eq!(
            narrowed,
            vec![
                Some("named resources: 3".to_string()),
                Some("conditions: 1".to_string()),
                None,
                None
            ]
        );
    }
}
