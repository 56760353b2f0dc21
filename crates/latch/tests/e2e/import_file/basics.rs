//! Resources, roles, users and applications: created, updated, left alone, refused.

use super::*;

pub(super) async fn a_full_file_creates_everything_and_roles_resolve(db: &Db) {
    let report = import_ok(db, &full(), 1_000).await;
    assert_eq!(report.resources, counts(1, 0, 0));
    assert_eq!(report.scopes, counts(2, 0, 0));
    assert_eq!(report.roles, counts(2, 0, 0));
    assert_eq!(report.users, counts(2, 0, 0));
    assert_eq!(report.applications, counts(3, 0, 0));
    assert!(report.changed());

    let res = photos(db).await;
    assert_eq!((res.name.as_str(), res.access_token_ttl), ("Photos API", 600));
    let scopes = db.list_scopes(&res.id).await.expect("scopes");
    assert_eq!(
        scopes.iter().map(|s| (s.name.as_str(), s.description.as_str())).collect::<Vec<_>>(),
        [("read:photos", "Read your photos"), ("write:photos", "Upload photos")]
    );

    let alice = user(db, "alice").await;
    assert_eq!(alice.primary_email.as_deref(), Some("alice@example.com"));
    assert_eq!(alice.primary_phone.as_deref(), Some("+15551234567"));
    assert_eq!(alice.name.as_deref(), Some("Alice Example"));
    assert!(alice.email_verified);
    assert_eq!(alice.profile.get("given_name"), Some(&serde_json::json!("Alice")));
    assert_eq!(alice.profile.get("address"), Some(&serde_json::json!({"country": "GB"})));
    assert_eq!(alice.custom_data, serde_json::json!({"plan": "pro", "seats": 3}));
    assert_eq!(alice.created_at, Timestamp(1_000));
    let hash = alice.password_hash.as_deref().expect("alice has a password");
    assert!(hash.starts_with("$argon2id$"));
    assert!(hasher().verify(ALICE_PASSWORD, Some(hash)));
    assert_eq!(db.user_resource_scopes(&alice.id, &res.id).await.expect("scopes"), ["read:photos"]);

    let bob = user(db, "bob@example.com").await;
    assert_eq!(bob.username, None);
    assert_eq!(bob.password_hash, None);
    assert!(!bob.email_verified);
    assert_eq!(bob.custom_data, serde_json::json!({}));
    assert_eq!(db.user_resource_scopes(&bob.id, &res.id).await.expect("scopes"), ["read:photos"]);

    let web = app(db, "Photo Web").await;
    assert_eq!(web.app_type, AppType::Traditional);
    assert_eq!(web.description.as_deref(), Some("The photo site"));
    assert_eq!(web.redirect_uris, ["https://photos.example.com/callback"]);
    assert_eq!(web.post_logout_redirect_uris, ["https://photos.example.com/"]);

    let spa = app(db, "Photo SPA").await;
    assert_eq!(spa.id.as_str().len(), ID_LEN, "a generated client id");
    assert_eq!(spa.redirect_uris, ["https://spa.example.com/callback", "http://localhost:5173/callback"]);
    assert_eq!(spa.custom.id_token_signed_response_alg.as_deref(), Some("ES256"));
    assert!(!spa.is_third_party);
    assert!(db.list_secrets(&spa.id).await.expect("secrets").is_empty(), "public clients get no secret");

    let robot = app(db, "Photo Robot").await;
    assert_eq!(
        db.application_resource_scopes(&robot.id, &res.id).await.expect("scopes"),
        ["read:photos", "write:photos"]
    );
    assert_eq!(db.application_resource_scopes(&web.id, &res.id).await.expect("scopes"), Vec::<String>::new());

    let clients: Vec<(&str, &str, Outcome)> =
        report.clients.iter().map(|c| (c.name.as_str(), c.client_id.as_str(), c.outcome)).collect();
    assert_eq!(
        clients,
        [
            ("Photo Web", "photo-web", Outcome::Created),
            ("Photo SPA", spa.id.as_str(), Outcome::Created),
            ("Photo Robot", "photo-robot", Outcome::Created),
        ]
    );
}

