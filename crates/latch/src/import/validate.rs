//! Validation: the whole file against itself and the database, before anything is written.

use super::*;

pub(super) fn label(kind: &str, index: usize, key: &str) -> String {
    format!("{kind}[{index}] ({key})")
}

pub(super) fn resource_label(i: usize, r: &ResourceEntry) -> String {
    label("resources", i, &r.indicator)
}

pub(super) fn role_label(i: usize, r: &RoleEntry) -> String {
    label("roles", i, &r.name)
}

pub(super) fn user_label(i: usize, u: &UserEntry) -> String {
    label("users", i, u.key())
}

pub(super) fn app_label(i: usize, a: &ApplicationEntry) -> String {
    label("applications", i, &a.name)
}

pub(super) fn org_scope_label(i: usize, s: &OrganizationScopeEntry) -> String {
    label("organization_scopes", i, &s.name)
}

pub(super) fn org_role_label(i: usize, r: &OrganizationRoleEntry) -> String {
    label("organization_roles", i, &r.name)
}

pub(super) fn org_label(i: usize, o: &OrganizationEntry) -> String {
    label("organizations", i, &o.name)
}

/// The user an organization member designates: the one of a `users` entry (which may not be
/// stored yet), or one only the database holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum MemberRef {
    File(usize),
    Stored(UserId),
}

/// What the database already holds for the file's entries and references, read during
/// validation and used again when writing.
#[derive(Default)]
pub(super) struct Known {
    /// Indicator → the stored resource and its scopes (`None`: not stored).
    pub(super) resources: HashMap<String, Option<(Resource, Vec<Scope>)>>,
    /// Name → the stored role.
    pub(super) roles: HashMap<String, Option<Role>>,
    /// The stored user each `users` entry designates.
    pub(super) users: Vec<Option<User>>,
    /// The stored application each `applications` entry designates.
    pub(super) apps: Vec<Option<Application>>,
    /// Name → stored organization scope, every one, read on first use.
    pub(super) org_scopes: Option<HashMap<String, OrganizationScope>>,
    /// Name → stored organization role, every one, read on first use.
    pub(super) org_roles: Option<HashMap<String, OrganizationRole>>,
    /// The stored organization each `organizations` entry designates.
    pub(super) orgs: Vec<Option<Organization>>,
    /// The user each member of each `organizations` entry designates (`None`: none found).
    pub(super) members: Vec<Vec<Option<MemberRef>>>,
}

impl Known {
    async fn resource(
        &mut self,
        repos: &dyn Repositories,
        indicator: &str,
    ) -> Result<Option<&(Resource, Vec<Scope>)>, ImportError> {
        if !self.resources.contains_key(indicator) {
            let found = match repos.get_resource_by_indicator(indicator).await.map_err(storage(indicator))? {
                Some(r) => {
                    let scopes = repos.list_scopes(&r.id).await.map_err(storage(indicator))?;
                    Some((r, scopes))
                }
                None => None,
            };
            self.resources.insert(indicator.to_owned(), found);
        }
        Ok(self.resources.get(indicator).and_then(Option::as_ref))
    }

    async fn role(&mut self, repos: &dyn Repositories, name: &str) -> Result<Option<&Role>, ImportError> {
        if !self.roles.contains_key(name) {
            let found = repos.get_role_by_name(name).await.map_err(storage(name))?;
            self.roles.insert(name.to_owned(), found);
        }
        Ok(self.roles.get(name).and_then(Option::as_ref))
    }

    async fn org_scopes(
        &mut self,
        repos: &dyn Repositories,
    ) -> Result<&HashMap<String, OrganizationScope>, ImportError> {
        if self.org_scopes.is_none() {
            let all = every_row(500, |page| repos.list_organization_scopes(page))
                .await
                .map_err(storage("organization_scopes"))?;
            self.org_scopes = Some(all.into_iter().map(|s| (s.name.clone(), s)).collect());
        }
        Ok(self.org_scopes.get_or_insert_with(HashMap::new))
    }

