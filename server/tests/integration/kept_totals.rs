//! What the kept totals stand for, summed again from the accounts: the
//! overview's per-platform totals and changes, and the tags' totals, as
//! they were computed on every read before triggers kept them
//! (`reads::precomputed_reads_match_what_they_stand_for` calls it after
//! each kind of write).

use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, Statement};

/// The overview's kept totals against the same figures summed over every
/// account, as the overview computed them before they were kept.
pub async fn totals_match_the_accounts(db: &DatabaseConnection, when: &str) {
    #[derive(FromQueryResult, Debug, PartialEq)]
    struct Row {
        platform: String,
        accounts: i64,
        core: i64,
        followers: i64,
        posts: i64,
        views: i64,
    }
    let summed = Row::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        "SELECT platform, COUNT(*) AS accounts, \
            SUM(CASE WHEN is_core THEN 1 ELSE 0 END) AS core, \
            CAST(COALESCE(SUM(followers), 0) AS BIGINT) AS followers, \
            CAST(COALESCE(SUM(posts), 0) AS BIGINT) AS posts, \
            CAST(COALESCE(SUM(views), 0) AS BIGINT) AS views \
         FROM accounts GROUP BY platform ORDER BY platform",
    ))
    .all(db)
    .await
    .unwrap();
    // The tags' totals, as `/api/tags` summed them before they were kept.
    #[derive(FromQueryResult)]
    struct TagRow {
        tag: String,
        accounts: i64,
        followers: i64,
        change_7d: Option<i64>,
    }
    let tags: Vec<(String, u64, i64, Option<i64>)> =
        TagRow::find_by_statement(Statement::from_string(
            db.get_database_backend(),
            "SELECT t.tag, COUNT(*) AS accounts, \
                CAST(COALESCE(SUM(a.followers), 0) AS BIGINT) AS followers, \
                CAST(SUM(a.followers_change_7d) AS BIGINT) AS change_7d \
             FROM account_tags t JOIN accounts a ON a.id = t.account_id \
             GROUP BY t.tag ORDER BY accounts DESC, t.tag",
        ))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.tag, r.accounts as u64, r.followers, r.change_7d))
        .collect();
    let kept: Vec<(String, u64, i64, Option<i64>)> = db::accounts::tags(db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.tag, t.accounts, t.followers, t.change_7d))
        .collect();
    assert!(!tags.is_empty());
    assert_eq!(kept, tags, "tags {when}");

    let overview = db::overview::overview(db).await.unwrap();
    let mut listed: Vec<(String, u64, i64)> = overview
        .by_platform
        .iter()
        .map(|p| (p.platform.as_str().to_owned(), p.accounts, p.followers))
        .collect();
    listed.sort();
    let expected: Vec<(String, u64, i64)> = summed
        .iter()
        .map(|r| (r.platform.clone(), r.accounts as u64, r.followers))
        .collect();
    assert_eq!(listed, expected, "platforms {when}");
    let sum = |f: fn(&Row) -> i64| summed.iter().map(f).sum::<i64>();
    assert_eq!(
        (
            overview.accounts,
            overview.core_accounts,
            overview.followers,
            overview.posts,
            overview.views
        ),
        (
            sum(|r| r.accounts) as u64,
            sum(|r| r.core) as u64,
            sum(|r| r.followers),
            sum(|r| r.posts),
            sum(|r| r.views)
        ),
        "totals {when}"
    );
    for change in &overview.changes {
        let column = format!("followers_change_{}d", change.days);
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!(
                    "SELECT CAST(COALESCE(SUM({column}), 0) AS BIGINT), \
                        CAST(COALESCE(SUM(followers - {column}), 0) AS BIGINT), \
                        COUNT({column}) FROM accounts"
                ),
            ))
            .await
            .unwrap()
            .unwrap();
        let (followers, start, known): (i64, i64, i64) = (
            row.try_get_by_index(0).unwrap(),
            row.try_get_by_index(1).unwrap(),
            row.try_get_by_index(2).unwrap(),
        );
        assert_eq!(
            (change.followers, change.accounts),
            (followers, known as u64),
            "{} days {when}",
            change.days
        );
        let percent = (start > 0).then(|| followers as f64 * 100.0 / start as f64);
        assert_eq!(change.percent, percent, "{} days {when}", change.days);
    }
}
