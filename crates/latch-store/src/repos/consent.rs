//! Application permissions: what a third-party application may ask for (consent scopes).

use super::{Conn, QResult};
use crate::db::Db;
use crate::schema::*;
use async_trait::async_trait;
use diesel::prelude::*;
use diesel::upsert::excluded;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::repo::*;
use std::collections::BTreeMap;

/// Adds `scopes` to the allow-list of `app` in one upsert: an entry already there takes the
/// new `required`.
pub(super) fn add_consent_scopes(conn: &mut Conn, app: &ApplicationId, scopes: &[ConsentScope]) -> QResult<()> {
    use crate::schema::application_consent_scopes::dsl::*;
    // The last entry for a (type, reference) wins, as if the entries were added one by one; and
    // Postgres refuses an upsert that would change one row twice.
    let entries: BTreeMap<(&'static str, &str), bool> =
        scopes.iter().map(|s| ((s.scope_type.as_str(), s.scope_ref.as_str()), s.required)).collect();
    let rows: Vec<_> = entries
        .into_iter()
        .map(|((t, r), req)| (application_id.eq(app.as_str()), scope_type.eq(t), scope_ref.eq(r), required.eq(req)))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    per_backend!(conn, |c| diesel::insert_into(application_consent_scopes)
        .values(rows)
        .on_conflict((application_id, scope_type, scope_ref))
        .do_update()
        .set(required.eq(excluded(required)))
        .execute(c))?;
    Ok(())
}

pub(super) fn delete_consent_scope(
    conn: &mut Conn,
    app: &ApplicationId,
    kind: ConsentScopeType,
    reference: &str,
) -> QResult<bool> {
    let n = diesel::delete(
        application_consent_scopes::table
            .filter(application_consent_scopes::application_id.eq(app.as_str()))
            .filter(application_consent_scopes::scope_type.eq(kind.as_str()))
            .filter(application_consent_scopes::scope_ref.eq(reference)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

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
        let (app, scopes) = (app.clone(), scopes.to_vec());
        self.run(move |conn| add_consent_scopes(conn, &app, &scopes)).await
    }

    async fn delete_consent_scope(
        &self,
        app: &ApplicationId,
        scope_type: ConsentScopeType,
        scope_ref: &str,
    ) -> RepoResult<bool> {
        let (app, scope_ref) = (app.clone(), scope_ref.to_owned());
        self.run(move |conn| delete_consent_scope(conn, &app, scope_type, &scope_ref)).await
    }
}