    async fn org_roles(&mut self, repos: &dyn Repositories) -> Result<&HashMap<String, OrganizationRole>, ImportError> {
        if self.org_roles.is_none() {
            let all = every_row(500, |page| repos.list_organization_roles(page))
                .await
                .map_err(storage("organization_roles"))?;
            self.org_roles = Some(all.into_iter().map(|r| (r.name.clone(), r)).collect());
        }
        Ok(self.org_roles.get_or_insert_with(HashMap::new))
    }

    pub(super) fn stored_org_scope(&self, name: &str) -> Option<&OrganizationScope> {
        self.org_scopes.as_ref().and_then(|m| m.get(name))
    }

    pub(super) fn stored_org_role(&self, name: &str) -> Option<&OrganizationRole> {
        self.org_roles.as_ref().and_then(|m| m.get(name))
    }
}

#[derive(Default)]
pub(super) struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, entry: &str, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem { entry: entry.to_owned(), field: field.into(), message: message.into() });
    }
}

pub(super) fn is_blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// A fixed client id: 1 to 64 letters, digits, `-`, `_` or `.`, safe in URLs and form bodies.
pub(super) fn is_client_id(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The path of the first TOML date or time inside `value`, if any.
pub(super) fn find_datetime(value: &serde_json::Value, path: &str) -> Option<String> {
    match value {
        serde_json::Value::Object(map) => {
            if map.contains_key(TOML_DATETIME_KEY) {
                return Some(path.to_owned());
            }
            map.iter().find_map(|(k, v)| find_datetime(v, &format!("{path}.{k}")))
        }
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, v)| find_datetime(v, &format!("{path}[{i}]")))
        }
        _ => None,
    }
}

pub(super) fn check_unique<'a>(
    problems: &mut Problems,
    entry: &str,
    field: &str,
    items: impl IntoIterator<Item = &'a str>,
    what: &str,
) {
    let mut seen = BTreeSet::new();
    for (i, item) in items.into_iter().enumerate() {
        if !seen.insert(item) {
            problems.add(entry, format!("{field}[{i}]"), format!("{what} `{item}` is listed twice"));
        }
    }
}

/// Reports each key that more than one entry of a kind uses.
pub(super) fn check_unique_keys(problems: &mut Problems, labels: &[String], keys: &[Option<String>], field: &str) {
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        let Some(key) = key.as_deref() else { continue };
        match first.get(key) {
            Some(&j) => problems.add(&labels[i], field, format!("`{key}` is also used by {}", labels[j])),
            None => {
                first.insert(key, i);
            }
        }
    }
}

/// A name (of an organization, an organization role, a consent screen): not blank, at most `max`
/// characters.
pub(super) fn check_name(problems: &mut Problems, entry: &str, field: &str, name: &str, max: usize) {
    if let Err(e) = fields::text(name, max) {
        problems.add(entry, field, e.to_string());
    }
}

pub(super) fn check_length(problems: &mut Problems, entry: &str, field: &str, text: &str, max: usize) {
    if text.chars().count() > max {
        problems.add(entry, field, format!("must be at most {max} characters"));
    }
}

/// The same rules as `PUT /api/applications/{id}/sign-in-experience`.
pub(super) fn check_branding(problems: &mut Problems, entry: &str, b: &BrandingEntry) {
    if let Some(name) = &b.display_name {
        check_name(problems, entry, "branding.display_name", name, fields::MAX_DISPLAY_NAME);
    }
    for (field, value) in [
        ("logo_url", &b.logo_url),
        ("dark_logo_url", &b.dark_logo_url),
        ("terms_of_use_url", &b.terms_of_use_url),
        ("privacy_policy_url", &b.privacy_policy_url),
    ] {
        if let Some(Err(e)) = value.as_deref().map(fields::web_url) {
            problems.add(entry, format!("branding.{field}"), e.to_string());
        }
    }
    if let Some(Err(e)) = b.color.as_deref().map(fields::color) {
        problems.add(entry, "branding.color", e.to_string());
    }
}

pub(super) fn effective_role_type(entry: &RoleEntry, stored: Option<&Role>) -> RoleType {
    entry.role_type.as_deref().and_then(RoleType::parse).or(stored.map(|r| r.role_type)).unwrap_or(RoleType::User)
}

