//! Generates a believable audit trail for a generated org, from its own random stream (the
//! org's other fields stay what they were for the same seed): the creation of every client
//! within the audit retention, role and scope changes on some clients (a few within the last
//! week), role edits, a few client-credentials clients whose own token changed other
//! clients or roles (the tell-tale of an abused integration), and secret regenerations of some
//! client-credentials and code-grant clients (`Rotate` or `Reset` on the `OAuthClient`: which
//! one Genesys records is undocumented, so both appear).

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};

use super::interval::timestamp;
use super::org::Org;
use super::trail::{ENTITY_OAUTH_CLIENT, ENTITY_ROLE, SERVICE};
use genesys_api::models::DomainEntityRef;
use genesys_api::models::{
    TrailClientRef, TrailEntityChange, TrailExtras, TrailInitiatingAction, TrailMessage,
    TrailPropertyChange,
};
use genesys_api::rng::Rng;

/// How far back the generated trail goes (Genesys keeps audits for a limited time).
pub(crate) const RETENTION_DAYS: u64 = 365;
/// Days within which a change counts as recent for the generated sample.
const RECENT_DAYS: i64 = 7;
/// Permissions that let a client administer access: the holders may become abusers.
const ADMINISTERING: [&str; 3] = [
    "oauth:client:edit",
    "authorization:role:edit",
    "oauth:client:add",
];

struct Trail<'a> {
    rng: Rng,
    org_id: String,
    /// The Genesys web app's OAuth client: people act through it, it is not the org's.
    web_app: TrailClientRef,
    users: &'a [DomainEntityRef],
    events: Vec<TrailMessage>,
}

impl Trail<'_> {
    fn user_event(
        &mut self,
        user: &DomainEntityRef,
        date: String,
        action: &str,
        entity_type: &str,
        entity: DomainEntityRef,
        changes: Vec<TrailPropertyChange>,
    ) {
        let client = self.web_app.clone();
        self.push(
            Some(user.clone()),
            client,
            date,
            action,
            entity_type,
            entity,
            changes,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        user: Option<DomainEntityRef>,
        client: TrailClientRef,
        date: String,
        action: &str,
        entity_type: &str,
        entity: DomainEntityRef,
        changes: Vec<TrailPropertyChange>,
    ) {
        let ip = format!(
            "10.{}.{}.{}",
            self.rng.below(256),
            self.rng.below(256),
            self.rng.below(254) + 1
        );
        let mut message = TrailMessage {
            id: self.rng.uuid(),
            user_home_org_id: user.as_ref().map(|_| self.org_id.clone()),
            user,
            client: Some(client),
            remote_ip: vec![ip],
            service_name: SERVICE.into(),
            level: "USER".into(),
            event_date: date,
            action: action.into(),
            entity: Some(entity),
            entity_type: entity_type.into(),
            status: Some("SUCCESS".into()),
            property_changes: changes,
            context: BTreeMap::new(),
            extras: TrailExtras::default(),
        };
        vary(self.events.len(), &self.web_app.id, &mut message);
        self.events.push(message);
    }

    fn admin(&mut self) -> DomainEntityRef {
        self.rng.pick(self.users).clone()
    }
}

/// Gives message number `n` some of the optional shapes real audits carry (issue 20): an
/// entity without a name, a client `{"id": ""}` where a person acted through the web app (never
/// where one of the org's clients acted: that is evidence), and the parts scopewatch does not
/// read. Decided by `n`, never by the random stream, so a seed's org stays what it was.
/// [GUESS] the values of `application` and `actionContext`.
fn vary(n: usize, web_app: &str, m: &mut TrailMessage) {
    if n % 7 == 4
        && let Some(entity) = &mut m.entity
    {
        entity.name = None;
    }
    if n % 5 == 2 && m.client.as_ref().is_some_and(|c| c.id == web_app) {
        m.client = Some(TrailClientRef {
            id: String::new(),
            self_uri: None,
        });
    }
    if n.is_multiple_of(3) {
        m.extras.application = Some("admin".into());
    }
    if n % 4 == 1 {
        m.extras.initiating_action = Some(TrailInitiatingAction {
            transaction_id: Some(m.id.clone()),
            action_context: Some("UI".into()),
        });
        m.extras.transaction_initiator = Some(true);
        m.context.insert("source".into(), "ui".into());
    }
    if n % 6 == 5
        && let Some(entity) = &m.entity
    {
        m.extras.entity_changes = vec![TrailEntityChange {
            entity_id: entity.id.clone(),
            entity_name: entity.name.clone(),
            entity_type: Some(m.entity_type.clone()),
            old_values: vec![],
            new_values: vec![m.action.clone()],
        }];
    }
}

