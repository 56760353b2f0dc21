//! Application permissions: what a third-party application may ask for (consent scopes).

use crate::db::Db;
use crate::schema::*;
use async_trait::async_trait;
use diesel::prelude::*;
use latch_domain::ids::*;
use latch_domain::orgs::*;
use latch_domain::repo::*;
use std::collections::BTreeMap;

#[async_trait]
impl ConsentScopeRepo for Db {
    async fn list_consent_scopes(&self, app: &ApplicationId) -> RepoResult<Vec<ConsentScope>> {
        let app = app.0.clone();
        self.run(move |conn| {
            let rows: Vec<(String, String, bool)> = application_consent_scopes::table
                .filter(application_consent_scopes::application_id.eq(app))
                .order((application_consent_scopes::scope_type, application_consent_scopes::scope_ref))
                .select((
                    application_consent_scopes::scope_type,
                    application_consent_scopes::scope_ref,
                    application_consent_scopes::required,
                ))
                .load(conn)?;
            // A row of a type this version does not know is skipped, not guessed at.
            Ok(rows
                .into_iter()
                .filter_map(|(t, scope_ref, required)| {
                    ConsentScopeType::parse(&t).map(|scope_type| ConsentScope { scope_type, scope_ref, required })
                })
                .collect())
        })
        .await
    }

    async fn add_consent_scopes(&self, app: &ApplicationId, scopes: &[ConsentScope]) -> RepoResult<()> {
        let app = app.0.clone();
        // The last entry for a (type, reference) wins, as if the entries were added one by one.
        let scopes: BTreeMap<(&'static str, String), bool> =
            scopes.iter().map(|s| ((s.scope_type.as_str(), s.scope_ref.clone()), s.required)).collect();
        self.tx(move |conn| {
            for ((scope_type, scope_ref), required) in scopes {
                // Write first, so a SQLite transaction takes the write lock before it reads.
                let updated = diesel::update(
                    application_consent_scopes::table
                        .filter(application_consent_scopes::application_id.eq(&app))
                        .filter(application_consent_scopes::scope_type.eq(scope_type))
                        .filter(application_consent_scopes::scope_ref.eq(&scope_ref)),
                )
                .set(application_consent_scopes::required.eq(required))
                .execute(conn)?;
                if updated == 0 {
                    diesel::insert_into(application_consent_scopes::table)
                        .values((
                            application_consent_scopes::application_id.eq(&app),
                            application_consent_scopes::scope_type.eq(scope_type),
                            application_consent_scopes::scope_ref.eq(&scope_ref),
                            application_consent_scopes::required.eq(required),
                        ))
                        .execute(conn)?;
                }
            }
            Ok(())
        })
        .await
    }

    async fn delete_consent_scope(
        &self,
        app: &ApplicationId,
        scope_type: ConsentScopeType,
        scope_ref: &str,
    ) -> RepoResult<bool> {
        let (app, scope_ref) = (app.0.clone(), scope_ref.to_owned());
        self.run(move |conn| {
            let n = diesel::delete(
                application_consent_scopes::table
                    .filter(application_consent_scopes::application_id.eq(app))
                    .filter(application_consent_scopes::scope_type.eq(scope_type.as_str()))
                    .filter(application_consent_scopes::scope_ref.eq(scope_ref)),
            )
            .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }
}
