//! Consent-screen branding of an application, and the identity provider's own (one row).

use super::{Conn, QResult};
use crate::db::Db;
use crate::schema::*;
use async_trait::async_trait;
use diesel::prelude::*;
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::repo::*;

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = application_branding, primary_key(application_id), treat_none_as_null = true)]
struct BrandingRow {
    application_id: String,
    display_name: Option<String>,
    logo_url: Option<String>,
    dark_logo_url: Option<String>,
    terms_of_use_url: Option<String>,
    privacy_policy_url: Option<String>,
    color: Option<String>,
    updated_at: i64,
}

impl From<&Branding> for BrandingRow {
    fn from(b: &Branding) -> Self {
        BrandingRow {
            application_id: b.application_id.0.clone(),
            display_name: b.display_name.clone(),
            logo_url: b.logo_url.clone(),
            dark_logo_url: b.dark_logo_url.clone(),
            terms_of_use_url: b.terms_of_use_url.clone(),
            privacy_policy_url: b.privacy_policy_url.clone(),
            color: b.color.clone(),
            updated_at: b.updated_at.0,
        }
    }
}

impl From<BrandingRow> for Branding {
    fn from(r: BrandingRow) -> Self {
        Branding {
            application_id: ApplicationId(r.application_id),
            display_name: r.display_name,
            logo_url: r.logo_url,
            dark_logo_url: r.dark_logo_url,
            terms_of_use_url: r.terms_of_use_url,
            privacy_policy_url: r.privacy_policy_url,
            color: r.color,
            updated_at: Timestamp(r.updated_at),
        }
    }
}

/// Inserts the branding of `branding.application_id`, or replaces every field of it, in one
/// upsert.
pub(super) fn put_branding(conn: &mut Conn, branding: &Branding) -> QResult<()> {
    let row = BrandingRow::from(branding);
    per_backend!(conn, |c| diesel::insert_into(application_branding::table)
        .values(&row)
        .on_conflict(application_branding::application_id)
        .do_update()
        .set(&row)
        .execute(c))?;
    Ok(())
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = sign_in_experience, treat_none_as_null = true)]
struct IdpBrandingRow {
    id: String,
    organization_name: Option<String>,
    logo_url: Option<String>,
    dark_logo_url: Option<String>,
    favicon_url: Option<String>,
    accent_color: Option<String>,
    dark_accent_color: Option<String>,
    custom_css: Option<String>,
    updated_at: i64,
    sign_up: String,
    require_verified_email: bool,
    mfa: String,
}

/// The one row's id (the table's CHECK allows no other).
const IDP_ROW: &str = "default";

/// Replaces the identity provider's branding, in one upsert.
pub(super) fn put_idp_branding(conn: &mut Conn, b: &IdpBranding) -> QResult<()> {
    let row = IdpBrandingRow {
        id: IDP_ROW.to_owned(),
        organization_name: b.organization_name.clone(),
        logo_url: b.logo_url.clone(),
        dark_logo_url: b.dark_logo_url.clone(),
        favicon_url: b.favicon_url.clone(),
        accent_color: b.accent_color.clone(),
        dark_accent_color: b.dark_accent_color.clone(),
        custom_css: b.custom_css.clone(),
        updated_at: b.updated_at.0,
        sign_up: b.sign_up.as_str().to_owned(),
        require_verified_email: b.require_verified_email,
        mfa: b.mfa.as_str().to_owned(),
    };
    per_backend!(conn, |c| diesel::insert_into(sign_in_experience::table)
        .values(&row)
        .on_conflict(sign_in_experience::id)
        .do_update()
        .set(&row)
        .execute(c))?;
    Ok(())
}

pub(super) fn delete_branding(conn: &mut Conn, app: &ApplicationId) -> QResult<bool> {
    Ok(diesel::delete(application_branding::table.find(app.as_str())).execute(conn)? > 0)
}

#[async_trait]
impl BrandingRepo for Db {
    async fn get_branding(&self, app: &ApplicationId) -> RepoResult<Option<Branding>> {
        let app = app.0.clone();
        self.run(move |conn| {
            Ok(application_branding::table
                .find(app)
                .select(BrandingRow::as_select())
                .first(conn)
                .optional()?
                .map(Branding::from))
        })
        .await
    }

    async fn put_branding(&self, branding: &Branding) -> RepoResult<()> {
        let branding = branding.clone();
        self.run(move |conn| put_branding(conn, &branding)).await
    }

    async fn delete_branding(&self, app: &ApplicationId) -> RepoResult<bool> {
        let app = app.clone();
        self.run(move |conn| delete_branding(conn, &app)).await
    }

    async fn get_idp_branding(&self) -> RepoResult<Option<IdpBranding>> {
        self.run(move |conn| {
            let row =
                sign_in_experience::table.find(IDP_ROW).select(IdpBrandingRow::as_select()).first(conn).optional()?;
            Ok(row.map(|r| IdpBranding {
                organization_name: r.organization_name,
                logo_url: r.logo_url,
                dark_logo_url: r.dark_logo_url,
                favicon_url: r.favicon_url,
                accent_color: r.accent_color,
                dark_accent_color: r.dark_accent_color,
                custom_css: r.custom_css,
                updated_at: Timestamp(r.updated_at),
                // The column's CHECK allows nothing else; an unknown value reads as off.
                sign_up: SignUpMode::parse(&r.sign_up).unwrap_or_default(),
                require_verified_email: r.require_verified_email,
                // As for sign_up: the CHECK allows nothing else.
                mfa: MfaPolicy::parse(&r.mfa).unwrap_or_default(),
            }))
        })
        .await
    }
}
