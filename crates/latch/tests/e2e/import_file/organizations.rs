//! Organizations, their members and roles, and third-party permissions and branding.

use super::*;

pub(super) async fn organizations_permissions_and_branding_are_created_and_resolve(db: &Db) {
    let report = import_ok(db, &with_orgs(), 1_000).await;
    assert_eq!(report.organization_scopes, counts(2, 0, 0));
    assert_eq!(report.organization_roles, counts(2, 0, 0));
    assert_eq!(report.organizations, counts(2, 0, 0));
    assert_eq!(report.applications, counts(4, 0, 0));
    assert_eq!(report.clients[3].client_id, "partner");

    let alice = user(db, "alice").await;
    let bob = user(db, "bob@example.com").await;
    let acme = org(db, "Acme").await;
    assert_eq!(acme.description.as_deref(), Some("A customer"));
    assert_eq!(acme.created_at, Timestamp(1_000));
    assert_eq!(
        members(db, &acme.id).await,
        sorted_members(vec![(alice.id.clone(), vec!["admin"]), (bob.id.clone(), vec!["member"])])
    );
    assert_eq!(
        db.user_organization_scopes(&alice.id, &acme.id).await.expect("scopes"),
        ["invite:member", "manage:billing"]
    );
    assert_eq!(db.user_organization_scopes(&bob.id, &acme.id).await.expect("scopes"), ["invite:member"]);
    let res = photos(db).await;
    assert_eq!(
        db.user_organization_resource_scopes(&alice.id, &acme.id, &res.id).await.expect("scopes"),
        ["write:photos"]
    );
    assert!(db.user_organization_resource_scopes(&bob.id, &acme.id, &res.id).await.expect("scopes").is_empty());
    assert_eq!(db.user_organizations(&alice.id).await.expect("orgs"), [(acme.id.clone(), "Acme".to_owned())]);
    let globex = org(db, "Globex").await;
    assert_eq!(globex.description, None);
    assert!(members(db, &globex.id).await.is_empty());
    let admin = org_role(db, "admin").await;
    assert_eq!(admin.description, "Runs the organization");
    assert_eq!(org_role(db, "member").await.description, "");

    let partner = app(db, "Partner App").await;
    assert!(partner.is_third_party);
    assert_eq!(partner.id.as_str(), "partner");
    let secrets = db.list_secrets(&partner.id).await.expect("secrets");
    assert!(crypto::secret_matches(PARTNER_SECRET, &secrets[0].hash));
    let read = photos_scope_id(db, "read:photos").await.0;
    let write = photos_scope_id(db, "write:photos").await.0;
    let invite = org_scope_id(db, "invite:member").await.0;
    let billing = org_scope_id(db, "manage:billing").await.0;
    assert_eq!(
        permissions(db, &partner.id).await,
        BTreeSet::from([
            (ConsentScopeType::User, "email".to_owned(), true),
            (ConsentScopeType::User, "profile".to_owned(), false),
            (ConsentScopeType::Resource, read, true),
            (ConsentScopeType::Resource, write.clone(), false),
            (ConsentScopeType::Organization, invite, true),
            (ConsentScopeType::Organization, billing, false),
            (ConsentScopeType::OrganizationResource, write, true),
        ])
    );
    assert_eq!(
        db.get_branding(&partner.id).await.expect("branding"),
        Some(Branding {
            application_id: partner.id.clone(),
            display_name: Some("Partner".to_owned()),
            logo_url: Some("https://partner.example.com/logo.png".to_owned()),
            dark_logo_url: Some("https://partner.example.com/logo-dark.png".to_owned()),
            terms_of_use_url: Some("https://partner.example.com/terms".to_owned()),
            privacy_policy_url: Some("http://localhost:8080/privacy".to_owned()),
            color: Some("#3b5bdb".to_owned()),
            updated_at: Timestamp(1_000),
        })
    );
    // First-party apps of the file get neither.
    let web = app(db, "Photo Web").await;
    assert!(db.list_consent_scopes(&web.id).await.expect("consent scopes").is_empty());
    assert_eq!(db.get_branding(&web.id).await.expect("branding"), None);
}

fn sorted_members(list: Vec<(UserId, Vec<&str>)>) -> Members {
    let mut out: Members =
        list.into_iter().map(|(u, roles)| (u, roles.into_iter().map(str::to_owned).collect())).collect();
    out.sort();
    out
}