fn change(property: &str, old: Vec<String>, new: Vec<String>) -> TrailPropertyChange {
    TrailPropertyChange {
        property: property.into(),
        old_values: old,
        new_values: new,
    }
}

/// `values` without its last element: what a list was before it was widened by one.
fn narrowed(values: &[String]) -> Vec<String> {
    values[..values.len().saturating_sub(1)].to_vec()
}

fn day_of(timestamp: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(timestamp.get(..10)?, "%Y-%m-%d").ok()
}

fn entity(id: &str, name: &str, kind: &str) -> DomainEntityRef {
    DomainEntityRef {
        id: Some(id.into()),
        name: Some(name.into()),
        self_uri: Some(format!("{kind}/{id}")),
    }
}

fn client_entity(org: &Org, index: usize) -> DomainEntityRef {
    let c = &org.clients[index].client;
    entity(&c.id, &c.name, "/api/v2/oauth/clients")
}

/// What a client holds, as audit values: role ids for client credentials, else scopes.
fn grant(org: &Org, index: usize) -> (&'static str, Vec<String>) {
    let c = &org.clients[index].client;
    if c.authorized_grant_type == "CLIENT-CREDENTIALS" {
        ("roleIds", c.role_ids.clone().unwrap_or_default())
    } else {
        ("scope", c.scope.clone().unwrap_or_default())
    }
}

fn policies_as_values(org: &Org, role: usize) -> Vec<String> {
    org.roles[role]
        .permission_policies
        .iter()
        .flatten()
        .map(|p| format!("{}:{}:{}", p.domain, p.entity_name, p.action_set.join(",")))
        .collect()
}

/// The days the generated trail spans, relative to the org's anchor day.
struct Window {
    anchor: NaiveDate,
    /// The oldest day audits are kept for.
    retention_start: NaiveDate,
    /// The first day of the recent week.
    recent_start: NaiveDate,
}

/// Adds the trail to a generated org. `admins` act on roles and clients besides the creators.
pub(super) fn generate_trail(
    org: &mut Org,
    anchor: NaiveDate,
    seed: u64,
    admins: &[DomainEntityRef],
) {
    let mut rng = Rng::new(seed ^ 0x7a11_0000_0000_0012);
    let web_app = TrailClientRef {
        id: rng.uuid(),
        self_uri: None,
    };
    let window = Window {
        anchor,
        retention_start: anchor
            .checked_sub_days(Days::new(RETENTION_DAYS))
            .unwrap_or(anchor),
        recent_start: anchor - chrono::Duration::days(RECENT_DAYS - 1),
    };
    let mut trail = Trail {
        rng,
        org_id: org.organization_id.clone(),
        web_app,
        users: admins,
        events: Vec::new(),
    };
    // One stream for the whole trail: the order of these steps is part of the seed's output.
    for i in 0..org.clients.len() {
        trail.client_history(org, i, &window);
    }
    trail.role_edits(org, anchor);
    trail.self_administration(org, anchor);
    trail.secret_regenerations(org, &window);
    let mut events = trail.events;
    events.sort_by(|a, b| {
        a.event_date
            .cmp(&b.event_date)
            .then_with(|| a.id.cmp(&b.id))
    });
    org.audits = events;
}

