//! Which requests' answers the cache keeps as they went out
//! (`crate::ssr::cache::Answer`): the cached reads, by path, and where
//! each names the accounts its answer is about, which key it.

use axum::extract::Query;
use axum::http::Uri;
use server_fn::ServerFn;

use crate::api::validate;
use crate::error::ApiError;
use crate::ssr::cache::{AnswerKey, Kind};
use crate::ssr::state::AppState;

/// Where a read names the accounts its answer is about.
#[derive(Clone, Copy)]
enum Named {
    /// Nowhere: it is about every account.
    Nothing,
    /// `id=7`.
    Id,
    /// `ids=3,7,12`.
    Ids,
}

/// The reads whose answers are kept, by path.
const READS: &[(&str, Kind, Named)] = &[
    (super::GetOverview::PATH, Kind::Overview, Named::Nothing),
    (super::ListAccounts::PATH, Kind::Accounts, Named::Nothing),
    (super::GetAccount::PATH, Kind::Account, Named::Id),
    (super::GetHistory::PATH, Kind::History, Named::Id),
    (super::GetRollups::PATH, Kind::Rollups, Named::Id),
    (super::GetGrowth::PATH, Kind::Growth, Named::Id),
    (super::GetProjection::PATH, Kind::Projection, Named::Id),
    (super::CompareAccounts::PATH, Kind::Compare, Named::Ids),
    (super::ListRuns::PATH, Kind::Runs, Named::Nothing),
    (super::GetRun::PATH, Kind::Run, Named::Nothing),
    (super::ListTags::PATH, Kind::Tags, Named::Nothing),
    (
        super::GetLeaderboard::PATH,
        Kind::Leaderboard,
        Named::Nothing,
    ),
    (super::ListEvents::PATH, Kind::Events, Named::Nothing),
    (super::ListBrands::PATH, Kind::Brands, Named::Nothing),
    (super::GetBrand::PATH, Kind::Brands, Named::Nothing),
];

/// Where the answer to `GET uri` is kept while the data is as it is now;
/// `None` for a request whose answer is not kept (not a cached read, its
/// accounts named unreadably: the server function refuses it) or while
/// the cache is disabled.
pub async fn answer_key(state: &AppState, uri: &Uri) -> Result<Option<AnswerKey>, ApiError> {
    let path = uri.path();
    let Some(&(_, kind, named)) = READS.iter().find(|(read, ..)| *read == path) else {
        return Ok(None);
    };
    let arguments = Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|Query(arguments)| arguments)
        .unwrap_or_default();
    let named_value = |name: &str| {
        arguments
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let accounts = match named {
        Named::Nothing => None,
        Named::Id => match named_value("id").and_then(|id| id.parse().ok()) {
            Some(id) => Some(vec![id]),
            None => return Ok(None),
        },
        Named::Ids => match named_value("ids").and_then(|ids| validate::account_ids(ids).ok()) {
            Some(ids) => Some(ids),
            None => return Ok(None),
        },
    };
    // The overview carries this instance's next run, which no write moves.
    let live = match kind {
        Kind::Overview => format!(
            ":next{}",
            state
                .collect
                .next_cycle()
                .map(|at| at.timestamp_micros())
                .unwrap_or_default()
        ),
        _ => String::new(),
    };
    state
        .cache
        .answer_key(
            &state.db,
            kind,
            accounts.as_deref(),
            &(path, uri.query().unwrap_or_default()),
            &live,
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_answer_is_kept() {
        for kind in Kind::ALL {
            assert!(
                READS.iter().any(|(_, read, _)| *read == kind),
                "no read keeps answers of {kind:?}"
            );
        }
        for (path, kind, named) in READS {
            assert!(path.starts_with("/api/"), "{path}");
            assert_eq!(
                kind.per_account(),
                !matches!(named, Named::Nothing),
                "{path}: an answer about named accounts is keyed by them"
            );
        }
    }
}
