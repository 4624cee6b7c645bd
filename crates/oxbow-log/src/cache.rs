//! A bounded LRU of whole objects, by bytes. Objects are immutable, so a
//! cached copy never goes stale; deleted objects are removed explicitly.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use bytes::Bytes;

pub struct ReadCache {
    capacity_bytes: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, (Bytes, u64)>,
    by_age: BTreeMap<u64, String>,
    tick: u64,
    size_bytes: usize,
    hits: u64,
    misses: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    pub size_bytes: usize,
    pub entries: usize,
    pub hits: u64,
    pub misses: u64,
}

impl ReadCache {
    pub fn new(capacity_bytes: usize) -> Self {
        ReadCache { capacity_bytes, inner: Mutex::new(Inner::default()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the map inconsistent
        // in a way that matters for a cache; keep serving.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, key: &str) -> Option<Bytes> {
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        let Some((data, age)) = inner.entries.get_mut(key) else {
            inner.misses += 1;
            return None;
        };
        let old = std::mem::replace(age, tick);
        let data = data.clone();
        inner.by_age.remove(&old);
        inner.by_age.insert(tick, key.to_string());
        inner.hits += 1;
        Some(data)
    }

    pub fn insert(&self, key: String, data: Bytes) {
        if data.len() > self.capacity_bytes {
            return;
        }
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        if let Some((old, age)) = inner.entries.remove(&key) {
            inner.size_bytes -= old.len();
            inner.by_age.remove(&age);
        }
        while inner.size_bytes + data.len() > self.capacity_bytes {
            let Some((_, victim)) = inner.by_age.pop_first() else { break };
            if let Some((evicted, _)) = inner.entries.remove(&victim) {
                inner.size_bytes -= evicted.len();
            }
        }
        inner.size_bytes += data.len();
        inner.by_age.insert(tick, key.clone());
        inner.entries.insert(key, (data, tick));
        debug_assert!(inner.size_bytes <= self.capacity_bytes);
    }

    pub fn remove(&self, key: &str) {
        let mut inner = self.lock();
        if let Some((old, age)) = inner.entries.remove(key) {
            inner.size_bytes -= old.len();
            inner.by_age.remove(&age);
        }
    }

    pub fn stats(&self) -> CacheStats {
        let inner = self.lock();
        CacheStats {
            size_bytes: inner.size_bytes,
            entries: inner.entries.len(),
            hits: inner.hits,
            misses: inner.misses,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recently_used_within_capacity() {
        let cache = ReadCache::new(10);
        cache.insert("a".into(), Bytes::from_static(b"aaaa"));
        cache.insert("b".into(), Bytes::from_static(b"bbbb"));
        assert!(cache.get("a").is_some()); // a is now newer than b
        cache.insert("c".into(), Bytes::from_static(b"cccc"));
        assert!(cache.get("b").is_none());
        assert!(cache.get("a").is_some() && cache.get("c").is_some());
        assert!(cache.stats().size_bytes <= 10);
        cache.insert("huge".into(), Bytes::from(vec![0u8; 11]));
        assert!(cache.get("huge").is_none());
    }
}