impl Trail<'_> {
    /// The creation of client `i` (within the retention) and, for some, a widening of its
    /// grant since, which also becomes the client's last modification.
    fn client_history(&mut self, org: &mut Org, i: usize, window: &Window) {
        let (property, held) = grant(org, i);
        let c = org.clients[i].client.clone();
        let Some(created) = c.date_created.clone() else {
            return;
        };
        let creator = c.created_by.clone();
        if let (Some(user), Some(day)) = (&creator, day_of(&created))
            && day >= window.retention_start
        {
            let changes = vec![
                change("name", vec![], vec![c.name.clone()]),
                change(
                    "authorizedGrantType",
                    vec![],
                    vec![c.authorized_grant_type.clone()],
                ),
                change(property, vec![], held.clone()),
            ];
            self.user_event(
                user,
                created.clone(),
                "Create",
                ENTITY_OAUTH_CLIENT,
                client_entity(org, i),
                changes,
            );
        }
        // A fifth of the clients had their grant widened since, a quarter of those this week.
        if held.is_empty() || !self.rng.chance(20) {
            return;
        }
        let Some(date) = self.widening_date(&created, c.date_modified.as_deref(), window) else {
            return;
        };
        let who = if self.rng.chance(50) {
            creator.unwrap_or_else(|| self.admin())
        } else {
            self.admin()
        };
        let changes = vec![change(property, narrowed(&held), held.clone())];
        self.user_event(
            &who,
            date.clone(),
            "Update",
            ENTITY_OAUTH_CLIENT,
            client_entity(org, i),
            changes,
        );
        let client = &mut org.clients[i].client;
        client.date_modified = Some(date);
        client.modified_by = Some(who);
    }

    /// When a client created at `created` had its grant widened: this week for some, else at
    /// its last modification if that is later and within the retention; `None` if neither.
    fn widening_date(
        &mut self,
        created: &str,
        modified: Option<&str>,
        window: &Window,
    ) -> Option<String> {
        let created_day = day_of(created).unwrap_or(window.anchor);
        let recent = self.rng.chance(25) && created_day < window.recent_start;
        if recent {
            let day = window.anchor - chrono::Duration::days(self.rng.range(1, RECENT_DAYS - 1));
            return Some(timestamp(day, &mut self.rng));
        }
        modified
            .filter(|m| {
                *m > created
                    && day_of(m).is_some_and(|d| d >= window.retention_start && d < window.anchor)
            })
            .map(str::to_string)
    }

    /// Some roles had a policy added by an administrator.
    fn role_edits(&mut self, org: &Org, anchor: NaiveDate) {
        for r in 0..org.roles.len() {
            let values = policies_as_values(org, r);
            if values.is_empty() || !self.rng.chance(20) {
                continue;
            }
            let day = anchor - chrono::Duration::days(self.rng.range(1, 300));
            let date = timestamp(day, &mut self.rng);
            let who = self.admin();
            let role = &org.roles[r];
            let target = entity(&role.id, &role.name, "/api/v2/authorization/roles");
            let changes = vec![change("permissionPolicies", narrowed(&values), values)];
            self.user_event(&who, date, "Update", ENTITY_ROLE, target, changes);
        }
    }

    /// A few integrations able to administer access used their own token to do so.
    fn self_administration(&mut self, org: &Org, anchor: NaiveDate) {
        let eligible: Vec<usize> = (0..org.clients.len())
            .filter(|&i| {
                let c = &org.clients[i].client;
                c.authorized_grant_type == "CLIENT-CREDENTIALS"
                    && c.state.as_deref() == Some("active")
                    && ADMINISTERING
                        .iter()
                        .any(|p| org.client_has_permission(c, p))
            })
            .collect();
        let wanted = (org.clients.len() / 150).clamp(1, 25).min(eligible.len());
        for k in 0..wanted {
            let actor = eligible[k * eligible.len() / wanted.max(1)];
            for _ in 0..self.rng.range(1, 3) {
                self.change_by_client(org, actor, anchor);
            }
        }
    }

    /// Client `actor`, with its own token, widened another client's grant or a role's policies.
    fn change_by_client(&mut self, org: &Org, actor: usize, anchor: NaiveDate) {
        let actor_id = &org.clients[actor].client.id;
        let actor_ref = TrailClientRef {
            id: actor_id.clone(),
            self_uri: Some(format!("/api/v2/oauth/clients/{actor_id}")),
        };
        let day = anchor - chrono::Duration::days(self.rng.range(1, 60));
        let date = timestamp(day, &mut self.rng);
        if self.rng.chance(60) {
            let target = self.rng.below(org.clients.len() as u64) as usize;
            let (property, held) = grant(org, target);
            if target == actor || held.is_empty() {
                return;
            }
            let changes = vec![change(property, narrowed(&held), held)];
            let entity = client_entity(org, target);
            self.push(
                None,
                actor_ref,
                date,
                "Update",
                ENTITY_OAUTH_CLIENT,
                entity,
                changes,
            );
        } else {
            let r = self.rng.below(org.roles.len() as u64) as usize;
            let values = policies_as_values(org, r);
            let role = &org.roles[r];
            let target = entity(&role.id, &role.name, "/api/v2/authorization/roles");
            let changes = vec![change("permissionPolicies", narrowed(&values), values)];
            self.push(
                None,
                actor_ref,
                date,
                "Update",
                ENTITY_ROLE,
                target,
                changes,
            );
        }
    }
}

