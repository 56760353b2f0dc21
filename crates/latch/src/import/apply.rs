//! Applying a validated file: what to create, update or leave, as one unit of work.

use super::*;

pub(super) struct Writer<'a> {
    repos: &'a dyn Repositories,
    random: &'a dyn Random,
    /// The writes of the whole import: one unit of work, committed after every entry is planned.
    change: Vec<Write>,
    hasher: &'a PasswordHasher,
    now: Timestamp,
    report: ImportReport,
    /// (indicator, scope name) → scope id.
    scope_ids: HashMap<(String, String), ScopeId>,
    role_ids: HashMap<String, RoleId>,
    /// The id of the user each `users` entry designates, once written.
    user_ids: Vec<Option<UserId>>,
    org_scope_ids: HashMap<String, OrganizationScopeId>,
    org_role_ids: HashMap<String, OrganizationRoleId>,
}

pub(super) fn sorted<T: Ord + Clone>(items: &[T]) -> Vec<T> {
    items.iter().cloned().collect::<BTreeSet<_>>().into_iter().collect()
}

/// What to add to `have` and what to remove from it so that it becomes `want`.
pub(super) fn diff<T: Ord + Clone>(want: &BTreeSet<T>, have: &BTreeSet<T>) -> (Vec<T>, Vec<T>) {
    (want.difference(have).cloned().collect(), have.difference(want).cloned().collect())
}

pub(super) fn missing(entry: &str, what: String) -> ImportError {
    ImportError::Storage { entry: entry.to_owned(), error: RepoError::MissingReference(what) }
}

