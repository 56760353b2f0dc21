//! Users.

use super::{Conn, QResult, json_text, limit, lower};
use crate::db::Db;
use crate::schema::*;
use async_trait::async_trait;
use diesel::prelude::*;
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::fields::Identifier;
use latch_domain::ids::*;
use latch_domain::repo::*;

/// A user as stored; also what joined lists of users (a role's holders, an organization's
/// members) select.
#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true)]
pub(super) struct UserRow {
    id: String,
    username: Option<String>,
    primary_email: Option<String>,
    primary_phone: Option<String>,
    name: Option<String>,
    avatar: Option<String>,
    profile: String,
    custom_data: String,
    password_hash: Option<String>,
    email_verified: bool,
    phone_verified: bool,
    is_suspended: bool,
    created_at: i64,
    updated_at: i64,
}

impl From<&User> for UserRow {
    fn from(u: &User) -> Self {
        UserRow {
            id: u.id.0.clone(),
            username: u.username.clone(),
            primary_email: u.primary_email.clone(),
            primary_phone: u.primary_phone.clone(),
            name: u.name.clone(),
            avatar: u.avatar.clone(),
            profile: json_text(&u.profile),
            custom_data: json_text(&u.custom_data),
            password_hash: u.password_hash.clone(),
            email_verified: u.email_verified,
            phone_verified: u.phone_verified,
            is_suspended: u.is_suspended,
            created_at: u.created_at.0,
            updated_at: u.updated_at.0,
        }
    }
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: UserId(r.id),
            username: r.username,
            primary_email: r.primary_email,
            primary_phone: r.primary_phone,
            name: r.name,
            avatar: r.avatar,
            profile: serde_json::from_str(&r.profile).unwrap_or_default(),
            custom_data: serde_json::from_str(&r.custom_data).unwrap_or(serde_json::Value::Object(Default::default())),
            password_hash: r.password_hash,
            email_verified: r.email_verified,
            phone_verified: r.phone_verified,
            is_suspended: r.is_suspended,
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        }
    }
}

pub(super) fn insert_user(conn: &mut Conn, user: &User) -> QResult<()> {
    diesel::insert_into(users::table).values(UserRow::from(user)).execute(conn).map(|_| ())
}

/// Replaces every stored field of `user.id`; `false` when it does not exist.
pub(super) fn update_user(conn: &mut Conn, user: &User) -> QResult<bool> {
    let row = UserRow::from(user);
    Ok(diesel::update(users::table.find(&row.id)).set(&row).execute(conn)? > 0)
}

/// Deletes the user (sessions, grants, tokens, roles and memberships go with it).
pub(super) fn delete_user(conn: &mut Conn, id: &UserId) -> QResult<bool> {
    Ok(diesel::delete(users::table.find(id.as_str())).execute(conn)? > 0)
}

#[async_trait]
impl UserRepo for Db {
    async fn insert_user(&self, user: &User) -> RepoResult<()> {
        let user = user.clone();
        self.run(move |conn| insert_user(conn, &user)).await
    }

    async fn update_user(&self, user: &User) -> RepoResult<bool> {
        let user = user.clone();
        self.run(move |conn| update_user(conn, &user)).await
    }

    async fn get_user(&self, id: &UserId) -> RepoResult<Option<User>> {
        let id = id.0.clone();
        self.run(move |conn| {
            Ok(users::table.find(id).select(UserRow::as_select()).first(conn).optional()?.map(User::from))
        })
        .await
    }

    async fn find_user_by_login(&self, identifier: &str) -> RepoResult<Option<User>> {
        // One reading per identifier (security review, issue 9 item 8): a username can never
        // stand in for someone else's email, even one stored before usernames lost `@`.
        match Identifier::parse(identifier) {
            Identifier::Email(email) => self.find_user_by_email(email).await,
            Identifier::Username(name) => self.find_user_by_username(name).await,
        }
    }

    async fn find_user_by_username(&self, username: &str) -> RepoResult<Option<User>> {
        let username = username.to_owned();
        self.run(move |conn| {
            Ok(users::table
                .filter(users::username.eq(username))
                .select(UserRow::as_select())
                .first(conn)
                .optional()?
                .map(User::from))
        })
        .await
    }

    async fn find_user_by_email(&self, email: &str) -> RepoResult<Option<User>> {
        let email = email.to_owned();
        self.run(move |conn| {
            Ok(users::table
                .filter(lower(users::primary_email).eq(lower(Some(email.as_str()))))
                .select(UserRow::as_select())
                .first(conn)
                .optional()?
                .map(User::from))
        })
        .await
    }

    async fn search_users(&self, text: &str, page: Page) -> RepoResult<(Vec<User>, i64)> {
        let pattern = super::contains_pattern(text);
        self.run(move |conn| {
            // The same condition for the rows and for their count.
            macro_rules! matching {
                () => {{
                    let mut q = users::table.into_boxed();
                    if let Some(p) = &pattern {
                        q = q.filter(
                            lower(users::id.nullable())
                                .like(p.clone())
                                .escape('\\')
                                .or(lower(users::username).like(p.clone()).escape('\\'))
                                .or(lower(users::primary_email).like(p.clone()).escape('\\'))
                                .or(lower(users::primary_phone).like(p.clone()).escape('\\'))
                                .or(lower(users::name).like(p.clone()).escape('\\')),
                        );
                    }
                    q
                }};
            }
            let total: i64 = matching!().count().get_result(conn)?;
            let rows = matching!()
                .order((users::created_at, users::id))
                .limit(limit(page))
                .offset(page.offset())
                .select(UserRow::as_select())
                .load(conn)?;
            Ok((rows.into_iter().map(User::from).collect(), total))
        })
        .await
    }

    async fn delete_user(&self, id: &UserId) -> RepoResult<bool> {
        let id = id.clone();
        self.run(move |conn| delete_user(conn, &id)).await
    }
}