/// The actions a secret regeneration may record (`POST /api/v2/oauth/clients/{id}/secret`).
pub(crate) const REGENERATION_ACTIONS: [&str; 2] = ["Rotate", "Reset"];

impl Trail<'_> {
    /// An administrator regenerated the secret of some client-credentials and code-grant
    /// clients since their creation (within the retention), a third of those in the last 60
    /// days; the rest of the old ones never had theirs regenerated.
    fn secret_regenerations(&mut self, org: &Org, window: &Window) {
        for i in 0..org.clients.len() {
            let c = &org.clients[i].client;
            if !matches!(
                c.authorized_grant_type.as_str(),
                "CLIENT-CREDENTIALS" | "CODE"
            ) || !self.rng.chance(15)
            {
                continue;
            }
            let Some(created) = c.date_created.as_deref().and_then(day_of) else {
                continue;
            };
            let first = created.max(window.retention_start) + Days::new(1);
            if first >= window.anchor {
                continue;
            }
            let span = (window.anchor - first).num_days().max(1);
            let back = if self.rng.chance(33) {
                self.rng.range(1, span.min(60))
            } else {
                self.rng.range(1, span)
            };
            let date = timestamp(window.anchor - chrono::Duration::days(back), &mut self.rng);
            let action = REGENERATION_ACTIONS[self.rng.below(2) as usize];
            let who = self.admin();
            self.user_event(
                &who,
                date,
                action,
                ENTITY_OAUTH_CLIENT,
                client_entity(org, i),
                vec![],
            );
        }
    }
}

