//! Commands: the one write path. A command validates with the shared field rules of
//! `latch-domain`, builds a [`Changeset`] (the writes, their audit entries and what to
//! announce), and [`Core::apply`] commits the writes and the audit entries in one transaction,
//! then announces the change to every node. The admin API, `latch import`, the bootstrap and
//! the command line all write this way; none of them calls a repository write directly
//! (`cargo xtask ci` checks it).

mod accounts;
mod applications;
mod branding;
mod factors;
mod keys;
mod registration;
mod roles;

pub use accounts::{
    change_email, change_password, end_sessions, reset_mfa, reset_password, second_factor_failures_key,
    sign_in_failures_key, sign_up, unlock_user, update_own_profile, verify_email,
};
pub use applications::{NewApplication, create_application, create_secret, new_client_secret};
pub use branding::{reload_idp_branding, set_idp_branding};
pub use factors::{enrol_passkey, enrol_totp, remove_factor, replace_recovery_codes};
pub use keys::{ensure_signing_keys, maintain_keys, reload_keys, rotate_keys};
pub use registration::{
    Registered, adopt_document_client, ceiling, create_initial_access_token, delete_initial_access_token,
    delete_registered_client, promote_registered_client, register_client, reload_registration_policy,
    set_registration_policy, update_registered_client,
};
pub use roles::{create_organization_role, create_role};

use crate::Core;
use crate::catalog::{self, Change};
use latch_domain::entities::AuditEntry;
use latch_domain::ids::{ApplicationId, UserId, new_id};
use latch_domain::repo::{RepoError, RepoResult, Write};
use latch_domain::{Random, Timestamp};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};

/// Who asks for a change, as the audit log records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A person, through the console or a token of theirs.
    User(UserId),
    /// A machine-to-machine app holding the admin role.
    Application(ApplicationId),
    /// Latch itself or its command line: `bootstrap`, `import`, `cli`, `schedule`.
    System(&'static str),
}

impl Actor {
    /// `user:<id>`, `application:<client id>` or `system:<what>`.
    pub fn audit_name(&self) -> String {
        match self {
            Actor::User(id) => format!("user:{id}"),
            Actor::Application(id) => format!("application:{id}"),
            Actor::System(what) => format!("system:{what}"),
        }
    }

    /// Whether the caller is the application `id` itself.
    pub fn is_application(&self, id: &str) -> bool {
        matches!(self, Actor::Application(a) if a.as_str() == id)
    }

    /// Whether the caller is the user `id` itself.
    pub fn is_user(&self, id: &str) -> bool {
        matches!(self, Actor::User(u) if u.as_str() == id)
    }
}

/// One audited action of a changeset.
#[derive(Clone, Debug, PartialEq)]
struct Audited {
    action: String,
    target_type: String,
    target_id: String,
    details: Value,
}

/// A change to apply: its writes, at least one audit entry, and at least one announcement.
#[derive(Clone, Debug, PartialEq)]
#[must_use = "a changeset does nothing until Core::apply commits it"]
pub struct Changeset {
    writes: Vec<Write>,
    audit: Vec<Audited>,
    announce: Vec<Change>,
}

impl Changeset {
    /// A change that the audit log records as `action` on `target_type`/`target_id`, and that
    /// every node hears about as `change`.
    pub fn new(action: &str, target_type: &str, target_id: &str, details: Value, change: Change) -> Changeset {
        Changeset {
            writes: Vec::new(),
            audit: vec![Audited {
                action: action.to_owned(),
                target_type: target_type.to_owned(),
                target_id: target_id.to_owned(),
                details,
            }],
            announce: vec![change],
        }
    }

    /// Adds a write (applied in the order added).
    pub fn write(mut self, write: Write) -> Changeset {
        self.writes.push(write);
        self
    }

    /// Adds writes.
    pub fn writes(mut self, writes: impl IntoIterator<Item = Write>) -> Changeset {
        self.writes.extend(writes);
        self
    }

    pub fn push(&mut self, write: Write) {
        self.writes.push(write);
    }

    /// Adds one more audited action (an import records one per object it changed).
    pub fn also_audit(&mut self, action: &str, target_type: &str, target_id: &str, details: Value) {
        self.audit.push(Audited {
            action: action.to_owned(),
            target_type: target_type.to_owned(),
            target_id: target_id.to_owned(),
            details,
        });
    }

    /// Adds one more announcement.
    pub fn also_announce(&mut self, change: Change) {
        if !self.announce.contains(&change) {
            self.announce.push(change);
        }
    }

    /// The writes, in order (what [`Core::apply`] commits besides the audit entries).
    pub fn planned_writes(&self) -> &[Write] {
        &self.writes
    }

