//! Changing what Reach tracks: adding an account, editing its core flag and
//! tags, removing it with its history. The API's admin writes and the
//! `reach account` commands both come here; each write bumps the
//! generations of what it changes, in its transaction.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter,
};

use crate::StoreError;
use crate::entities::{account, account_tag};
use crate::generations::{self, Domain};
use types::Platform;

/// The longest tag the schema stores.
const MAX_TAG_LEN: usize = 64;
/// The most tags an account carries.
const MAX_TAGS: usize = 20;

/// The refusal of a set of tags.
fn bad_tags() -> StoreError {
    StoreError::Invalid(format!(
        "a tag is 1 to {MAX_TAG_LEN} characters, none of them a control character, and an account has at most {MAX_TAGS}"
    ))
}

/// An account to track.
#[derive(Clone, Debug)]
pub struct NewAccount {
    pub platform: Platform,
    pub handle: String,
    pub core: bool,
    pub tags: Vec<String>,
}

/// Tags as stored: trimmed, lowercase, without blanks or repeats.
pub fn clean_tags<S: AsRef<str>>(tags: &[S]) -> Result<Vec<String>, StoreError> {
    let mut clean: Vec<String> = Vec::new();
    for tag in tags.iter().map(|t| t.as_ref().trim().to_lowercase()) {
        if tag.is_empty() || clean.contains(&tag) {
            continue;
        }
        // Control characters are no part of a label (and PostgreSQL's text
        // cannot hold a NUL).
        if tag.chars().count() > MAX_TAG_LEN || tag.chars().any(char::is_control) {
            return Err(bad_tags());
        }
        clean.push(tag);
    }
    if clean.len() > MAX_TAGS {
        return Err(bad_tags());
    }
    Ok(clean)
}

/// Tracks a new account; platforms without a public API are simulated.
pub async fn add(db: &DatabaseConnection, new: &NewAccount) -> Result<account::Model, StoreError> {
    let handle = new.platform.normalize_handle(&new.handle).map_err(|rule| {
        let handle: String = new.handle.trim().chars().take(80).collect();
        StoreError::Invalid(format!("`{handle}`: {rule}"))
    })?;
    let tags = clean_tags(&new.tags)?;
    let existing = account::Entity::find()
        .filter(account::Column::Platform.eq(new.platform))
        .filter(account::Column::Handle.eq(handle.as_str()))
        .one(db)
        .await?;
    if let Some(existing) = existing {
        return Err(StoreError::Conflict(format!(
            "{} {handle} is already tracked (id {})",
            new.platform.label(),
            existing.id
        )));
    }
    let now = Utc::now();
    let transaction = crate::write::begin(db).await?;
    // A YouTube channel id is already the platform's id: the collector
    // asks by id, never as a handle.
    let platform_id =
        (new.platform == Platform::Youtube && !handle.starts_with('@')).then(|| handle.clone());
    let model = account::ActiveModel {
        platform: Set(new.platform),
        platform_id: Set(platform_id),
        handle: Set(handle),
        is_core: Set(new.core),
        simulated: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&transaction)
    .await
    .map_err(|error| match error.sql_err() {
        // Added by a concurrent request since the check above.
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => StoreError::Conflict(format!(
            "{} {} was just added by another request",
            new.platform.label(),
            new.handle.trim()
        )),
        _ => error.into(),
    })?;
    replace_tags(&transaction, model.id, &tags).await?;
    generations::bump(&transaction, &[Domain::Accounts]).await?;
    transaction.commit().await?;
    Ok(model)
}

/// Sets an account's core flag and replaces its tags.
pub async fn update(
    db: &DatabaseConnection,
    id: i64,
    core: bool,
    tags: &[String],
) -> Result<(), StoreError> {
    let tags = clean_tags(tags)?;
    let transaction = crate::write::begin(db).await?;
    let updated = account::Entity::update_many()
        .col_expr(account::Column::IsCore, core.into())
        .col_expr(account::Column::UpdatedAt, Utc::now().into())
        .filter(account::Column::Id.eq(id))
        .exec(&transaction)
        .await?;
    if updated.rows_affected == 0 {
        return Err(StoreError::not_found("account", id));
    }
    replace_tags(&transaction, id, &tags).await?;
    generations::bump(&transaction, &[Domain::Accounts]).await?;
    transaction.commit().await?;
    Ok(())
}

async fn replace_tags(
    db: &impl sea_orm::ConnectionTrait,
    id: i64,
    tags: &[String],
) -> Result<(), DbErr> {
    account_tag::Entity::delete_many()
        .filter(account_tag::Column::AccountId.eq(id))
        .exec(db)
        .await?;
    if !tags.is_empty() {
        account_tag::Entity::insert_many(tags.iter().map(|tag| account_tag::ActiveModel {
            account_id: Set(id),
            tag: Set(tag.clone()),
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Stops tracking an account; its snapshots, results and events go with it.
pub async fn remove(db: &DatabaseConnection, id: i64) -> Result<(), StoreError> {
    let transaction = crate::write::begin(db).await?;
    let deleted = account::Entity::delete_by_id(id).exec(&transaction).await?;
    if deleted.rows_affected == 0 {
        return Err(StoreError::not_found("account", id));
    }
    generations::bump(&transaction, &Domain::ALL).await?;
    transaction.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_trimmed_lowercased_and_deduplicated() {
        assert_eq!(
            clean_tags(&[" Tech ", "tech", "", "Music"]).unwrap(),
            vec!["tech", "music"]
        );
        assert!(clean_tags(&["x".repeat(65)]).is_err());
        assert!(clean_tags(&["a\0b"]).is_err());
        let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        assert!(clean_tags(&many).is_err());
    }
}
