//! Only the latest version of each cached answer is held: a new version
//! drops the one before, which no request asks for again.

use super::{Cache, keys};

impl Cache {
    /// Drops the versions before `key` of the same answer (its kind and
    /// arguments) from memory. No request asks for them again, but a moka
    /// cache full of them keeps their frequency and turns new versions
    /// away: after a collection run had written every account a few times,
    /// the new pages were no longer kept. The answer layer keeps its own
    /// predecessors until their successors are kept (`answers`).
    pub(super) async fn supersede(&self, key: &str) {
        let Some(identity) = keys::without_version(key) else {
            return;
        };
        let before = self
            .inner
            .versions
            .get(&identity)
            .await
            .filter(|before| before != key);
        self.inner.versions.insert(identity, key.to_owned()).await;
        if let Some(before) = before {
            self.inner.local.invalidate(&before).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::super::{Entry, Kind, Version, key};
    use super::*;

    async fn hold(cache: &Cache, key: &str) {
        let entry = Entry {
            value: Arc::new(0_u32),
            ttl: Duration::from_secs(60),
            weight: 1,
        };
        cache.inner.local.insert(key.to_owned(), entry).await;
        cache.supersede(key).await;
    }

    #[tokio::test]
    async fn a_new_version_of_a_value_drops_the_one_before_and_no_other() {
        let cache = Cache::in_process();
        let version = |revision| key(Kind::Account, Version::Accounts(&[(3, Some(revision))]), &3);
        let other = key(Kind::Account, Version::Accounts(&[(4, Some(1))]), &4);
        hold(&cache, &version(1)).await;
        hold(&cache, &other).await;
        hold(&cache, &version(2)).await;
        let local = &cache.inner.local;
        assert!(local.get(&version(1)).await.is_none());
        assert!(local.get(&version(2)).await.is_some());
        assert!(local.get(&other).await.is_some());
        // Kept again under the same key: nothing to drop.
        hold(&cache, &version(2)).await;
        assert!(local.get(&version(2)).await.is_some());
    }
}