    /// Whether every write obeys the rules of what it stores (`latch_domain::rules`).
    pub fn check(&self) -> RepoResult<()> {
        self.writes.iter().try_for_each(|w| w.check().map_err(RepoError::Invalid))
    }

    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// The unit of work to commit — the writes, then an audit entry by `actor` at `at` for
    /// each audited action — and what to announce once it is committed.
    pub(crate) fn into_unit(self, actor: &Actor, at: Timestamp, random: &dyn Random) -> (Vec<Write>, Vec<Change>) {
        let Changeset { mut writes, audit, announce } = self;
        let actor = actor.audit_name();
        for a in audit {
            writes.push(Write::Audit(AuditEntry {
                id: audit_id(random),
                at,
                actor: actor.clone(),
                action: a.action,
                target_type: a.target_type,
                target_id: a.target_id,
                details: a.details,
            }));
        }
        (writes, announce)
    }
}

/// The last audit-id stamp this process handed out.
static LAST_STAMP: AtomicU64 = AtomicU64::new(0);

/// An audit entry id that sorts in the order entries were written, so the log lists them
/// newest first even within one second: wall-clock nanoseconds, kept strictly increasing in
/// this process, then random characters (ids from different nodes never collide).
pub fn audit_id(random: &dyn Random) -> String {
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    let mut last = LAST_STAMP.load(Ordering::Relaxed);
    let stamp = loop {
        let next = wall.max(last.saturating_add(1));
        match LAST_STAMP.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => break next,
            Err(seen) => last = seen,
        }
    };
    let tail = new_id(random);
    format!("{stamp:020}{}", tail.get(..8).unwrap_or(&tail))
}

impl Core {
    /// Commits `change` as one unit of work — its writes and its audit entries, all or none —
    /// then announces it to every node (this one included). A failed unit writes nothing and
    /// announces nothing.
    /// Every write is first checked against the rules of what it stores
    /// (`latch_domain::rules`): a unit with one invalid object is refused whole.
    pub async fn apply(&self, actor: &Actor, change: Changeset) -> RepoResult<()> {
        change.check()?;
        let (writes, announce) = change.into_unit(actor, self.clock.now(), self.random.as_ref());
        self.repos.commit(writes).await?;
        for c in announce {
            catalog::announce(self.cache.as_ref(), &self.catalog, c).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_ids_sort_in_the_order_they_were_made() {
        /// Randomness that falls: a later id's random part sorts before an earlier one's.
        struct Falling(std::sync::atomic::AtomicU8);
        impl latch_domain::Random for Falling {
            fn fill(&self, buf: &mut [u8]) {
                for b in buf {
                    *b = self.0.fetch_sub(7, Ordering::Relaxed);
                }
            }
        }
        let random = Falling(std::sync::atomic::AtomicU8::new(250));
        let ids: Vec<String> = (0..200).map(|_| audit_id(&random)).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted, "later ids sort after earlier ones even with falling randomness");
        assert_eq!(ids.iter().collect::<std::collections::BTreeSet<_>>().len(), ids.len(), "no id twice");
    }

    #[test]
    fn actors_are_named_for_the_audit_log() {
        let cases = [
            (Actor::User(UserId::from("u1")), "user:u1"),
            (Actor::Application(ApplicationId::from("a1")), "application:a1"),
            (Actor::System("import"), "system:import"),
        ];
        for (actor, name) in cases {
            assert_eq!(actor.audit_name(), name);
        }
        assert!(Actor::User(UserId::from("u1")).is_user("u1"));
        assert!(!Actor::User(UserId::from("u1")).is_application("u1"));
        assert!(Actor::Application(ApplicationId::from("a1")).is_application("a1"));
    }

    #[test]
    fn a_changeset_always_audits_and_announces_and_keeps_write_order() {
        let mut c = Changeset::new("role.create", "role", "r1", Value::Null, Change::Roles)
            .write(Write::DeleteRole(latch_domain::ids::RoleId::from("r0")))
            .write(Write::DeleteRole(latch_domain::ids::RoleId::from("r1")));
        c.also_announce(Change::Roles);
        c.also_announce(Change::Everything);
        assert_eq!(c.audit.len(), 1);
        assert_eq!(c.announce, vec![Change::Roles, Change::Everything], "no announcement twice");
        assert_eq!(
            c.planned_writes(),
            &[
                Write::DeleteRole(latch_domain::ids::RoleId::from("r0")),
                Write::DeleteRole(latch_domain::ids::RoleId::from("r1"))
            ]
        );
    }
}
