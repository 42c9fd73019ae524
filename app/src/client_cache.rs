//! The browser's cache of read answers, so that revisiting a page within
//! five minutes shows it at once without asking the server.
//!
//! Answers are kept per server function and arguments, in memory and in
//! `sessionStorage` (a reload in the same tab finds them too). An answer is
//! *fresh* for [`FRESH_FOR_MS`]: it is used and nothing is sent. After that
//! it is *stale* for up to [`KEEP_STALE_FOR_MS`]: it is shown at once and
//! asked for again in the background (stale-while-revalidate); when the new
//! answer arrives, the resources showing it refetch from the cache.
//! Writes clear the entries they affect ([`clear`]).
//!
//! On the server every call goes straight to the loader: the server has its
//! own cache (`crate::ssr::cache`).

use std::future::Future;

use leptos::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// How long an answer is used without asking the server.
pub const FRESH_FOR_MS: f64 = 5.0 * 60.0 * 1000.0;
/// How long a stale answer is still shown while a new one is fetched.
pub const KEEP_STALE_FOR_MS: f64 = 60.0 * 60.0 * 1000.0;

/// A resource whose fetches go through the browser cache. `name` is the
/// server function's, `source` its arguments, `load` the call.
pub fn cached_resource<S, T, Fut>(
    name: &'static str,
    source: impl Fn() -> S + Send + Sync + 'static,
    load: impl Fn(S) -> Fut + Clone + Send + Sync + 'static,
) -> Resource<Result<T, ApiError>>
where
    S: Serialize + Clone + PartialEq + Send + Sync + 'static,
    T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<T, ApiError>> + Send + 'static,
{
    let source = std::sync::Arc::new(source);
    let resource = Resource::new(
        // The revision makes every cached resource look again after a
        // background refresh or a clear; on the server it never changes.
        {
            let source = source.clone();
            move || (source(), browser::revision())
        },
        move |(arguments, _)| {
            let key = browser::key(name, &arguments);
            let load = load.clone();
            async move {
                if let Some(hit) = browser::lookup::<T>(&key) {
                    if hit.stale {
                        browser::refresh(key, move || load(arguments));
                    }
                    return Ok(hit.value);
                }
                let answer = load(arguments).await;
                if let Ok(value) = &answer {
                    browser::store(&key, value, false);
                }
                answer
            }
        },
    );
    // An answer rendered by the server arrives with the page, not through a
    // fetch: keep it too, so the next visit within five minutes is instant.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(Ok(value)) = resource.get() {
            let arguments = untrack(|| source());
            browser::store(&browser::key(name, &arguments), &value, true);
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = source;
    resource
}

/// Forgets every cached answer: after a write, nothing read before it is
/// shown again without asking.
pub fn clear() {
    browser::clear();
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::future::Future;

    use leptos::prelude::*;
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    use super::{FRESH_FOR_MS, KEEP_STALE_FOR_MS};
    use crate::error::ApiError;

    const STORAGE_PREFIX: &str = "reach:cache:";

    /// A cached answer as JSON, with when it was stored (ms since epoch).
    #[derive(Clone)]
    struct Entry {
        stored_at: f64,
        json: String,
    }

    pub struct Hit<T> {
        pub value: T,
        pub stale: bool,
    }

    thread_local! {
        static MEMORY: RefCell<HashMap<String, Entry>> = RefCell::new(HashMap::new());
        static REVISION: ArcRwSignal<u64> = ArcRwSignal::new(0);
        static REFRESHING: RefCell<std::collections::HashSet<String>> = RefCell::default();
    }

    pub fn revision() -> u64 {
        REVISION.with(|r| r.get())
    }

    fn bump_revision() {
        REVISION.with(|r| r.update(|n| *n += 1));
    }

    pub fn key(name: &str, arguments: &impl Serialize) -> String {
        format!(
            "{name}:{}",
            serde_json::to_string(arguments).unwrap_or_default()
        )
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.session_storage().ok().flatten()
    }

    pub fn lookup<T: DeserializeOwned>(key: &str) -> Option<Hit<T>> {
        let entry = MEMORY.with(|m| m.borrow().get(key).cloned()).or_else(|| {
            let stored = storage()?
                .get_item(&format!("{STORAGE_PREFIX}{key}"))
                .ok()??;
            let (stored_at, json) = stored.split_once(' ')?;
            let entry = Entry {
                stored_at: stored_at.parse().ok()?,
                json: json.to_owned(),
            };
            MEMORY.with(|m| m.borrow_mut().insert(key.to_owned(), entry.clone()));
            Some(entry)
        })?;
        let age = js_sys::Date::now() - entry.stored_at;
        if !(0.0..KEEP_STALE_FOR_MS).contains(&age) {
            return None;
        }
        let value = serde_json::from_str(&entry.json).ok()?;
        Some(Hit {
            value,
            stale: age >= FRESH_FOR_MS,
        })
    }

    /// Keeps `value` under `key`; `only_if_absent` leaves a newer entry be.
    pub fn store(key: &str, value: &impl Serialize, only_if_absent: bool) {
        if only_if_absent && MEMORY.with(|m| m.borrow().contains_key(key)) {
            return;
        }
        let Ok(json) = serde_json::to_string(value) else {
            return;
        };
        let entry = Entry {
            stored_at: js_sys::Date::now(),
            json,
        };
        if let Some(storage) = storage() {
            // A full storage only costs the reload case: memory still works.
            let _ = storage.set_item(
                &format!("{STORAGE_PREFIX}{key}"),
                &format!("{} {}", entry.stored_at, entry.json),
            );
        }
        MEMORY.with(|m| m.borrow_mut().insert(key.to_owned(), entry));
    }

    /// Asks again for a stale answer in the background, once at a time per key.
    pub fn refresh<T, Fut>(key: String, load: impl FnOnce() -> Fut + 'static)
    where
        T: Serialize + 'static,
        Fut: Future<Output = Result<T, ApiError>> + 'static,
    {
        if !REFRESHING.with(|r| r.borrow_mut().insert(key.clone())) {
            return;
        }
        leptos::task::spawn_local(async move {
            if let Ok(value) = load().await {
                store(&key, &value, false);
                bump_revision();
            }
            REFRESHING.with(|r| r.borrow_mut().remove(&key));
        });
    }

    pub fn clear() {
        MEMORY.with(|m| m.borrow_mut().clear());
        if let Some(storage) = storage() {
            let keys: Vec<String> = (0..storage.length().unwrap_or(0))
                .filter_map(|i| storage.key(i).ok().flatten())
                .filter(|k| k.starts_with(STORAGE_PREFIX))
                .collect();
            for key in keys {
                let _ = storage.remove_item(&key);
            }
        }
        bump_revision();
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    use std::future::Future;

    use serde::Serialize;

    use crate::error::ApiError;

    pub struct Hit<T> {
        pub value: T,
        pub stale: bool,
    }

    pub fn revision() -> u64 {
        0
    }

    pub fn key(_: &str, _: &impl Serialize) -> String {
        String::new()
    }

    pub fn lookup<T>(_: &str) -> Option<Hit<T>> {
        None
    }

    pub fn store(_: &str, _: &impl Serialize, _: bool) {}

    pub fn refresh<T, Fut>(_: String, _: impl FnOnce() -> Fut)
    where
        Fut: Future<Output = Result<T, ApiError>>,
    {
    }

    pub fn clear() {}
}
