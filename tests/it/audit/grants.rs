//! Conditional grants end to end: a role whose policies are narrowed to named resources or by
//! a resource condition, served by the simulator as Genesys writes it, is judged as a full
//! grant (severity unchanged) and the evidence says the grant is conditional.

use genesys_api::models::{ConditionNode, ConditionValue, PermissionPolicy, Role, RoleDivision};
use serde_json::Value;

use super::*;

fn policy(domain: &str, entity: &str, actions: &[&str]) -> PermissionPolicy {
    PermissionPolicy {
        domain: domain.into(),
        entity_name: entity.into(),
        policy_name: None,
        action_set: actions.iter().map(|a| a.to_string()).collect(),
        allow_conditions: Some(false),
        named_resources: None,
        resource_condition_node: None,
    }
}

/// A role holding `directory:*:*` for three named resources and `oauth:client:add` under a
/// condition of one comparison.
fn narrowed_role() -> Role {
    let mut directory = policy("directory", "*", &["*"]);
    directory.named_resources = Some(vec!["u1".into(), "u2".into(), "u3".into()]);
    let mut clients = policy("oauth", "client", &["add"]);
    clients.allow_conditions = Some(true);
    clients.resource_condition_node = Some(ConditionNode {
        variable_name: Some("division.id".into()),
        operator: Some("EQ".into()),
        operands: Some(vec![ConditionValue {
            kind: "SCALAR".into(),
            value: Some("d1".into()),
        }]),
        conjunction: None,
        terms: None,
    });
    Role {
        id: "narrowed-admin".into(),
        name: "Narrowed Admin".into(),
        description: None,
        default_role_id: None,
        permissions: Some(vec![]),
        permission_policies: Some(vec![directory, clients]),
        user_count: Some(1),
        default: Some(false),
        base: Some(false),
        self_uri: None,
    }
}

#[tokio::test]
async fn a_narrowed_grant_is_judged_in_full_and_said_to_be_conditional() {
    let mut org = generated_org(20, 10);
    org.roles.push(narrowed_role());
    let target = org
        .clients
        .iter_mut()
        .find(|c| c.client.authorized_grant_type == "CLIENT-CREDENTIALS")
        .expect("a client-credentials client");
    target.client.role_divisions = Some(vec![RoleDivision {
        role_id: "narrowed-admin".into(),
        division_id: Some("*".into()),
    }]);
    let id = target.client.id.clone();
    let sim = start_sim(org).await;
    let app = spawn_app_on(sim, &temp_database(), &[]).await;
    app.audit().await.expect("the audit runs");
    let client = json(app.get(&format!("/clients/{id}")).await).await;
    let finding = |rule: &str| -> Value {
        client["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == rule)
            .unwrap_or_else(|| panic!("{rule} in {client}"))
            .clone()
    };
    let admin = finding("admin-role");
    assert_eq!(admin["severity"], "CRITICAL", "severity unchanged");
    assert_eq!(
        admin["evidence"][0],
        "role 'Narrowed Admin' (all divisions) has policy directory:*:* conditionally \
         (named resources: 3)"
    );
    let escalation = finding("privilege-escalation");
    assert_eq!(
        escalation["evidence"][0],
        "role 'Narrowed Admin' (all divisions) allows oauth:client:add conditionally \
         (conditions: 1)"
    );
}