impl Org {
    /// Ids of the org's own clients whose token changed OAuth clients or roles, per the trail.
    #[cfg(any(test, feature = "testing"))]
    pub fn clients_administering_access(&self) -> std::collections::BTreeSet<String> {
        self.audits
            .iter()
            .filter(|m| matches!(m.entity_type.as_str(), ENTITY_OAUTH_CLIENT | ENTITY_ROLE))
            .filter_map(|m| m.client.as_ref().map(|c| c.id.clone()))
            .filter(|id| self.clients.iter().any(|c| &c.client.id == id))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use chrono::NaiveDate;

    use super::super::generate::{OrgSize, generate};
    use super::*;

    fn org(clients: usize) -> Org {
        generate(&OrgSize {
            clients,
            roles: 40,
            seed: 5,
            anchor: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        })
    }

    #[test]
    fn some_messages_carry_the_optional_shapes_real_audits_have() {
        let org = org(100);
        let json: Vec<serde_json::Value> = org
            .audits
            .iter()
            .map(|m| serde_json::to_value(m).unwrap())
            .collect();
        let some = |what: &str, has: &dyn Fn(&serde_json::Value) -> bool| {
            let n = json.iter().filter(|m| has(m)).count();
            assert!(n > 0 && n < json.len(), "{what}: {n} of {}", json.len());
        };
        some("an entity without a name", &|m| {
            m["entity"].is_object() && m["entity"].get("name").is_none()
        });
        some("an empty client id", &|m| m["client"]["id"] == "");
        for field in [
            "application",
            "initiatingAction",
            "transactionInitiator",
            "context",
            "entityChanges",
        ] {
            some(field, &|m| m.get(field).is_some());
        }
        assert!(
            org.audits
                .iter()
                .filter(|m| m.user.is_none())
                .all(|m| m.client.as_ref().is_some_and(|c| !c.id.is_empty())),
            "a message an org's client made keeps that client"
        );
    }

    #[test]
    fn every_client_has_a_creator_and_some_creators_are_gone() {
        let org = org(600);
        let users: std::collections::HashMap<&str, &str> = org
            .users
            .iter()
            .map(|u| (u.id.as_str(), u.state.as_str()))
            .collect();
        let creator_states: Vec<&str> = org
            .clients
            .iter()
            .map(|c| users[c.client.created_by.as_ref().unwrap().id.as_deref().unwrap()])
            .collect();
        let count = |s: &str| creator_states.iter().filter(|x| **x == s).count();
        assert!(count("deleted") > 0 && count("inactive") > 0);
        assert!(count("active") > 500, "most creators are still here");
    }

    #[test]
    fn the_trail_holds_creations_widenings_role_edits_and_a_few_acting_clients() {
        let org = org(600);
        let anchor = "2026-11-01";
        let retention = "2025-11-01";
        assert!(org.audits.iter().all(|m| m.event_date.as_str() < anchor
            && m.event_date.as_str() >= retention
            && m.service_name == SERVICE));
        let of = |action: &str, kind: &str| {
            org.audits
                .iter()
                .filter(|m| m.action == action && m.entity_type == kind)
                .count()
        };
        assert!(of("Create", ENTITY_OAUTH_CLIENT) > 50);
        assert!(of("Update", ENTITY_OAUTH_CLIENT) > 20);
        assert!(of("Update", ENTITY_ROLE) > 2);
        // Secret regenerations, both actions, only of clients that hold a secret, after creation.
        assert!(of("Rotate", ENTITY_OAUTH_CLIENT) > 5 && of("Reset", ENTITY_OAUTH_CLIENT) > 5);
        for m in org
            .audits
            .iter()
            .filter(|m| REGENERATION_ACTIONS.contains(&m.action.as_str()))
        {
            let id = m.entity.as_ref().unwrap().id.as_deref();
            let c = &org
                .clients
                .iter()
                .find(|c| Some(c.client.id.as_str()) == id)
                .unwrap()
                .client;
            assert!(matches!(
                c.authorized_grant_type.as_str(),
                "CLIENT-CREDENTIALS" | "CODE"
            ));
            assert!(c.date_created.as_deref() < Some(m.event_date.as_str()));
        }
        // Widened: the new values hold the old ones and more.
        let widened = |m: &&TrailMessage| {
            m.property_changes.iter().any(|p| {
                p.new_values.len() > p.old_values.len()
                    && p.old_values.iter().all(|v| p.new_values.contains(v))
            })
        };
        let recent: Vec<&TrailMessage> = org
            .audits
            .iter()
            .filter(|m| m.action == "Update" && m.event_date.as_str() >= "2026-10-25")
            .filter(widened)
            .collect();
        assert!(recent.len() >= 3, "{} recent widenings", recent.len());
        // The changed client's dateModified is its last change.
        for m in recent
            .iter()
            .filter(|m| m.entity_type == ENTITY_OAUTH_CLIENT && m.user.is_some())
        {
            let id = m.entity.as_ref().unwrap().id.as_deref();
            let c = org
                .clients
                .iter()
                .find(|c| Some(c.client.id.as_str()) == id)
                .unwrap();
            assert!(c.client.date_modified.as_deref() >= Some(m.event_date.as_str()));
        }
        let acting = org.clients_administering_access();
        assert!((1..=25).contains(&acting.len()), "{acting:?}");
        for id in &acting {
            let c = &org
                .clients
                .iter()
                .find(|c| &c.client.id == id)
                .unwrap()
                .client;
            assert_eq!(c.authorized_grant_type, "CLIENT-CREDENTIALS");
            assert!(
                ADMINISTERING
                    .iter()
                    .any(|p| org.client_has_permission(c, p))
            );
        }
        // Every message names someone: a person, or the client whose token acted.
        assert!(
            org.audits
                .iter()
                .all(|m| m.user.is_some() || m.client.is_some())
        );
        let ids: HashSet<&str> = org.audits.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids.len(), org.audits.len());
    }

    #[test]
    fn the_trail_grows_with_the_org_and_stays_bounded() {
        let small = org(100).audits.len();
        let large = org(2000).audits.len();
        assert!(large > small * 10, "{small} -> {large}");
        assert!(large < 2000, "{large}");
    }
}