impl Writer<'_> {
    fn new_id(&self) -> String {
        new_id(self.random)
    }

    fn scope_id(&self, entry: &str, resource: &str, scope: &str) -> Result<ScopeId, ImportError> {
        self.scope_ids
            .get(&(resource.to_owned(), scope.to_owned()))
            .cloned()
            .ok_or_else(|| missing(entry, format!("scope `{scope}` of `{resource}`")))
    }

    fn org_scope_id(&self, entry: &str, name: &str) -> Result<OrganizationScopeId, ImportError> {
        self.org_scope_ids.get(name).cloned().ok_or_else(|| missing(entry, format!("organization scope `{name}`")))
    }

    fn org_role_id(&self, entry: &str, name: &str) -> Result<OrganizationRoleId, ImportError> {
        self.org_role_ids.get(name).cloned().ok_or_else(|| missing(entry, format!("organization role `{name}`")))
    }

    async fn resource(&mut self, r: &ResourceEntry, known: &Known) -> Result<(), ImportError> {
        let stored = known.resources.get(&r.indicator).and_then(Option::as_ref);
        let (id, outcome) = match stored {
            None => {
                let new = Resource {
                    id: ResourceId(self.new_id()),
                    name: r.name.clone(),
                    indicator: r.indicator.clone(),
                    access_token_ttl: r.access_token_ttl.unwrap_or(DEFAULT_ACCESS_TOKEN_TTL),
                    access_token_signing_alg: r
                        .access_token_signing_alg
                        .clone()
                        .unwrap_or_else(|| SIGNING_ALGS[0].to_owned()),
                    created_at: self.now,
                };
                self.change.push(Write::InsertResource(new.clone()));
                (new.id, Outcome::Created)
            }
            Some((old, _)) => {
                let mut want = old.clone();
                want.name = r.name.clone();
                if let Some(ttl) = r.access_token_ttl {
                    want.access_token_ttl = ttl;
                }
                if let Some(alg) = &r.access_token_signing_alg {
                    want.access_token_signing_alg = alg.clone();
                }
                if want == *old {
                    (want.id, Outcome::Unchanged)
                } else {
                    self.change.push(Write::UpdateResource(want.clone()));
                    (want.id, Outcome::Updated)
                }
            }
        };
        self.report.resources.add(outcome);
        let stored_scopes: &[Scope] = stored.map(|(_, s)| s.as_slice()).unwrap_or(&[]);
        for s in &r.scopes {
            let outcome = match stored_scopes.iter().find(|old| old.name == s.name) {
                None => {
                    let new = Scope {
                        id: ScopeId(self.new_id()),
                        resource_id: id.clone(),
                        name: s.name.clone(),
                        description: s.description.clone().unwrap_or_default(),
                    };
                    self.change.push(Write::InsertScope(new.clone()));
                    self.scope_ids.insert((r.indicator.clone(), s.name.clone()), new.id);
                    Outcome::Created
                }
                Some(old) => match &s.description {
                    Some(d) if *d != old.description => {
                        let want = Scope { description: d.clone(), ..old.clone() };
                        self.change.push(Write::UpdateScope(want.clone()));
                        Outcome::Updated
                    }
                    _ => Outcome::Unchanged,
                },
            };
            self.report.scopes.add(outcome);
        }
        Ok(())
    }

    async fn role(&mut self, i: usize, r: &RoleEntry, known: &Known) -> Result<(), ImportError> {
        let entry = role_label(i, r);
        let stored = known.roles.get(&r.name).and_then(Option::as_ref);
        let (id, mut outcome) = match stored {
            None => {
                let new = Role {
                    id: RoleId(self.new_id()),
                    name: r.name.clone(),
                    description: r.description.clone().unwrap_or_default(),
                    role_type: effective_role_type(r, None),
                    created_at: self.now,
                };
                self.change.push(Write::InsertRole(new.clone()));
                (new.id, Outcome::Created)
            }
            Some(old) => {
                let mut want = old.clone();
                if let Some(d) = &r.description {
                    want.description = d.clone();
                }
                if want == *old {
                    (want.id, Outcome::Unchanged)
                } else {
                    self.change.push(Write::UpdateRole(want.clone()));
                    (want.id, Outcome::Updated)
                }
            }
        };
        self.role_ids.insert(r.name.clone(), id.clone());
        if let Some(refs) = &r.scopes {
            let want =
                refs.iter().map(|s| self.scope_id(&entry, &s.resource, &s.scope)).collect::<Result<Vec<_>, _>>()?;
            let want = sorted(&want);
            let have = match stored {
                Some(_) => sorted(&self.repos.role_scope_ids(&id).await.map_err(storage(&entry))?),
                None => Vec::new(),
            };
            if want != have {
                self.change.push(Write::SetRoleScopes { role: id.clone(), scopes: want.clone() });
                if outcome == Outcome::Unchanged {
                    outcome = Outcome::Updated;
                }
            }
        }
        self.report.roles.add(outcome);
        Ok(())
    }

    fn role_ids_of(&self, entry: &str, names: &[String]) -> Result<Vec<RoleId>, ImportError> {
        names
            .iter()
            .map(|n| self.role_ids.get(n).cloned().ok_or_else(|| missing(entry, format!("role `{n}`"))))
            .collect()
    }

    async fn organization_scope(&mut self, s: &OrganizationScopeEntry, known: &Known) -> Result<(), ImportError> {
        let (id, outcome) = match known.stored_org_scope(&s.name) {
            None => {
                let new = OrganizationScope {
                    id: OrganizationScopeId(self.new_id()),
                    name: s.name.clone(),
                    description: s.description.clone().unwrap_or_default(),
                    created_at: self.now,
                };
                self.change.push(Write::InsertOrganizationScope(new.clone()));
                (new.id, Outcome::Created)
            }
            Some(old) => match &s.description {
                Some(d) if *d != old.description => {
                    let want = OrganizationScope { description: d.clone(), ..old.clone() };
                    self.change.push(Write::UpdateOrganizationScope(want.clone()));
                    (want.id, Outcome::Updated)
                }
                _ => (old.id.clone(), Outcome::Unchanged),
            },
        };
        self.org_scope_ids.insert(s.name.clone(), id);
        self.report.organization_scopes.add(outcome);
        Ok(())
    }

    async fn organization_role(
        &mut self,
        i: usize,
        r: &OrganizationRoleEntry,
        known: &Known,
    ) -> Result<(), ImportError> {
        let entry = org_role_label(i, r);
        let stored = known.stored_org_role(&r.name);
        let (id, outcome) = match stored {
            None => {
                let new = OrganizationRole {
                    id: OrganizationRoleId(self.new_id()),
                    name: r.name.clone(),
                    description: r.description.clone().unwrap_or_default(),
                    created_at: self.now,
                };
                self.change.push(Write::InsertOrganizationRole(new.clone()));
                (new.id, Outcome::Created)
            }
            Some(old) => match &r.description {
                Some(d) if *d != old.description => {
                    let want = OrganizationRole { description: d.clone(), ..old.clone() };
                    self.change.push(Write::UpdateOrganizationRole(want.clone()));
                    (want.id, Outcome::Updated)
                }
                _ => (old.id.clone(), Outcome::Unchanged),
            },
        };
        self.org_role_ids.insert(r.name.clone(), id.clone());
        let mut changed = false;
        if let Some(names) = &r.scopes {
            let want = names.iter().map(|n| self.org_scope_id(&entry, n)).collect::<Result<BTreeSet<_>, _>>()?;
            let have: BTreeSet<_> = match stored {
                Some(_) => {
                    self.repos.organization_role_scope_ids(&id).await.map_err(storage(&entry))?.into_iter().collect()
                }
                None => BTreeSet::new(),
            };
            let (add, remove) = diff(&want, &have);
            if !add.is_empty() {
                self.change.push(Write::AddOrganizationRoleScopes { role: id.clone(), scopes: add.clone() });
            }
            for scope in &remove {
                self.change.push(Write::RemoveOrganizationRoleScope { role: id.clone(), scope: scope.clone() });
            }
            changed |= !add.is_empty() || !remove.is_empty();
        }
        if let Some(refs) = &r.resource_scopes {
            let want = refs
                .iter()
                .map(|s| self.scope_id(&entry, &s.resource, &s.scope))
                .collect::<Result<BTreeSet<_>, _>>()?;
            let have: BTreeSet<_> = match stored {
                Some(_) => self
                    .repos
                    .organization_role_resource_scope_ids(&id)
                    .await
                    .map_err(storage(&entry))?
                    .into_iter()
                    .collect(),
                None => BTreeSet::new(),
            };
            let (add, remove) = diff(&want, &have);
            if !add.is_empty() {
                self.change.push(Write::AddOrganizationRoleResourceScopes { role: id.clone(), scopes: add.clone() });
            }
            for scope in &remove {
                self.change.push(Write::RemoveOrganizationRoleResourceScope { role: id.clone(), scope: scope.clone() });
            }
            changed |= !add.is_empty() || !remove.is_empty();
        }
        self.report.organization_roles.add(if changed && outcome == Outcome::Unchanged {
            Outcome::Updated
        } else {
            outcome
        });
        Ok(())
    }

    async fn organization(
        &mut self,
        i: usize,
        o: &OrganizationEntry,
        stored: Option<&Organization>,
        members: &[Option<MemberRef>],
    ) -> Result<(), ImportError> {
        let entry = org_label(i, o);
        // An empty description clears it, as in the admin API.
        let description = o.description.as_ref().map(|d| Some(d.clone()).filter(|d| !d.is_empty()));
        let (id, outcome) = match stored {
            None => {
                let new = Organization {
                    id: OrganizationId(self.new_id()),
                    name: o.name.clone(),
                    description: description.flatten(),
                    created_at: self.now,
                };
                self.change.push(Write::InsertOrganization(new.clone()));
                (new.id, Outcome::Created)
            }
            Some(old) => {
                let mut want = old.clone();
                if let Some(d) = description {
                    want.description = d;
                }
                if want == *old {
                    (want.id, Outcome::Unchanged)
                } else {
                    self.change.push(Write::UpdateOrganization(want.clone()));
                    (want.id, Outcome::Updated)
                }
            }
        };
        let mut changed = false;
        if let Some(listed) = &o.members {
            if listed.len() != members.len() {
                return Err(missing(&entry, "a member".to_owned()));
            }
            let mut wanted = Vec::with_capacity(listed.len());
            for (m, r) in listed.iter().zip(members) {
                let user = match r {
                    Some(MemberRef::Stored(user)) => Some(user.clone()),
                    Some(MemberRef::File(j)) => self.user_ids.get(*j).cloned().flatten(),
                    None => None,
                };
                let Some(user) = user else { return Err(missing(&entry, format!("user `{}`", m.user))) };
                wanted.push((user, m));
            }
            let have: BTreeSet<UserId> = match stored {
                Some(_) => {
                    let repos = self.repos;
                    every_row(500, |page| repos.list_organization_members(&id, page))
                        .await
                        .map_err(storage(&entry))?
                        .into_iter()
                        .collect()
                }
                None => BTreeSet::new(),
            };
            let want: BTreeSet<UserId> = wanted.iter().map(|(u, _)| u.clone()).collect();
            let (add, remove) = diff(&want, &have);
            for user in &remove {
                self.change.push(Write::RemoveOrganizationMember { org: id.clone(), user: user.clone() });
            }
            if !add.is_empty() {
                self.change.push(Write::AddOrganizationMembers { org: id.clone(), users: add.clone(), at: self.now });
            }
            changed |= !add.is_empty() || !remove.is_empty();
            for (user, m) in &wanted {
                let Some(names) = &m.roles else { continue };
                let have_names: BTreeSet<String> = if have.contains(user) {
                    let roles = self.repos.organization_member_roles(&id, user).await.map_err(storage(&entry))?;
                    roles.into_iter().map(|r| r.name).collect()
                } else {
                    BTreeSet::new()
                };
                if names.iter().cloned().collect::<BTreeSet<_>>() != have_names {
                    let ids = names.iter().map(|n| self.org_role_id(&entry, n)).collect::<Result<Vec<_>, _>>()?;
                    self.change.push(Write::SetOrganizationMemberRoles {
                        org: id.clone(),
                        user: user.clone(),
                        roles: ids.clone(),
                    });
                    changed = true;
                }
            }
        }
        self.report.organizations.add(if changed && outcome == Outcome::Unchanged {
            Outcome::Updated
        } else {
            outcome
        });
        Ok(())
    }

    /// The allow-list `perms` describes, keyed by kind and reference.
    fn consent_scopes(
        &self,
        entry: &str,
        perms: &PermissionsEntry,
    ) -> Result<BTreeMap<(ConsentScopeType, String), bool>, ImportError> {
        let mut out = BTreeMap::new();
        for s in &perms.user_scopes {
            out.insert((ConsentScopeType::User, s.name().to_owned()), s.required());
        }
        for s in &perms.resource_scopes {
            out.insert((ConsentScopeType::Resource, self.scope_id(entry, &s.resource, &s.scope)?.0), s.required);
        }
        for s in &perms.organization_scopes {
            out.insert((ConsentScopeType::Organization, self.org_scope_id(entry, s.name())?.0), s.required());
        }
        for s in &perms.organization_resource_scopes {
            let id = self.scope_id(entry, &s.resource, &s.scope)?.0;
            out.insert((ConsentScopeType::OrganizationResource, id), s.required);
        }
        Ok(out)
    }

    /// Makes the app's permissions exactly `perms`; true when anything changed.
    async fn permissions(
        &mut self,
        entry: &str,
        app: &ApplicationId,
        stored: bool,
        perms: &PermissionsEntry,
    ) -> Result<bool, ImportError> {
        let want = self.consent_scopes(entry, perms)?;
        let have: BTreeMap<(ConsentScopeType, String), bool> = if stored {
            let list = self.repos.list_consent_scopes(app).await.map_err(storage(entry))?;
            list.into_iter().map(|c| ((c.scope_type, c.scope_ref), c.required)).collect()
        } else {
            BTreeMap::new()
        };
        let remove: Vec<&(ConsentScopeType, String)> = have.keys().filter(|k| !want.contains_key(*k)).collect();
        let add: Vec<ConsentScope> = want
            .iter()
            .filter(|(k, required)| have.get(*k) != Some(*required))
            .map(|((scope_type, scope_ref), required)| ConsentScope {
                scope_type: *scope_type,
                scope_ref: scope_ref.clone(),
                required: *required,
            })
            .collect();
        for (scope_type, scope_ref) in &remove {
            self.change.push(Write::DeleteConsentScope {
                app: app.clone(),
                scope_type: *scope_type,
                scope_ref: scope_ref.clone(),
            });
        }
        if !add.is_empty() {
            self.change.push(Write::AddConsentScopes { app: app.clone(), scopes: add.clone() });
        }
        Ok(!add.is_empty() || !remove.is_empty())
    }

    /// Sets the fields `b` names, keeping the others; true when anything changed.
    async fn branding(
        &mut self,
        entry: &str,
        app: &ApplicationId,
        stored: bool,
        b: &BrandingEntry,
    ) -> Result<bool, ImportError> {
        let old = if stored { self.repos.get_branding(app).await.map_err(storage(entry))? } else { None };
        let mut want = old.clone().unwrap_or_else(|| Branding {
            application_id: app.clone(),
            updated_at: self.now,
            ..Branding::default()
        });
        for (field, value) in [
            (&mut want.display_name, &b.display_name),
            (&mut want.logo_url, &b.logo_url),
            (&mut want.dark_logo_url, &b.dark_logo_url),
            (&mut want.terms_of_use_url, &b.terms_of_use_url),
            (&mut want.privacy_policy_url, &b.privacy_policy_url),
            (&mut want.color, &b.color),
        ] {
            if value.is_some() {
                field.clone_from(value);
            }
        }
        if old.as_ref() == Some(&want) {
            return Ok(false);
        }
        want.updated_at = self.now;
        self.change.push(Write::PutBranding(want.clone()));
        Ok(true)
    }

    async fn user(&mut self, i: usize, u: &UserEntry, stored: Option<&User>) -> Result<(), ImportError> {
        let entry = user_label(i, u);
        let mut want = match stored {
            Some(old) => old.clone(),
            None => User {
                id: UserId(self.new_id()),
                custom_data: serde_json::Value::Object(serde_json::Map::new()),
                created_at: self.now,
                updated_at: self.now,
                ..User::default()
            },
        };
        if let Some(v) = &u.username {
            want.username = Some(v.clone());
        }
        if let Some(v) = &u.email {
            want.primary_email = Some(v.clone());
        }
        if let Some(v) = u.email_verified {
            want.email_verified = v;
        }
        if let Some(v) = &u.phone {
            want.primary_phone = Some(v.clone());
        }
        if let Some(v) = &u.name {
            want.name = Some(v.clone());
        }
        if let Some(v) = &u.profile {
            want.profile = v.clone();
        }
        if let Some(v) = &u.custom_data {
            want.custom_data = serde_json::Value::Object(v.clone());
        }
        // Re-hash only when the stored hash does not already verify the password: a new salt
        // every run would make every import an update.
        if let Some(pw) = &u.password
            && !want.password_hash.as_deref().is_some_and(|h| self.hasher.verify(&pw.0, Some(h)))
        {
            let salt = crypto::random_16(self.random);
            let hash = self
                .hasher
                .hash(&pw.0, &salt)
                .map_err(|error| ImportError::Password { entry: entry.clone(), error })?;
            want.password_hash = Some(hash);
        }
        let mut outcome = match stored {
            None => {
                self.change.push(Write::InsertUser(want.clone()));
                Outcome::Created
            }
            Some(old) if want == *old => Outcome::Unchanged,
            Some(_) => {
                want.updated_at = self.now;
                self.change.push(Write::UpdateUser(want.clone()));
                Outcome::Updated
            }
        };
        if let Some(names) = &u.roles {
            let have = match stored {
                Some(_) => sorted(&self.repos.user_role_names(&want.id).await.map_err(storage(&entry))?),
                None => Vec::new(),
            };
            if sorted(names) != have {
                let ids = self.role_ids_of(&entry, names)?;
                self.change.push(Write::SetUserRoles { user: want.id.clone(), roles: ids.clone() });
                if outcome == Outcome::Unchanged {
                    outcome = Outcome::Updated;
                }
            }
        }
        if let Some(slot) = self.user_ids.get_mut(i) {
            *slot = Some(want.id.clone());
        }
        self.report.users.add(outcome);
        Ok(())
    }

    async fn application(
        &mut self,
        i: usize,
        a: &ApplicationEntry,
        stored: Option<&Application>,
    ) -> Result<(), ImportError> {
        let entry = app_label(i, a);
        let app_type = AppType::parse(&a.app_type).unwrap_or(AppType::Traditional);
        let mut want = match stored {
            Some(old) => old.clone(),
            None => Application {
                id: ApplicationId(a.id.clone().unwrap_or_else(|| self.new_id())),
                name: a.name.clone(),
                description: None,
                app_type,
                is_third_party: false,
                redirect_uris: Vec::new(),
                post_logout_redirect_uris: Vec::new(),
                custom: CustomClientMetadata::default(),
                created_at: self.now,
            },
        };
        want.name = a.name.clone();
        if let Some(v) = &a.description {
            want.description = Some(v.clone());
        }
        if let Some(v) = a.third_party {
            want.is_third_party = v;
        }
        if let Some(v) = &a.redirect_uris {
            want.redirect_uris = v.clone();
        }
        if let Some(v) = &a.post_logout_redirect_uris {
            want.post_logout_redirect_uris = v.clone();
        }
        if let Some(v) = &a.id_token_signed_response_alg {
            want.custom.id_token_signed_response_alg = Some(v.clone());
        }
        let mut outcome = match stored {
            None => {
                self.change.push(Write::InsertApplication(want.clone()));
                Outcome::Created
            }
            Some(old) if want == *old => Outcome::Unchanged,
            Some(_) => {
                self.change.push(Write::UpdateApplication(want.clone()));
                Outcome::Updated
            }
        };
        let mut changed = false;
        if let Some(secret) = &a.secret {
            let secrets = match stored {
                Some(_) => self.repos.list_secrets(&want.id).await.map_err(storage(&entry))?,
                None => Vec::new(),
            };
            let current = secrets.iter().find(|s| s.name == IMPORT_SECRET_NAME);
            if !current.is_some_and(|s| crypto::secret_matches(&secret.0, &s.hash)) {
                if current.is_some() {
                    self.change.push(Write::DeleteSecret { app: want.id.clone(), name: IMPORT_SECRET_NAME.to_owned() });
                }
                let new = AppSecret {
                    application_id: want.id.clone(),
                    name: IMPORT_SECRET_NAME.to_owned(),
                    hash: crypto::token_hash(&secret.0),
                    created_at: self.now,
                    expires_at: None,
                };
                self.change.push(Write::InsertSecret(new.clone()));
                changed = true;
            }
        }
        if let Some(names) = &a.roles {
            let have = match stored {
                Some(_) => sorted(&self.repos.application_role_names(&want.id).await.map_err(storage(&entry))?),
                None => Vec::new(),
            };
            if sorted(names) != have {
                let ids = self.role_ids_of(&entry, names)?;
                self.change.push(Write::SetApplicationRoles { app: want.id.clone(), roles: ids.clone() });
                changed = true;
            }
        }
        if let Some(perms) = &a.permissions {
            changed |= self.permissions(&entry, &want.id, stored.is_some(), perms).await?;
        }
        if let Some(b) = &a.branding {
            changed |= self.branding(&entry, &want.id, stored.is_some(), b).await?;
        }
        if changed && outcome == Outcome::Unchanged {
            outcome = Outcome::Updated;
        }
        self.report.applications.add(outcome);
        self.report.clients.push(ClientReport { name: want.name.clone(), client_id: want.id.0.clone(), outcome });
        Ok(())
    }
}