pub(super) async fn importing_organizations_and_permissions_twice_changes_nothing(db: &Db) {
    import_ok(db, &with_orgs(), 1_000).await;
    let before = (snapshot(db).await, org_snapshot(db).await);
    let second = import_ok(db, &with_orgs(), 2_000).await;
    assert_eq!(second.organization_scopes, counts(0, 0, 2));
    assert_eq!(second.organization_roles, counts(0, 0, 2));
    assert_eq!(second.organizations, counts(0, 0, 2));
    assert_eq!(second.applications, counts(0, 0, 4));
    assert_eq!((second.resources, second.scopes, second.roles), (counts(0, 0, 1), counts(0, 0, 2), counts(0, 0, 2)));
    assert_eq!(second.users, counts(0, 0, 2));
    assert!(!second.changed(), "{second:?}");
    assert_eq!((snapshot(db).await, org_snapshot(db).await), before, "not even the branding's updated_at changed");
}

pub(super) async fn member_permission_and_organization_role_lists_are_exact_when_present(db: &Db) {
    import_ok(db, &with_orgs(), 1_000).await;
    let alice = user(db, "alice").await;
    let bob = user(db, "bob@example.com").await;
    let acme = org(db, "Acme").await;
    let globex = org(db, "Globex").await;
    let partner = ApplicationId::from("partner");
    let mut file = with_orgs();

    // A member left out is removed, with its organization roles; the others keep theirs.
    file.organizations[0].members.as_mut().expect("members").truncate(1);
    let report = import_ok(db, &file, 2_000).await;
    assert_eq!(report.organizations, counts(0, 1, 1));
    assert_eq!(report.users, counts(0, 0, 2), "membership is the organization's, not the user's");
    assert_eq!(members(db, &acme.id).await, sorted_members(vec![(alice.id.clone(), vec!["admin"])]));
    assert!(!db.is_organization_member(&acme.id, &bob.id).await.expect("member"));
    assert!(db.user_organization_scopes(&bob.id, &acme.id).await.expect("scopes").is_empty());
    assert_eq!(org(db, "Acme").await, acme, "only the membership changed");

    // A member's roles are exact.
    file.organizations[0].members.as_mut().expect("members")[0].roles = Some(vec!["member".to_owned()]);
    let report = import_ok(db, &file, 3_000).await;
    assert_eq!(report.organizations, counts(0, 1, 1));
    assert_eq!(db.user_organization_scopes(&alice.id, &acme.id).await.expect("scopes"), ["invite:member"]);

    // Without `roles`, a member's roles stay; without `members`, memberships made elsewhere stay.
    file.organizations[0].members.as_mut().expect("members")[0].roles = None;
    db.add_organization_members(&globex.id, std::slice::from_ref(&bob.id), Timestamp(3_500)).await.expect("add");
    let report = import_ok(db, &file, 4_000).await;
    assert!(!report.changed(), "{report:?}");
    assert_eq!(members(db, &acme.id).await, sorted_members(vec![(alice.id.clone(), vec!["member"])]));
    assert_eq!(members(db, &globex.id).await, sorted_members(vec![(bob.id.clone(), vec![])]));
    // `members = []` empties the organization.
    file.organizations[1].members = Some(Vec::new());
    let report = import_ok(db, &file, 4_500).await;
    assert_eq!(report.organizations, counts(0, 1, 1));
    assert!(members(db, &globex.id).await.is_empty());

    // An organization role's scopes and resource scopes are exact too; every holder sees it.
    file.organizations[0].members.as_mut().expect("members")[0].roles = Some(vec!["admin".to_owned()]);
    file.organization_roles[0].scopes = Some(vec!["manage:billing".to_owned()]);
    file.organization_roles[0].resource_scopes = Some(Vec::new());
    let report = import_ok(db, &file, 5_000).await;
    assert_eq!(report.organization_roles, counts(0, 1, 1));
    assert_eq!(db.user_organization_scopes(&alice.id, &acme.id).await.expect("scopes"), ["manage:billing"]);
    let res = photos(db).await;
    assert!(db.user_organization_resource_scopes(&alice.id, &acme.id, &res.id).await.expect("scopes").is_empty());

    // Permissions are the exact allow-list: a kind left out allows nothing of that kind, and
    // `required` is updated in place.
    let perms = file.applications[3].permissions.as_mut().expect("permissions");
    perms.user_scopes =
        vec![import::NamedPermission::Entry(import::NamedPermissionEntry { id: "email".to_owned(), required: false })];
    perms.organization_resource_scopes = Vec::new();
    perms.organization_scopes.truncate(1);
    let report = import_ok(db, &file, 6_000).await;
    assert_eq!(report.applications, counts(0, 1, 3));
    assert_eq!(report.clients[3].outcome, Outcome::Updated);
    let read = photos_scope_id(db, "read:photos").await.0;
    let write = photos_scope_id(db, "write:photos").await.0;
    let invite = org_scope_id(db, "invite:member").await.0;
    let expected = BTreeSet::from([
        (ConsentScopeType::User, "email".to_owned(), false),
        (ConsentScopeType::Resource, read, true),
        (ConsentScopeType::Resource, write, false),
        (ConsentScopeType::Organization, invite, true),
    ]);
    assert_eq!(permissions(db, &partner).await, expected);
    file.applications[3].permissions = Some(import::PermissionsEntry::default());
    let report = import_ok(db, &file, 6_500).await;
    assert_eq!(report.applications, counts(0, 1, 3));
    assert!(permissions(db, &partner).await.is_empty(), "an empty table allows nothing");

    // Without `permissions`, what was added elsewhere stays.
    let phone = ConsentScope { scope_type: ConsentScopeType::User, scope_ref: "phone".to_owned(), required: true };
    db.add_consent_scopes(&partner, std::slice::from_ref(&phone)).await.expect("add");
    file.applications[3].permissions = None;
    let report = import_ok(db, &file, 7_000).await;
    assert!(!report.changed(), "{report:?}");
    assert_eq!(permissions(db, &partner).await, BTreeSet::from([(ConsentScopeType::User, "phone".to_owned(), true)]));

    // Branding: a field written is set, a field left out keeps the stored value.
    let branding = file.applications[3].branding.as_mut().expect("branding");
    branding.color = Some("#000000".to_owned());
    branding.logo_url = None;
    let report = import_ok(db, &file, 8_000).await;
    assert_eq!(report.applications, counts(0, 1, 3));
    let stored = db.get_branding(&partner).await.expect("branding").expect("set");
    assert_eq!(stored.color.as_deref(), Some("#000000"));
    assert_eq!(stored.logo_url.as_deref(), Some("https://partner.example.com/logo.png"));
    assert_eq!(stored.updated_at, Timestamp(8_000));
    let report = import_ok(db, &file, 9_000).await;
    assert!(!report.changed(), "{report:?}");
    assert_eq!(db.get_branding(&partner).await.expect("branding").expect("set").updated_at, Timestamp(8_000));
}

