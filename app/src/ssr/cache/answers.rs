//! The cached reads' answers as they went out: the encoded body and its
//! `ETag`, kept beside the typed values so that a repeated `GET` is
//! answered without running its server function or encoding anything.
//!
//! An answer is keyed like a typed value (its kind and the version of the
//! data it was computed from: the domains' generations or its accounts'
//! revisions) and the request's path and query as sent. The query is not
//! normalized: two spellings of one request are two entries, each computed
//! by the server function from that very request. Only `200` answers are
//! kept, after every check a request goes through (access, arguments) has
//! passed.
//!
//! An answer also keeps its body compressed for each coding clients ask
//! for, made by the HTTP layer the first time one is asked for: compressing
//! on every request cost more than everything else a kept answer does.

use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::http::HeaderMap;
use sea_orm::DatabaseConnection;
use serde::Serialize;

use super::{Cache, Entry, Kind, bump};
use crate::error::ApiError;

/// An answer as it went out.
pub struct Answer {
    /// The server function's headers (its content type).
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Its weak `ETag`, computed once when it was kept.
    pub etag: String,
    /// The body in Brotli, once a client asked for it.
    pub brotli: OnceLock<Bytes>,
    /// The body in gzip, once a client asked for it.
    pub gzip: OnceLock<Bytes>,
}

impl Answer {
    /// The weak `ETag` of a body: a hash of its bytes.
    pub fn etag_of(body: &[u8]) -> String {
        format!("W/\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(body))
    }
}

/// Where an answer is kept: its key and kind.
pub struct AnswerKey {
    kind: Kind,
    key: String,
}

impl Cache {
    /// The key of the answer to `request` (its path and query as sent),
    /// an answer of `kind` about `accounts` (`None`: about every account),
    /// while the data is as it is now; `live` is what else it shows that
    /// no write changes. `None` while the cache is disabled.
    pub async fn answer_key(
        &self,
        db: &DatabaseConnection,
        kind: Kind,
        accounts: Option<&[i64]>,
        request: &impl Serialize,
        live: &str,
    ) -> Result<Option<AnswerKey>, ApiError> {
        if self.inner.disabled {
            return Ok(None);
        }
        let key = self.current_key(db, kind, accounts, request).await?;
        Ok(Some(AnswerKey {
            kind,
            key: format!("answer:{key}{live}"),
        }))
    }

    /// The kept answer under `key`, if there is one (counted as a hit).
    pub async fn answer(&self, key: &AnswerKey) -> Option<Arc<Answer>> {
        let entry = self.inner.local.get(&key.key).await?;
        let answer = entry.value.downcast::<Answer>().ok()?;
        let counters = &self.inner.stats[key.kind as usize];
        bump(&counters.local_hits);
        bump(&counters.answer_hits);
        Some(answer)
    }

    /// Keeps `body` as the answer under `key`; returns it with its `ETag`.
    pub async fn keep_answer(
        &self,
        key: AnswerKey,
        headers: HeaderMap,
        body: Bytes,
    ) -> Arc<Answer> {
        let answer = Arc::new(Answer {
            etag: Answer::etag_of(&body),
            headers,
            body,
            brotli: OnceLock::new(),
            gzip: OnceLock::new(),
        });
        // A quarter more for its compressed copies, which JSON makes a
        // small fraction of the body.
        let weight = answer.body.len() + answer.body.len() / 4 + key.key.len();
        self.inner
            .local
            .insert(
                key.key,
                Entry {
                    value: answer.clone(),
                    ttl: self.inner.ttls[key.kind as usize],
                    weight: u32::try_from(weight).unwrap_or(u32::MAX),
                },
            )
            .await;
        answer
    }
}
