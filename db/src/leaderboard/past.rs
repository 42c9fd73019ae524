//! A past day's board: each competing account's value at every moment the
//! board compares, sought in its history (one index seek per account and
//! moment).

use super::*;

/// A past day's board: every moment sought in each account's history.
pub(super) async fn from_history(
    db: &DatabaseConnection,
    query: &LeaderboardQuery,
    moments: Moments,
) -> Result<Vec<Competitor>, StoreError> {
    #[derive(FromQueryResult)]
    struct Row {
        id: i64,
        handle: String,
        platform: String,
        is_core: bool,
        value_0: Option<i64>,
        at_0: Option<DateTime<Utc>>,
        value_1: Option<i64>,
        at_1: Option<DateTime<Utc>>,
        value_2: Option<i64>,
        at_2: Option<DateTime<Utc>>,
    }
    let column = snapshot::metric_column(query.metric);
    let mut select = competitors(&query.filter, db.get_database_backend(), None);
    for (i, moment) in [moments.as_of, moments.previous, moments.before_previous]
        .into_iter()
        .enumerate()
    {
        select = select
            .expr_as(newest_known(column, moment, column), format!("value_{i}"))
            .expr_as(
                newest_known(column, moment, snapshot::Column::CapturedAt),
                format!("at_{i}"),
            );
    }
    let rows = select.into_model::<Row>().all(db).await?;
    let seen = |value, at| Seen { value, at };
    Ok(rows
        .into_iter()
        .map(|r| Competitor {
            now: Figures::between(seen(r.value_1, r.at_1), seen(r.value_0, r.at_0)),
            before: Figures::between(seen(r.value_2, r.at_2), seen(r.value_1, r.at_1)),
            id: r.id,
            handle: r.handle,
            platform: r.platform,
            is_core: r.is_core,
            value_at: r.at_0,
        })
        .collect())
}