pub(super) async fn importing_the_same_file_twice_changes_nothing(db: &Db) {
    let first = import_ok(db, &full(), 1_000).await;
    let before = snapshot(db).await;
    let second = import_ok(db, &full(), 2_000).await;
    assert_eq!(second.resources, counts(0, 0, 1));
    assert_eq!(second.scopes, counts(0, 0, 2));
    assert_eq!(second.roles, counts(0, 0, 2));
    assert_eq!(second.users, counts(0, 0, 2));
    assert_eq!(second.applications, counts(0, 0, 3));
    assert!(!second.changed());
    assert!(second.clients.iter().all(|c| c.outcome == Outcome::Unchanged));
    let ids = |r: &ImportReport| r.clients.iter().map(|c| c.client_id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&first), ids(&second), "the generated client id is found again by name");
    let after = snapshot(db).await;
    assert_eq!(before, after, "not even a timestamp or a password salt changed");
    assert_eq!(after.users.len(), 2);
    assert_eq!(after.apps.len(), 3);
}

pub(super) async fn changing_one_field_updates_only_that_entry(db: &Db) {
    import_ok(db, &full(), 1_000).await;
    let alice_before = user(db, "alice").await;
    let bob_before = user(db, "bob@example.com").await;

    let mut file = full();
    file.users[0].name = Some("Alice Changed".to_owned());
    let report = import_ok(db, &file, 2_000).await;
    assert_eq!(report.users, counts(0, 1, 1));
    assert_eq!(report.applications, counts(0, 0, 3));
    assert_eq!((report.resources, report.scopes, report.roles), (counts(0, 0, 1), counts(0, 0, 2), counts(0, 0, 2)));
    let alice = user(db, "alice").await;
    assert_eq!(alice.name.as_deref(), Some("Alice Changed"));
    assert_eq!(alice.updated_at, Timestamp(2_000));
    assert_eq!(alice.password_hash, alice_before.password_hash, "an unchanged password is not hashed again");
    assert_eq!(user(db, "bob@example.com").await, bob_before);

    file.applications[1].redirect_uris = Some(vec!["https://spa.example.com/new-callback".to_owned()]);
    let report = import_ok(db, &file, 3_000).await;
    assert_eq!(report.applications, counts(0, 1, 2));
    assert_eq!(report.users, counts(0, 0, 2));
    let outcomes: Vec<Outcome> = report.clients.iter().map(|c| c.outcome).collect();
    assert_eq!(outcomes, [Outcome::Unchanged, Outcome::Updated, Outcome::Unchanged]);
    assert_eq!(app(db, "Photo SPA").await.redirect_uris, ["https://spa.example.com/new-callback"]);

    file.resources[0].scopes[1].description = Some("Upload and edit photos".to_owned());
    let report = import_ok(db, &file, 4_000).await;
    assert_eq!(report.scopes, counts(0, 1, 1));
    assert_eq!(report.resources, counts(0, 0, 1), "a scope's description is the scope's, not the resource's");
    let scopes = db.list_scopes(&photos(db).await.id).await.expect("scopes");
    assert_eq!(scopes[1].description, "Upload and edit photos");

    file.resources[0].access_token_ttl = Some(900);
    file.resources[0].access_token_signing_alg = Some("ES256".to_owned());
    let report = import_ok(db, &file, 5_000).await;
    assert_eq!((report.resources, report.scopes), (counts(0, 1, 0), counts(0, 0, 2)));
    let res = photos(db).await;
    assert_eq!((res.access_token_ttl, res.access_token_signing_alg.as_str()), (900, "ES256"));

    file.users[0].password = Some(import::Sensitive("a brand new passphrase".to_owned()));
    let report = import_ok(db, &file, 6_000).await;
    assert_eq!(report.users, counts(0, 1, 1));
    let hash = user(db, "alice").await.password_hash.expect("hash");
    assert!(hasher().verify("a brand new passphrase", Some(&hash)));
    assert!(!hasher().verify(ALICE_PASSWORD, Some(&hash)));

    // Leaving a key out keeps the stored value.
    file.users[0].name = None;
    file.applications[1].redirect_uris = None;
    file.resources[0].access_token_ttl = None;
    file.resources[0].access_token_signing_alg = None;
    let report = import_ok(db, &file, 7_000).await;
    assert!(!report.changed(), "{report:?}");
    assert_eq!(user(db, "alice").await.name.as_deref(), Some("Alice Changed"));
    assert_eq!(photos(db).await.access_token_ttl, 900);
}