pub(super) async fn invalid_organizations_permissions_and_branding_name_the_entry_and_field_and_write_nothing(db: &Db) {
    fn perms(f: &mut ImportFile) -> &mut import::PermissionsEntry {
        f.applications[3].permissions.as_mut().expect("permissions")
    }
    fn branding(f: &mut ImportFile) -> &mut import::BrandingEntry {
        f.applications[3].branding.as_mut().expect("branding")
    }
    fn member(f: &mut ImportFile, i: usize) -> &mut import::MemberEntry {
        &mut f.organizations[0].members.as_mut().expect("members")[i]
    }
    let cases: &[(Mutation, &str)] = &[
        (
            |f| f.organization_scopes[0].name = "invite member".to_owned(),
            "organization_scopes[0] (invite member): name: `invite member` is not a scope token",
        ),
        (
            |f| f.organization_scopes[1].name = "email".to_owned(),
            "organization_scopes[1] (email): name: `email` is an OpenID Connect user scope",
        ),
        (
            |f| f.organization_scopes[1].name = "invite:member".to_owned(),
            "organization_scopes[1] (invite:member): name: `invite:member` is also used by organization_scopes[0]",
        ),
        (
            |f| f.organization_scopes[0].description = Some("x".repeat(513)),
            "organization_scopes[0] (invite:member): description: must be at most 512 characters",
        ),
        (|f| f.organization_roles[1].name = " ".to_owned(), "organization_roles[1] ( ): name: must not be empty"),
        (
            |f| f.organization_roles[1].scopes = Some(vec!["delete:org".to_owned()]),
            "organization_roles[1] (member): scopes[0]: no organization scope `delete:org` in the file or the database",
        ),
        (
            |f| f.organization_roles[1].scopes = Some(vec!["invite:member".to_owned(); 2]),
            "organization_roles[1] (member): scopes[1]: organization scope `invite:member` is listed twice",
        ),
        (
            |f| f.organization_roles[0].resource_scopes.as_mut().expect("scopes")[0].scope = "delete:photos".to_owned(),
            "organization_roles[0] (admin): resource_scopes[0]: resource `https://photos.example.com` has no scope `delete:photos`",
        ),
        (
            |f| {
                f.organization_roles[0].resource_scopes.as_mut().expect("scopes")[0].resource =
                    "https://other.example.com".to_owned()
            },
            "organization_roles[0] (admin): resource_scopes[0]: no resource with indicator `https://other.example.com`",
        ),
        (
            |f| f.organizations[1].name = "Acme".to_owned(),
            "organizations[1] (Acme): name: `Acme` is also used by organizations[0] (Acme)",
        ),
        (
            |f| f.organizations[0].description = Some("x".repeat(2049)),
            "organizations[0] (Acme): description: must be at most 2048 characters",
        ),
        (
            |f| member(f, 1).user = "nobody".to_owned(),
            "organizations[0] (Acme): members[1].user: no user `nobody` in the file or the database",
        ),
        (
            |f| member(f, 1).user = "ALICE@example.com".to_owned(),
            "organizations[0] (Acme): members[1].user: `ALICE@example.com` is the same user as members[0]",
        ),
        (
            |f| member(f, 0).roles = Some(vec!["owner".to_owned()]),
            "organizations[0] (Acme): members[0].roles[0]: no organization role `owner` in the file or the database",
        ),
        (
            |f| member(f, 0).roles = Some(vec!["admin".to_owned(), "admin".to_owned()]),
            "organizations[0] (Acme): members[0].roles[1]: organization role `admin` is listed twice",
        ),
        (
            |f| f.applications[3].third_party = Some(false),
            "applications[3] (Partner App): permissions: only third-party applications have permissions",
        ),
        (
            |f| f.applications[0].permissions = Some(import::PermissionsEntry::default()),
            "applications[0] (Photo Web): permissions: only third-party applications have permissions",
        ),
        (
            |f| perms(f).user_scopes.push(import::NamedPermission::Name("openid".to_owned())),
            "applications[3] (Partner App): permissions.user_scopes[2]: `openid` is not a user scope",
        ),
        (
            |f| perms(f).user_scopes.push(import::NamedPermission::Name("shoe_size".to_owned())),
            "applications[3] (Partner App): permissions.user_scopes[2]: `shoe_size` is not a user scope",
        ),
        (
            |f| perms(f).user_scopes.push(import::NamedPermission::Name("email".to_owned())),
            "applications[3] (Partner App): permissions.user_scopes[2]: scope `email` is listed twice",
        ),
        (
            |f| perms(f).resource_scopes[1].scope = "delete:photos".to_owned(),
            "applications[3] (Partner App): permissions.resource_scopes[1]: resource `https://photos.example.com` has no scope `delete:photos`",
        ),
        (
            |f| perms(f).resource_scopes[1].scope = "read:photos".to_owned(),
            "applications[3] (Partner App): permissions.resource_scopes[1]: scope `read:photos` of `https://photos.example.com` is listed twice",
        ),
        (
            |f| perms(f).organization_resource_scopes[0].resource = "https://other.example.com".to_owned(),
            "applications[3] (Partner App): permissions.organization_resource_scopes[0]: no resource with indicator `https://other.example.com`",
        ),
        (
            |f| perms(f).organization_scopes.push(import::NamedPermission::Name("delete:org".to_owned())),
            "applications[3] (Partner App): permissions.organization_scopes[2]: no organization scope `delete:org` in the file or the database",
        ),
        (
            |f| branding(f).logo_url = Some("http://partner.example.com/logo.png".to_owned()),
            "applications[3] (Partner App): branding.logo_url: `http://partner.example.com/logo.png` is not an absolute https URL",
        ),
        (
            |f| branding(f).dark_logo_url = Some("/logo-dark.png".to_owned()),
            "applications[3] (Partner App): branding.dark_logo_url: `/logo-dark.png` is not an absolute https URL",
        ),
        (
            |f| branding(f).terms_of_use_url = Some(format!("https://partner.example.com/{}", "t".repeat(2048))),
            "applications[3] (Partner App): branding.terms_of_use_url:",
        ),
        (
            |f| branding(f).privacy_policy_url = Some("https://user@partner.example.com/privacy".to_owned()),
            "applications[3] (Partner App): branding.privacy_policy_url:",
        ),
        (
            |f| branding(f).color = Some("blue".to_owned()),
            "applications[3] (Partner App): branding.color: `blue` is not a color like #3b5bdb",
        ),
        (
            |f| branding(f).color = Some("#3b5bdg".to_owned()),
            "applications[3] (Partner App): branding.color: `#3b5bdg` is not a color",
        ),
        (
            |f| branding(f).display_name = Some("p".repeat(257)),
            "applications[3] (Partner App): branding.display_name: must be at most 256 characters",
        ),
        (
            |f| branding(f).display_name = Some(String::new()),
            "applications[3] (Partner App): branding.display_name: must not be empty",
        ),
    ];
    for (mutate, expected) in cases {
        let mut file = with_orgs();
        mutate(&mut file);
        let found = problems(run(db, &file, 1_000).await.expect_err(expected));
        assert!(found.iter().any(|p| p.contains(expected)), "expected `{expected}` among {found:#?}");
    }
    let mut file = with_orgs();
    member(&mut file, 1).user = "nobody".to_owned();
    branding(&mut file).color = Some("blue".to_owned());
    let found = problems(run(db, &file, 1_000).await.expect_err("two problems"));
    assert_eq!(found.len(), 2, "every problem is reported at once: {found:#?}");

    let written = org_snapshot(db).await;
    assert!(written.scopes.is_empty() && written.roles.is_empty() && written.orgs.is_empty(), "{written:?}");
    assert!(written.apps.is_empty(), "nothing was written: {written:?}");
    assert_eq!(db.list_users(EVERY).await.expect("users").1, 0);
    assert!(db.list_resources().await.expect("resources").is_empty());

    // The branding rules accept what the admin API accepts.
    let mut file = with_orgs();
    branding(&mut file).logo_url = Some("http://127.0.0.1:8080/logo.png".to_owned());
    branding(&mut file).color = Some("#ABCDEF".to_owned());
    import_ok(db, &file, 1_000).await;
    let stored = db.get_branding(&ApplicationId::from("partner")).await.expect("branding").expect("set");
    assert_eq!(
        (stored.logo_url.as_deref(), stored.color.as_deref()),
        (Some("http://127.0.0.1:8080/logo.png"), Some("#ABCDEF"))
    );
}

