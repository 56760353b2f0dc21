//! The filtered reads behind the console's tables: user search, audit filters, the roles
//! column of a member list, the app names of a user's grants — on SQLite and Postgres.

use super::orgs::{oid, org, org_role, rid, uids, users};
use super::{app, user};
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::repo::*;
use latch_store::Db;

latch_testing::on_both_databases!(
    users_are_found_by_any_identifier_in_any_case,
    audit_entries_are_filtered_by_every_field,
    member_roles_come_per_member_for_one_organization,
    application_names_are_read_for_existing_ids,
);

const ALL: Page = Page { page: 1, size: 100 };

async fn found(db: &Db, text: &str) -> (Vec<String>, i64) {
    let (rows, total) = db.search_users(text, ALL).await.expect("search");
    (rows.into_iter().map(|u| u.id.0).collect(), total)
}

async fn users_are_found_by_any_identifier_in_any_case(db: &Db) {
    let mut ada = user("u-ada", "ada", "Ada@Example.com");
    ada.primary_phone = Some("+44 20 7946 0000".to_owned());
    db.insert_user(&ada).await.expect("ada");
    let mut grace = user("u-grace", "grace_h", "grace@navy.example");
    grace.name = Some("Grace Hopper".to_owned());
    db.insert_user(&grace).await.expect("grace");
    let mut percent = user("u-pct", "100%real", "pct@example.org");
    percent.name = None;
    db.insert_user(&percent).await.expect("percent");

    let ids = |v: &[&str]| (v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(), v.len() as i64);
    for (text, expected) in [
        ("", ids(&["u-ada", "u-grace", "u-pct"])),
        ("   ", ids(&["u-ada", "u-grace", "u-pct"])),
        ("ADA", ids(&["u-ada"])),         // username, any case
        ("example.com", ids(&["u-ada"])), // email, stored mixed case
        ("7946", ids(&["u-ada"])),        // phone
        ("hopper", ids(&["u-grace"])),    // name
        ("u-gr", ids(&["u-grace"])),      // id
        ("lovelace", ids(&["u-ada"])),    // the fixture's name, not on the others
        ("%", ids(&["u-pct"])),           // a wildcard is a plain character
        ("_h", ids(&["u-grace"])),        // so is `_`
        ("e_a", ids(&[])),                // `_` does not match any one character
        ("nobody", ids(&[])),
    ] {
        assert_eq!(found(db, text).await, expected, "search {text:?}");
    }
    let (first, total) = db.search_users("example", Page { page: 1, size: 1 }).await.expect("page");
    assert_eq!((first.len(), total), (1, 3), "the total counts every match, the page holds one");
    assert_eq!(db.list_users(ALL).await.expect("list").1, 3);
}

fn entry(id: &str, at: i64, actor: &str, action: &str, target: (&str, &str)) -> AuditEntry {
    AuditEntry {
        id: id.to_owned(),
        at: Timestamp(at),
        actor: actor.to_owned(),
        action: action.to_owned(),
        target_type: target.0.to_owned(),
        target_id: target.1.to_owned(),
        details: serde_json::json!({}),
    }
}