pub(super) async fn role_lists_are_exact_when_present_and_left_alone_when_absent(db: &Db) {
    import_ok(db, &full(), 1_000).await;
    let res = photos(db).await;
    let alice = user(db, "alice").await;
    let bob = user(db, "bob@example.com").await;

    let mut file = full();
    file.users[0].roles = Some(Vec::new());
    let report = import_ok(db, &file, 2_000).await;
    assert_eq!(report.users, counts(0, 1, 1));
    assert!(db.user_role_names(&alice.id).await.expect("roles").is_empty());
    assert!(db.user_resource_scopes(&alice.id, &res.id).await.expect("scopes").is_empty());
    assert_eq!(user(db, "alice").await.updated_at, alice.updated_at, "only the assignment changed");
    assert_eq!(db.user_role_names(&bob.id).await.expect("roles"), ["photo-reader"]);

    // Without `roles`, assignments made elsewhere stay.
    let reader = db.get_role_by_name("photo-reader").await.expect("role").expect("exists");
    db.set_user_roles(&alice.id, std::slice::from_ref(&reader.id)).await.expect("assign");
    file.users[0].roles = None;
    let report = import_ok(db, &file, 3_000).await;
    assert!(!report.changed(), "{report:?}");
    assert_eq!(db.user_role_names(&alice.id).await.expect("roles"), ["photo-reader"]);

    // A role's scopes are exact too, and every holder sees the change.
    file.roles[0].scopes =
        Some(vec![import::RoleScopeRef { resource: PHOTOS.to_owned(), scope: "write:photos".to_owned() }]);
    let report = import_ok(db, &file, 4_000).await;
    assert_eq!(report.roles, counts(0, 1, 1));
    assert_eq!(db.user_resource_scopes(&bob.id, &res.id).await.expect("scopes"), ["write:photos"]);

    // An application's roles likewise.
    file.applications[2].roles = Some(Vec::new());
    let report = import_ok(db, &file, 5_000).await;
    assert_eq!(report.applications, counts(0, 1, 2));
    let robot = app(db, "Photo Robot").await;
    assert!(db.application_resource_scopes(&robot.id, &res.id).await.expect("scopes").is_empty());
}