pub(super) async fn organization_references_may_point_at_what_the_database_already_holds(db: &Db) {
    import_ok(db, &with_orgs(), 1_000).await;
    let second = import::parse(
        r#"
        [[organization_roles]]
        name = "billing"
        scopes = ["manage:billing"]
        resource_scopes = [ { resource = "https://photos.example.com", scope = "read:photos" } ]

        [[organizations]]
        name = "Initech"
        members = [
          { user = "alice@example.com", roles = ["admin", "billing"] },
          { user = "bob@example.com" },
        ]

        [[applications]]
        name = "Partner App"
        type = "Traditional"

        [applications.permissions]
        user_scopes = ["email"]
        organization_scopes = ["manage:billing"]
        "#,
    )
    .expect("parses");
    let report = import_ok(db, &second, 2_000).await;
    assert_eq!(
        (report.organization_scopes, report.organization_roles, report.organizations),
        (counts(0, 0, 0), counts(1, 0, 0), counts(1, 0, 0))
    );
    assert_eq!(report.applications, counts(0, 1, 0), "still third-party: the stored value holds");
    assert_eq!(report.users, counts(0, 0, 0), "not in the file, not counted");
    let alice = user(db, "alice").await;
    let bob = user(db, "bob@example.com").await;
    let initech = org(db, "Initech").await;
    assert_eq!(
        members(db, &initech.id).await,
        sorted_members(vec![(alice.id.clone(), vec!["admin", "billing"]), (bob.id.clone(), vec![])])
    );
    assert_eq!(
        db.user_organization_scopes(&alice.id, &initech.id).await.expect("scopes"),
        ["invite:member", "manage:billing"]
    );
    let res = photos(db).await;
    assert_eq!(
        db.user_organization_resource_scopes(&alice.id, &initech.id, &res.id).await.expect("scopes"),
        ["read:photos", "write:photos"]
    );
    let billing = org_scope_id(db, "manage:billing").await.0;
    assert_eq!(
        permissions(db, &ApplicationId::from("partner")).await,
        BTreeSet::from([
            (ConsentScopeType::User, "email".to_owned(), true),
            (ConsentScopeType::Organization, billing, true),
        ])
    );

    let missing = import::parse(
        r#"
        [[organizations]]
        name = "Nowhere"
        members = [ { user = "carol", roles = ["owner"] } ]

        [[applications]]
        name = "Partner App"
        type = "Traditional"
        permissions = { organization_scopes = ["delete:org"] }
        "#,
    )
    .expect("parses");
    let before = org_snapshot(db).await;
    let found = problems(run(db, &missing, 3_000).await.expect_err("unknown references"));
    assert_eq!(
        found,
        [
            "organizations[0] (Nowhere): members[0].user: no user `carol` in the file or the database",
            "organizations[0] (Nowhere): members[0].roles[0]: no organization role `owner` in the file or the database",
            "applications[0] (Partner App): permissions.organization_scopes[0]: no organization scope `delete:org` in the file or the database",
        ]
    );
    assert_eq!(org_snapshot(db).await, before, "nothing was written");
}