/// Checks the file against itself and the database, one kind at a time; reads, never writes.
pub(super) struct Validation<'a> {
    repos: &'a dyn Repositories,
    file: &'a ImportFile,
    p: Problems,
    known: Known,
    /// Name → type of every role of the file.
    role_types: HashMap<String, RoleType>,
}

impl Validation<'_> {
    /// The type of the role a user or an application refers to: the file's, else the database's.
    async fn role_type_of(&mut self, name: &str) -> Result<Option<RoleType>, ImportError> {
        if let Some(t) = self.role_types.get(name) {
            return Ok(Some(*t));
        }
        Ok(self.known.role(self.repos, name).await?.map(|r| r.role_type))
    }

    /// Every name in `roles` must be a distinct role of type `expected`, in the file or the
    /// database; `holders` names who holds them, for the message.
    async fn check_roles(
        &mut self,
        entry: &str,
        roles: &[String],
        expected: RoleType,
        holders: &str,
    ) -> Result<(), ImportError> {
        check_unique(&mut self.p, entry, "roles", roles.iter().map(String::as_str), "role");
        for (j, name) in roles.iter().enumerate() {
            match self.role_type_of(name).await? {
                None => {
                    self.p.add(entry, format!("roles[{j}]"), format!("no role `{name}` in the file or the database"))
                }
                Some(t) if t != expected => self.p.add(
                    entry,
                    format!("roles[{j}]"),
                    format!("`{name}` is a {} role; {holders} can only hold {} roles", t.as_str(), expected.as_str()),
                ),
                Some(_) => {}
            }
        }
        Ok(())
    }

    async fn resources(&mut self) -> Result<(), ImportError> {
        let labels: Vec<String> = self.file.resources.iter().enumerate().map(|(i, r)| resource_label(i, r)).collect();
        check_unique_keys(
            &mut self.p,
            &labels,
            &self.file.resources.iter().map(|r| Some(r.indicator.clone())).collect::<Vec<_>>(),
            "indicator",
        );
        for (r, entry) in self.file.resources.iter().zip(&labels) {
            if is_blank(&r.name) {
                self.p.add(entry, "name", "must not be empty");
            }
            // RFC 8707 §2: an absolute URI without a fragment.
            match url::Url::parse(&r.indicator) {
                Ok(u) if u.fragment().is_none() && !r.indicator.contains('#') => {}
                Ok(_) => self.p.add(entry, "indicator", "must not contain a fragment (RFC 8707 §2)"),
                Err(_) => {
                    self.p.add(entry, "indicator", format!("`{}` is not an absolute URI (RFC 8707 §2)", r.indicator))
                }
            }
            if let Some(ttl) = r.access_token_ttl
                && ttl <= 0
            {
                self.p.add(entry, "access_token_ttl", "must be a positive number of seconds");
            }
            if let Some(alg) = &r.access_token_signing_alg
                && !SIGNING_ALGS.contains(&alg.as_str())
            {
                self.p.add(entry, "access_token_signing_alg", format!("`{alg}` is neither RS256 nor ES256"));
            }
            for (i, s) in r.scopes.iter().enumerate() {
                if !scope::is_valid_token(&s.name) {
                    self.p.add(
                        entry,
                        format!("scopes[{i}].name"),
                        format!("`{}` is not a scope token (RFC 6749 §3.3)", s.name),
                    );
                }
            }
            check_unique(&mut self.p, entry, "scopes", r.scopes.iter().map(|s| s.name.as_str()), "scope");
            self.known.resource(self.repos, &r.indicator).await?;
        }
        Ok(())
    }

    async fn roles(&mut self) -> Result<(), ImportError> {
        let labels: Vec<String> = self.file.roles.iter().enumerate().map(|(i, r)| role_label(i, r)).collect();
        check_unique_keys(
            &mut self.p,
            &labels,
            &self.file.roles.iter().map(|r| Some(r.name.clone())).collect::<Vec<_>>(),
            "name",
        );
        for (r, entry) in self.file.roles.iter().zip(&labels) {
            if is_blank(&r.name) {
                self.p.add(entry, "name", "must not be empty");
            }
            let stored = self.known.role(self.repos, &r.name).await?.cloned();
            if let Some(t) = &r.role_type {
                match (RoleType::parse(t), &stored) {
                    (None, _) => self.p.add(entry, "type", format!("`{t}` is neither `User` nor `MachineToMachine`")),
                    (Some(t), Some(s)) if t != s.role_type => self.p.add(
                        entry,
                        "type",
                        format!("the stored role is a {} role; a role's type cannot change", s.role_type.as_str()),
                    ),
                    _ => {}
                }
            }
            self.role_types.insert(r.name.clone(), effective_role_type(r, stored.as_ref()));
            if let Some(refs) = &r.scopes {
                let refs: Vec<(&str, &str)> = refs.iter().map(|s| (s.resource.as_str(), s.scope.as_str())).collect();
                self.check_scope_refs(entry, "scopes", &refs).await?;
            }
        }
        Ok(())
    }

    /// Every `(indicator, scope name)` of `refs` must be distinct and name a scope of a resource
    /// in the file or the database.
    async fn check_scope_refs(&mut self, entry: &str, field: &str, refs: &[(&str, &str)]) -> Result<(), ImportError> {
        let file = self.file;
        let mut seen = BTreeSet::new();
        for (i, &(resource, scope)) in refs.iter().enumerate() {
            let field = format!("{field}[{i}]");
            if !seen.insert((resource, scope)) {
                self.p.add(entry, field, format!("scope `{scope}` of `{resource}` is listed twice"));
                continue;
            }
            let in_file = file.resources.iter().find(|res| res.indicator == resource);
            let stored = self.known.resource(self.repos, resource).await?;
            if in_file.is_none() && stored.is_none() {
                self.p.add(
                    entry,
                    field,
                    format!("no resource with indicator `{resource}` in the file or the database"),
                );
                continue;
            }
            let scope_in_file = in_file.is_some_and(|res| res.scopes.iter().any(|s| s.name == scope));
            let scope_stored = stored.is_some_and(|(_, scopes)| scopes.iter().any(|s| s.name == scope));
            if !scope_in_file && !scope_stored {
                self.p.add(
                    entry,
                    field,
                    format!("resource `{resource}` has no scope `{scope}` in the file or the database"),
                );
            }
        }
        Ok(())
    }

    async fn org_scope_exists(&mut self, name: &str) -> Result<bool, ImportError> {
        let in_file = self.file.organization_scopes.iter().any(|s| s.name == name);
        Ok(in_file || self.known.org_scopes(self.repos).await?.contains_key(name))
    }

    async fn org_role_exists(&mut self, name: &str) -> Result<bool, ImportError> {
        let in_file = self.file.organization_roles.iter().any(|r| r.name == name);
        Ok(in_file || self.known.org_roles(self.repos).await?.contains_key(name))
    }

    /// Every name of `names` (at `field`) must be a distinct organization scope of the file or
    /// the database.
    async fn check_org_scope_names<'n>(
        &mut self,
        entry: &str,
        field: &str,
        names: impl Iterator<Item = &'n str> + Clone,
    ) -> Result<(), ImportError> {
        check_unique(&mut self.p, entry, field, names.clone(), "organization scope");
        for (j, name) in names.enumerate() {
            if !self.org_scope_exists(name).await? {
                self.p.add(
                    entry,
                    format!("{field}[{j}]"),
                    format!("no organization scope `{name}` in the file or the database"),
                );
            }
        }
        Ok(())
    }

    async fn organization_scopes(&mut self) -> Result<(), ImportError> {
        let file = self.file;
        let labels: Vec<String> =
            file.organization_scopes.iter().enumerate().map(|(i, s)| org_scope_label(i, s)).collect();
        check_unique_keys(
            &mut self.p,
            &labels,
            &file.organization_scopes.iter().map(|s| Some(s.name.clone())).collect::<Vec<_>>(),
            "name",
        );
        for (s, entry) in file.organization_scopes.iter().zip(&labels) {
            // Requested by bare name next to the user scopes (DESIGN.md "Scopes and claims").
            if !scope::is_valid_token(&s.name) || s.name.len() > MAX_ORG_NAME {
                self.p.add(
                    entry,
                    "name",
                    format!("`{}` is not a scope token of 1 to {MAX_ORG_NAME} characters (RFC 6749 §3.3)", s.name),
                );
            } else if scope::is_user_scope(&s.name) {
                self.p.add(entry, "name", format!("`{}` is an OpenID Connect user scope", s.name));
            }
            if let Some(d) = &s.description {
                check_length(&mut self.p, entry, "description", d, MAX_ORG_SCOPE_DESCRIPTION);
            }
        }
        if !file.organization_scopes.is_empty() {
            self.known.org_scopes(self.repos).await?;
        }
        Ok(())
    }

    async fn organization_roles(&mut self) -> Result<(), ImportError> {
        let file = self.file;
        let labels: Vec<String> =
            file.organization_roles.iter().enumerate().map(|(i, r)| org_role_label(i, r)).collect();
        check_unique_keys(
            &mut self.p,
            &labels,
            &file.organization_roles.iter().map(|r| Some(r.name.clone())).collect::<Vec<_>>(),
            "name",
        );
        for (r, entry) in file.organization_roles.iter().zip(&labels) {
            check_name(&mut self.p, entry, "name", &r.name, MAX_ORG_NAME);
            if let Some(d) = &r.description {
                check_length(&mut self.p, entry, "description", d, MAX_ORG_DESCRIPTION);
            }
            if let Some(names) = &r.scopes {
                self.check_org_scope_names(entry, "scopes", names.iter().map(String::as_str)).await?;
            }
            if let Some(refs) = &r.resource_scopes {
                let refs: Vec<(&str, &str)> = refs.iter().map(|s| (s.resource.as_str(), s.scope.as_str())).collect();
                self.check_scope_refs(entry, "resource_scopes", &refs).await?;
            }
        }
        if !file.organization_roles.is_empty() {
            self.known.org_roles(self.repos).await?;
        }
        Ok(())
    }

    /// The user `login` designates: a `users` entry with that username or email, else a stored
    /// user with that username or email (the entry designating it, if there is one).
    async fn member_ref(&mut self, entry: &str, login: &str) -> Result<Option<MemberRef>, ImportError> {
        let users = &self.file.users;
        // Read as sign-in reads it: an email when it has `@`, else a username.
        let in_file = match Identifier::parse(login) {
            Identifier::Email(email) => {
                users.iter().position(|u| u.email.as_ref().is_some_and(|e| e.eq_ignore_ascii_case(email)))
            }
            Identifier::Username(name) => users.iter().position(|u| u.username.as_deref() == Some(name)),
        };
        if let Some(i) = in_file {
            return Ok(Some(MemberRef::File(i)));
        }
        let Some(found) = self.repos.find_user_by_login(login).await.map_err(storage(entry))? else {
            return Ok(None);
        };
        Ok(Some(match self.known.users.iter().position(|u| u.as_ref().is_some_and(|u| u.id == found.id)) {
            Some(i) => MemberRef::File(i),
            None => MemberRef::Stored(found.id),
        }))
    }

    async fn organizations(&mut self) -> Result<(), ImportError> {
        let file = self.file;
        let labels: Vec<String> = file.organizations.iter().enumerate().map(|(i, o)| org_label(i, o)).collect();
        check_unique_keys(
            &mut self.p,
            &labels,
            &file.organizations.iter().map(|o| Some(o.name.clone())).collect::<Vec<_>>(),
            "name",
        );
        let mut stored: HashMap<String, Organization> = HashMap::new();
        if !file.organizations.is_empty() {
            let repos = self.repos;
            let all = every_row(500, |page| repos.list_organizations(page)).await.map_err(storage("organizations"))?;
            stored = all.into_iter().map(|o| (o.name.clone(), o)).collect();
        }
        for (o, entry) in file.organizations.iter().zip(&labels) {
            check_name(&mut self.p, entry, "name", &o.name, MAX_ORG_NAME);
            if let Some(d) = &o.description {
                check_length(&mut self.p, entry, "description", d, MAX_ORG_DESCRIPTION);
            }
            let mut refs = Vec::new();
            let mut seen: HashMap<MemberRef, usize> = HashMap::new();
            for (j, m) in o.members.iter().flatten().enumerate() {
                let field = format!("members[{j}]");
                let found = self.member_ref(entry, &m.user).await?;
                match &found {
                    None => self.p.add(
                        entry,
                        format!("{field}.user"),
                        format!("no user `{}` in the file or the database", m.user),
                    ),
                    Some(r) => match seen.get(r) {
                        Some(k) => self.p.add(
                            entry,
                            format!("{field}.user"),
                            format!("`{}` is the same user as members[{k}]", m.user),
                        ),
                        None => {
                            seen.insert(r.clone(), j);
                        }
                    },
                }
                refs.push(found);
                let Some(roles) = &m.roles else { continue };
                let roles_field = format!("{field}.roles");
                check_unique(&mut self.p, entry, &roles_field, roles.iter().map(String::as_str), "organization role");
                for (k, name) in roles.iter().enumerate() {
                    if !self.org_role_exists(name).await? {
                        self.p.add(
                            entry,
                            format!("{roles_field}[{k}]"),
                            format!("no organization role `{name}` in the file or the database"),
                        );
                    }
                }
            }
            self.known.orgs.push(stored.get(&o.name).cloned());
            self.known.members.push(refs);
        }
        Ok(())
    }

    /// `permissions` of a third-party application: user scopes Latch knows (not `openid`, which
    /// every OIDC request carries), and scopes of the file or the database.
    async fn permissions(&mut self, entry: &str, perms: &PermissionsEntry) -> Result<(), ImportError> {
        let field = "permissions.user_scopes";
        check_unique(&mut self.p, entry, field, perms.user_scopes.iter().map(NamedPermission::name), "scope");
        for (j, s) in perms.user_scopes.iter().enumerate() {
            let name = s.name();
            if !scope::is_user_scope(name) || name == scope::OPENID {
                self.p.add(
                    entry,
                    format!("{field}[{j}]"),
                    format!("`{name}` is not a user scope (profile, email, phone, address, …)"),
                );
            }
        }
        for (field, list) in [
            ("permissions.resource_scopes", &perms.resource_scopes),
            ("permissions.organization_resource_scopes", &perms.organization_resource_scopes),
        ] {
            for (j, s) in list.iter().enumerate() {
                if latch_domain::admin::is_admin_resource(&s.resource) {
                    let why = "the admin API's scopes can never be permitted to a third-party application";
                    self.p.add(entry, format!("{field}[{j}]"), why);
                }
            }
            let refs: Vec<(&str, &str)> = list.iter().map(|s| (s.resource.as_str(), s.scope.as_str())).collect();
            self.check_scope_refs(entry, field, &refs).await?;
        }
        let names = perms.organization_scopes.iter().map(NamedPermission::name);
        self.check_org_scope_names(entry, "permissions.organization_scopes", names).await
    }

    async fn users(&mut self) -> Result<(), ImportError> {
        let labels: Vec<String> = self.file.users.iter().enumerate().map(|(i, u)| user_label(i, u)).collect();
        check_unique_keys(
            &mut self.p,
            &labels,
            &self.file.users.iter().map(|u| u.username.clone()).collect::<Vec<_>>(),
            "username",
        );
        check_unique_keys(
            &mut self.p,
            &labels,
            &self.file.users.iter().map(|u| u.email.as_ref().map(|e| e.to_lowercase())).collect::<Vec<_>>(),
            "email",
        );
        check_unique_keys(
            &mut self.p,
            &labels,
            &self.file.users.iter().map(|u| u.phone.clone()).collect::<Vec<_>>(),
            "phone",
        );
        let mut claimed_users: HashMap<UserId, usize> = HashMap::new();
        for (i, (u, entry)) in self.file.users.iter().zip(&labels).enumerate() {
            if u.username.is_none() && u.email.is_none() {
                self.p.add(entry, "", "needs a `username` or an `email` to be found by");
            }
            // The rules of the admin API (latch_domain::fields), field by field.
            let rules = [
                ("username", u.username.as_deref().map(fields::username)),
                ("email", u.email.as_deref().map(fields::email)),
                ("phone", u.phone.as_deref().map(fields::phone)),
                ("name", u.name.as_deref().map(fields::display_name)),
                ("password", u.password.as_ref().map(|pw| fields::password(&pw.0))),
            ];
            for (field, verdict) in rules {
                if let Some(Err(e)) = verdict {
                    self.p.add(entry, field, e.to_string());
                }
            }
            for (path, e) in u.profile.as_ref().map(fields::profile).unwrap_or_default() {
                self.p.add(entry, format!("profile.{path}"), e.to_string());
            }
            if let Some(data) = &u.custom_data
                && let Some(path) = find_datetime(&serde_json::Value::Object(data.clone()), "custom_data")
            {
                self.p.add(entry, path, "TOML dates and times are not supported here; write them as strings");
            }
            if let Some(roles) = &u.roles {
                self.check_roles(entry, roles, RoleType::User, "users").await?;
            }
            // Find the stored user this entry designates, and make sure its email is not someone else's.
            let stored = match (&u.username, &u.email) {
                (Some(name), _) => self.repos.find_user_by_username(name).await.map_err(storage(entry))?,
                (None, Some(email)) => self.repos.find_user_by_email(email).await.map_err(storage(entry))?,
                (None, None) => None,
            };
            if let (Some(name), Some(email)) = (&u.username, &u.email)
                && let Some(owner) = self.repos.find_user_by_email(email).await.map_err(storage(entry))?
                && stored.as_ref().is_none_or(|s| s.id != owner.id)
            {
                let who = owner.username.as_deref().unwrap_or(owner.id.as_str());
                self.p.add(
                    entry,
                    "email",
                    format!("`{email}` already belongs to another user (`{who}`), not to `{name}`"),
                );
            }
            // Someone may have signed up with this address without proving they read it: an
            // entry naming only the email must not hand that account the entry's roles.
            if let (None, Some(email), Some(s)) = (&u.username, &u.email, &stored)
                && !s.email_verified
                && s.password_hash.is_some()
            {
                self.p.add(
                    entry,
                    "email",
                    format!(
                        "`{email}` belongs to an account whose address nobody has verified (`{}`): name it by username, \
                         or verify it first",
                        s.username.as_deref().unwrap_or(s.id.as_str())
                    ),
                );
            }
            if let Some(s) = &stored {
                if let Some(&j) = claimed_users.get(&s.id) {
                    self.p.add(entry, "", format!("designates the same stored user as {}", labels[j]));
                } else {
                    claimed_users.insert(s.id.clone(), i);
                }
            }
            self.known.users.push(stored);
        }
        Ok(())
    }

    async fn applications(&mut self) -> Result<(), ImportError> {
        let labels: Vec<String> = self.file.applications.iter().enumerate().map(|(i, a)| app_label(i, a)).collect();
        check_unique_keys(
            &mut self.p,
            &labels,
            &self.file.applications.iter().map(|a| Some(a.name.clone())).collect::<Vec<_>>(),
            "name",
        );
        check_unique_keys(
            &mut self.p,
            &labels,
            &self.file.applications.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
            "id",
        );
        let mut claimed_apps: HashMap<ApplicationId, usize> = HashMap::new();
        for (i, (a, entry)) in self.file.applications.iter().zip(&labels).enumerate() {
            check_name(&mut self.p, entry, "name", &a.name, fields::MAX_DISPLAY_NAME);
            if let Some(id) = &a.id
                && !is_client_id(id)
            {
                self.p.add(entry, "id", format!("`{id}` must be 1 to 64 letters, digits, `-`, `_` or `.`"));
            }
            // The stored application: by fixed id when there is one, else by name.
            let stored = match &a.id {
                Some(id) => {
                    self.repos.get_application(&ApplicationId::from(id.as_str())).await.map_err(storage(entry))?
                }
                None => self.repos.find_application_by_name(&a.name).await.map_err(storage(entry))?,
            };
            if a.id.is_some() || stored.as_ref().is_some_and(|s| s.name != a.name) {
                let holder = self.repos.find_application_by_name(&a.name).await.map_err(storage(entry))?;
                if let Some(holder) = holder
                    && stored.as_ref().is_none_or(|s| s.id != holder.id)
                {
                    if stored.is_none() {
                        self.p.add(
                            entry,
                            "id",
                            format!(
                                "an application with this name already exists with client id `{}`; a client id cannot change",
                                holder.id
                            ),
                        );
                    } else {
                        self.p.add(
                            entry,
                            "name",
                            format!("already used by the application with client id `{}`", holder.id),
                        );
                    }
                }
            }
            if let Some(s) = &stored {
                if let Some(&j) = claimed_apps.get(&s.id) {
                    self.p.add(entry, "", format!("designates the same stored application as {}", labels[j]));
                } else {
                    claimed_apps.insert(s.id.clone(), i);
                }
            }
            let Some(app_type) = AppType::parse(&a.app_type) else {
                self.p.add(
                    entry,
                    "type",
                    format!("`{}` is not one of Traditional, SPA, Native, MachineToMachine", a.app_type),
                );
                self.known.apps.push(stored);
                continue;
            };
            if let Some(s) = &stored
                && s.app_type != app_type
            {
                self.p.add(
                    entry,
                    "type",
                    format!("the stored application is {}; an application's type cannot change", s.app_type.as_str()),
                );
            }
            let third_party = a.third_party.or(stored.as_ref().map(|s| s.is_third_party)).unwrap_or(false);
            if app_type == AppType::MachineToMachine && third_party {
                self.p.add(entry, "third_party", "machine-to-machine apps cannot be third-party");
            }
            for (field, uris) in
                [("redirect_uris", &a.redirect_uris), ("post_logout_redirect_uris", &a.post_logout_redirect_uris)]
            {
                let Some(uris) = uris else { continue };
                for (j, uri) in uris.iter().enumerate() {
                    if let Err(e) = validate_registered(app_type, uri) {
                        self.p.add(entry, format!("{field}[{j}]"), e.to_string());
                    }
                }
                check_unique(&mut self.p, entry, field, uris.iter().map(String::as_str), "URI");
            }
            if let Some(secret) = &a.secret {
                if !app_type.is_confidential() {
                    self.p.add(
                        entry,
                        "secret",
                        format!("{} apps are public clients and have no secret (RFC 6749 §2.1)", app_type.as_str()),
                    );
                } else if secret.0.chars().count() < MIN_SECRET_LEN {
                    self.p.add(
                        entry,
                        "secret",
                        format!("must be at least {MIN_SECRET_LEN} characters (try `openssl rand -hex 32`)"),
                    );
                }
            }
            if let Some(roles) = &a.roles {
                if app_type != AppType::MachineToMachine {
                    self.p.add(entry, "roles", "only MachineToMachine apps hold roles");
                } else {
                    self.check_roles(entry, roles, RoleType::MachineToMachine, "applications").await?;
                }
            }
            if let Some(alg) = &a.id_token_signed_response_alg
                && !SIGNING_ALGS.contains(&alg.as_str())
            {
                self.p.add(entry, "id_token_signed_response_alg", format!("`{alg}` is neither RS256 nor ES256"));
            }
            if let Some(perms) = &a.permissions {
                if third_party {
                    self.permissions(entry, perms).await?;
                } else {
                    self.p.add(
                        entry,
                        "permissions",
                        "only third-party applications have permissions (set `third_party = true`); first-party apps never show consent",
                    );
                }
            }
            if let Some(b) = &a.branding {
                check_branding(&mut self.p, entry, b);
            }
            self.known.apps.push(stored);
        }
        Ok(())
    }
}

/// Checks the whole file against itself and the database; reads, never writes.
pub(super) async fn validate(repos: &dyn Repositories, file: &ImportFile) -> Result<Known, ImportError> {
    let mut v = Validation { repos, file, p: Problems::default(), known: Known::default(), role_types: HashMap::new() };
    v.resources().await?;
    v.roles().await?;
    v.users().await?;
    v.organization_scopes().await?;
    v.organization_roles().await?;
    v.organizations().await?;
    v.applications().await?;
    if v.p.0.is_empty() { Ok(v.known) } else { Err(ImportError::Invalid(v.p.0)) }
}