pub(super) async fn invalid_files_name_the_entry_and_field_and_write_nothing(db: &Db) {
    let cases: &[(Mutation, &str)] = &[
        (
            |f| f.applications[1].redirect_uris = Some(vec!["http://spa.example.com/cb".to_owned()]),
            "applications[1] (Photo SPA): redirect_uris[0]: `http://spa.example.com/cb` must use https",
        ),
        (
            |f| f.applications[1].redirect_uris = Some(vec!["https://spa.example.com/*".to_owned()]),
            "applications[1] (Photo SPA): redirect_uris[0]: `https://spa.example.com/*` contains a wildcard",
        ),
        (
            |f| f.applications[0].post_logout_redirect_uris = Some(vec!["https://a.example/#x".to_owned()]),
            "applications[0] (Photo Web): post_logout_redirect_uris[0]: `https://a.example/#x` contains a fragment",
        ),
        (
            |f| f.applications[0].redirect_uris = Some(vec!["https://a.example/cb".to_owned(); 2]),
            "applications[0] (Photo Web): redirect_uris[1]: URI `https://a.example/cb` is listed twice",
        ),
        (
            |f| f.applications[2].redirect_uris = Some(vec!["https://robot.example.com/cb".to_owned()]),
            "applications[2] (Photo Robot): redirect_uris[0]: machine-to-machine apps have no redirect URIs",
        ),
        (
            |f| f.applications[2].third_party = Some(true),
            "applications[2] (Photo Robot): third_party: machine-to-machine apps cannot be third-party",
        ),
        (
            |f| f.applications[1].secret = f.applications[0].secret.clone(),
            "applications[1] (Photo SPA): secret: SPA apps are public clients and have no secret",
        ),
        (
            |f| f.applications[0].app_type = "Native".to_owned(),
            "applications[0] (Photo Web): secret: Native apps are public clients and have no secret",
        ),
        (|f| f.applications[1].app_type = "Desktop".to_owned(), "applications[1] (Photo SPA): type: `Desktop`"),
        (
            |f| f.resources[0].access_token_signing_alg = Some("none".to_owned()),
            "resources[0] (https://photos.example.com): access_token_signing_alg: `none` is neither RS256 nor ES256",
        ),
        (
            |f| f.applications[1].id_token_signed_response_alg = Some("HS256".to_owned()),
            "applications[1] (Photo SPA): id_token_signed_response_alg: `HS256` is neither RS256 nor ES256",
        ),
        (
            |f| f.applications[1].roles = Some(vec!["photo-writer-robot".to_owned()]),
            "applications[1] (Photo SPA): roles: only MachineToMachine apps hold roles",
        ),
        (
            |f| f.applications[2].roles = Some(vec!["photo-reader".to_owned()]),
            "applications[2] (Photo Robot): roles[0]: `photo-reader` is a User role",
        ),
        (
            |f| f.applications[2].roles = Some(vec!["nobody".to_owned()]),
            "applications[2] (Photo Robot): roles[0]: no role `nobody` in the file or the database",
        ),
        (|f| f.applications[0].id = Some("has space".to_owned()), "applications[0] (Photo Web): id: `has space`"),
        (
            |f| f.applications[1].id = Some("photo-web".to_owned()),
            "applications[1] (Photo SPA): id: `photo-web` is also used by applications[0] (Photo Web)",
        ),
        (
            |f| f.applications[1].name = "Photo Web".to_owned(),
            "applications[1] (Photo Web): name: `Photo Web` is also used by applications[0] (Photo Web)",
        ),
        (
            |f| f.users[0].password = Some(import::Sensitive("password1".to_owned())),
            "users[0] (alice): password: this password is too common",
        ),
        (
            |f| f.users[0].password = Some(import::Sensitive("short".to_owned())),
            "users[0] (alice): password: the password must be at least 8",
        ),
        (
            |f| f.users[0].roles = Some(vec!["nobody".to_owned()]),
            "users[0] (alice): roles[0]: no role `nobody` in the file or the database",
        ),
        (
            |f| f.users[1].roles = Some(vec!["photo-writer-robot".to_owned()]),
            "users[1] (bob@example.com): roles[0]: `photo-writer-robot` is a MachineToMachine role",
        ),
        (|f| f.users[0].email = Some("not-an-email".to_owned()), "users[0] (alice): email: `not-an-email`"),
        (
            |f| f.users[0].phone = Some("555-1234".to_owned()),
            "users[0] (alice): phone: `555-1234` is not in E.164 form",
        ),
        (
            |f| f.users[1].email = Some("ALICE@example.com".to_owned()),
            "users[1] (ALICE@example.com): email: `alice@example.com` is also used by users[0] (alice)",
        ),
        (
            |f| {
                f.users[1].email = None;
            },
            "users[1] (?): needs a `username` or an `email` to be found by",
        ),
        (
            |f| {
                if let Some(p) = f.users[0].profile.as_mut() {
                    p.insert("shoe_size".to_owned(), serde_json::json!("42"));
                }
            },
            "users[0] (alice): profile.shoe_size: not a standard profile claim",
        ),
        (
            |f| {
                if let Some(p) = f.users[0].profile.as_mut() {
                    p.insert("locale".to_owned(), serde_json::json!(7));
                }
            },
            "users[0] (alice): profile.locale: must be a string",
        ),
        (
            |f| f.roles[0].scopes.as_mut().expect("scopes")[0].scope = "delete:photos".to_owned(),
            "roles[0] (photo-reader): scopes[0]: resource `https://photos.example.com` has no scope `delete:photos`",
        ),
        (
            |f| f.roles[0].scopes.as_mut().expect("scopes")[0].resource = "https://other.example.com".to_owned(),
            "roles[0] (photo-reader): scopes[0]: no resource with indicator `https://other.example.com`",
        ),
        (|f| f.roles[0].role_type = Some("Admin".to_owned()), "roles[0] (photo-reader): type: `Admin`"),
        (
            |f| f.roles[1].name = "photo-reader".to_owned(),
            "roles[1] (photo-reader): name: `photo-reader` is also used by roles[0] (photo-reader)",
        ),
        (
            |f| f.resources[0].indicator = "not a uri".to_owned(),
            "resources[0] (not a uri): indicator: `not a uri` is not an absolute URI",
        ),
        (|f| f.resources[0].access_token_ttl = Some(0), "resources[0] (https://photos.example.com): access_token_ttl"),
        (
            |f| f.resources[0].scopes[0].name = "read photos".to_owned(),
            "resources[0] (https://photos.example.com): scopes[0].name: `read photos` is not a scope token",
        ),
        (
            |f| f.resources[0].scopes[1].name = "read:photos".to_owned(),
            "resources[0] (https://photos.example.com): scopes[1]: scope `read:photos` is listed twice",
        ),
    ];
    for (mutate, expected) in cases {
        let mut file = full();
        mutate(&mut file);
        let found = problems(run(db, &file, 1_000).await.expect_err(expected));
        assert!(found.iter().any(|p| p.contains(expected)), "expected `{expected}` among {found:#?}");
    }

    // Every problem is reported at once, not only the first.
    let mut file = full();
    file.users[0].password = Some(import::Sensitive("short".to_owned()));
    file.applications[0].secret = Some(import::Sensitive("too-short".to_owned()));
    let found = problems(run(db, &file, 1_000).await.expect_err("two problems"));
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[1].starts_with("applications[0] (Photo Web): secret: must be at least 32 characters"), "{found:#?}");

    assert_eq!(db.list_users(EVERY).await.expect("users").1, 0, "nothing was written");
    assert_eq!(db.list_applications(None, EVERY).await.expect("apps").1, 0);
    assert!(db.list_resources().await.expect("resources").is_empty());
    assert_eq!(db.get_role_by_name("photo-reader").await.expect("role"), None);
    assert_eq!(db.get_role_by_name("photo-writer-robot").await.expect("role"), None);
}

