//! The query parameters, by the groups in which the functions take them.
//! Each field is one parameter; its doc comment is its description.

use utoipa::IntoParams;

use crate::model::{
    AccountSort, CompareMode, EventKind, HistoryRange, Metric, Outcome, Platform, RankBy,
    SortDirection,
};

/// Which page of a list.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// The page, from 1 (default 1).
    #[param(minimum = 1, maximum = 4_294_967_295_u64, example = 1)]
    pub page: Option<u32>,
    /// Rows per page, 1 to 100 (default 25).
    #[param(minimum = 1, maximum = 100, example = 25)]
    pub per_page: Option<u32>,
}

/// The order of the accounts table.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountListing {
    /// The column to sort by (default `followers`).
    #[param(inline, example = "followers")]
    pub sort: Option<AccountSort>,
    /// `asc` or `desc` (default: the column's natural order).
    #[param(inline)]
    pub dir: Option<SortDirection>,
    /// Matches handles and display names (1 to 100 characters).
    #[param(example = "rust", min_length = 1, max_length = 100)]
    pub q: Option<String>,
}

/// Who is listed or competes.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountFilterParams {
    /// Only this platform's accounts.
    #[param(inline, example = "youtube")]
    pub platform: Option<Platform>,
    /// Only core accounts (`true`) or only the others (`false`).
    pub core: Option<bool>,
    /// Only the accounts carrying this tag (1 to 64 characters).
    #[param(min_length = 1, max_length = 64)]
    pub tag: Option<String>,
}

/// How a leaderboard ranks.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeaderboardParams {
    /// The metric ranked (default `followers`).
    #[param(inline)]
    pub metric: Option<Metric>,
    /// By the metric's `value` (the default), its growth (`change`) or
    /// its growth in percent (`percent`).
    #[param(inline, example = "change")]
    pub by: Option<RankBy>,
    /// The growth period in days: 7, 30 (default), 90 or 365.
    #[param(example = 30, schema_with = leaderboard_days)]
    pub days: Option<u32>,
    /// The board as it stood at the end of this UTC day, from
    /// 0000-01-01 to today (default: now).
    pub date: Option<chrono::NaiveDate>,
}

/// One account.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountId {
    /// The account's id.
    #[param(example = 1)]
    pub id: i64,
}

/// One digest.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DigestId {
    /// The digest's id.
    #[param(example = 1)]
    pub id: i64,
}

/// One brand.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BrandId {
    /// The brand's id.
    #[param(example = 1)]
    pub id: i64,
}

/// How far back a series goes.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Range {
    /// `7d`, `30d`, `90d` (default), `1y` or `all`.
    #[param(inline, example = "30d")]
    pub range: Option<HistoryRange>,
}

/// An integer that is one of `values`.
fn one_of(values: &[u32]) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::Integer)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::UInt32,
        )))
        .enum_values(Some(values.iter().copied()))
        .build()
}

pub fn leaderboard_days() -> utoipa::openapi::Object {
    one_of(&crate::model::LEADERBOARD_PERIODS)
}

fn projection_basis() -> utoipa::openapi::Object {
    one_of(&crate::model::PROJECTION_BASES)
}

/// Which counter.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetricParam {
    /// The counter (default `followers`).
    #[param(inline, example = "followers")]
    pub metric: Option<Metric>,
}

/// A period of whole UTC days: both ends given, in order, at most ten
/// years apart; or neither.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodParams {
    /// The period's first day (0000-01-01 to 9999-12-31); needs `to`.
    pub from: Option<chrono::NaiveDate>,
    /// The period's last day (0000-01-01 to 9999-12-31); needs `from`.
    pub to: Option<chrono::NaiveDate>,
}

/// What a projection is fitted on.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectionParams {
    /// Days of history fitted: 30 or 90 (default).
    #[param(example = 90, schema_with = projection_basis)]
    pub basis: Option<u32>,
}

/// One run's page of results.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunParams {
    /// The run's id.
    #[param(example = 1)]
    pub id: i64,
    /// Only the accounts that ended so.
    #[param(inline)]
    pub outcome: Option<Outcome>,
}

/// Which events.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventParams {
    /// Only this account's events.
    pub account_id: Option<i64>,
    /// Only events of this kind.
    #[param(inline)]
    pub kind: Option<EventKind>,
}

/// Which accounts are compared, and how.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompareParams {
    /// One to six account ids, comma-separated (the same id twice
    /// counts once).
    #[param(example = "1,2", pattern = r"^[0-9]{1,18}(,[0-9]{1,18}){0,5}$")]
    pub ids: String,
    /// `absolute` values (default) or `indexed`: each series as a
    /// percentage of its first value in the range.
    #[param(inline)]
    pub mode: Option<CompareMode>,
}