/// Validates `file` against itself and the database, then creates what is missing, updates
/// what differs and leaves equal things alone, as one unit of work audited as `system:import`
/// and announced to every node: nothing is written when validation fails, and a storage
/// failure writes nothing either.
pub async fn apply(core: &Core, file: &ImportFile) -> Result<ImportReport, ImportError> {
    let repos = core.repos.as_ref();
    let known = validate(repos, file).await?;
    let mut w = Writer {
        repos,
        random: core.random.as_ref(),
        change: Vec::new(),
        hasher: &core.hasher,
        now: core.clock.now(),
        report: ImportReport::default(),
        scope_ids: HashMap::new(),
        role_ids: HashMap::new(),
        user_ids: vec![None; file.users.len()],
        org_scope_ids: HashMap::new(),
        org_role_ids: HashMap::new(),
    };
    for (indicator, stored) in &known.resources {
        if let Some((_, scopes)) = stored {
            for s in scopes {
                w.scope_ids.insert((indicator.clone(), s.name.clone()), s.id.clone());
            }
        }
    }
    for (name, stored) in &known.roles {
        if let Some(r) = stored {
            w.role_ids.insert(name.clone(), r.id.clone());
        }
    }
    for r in &file.resources {
        w.resource(r, &known).await?;
    }
    for s in known.org_scopes.iter().flat_map(HashMap::values) {
        w.org_scope_ids.insert(s.name.clone(), s.id.clone());
    }
    for r in known.org_roles.iter().flat_map(HashMap::values) {
        w.org_role_ids.insert(r.name.clone(), r.id.clone());
    }
    for (i, r) in file.roles.iter().enumerate() {
        w.role(i, r, &known).await?;
    }
    for s in &file.organization_scopes {
        w.organization_scope(s, &known).await?;
    }
    for (i, r) in file.organization_roles.iter().enumerate() {
        w.organization_role(i, r, &known).await?;
    }
    for (i, (u, stored)) in file.users.iter().zip(&known.users).enumerate() {
        w.user(i, u, stored.as_ref()).await?;
    }
    for (i, ((o, stored), members)) in file.organizations.iter().zip(&known.orgs).zip(&known.members).enumerate() {
        w.organization(i, o, stored.as_ref(), members).await?;
    }
    for (i, (a, stored)) in file.applications.iter().zip(&known.apps).enumerate() {
        w.application(i, a, stored.as_ref()).await?;
    }
    if !w.change.is_empty() {
        let details = serde_json::to_value(&w.report).unwrap_or_default();
        let change = Changeset::new("import.apply", "import", "file", details, Change::Everything).writes(w.change);
        core.apply(&Actor::System("import"), change).await.map_err(storage("the import"))?;
    }
    Ok(w.report)
}