pub(super) async fn references_may_point_at_what_the_database_already_holds(db: &Db) {
    import_ok(db, &full(), 1_000).await;
    let second = import::parse(
        r#"
        [[roles]]
        name = "photo-writer"
        scopes = [ { resource = "https://photos.example.com", scope = "write:photos" } ]

        [[users]]
        username = "carol"
        roles = ["photo-reader", "photo-writer"]

        [[applications]]
        name = "Second Robot"
        type = "MachineToMachine"
        roles = ["photo-writer-robot"]
        "#,
    )
    .expect("parses");
    let report = import_ok(db, &second, 2_000).await;
    assert_eq!((report.roles, report.users, report.applications), (counts(1, 0, 0), counts(1, 0, 0), counts(1, 0, 0)));
    assert_eq!((report.resources, report.scopes), (counts(0, 0, 0), counts(0, 0, 0)), "not in the file, not counted");
    let res = photos(db).await;
    let carol = user(db, "carol").await;
    assert_eq!(db.user_resource_scopes(&carol.id, &res.id).await.expect("scopes"), ["read:photos", "write:photos"]);
    let robot = app(db, "Second Robot").await;
    assert_eq!(
        db.application_resource_scopes(&robot.id, &res.id).await.expect("scopes"),
        ["read:photos", "write:photos"]
    );

    let missing = import::parse(
        "[[roles]]\nname = \"eraser\"\nscopes = [ { resource = \"https://photos.example.com\", scope = \"delete:photos\" } ]",
    )
    .expect("parses");
    let found = problems(run(db, &missing, 3_000).await.expect_err("no such scope"));
    assert_eq!(
        found,
        [
            "roles[0] (eraser): scopes[0]: resource `https://photos.example.com` has no scope `delete:photos` in the file or the database"
        ]
    );
    assert_eq!(db.get_role_by_name("eraser").await.expect("role"), None);
}

pub(super) async fn a_fixed_id_becomes_the_client_id_and_the_secret_verifies(db: &Db) {
    import_ok(db, &full(), 1_000).await;
    let web = db.get_application(&ApplicationId::from("photo-web")).await.expect("get").expect("fixed client id");
    assert_eq!(web.name, "Photo Web");
    let secrets = db.list_secrets(&web.id).await.expect("secrets");
    assert_eq!(secrets.len(), 1);
    assert_eq!(secrets[0].name, "import");
    assert_eq!(secrets[0].expires_at, None);
    assert!(crypto::secret_matches(WEB_SECRET, &secrets[0].hash));
    assert!(!crypto::secret_matches(ROBOT_SECRET, &secrets[0].hash));
    let robot = db.get_application(&ApplicationId::from("photo-robot")).await.expect("get").expect("fixed id");
    let secrets = db.list_secrets(&robot.id).await.expect("secrets");
    assert!(crypto::secret_matches(ROBOT_SECRET, &secrets[0].hash));

    // With a fixed id the name can change: the id finds the application.
    let mut file = full();
    file.applications[0].name = "Photo Website".to_owned();
    let report = import_ok(db, &file, 2_000).await;
    assert_eq!(report.applications, counts(0, 1, 2));
    assert_eq!(db.get_application(&web.id).await.expect("get").expect("same app").name, "Photo Website");
    assert_eq!(db.list_applications(None, EVERY).await.expect("apps").1, 3, "renamed, not duplicated");
}