async fn audit_entries_are_filtered_by_every_field(db: &Db) {
    for e in [
        entry("e1", 100, "user:admin", "user.create", ("user", "u1")),
        entry("e2", 200, "user:admin", "user.password.set", ("user", "u1")),
        entry("e3", 300, "application:robot", "application.create", ("application", "a1")),
        entry("e4", 400, "user:admin", "userx.create", ("user", "u2")),
        entry("e5", 500, "user:other", "role.create", ("role", "r1")),
    ] {
        db.append_audit(&e).await.expect("append");
    }
    let f = |configure: fn(&mut AuditFilter)| {
        let mut filter = AuditFilter::default();
        configure(&mut filter);
        filter
    };
    let cases: Vec<(AuditFilter, &[&str])> = vec![
        (AuditFilter::default(), &["e5", "e4", "e3", "e2", "e1"]),
        (f(|f| f.actor = Some("user:admin".into())), &["e4", "e2", "e1"]),
        (f(|f| f.actor = Some("user:".into())), &[]), // the actor is matched whole
        (f(|f| f.action = Some("user.create".into())), &["e1"]),
        (f(|f| f.action = Some("user.".into())), &["e2", "e1"]), // a prefix ends in `.`; `userx.` is not under it
        (f(|f| f.action = Some("user".into())), &[]),
        (f(|f| f.target_type = Some("user".into())), &["e4", "e2", "e1"]),
        (f(|f| f.target_id = Some("u1".into())), &["e2", "e1"]),
        (f(|f| f.since = Some(Timestamp(200))), &["e5", "e4", "e3", "e2"]),
        (f(|f| f.until = Some(Timestamp(300))), &["e2", "e1"]), // `until` is exclusive
        (
            f(|f| {
                f.actor = Some("user:admin".into());
                f.target_type = Some("user".into());
                f.since = Some(Timestamp(150));
                f.until = Some(Timestamp(450));
            }),
            &["e4", "e2"],
        ),
    ];
    for (filter, expected) in cases {
        let (rows, total) = db.search_audit(&filter, ALL).await.expect("search");
        let got: Vec<&str> = rows.iter().map(|e| e.id.as_str()).collect();
        assert_eq!((got.as_slice(), total), (expected, expected.len() as i64), "{filter:?}");
    }
    let (page, total) =
        db.search_audit(&f(|f| f.actor = Some("user:admin".into())), Page { page: 2, size: 2 }).await.expect("page");
    assert_eq!((page.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), total), (vec!["e1"], 3));
}

async fn member_roles_come_per_member_for_one_organization(db: &Db) {
    users(db, 3).await;
    db.insert_organization(&org("o1", "Acme")).await.expect("org");
    db.insert_organization(&org("o2", "Globex")).await.expect("org");
    for (id, name) in [("or1", "viewer"), ("or2", "admin"), ("or3", "owner")] {
        db.insert_organization_role(&org_role(id, name)).await.expect("role");
    }
    db.add_organization_members(&oid("o1"), &uids(&["u1", "u2", "u3"]), Timestamp(1)).await.expect("members");
    db.add_organization_members(&oid("o2"), &uids(&["u1"]), Timestamp(1)).await.expect("members");
    db.set_organization_member_roles(&oid("o1"), &UserId::from("u1"), &[rid("or1"), rid("or2")]).await.expect("roles");
    db.set_organization_member_roles(&oid("o1"), &UserId::from("u2"), &[rid("or3")]).await.expect("roles");
    db.set_organization_member_roles(&oid("o2"), &UserId::from("u1"), &[rid("or3")]).await.expect("roles");

    let got = db.organization_roles_of_members(&oid("o1"), &uids(&["u2", "u1", "u3", "u1"])).await.expect("roles");
    let pairs: Vec<(&str, &str)> = got.iter().map(|(u, r)| (u.as_str(), r.name.as_str())).collect();
    assert_eq!(pairs, [("u1", "admin"), ("u1", "viewer"), ("u2", "owner")], "o2's roles stay out; u3 has none");
    assert!(db.organization_roles_of_members(&oid("o1"), &[]).await.expect("none").is_empty());
}

async fn application_names_are_read_for_existing_ids(db: &Db) {
    db.insert_application(&app("a1", "Photos", true)).await.expect("a1");
    db.insert_application(&app("a2", "Notes", false)).await.expect("a2");
    let mut got = db
        .application_names(&[ApplicationId::from("a2"), ApplicationId::from("gone"), ApplicationId::from("a1")])
        .await
        .expect("names");
    got.sort();
    assert_eq!(
        got,
        [(ApplicationId::from("a1"), "Photos".to_owned()), (ApplicationId::from("a2"), "Notes".to_owned())]
    );
}