pub(super) async fn a_new_secret_replaces_only_the_import_secret(db: &Db) {
    import_ok(db, &full(), 1_000).await;
    let web = ApplicationId::from("photo-web");
    let other = AppSecret {
        application_id: web.clone(),
        name: "rotated-by-hand".to_owned(),
        hash: crypto::token_hash("another secret"),
        created_at: Timestamp(1_500),
        expires_at: None,
    };
    db.insert_secret(&other).await.expect("a secret made elsewhere");

    let mut file = full();
    let new_secret = "web-secret-NEW-0123456789abcdefghijklmnopqrstuvwxyz";
    file.applications[0].secret = Some(import::Sensitive(new_secret.to_owned()));
    let report = import_ok(db, &file, 2_000).await;
    assert_eq!(report.applications, counts(0, 1, 2));
    let secrets = db.list_secrets(&web).await.expect("secrets");
    let import_secret = secrets.iter().find(|s| s.name == "import").expect("import secret");
    assert!(crypto::secret_matches(new_secret, &import_secret.hash));
    assert!(!crypto::secret_matches(WEB_SECRET, &import_secret.hash));
    assert_eq!(import_secret.created_at, Timestamp(2_000));
    assert!(secrets.contains(&other), "other secrets are untouched");
    assert_eq!(secrets.len(), 2);

    let again = import_ok(db, &file, 3_000).await;
    assert!(!again.changed(), "{again:?}");
}

pub(super) async fn types_and_client_ids_cannot_change(db: &Db) {
    import_ok(db, &full(), 1_000).await;
    let before = snapshot(db).await;
    let cases: &[(Mutation, &str)] = &[
        (
            |f| f.applications[0].app_type = "SPA".to_owned(),
            "applications[0] (Photo Web): type: the stored application is Traditional; an application's type cannot change",
        ),
        (
            |f| f.roles[0].role_type = Some("MachineToMachine".to_owned()),
            "roles[0] (photo-reader): type: the stored role is a User role; a role's type cannot change",
        ),
        (
            |f| f.applications[1].id = Some("photo-spa".to_owned()),
            "applications[1] (Photo SPA): id: an application with this name already exists with client id",
        ),
        (
            |f| {
                f.applications[0].name = "Photo SPA".to_owned();
                f.applications.remove(1);
            },
            "applications[0] (Photo SPA): name: already used by the application with client id",
        ),
        (
            |f| f.users[1].email = Some("alice@example.com".to_owned()),
            "users[1] (alice@example.com): email: `alice@example.com` is also used by users[0] (alice)",
        ),
        (
            |f| {
                f.users[0].email = Some("bob@example.com".to_owned());
                f.users.truncate(1);
            },
            "users[0] (alice): email: `bob@example.com` already belongs to another user",
        ),
    ];
    for (mutate, expected) in cases {
        let mut file = full();
        mutate(&mut file);
        let found = problems(run(db, &file, 2_000).await.expect_err(expected));
        assert!(found.iter().any(|p| p.contains(expected)), "expected `{expected}` among {found:#?}");
    }
    assert_eq!(snapshot(db).await, before, "nothing was written");
}

/// Someone signed up with bob's address before the operator imported bob: an entry naming only
/// that email must not hand the stranger's account bob's roles.
pub(super) async fn an_unverified_sign_up_is_not_claimed_by_an_email_only_entry(db: &Db) {
    let stranger = User {
        id: "signed-up".into(),
        primary_email: Some("bob@example.com".to_owned()),
        password_hash: Some(hasher().hash("a stranger's passphrase", &[7; 16]).expect("hash")),
        email_verified: false,
        custom_data: serde_json::json!({}),
        ..Default::default()
    };
    db.insert_user(&stranger).await.expect("the sign-up");
    let found = problems(run(db, &full(), 1_000).await.expect_err("refused"));
    assert!(
        found.iter().any(|p| p.starts_with("users[1] (bob@example.com): email:") && p.contains("nobody has verified")),
        "{found:?}"
    );
    let roles = db.user_roles(&stranger.id).await.expect("roles");
    assert!(roles.is_empty(), "nothing was granted: {roles:?}");
}
