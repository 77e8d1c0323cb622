//! A bounded cache with expiry that lets one fetch per name be in flight: callers who ask for a
//! name while it is being fetched wait for that fetch instead of starting their own.

use super::ResolveError;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// How long entries live and how many are kept.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CachePolicy {
    /// The most entries kept (0: nothing is kept, concurrent fetches are still shared).
    pub(crate) capacity: usize,
    /// After this age an entry is fetched again on its next use.
    pub(crate) stale_after: Duration,
    /// After this age an entry is no longer served, not even when fetching it again fails.
    pub(crate) expire_after: Duration,
}

/// The outcome of one fetch, with the time it finished.
type Outcome<V> = (Result<V, ResolveError>, Instant);

enum Slot<V> {
    Ready {
        value: V,
        at: Instant,
    },
    /// A fetch in flight, and the value it replaces if that one has not expired yet.
    Pending {
        cell: Arc<OnceCell<Outcome<V>>>,
        stale: Option<(V, Instant)>,
    },
}

struct State<V> {
    entries: HashMap<String, Slot<V>>,
    /// Ready entries by the time they were fetched, oldest first; an item whose time no longer
    /// matches its entry is left over from an earlier fetch and skipped.
    order: VecDeque<(String, Instant)>,
}

pub(crate) struct Cache<V> {
    state: Mutex<State<V>>,
    policy: CachePolicy,
}

impl<V: Clone> Cache<V> {
    pub(crate) fn new(policy: CachePolicy) -> Self {
        Cache {
            state: Mutex::new(State {
                entries: HashMap::new(),
                order: VecDeque::new(),
            }),
            policy,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<V>> {
        // Nothing panics while the lock is held; a poisoned lock still holds consistent data.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets every entry (fetches in flight finish but are not kept).
    pub(crate) fn clear(&self) {
        let mut state = self.lock();
        state.entries.clear();
        state.order.clear();
    }

    /// The value for `key`: from the cache while it is fresh, else from `fetch` (or from the
    /// fetch already in flight for `key`). `force` skips a fresh cached value. A stale value
    /// that has not expired is served when fetching it again fails on something transient.
    pub(crate) async fn get<F, Fut>(
        &self,
        key: &str,
        force: bool,
        fetch: F,
    ) -> Result<V, ResolveError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, ResolveError>>,
    {
        let (cell, stale) = {
            let mut state = self.lock();
            let now = Instant::now();
            match state.entries.get(key) {
                Some(Slot::Ready { value, at }) => {
                    let age = now.saturating_duration_since(*at);
                    if !force && age < self.policy.stale_after {
                        return Ok(value.clone());
                    }
                    let stale = (age < self.policy.expire_after).then(|| (value.clone(), *at));
                    let cell = Arc::new(OnceCell::new());
                    state.entries.insert(
                        key.to_owned(),
                        Slot::Pending {
                            cell: cell.clone(),
                            stale: stale.clone(),
                        },
                    );
                    (cell, stale)
                }
                Some(Slot::Pending { cell, stale }) => (cell.clone(), stale.clone()),
                None => {
                    let cell = Arc::new(OnceCell::new());
                    state.entries.insert(
                        key.to_owned(),
                        Slot::Pending {
                            cell: cell.clone(),
                            stale: None,
                        },
                    );
                    (cell, None)
                }
            }
        };
        // The first caller to get here fetches; the others wait for its outcome. Should that
        // caller go away before the end, the next one in line fetches instead.
        let (result, at) = cell
            .get_or_init(|| async { (fetch().await, Instant::now()) })
            .await
            .clone();
        self.finish(key, &cell, &result, at);
        match (result, stale) {
            (Err(e), Some((value, _))) if !force && e.is_transient() => Ok(value),
            (result, _) => result,
        }
    }

    /// Records the outcome of the fetch `cell` for `key`, unless another caller already did.
    fn finish(
        &self,
        key: &str,
        cell: &Arc<OnceCell<Outcome<V>>>,
        result: &Result<V, ResolveError>,
        at: Instant,
    ) {
        let mut state = self.lock();
        let stale = match state.entries.get_mut(key) {
            Some(Slot::Pending { cell: c, stale }) if Arc::ptr_eq(c, cell) => stale.take(),
            _ => return,
        };
        match (result, stale) {
            (Ok(value), _) if self.policy.capacity > 0 => {
                let slot = Slot::Ready {
                    value: value.clone(),
                    at,
                };
                state.entries.insert(key.to_owned(), slot);
                state.order.push_back((key.to_owned(), at));
                self.evict(&mut state);
            }
            (Err(e), Some((value, was))) if e.is_transient() => {
                state
                    .entries
                    .insert(key.to_owned(), Slot::Ready { value, at: was });
            }
            _ => {
                state.entries.remove(key);
            }
        }
    }

    /// Removes the oldest ready entries until at most `capacity` entries are left; keeps the
    /// order queue from growing past twice the capacity.
    fn evict(&self, state: &mut State<V>) {
        while state.entries.len() > self.policy.capacity {
            let Some((key, at)) = state.order.pop_front() else {
                break;
            };
            if matches!(state.entries.get(&key), Some(Slot::Ready { at: a, .. }) if *a == at) {
                state.entries.remove(&key);
            }
        }
        if state.order.len() > 2 * self.policy.capacity + 16 {
            let mut ready: Vec<(String, Instant)> = state
                .entries
                .iter()
                .filter_map(|(k, slot)| match slot {
                    Slot::Ready { at, .. } => Some((k.clone(), *at)),
                    Slot::Pending { .. } => None,
                })
                .collect();
            ready.sort_by_key(|(_, at)| *at);
            state.order = ready.into();
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn policy(capacity: usize, stale_ms: u64, expire_ms: u64) -> CachePolicy {
        CachePolicy {
            capacity,
            stale_after: Duration::from_millis(stale_ms),
            expire_after: Duration::from_millis(expire_ms),
        }
    }

    fn timeout() -> ResolveError {
        ResolveError::Timeout {
            what: "x".into(),
            after: Duration::from_millis(1),
        }
    }

    #[tokio::test]
    async fn fresh_values_come_from_the_cache_and_stale_ones_are_fetched_again() {
        let cache = Cache::new(policy(10, 40, 10_000));
        let fetches = AtomicUsize::new(0);
        let fetch = || async { Ok::<_, ResolveError>(fetches.fetch_add(1, Ordering::SeqCst)) };
        assert_eq!(cache.get("a", false, fetch).await, Ok(0));
        assert_eq!(cache.get("a", false, fetch).await, Ok(0));
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        // Forced: fetched again even though fresh.
        assert_eq!(cache.get("a", true, fetch).await, Ok(1));
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(cache.get("a", false, fetch).await, Ok(2));
        assert_eq!(fetches.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_stale_value_is_served_when_the_new_fetch_times_out_but_not_once_expired() {
        let cache = Cache::new(policy(10, 20, 200));
        assert_eq!(cache.get("a", false, || async { Ok(7) }).await, Ok(7));
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(
            cache.get("a", false, || async { Err(timeout()) }).await,
            Ok(7)
        );
        // A definitive answer replaces it.
        let gone = ResolveError::DidNotFound {
            did: "did:web:x".into(),
            status: 404,
        };
        assert_eq!(
            cache.get("a", false, || async { Err(gone.clone()) }).await,
            Err(gone)
        );
        assert_eq!(cache.get("a", false, || async { Ok(8) }).await, Ok(8));
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(
            cache.get("a", false, || async { Err(timeout()) }).await,
            Err(timeout())
        );
    }

    #[tokio::test]
    async fn errors_are_not_kept() {
        let cache = Cache::new(policy(10, 10_000, 10_000));
        assert_eq!(
            cache
                .get("a", false, || async { Err::<u8, _>(timeout()) })
                .await,
            Err(timeout())
        );
        assert_eq!(cache.get("a", false, || async { Ok(1) }).await, Ok(1));
    }

    #[tokio::test]
    async fn the_oldest_entries_go_first_past_the_capacity() {
        let cache = Cache::new(policy(3, 10_000, 10_000));
        for (i, k) in ["a", "b", "c", "d"].iter().enumerate() {
            cache.get(k, false, || async move { Ok(i) }).await.unwrap();
        }
        assert_eq!(cache.len(), 3);
        // "a" was evicted: fetched again.
        assert_eq!(cache.get("a", false, || async { Ok(99) }).await, Ok(99));
        assert_eq!(cache.get("d", false, || async { Ok(99) }).await, Ok(3));
        // Refreshing one key many times does not grow the order queue without bound.
        for _ in 0..1000 {
            cache.get("d", true, || async { Ok(5) }).await.unwrap();
        }
        assert!(cache.lock().order.len() <= 2 * 3 + 16);
        assert_eq!(cache.len(), 3);
    }

    #[tokio::test]
    async fn capacity_zero_keeps_nothing() {
        let cache = Cache::new(policy(0, 10_000, 10_000));
        assert_eq!(cache.get("a", false, || async { Ok(1) }).await, Ok(1));
        assert_eq!(cache.get("a", false, || async { Ok(2) }).await, Ok(2));
        assert_eq!(cache.len(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_share_one_fetch() {
        let cache = Arc::new(Cache::new(policy(10, 10_000, 10_000)));
        let fetches = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let cache = cache.clone();
                let fetches = fetches.clone();
                tokio::spawn(async move {
                    cache
                        .get("a", false, || async move {
                            fetches.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            Ok(42)
                        })
                        .await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), Ok(42));
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_cancelled_fetch_is_taken_over_by_the_next_caller() {
        let cache = Cache::new(policy(10, 10_000, 10_000));
        let slow = cache.get("a", false, || async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(1)
        });
        assert!(tokio::time::timeout(Duration::from_millis(20), slow)
            .await
            .is_err());
        assert_eq!(cache.get("a", false, || async { Ok(2) }).await, Ok(2));
    }
}
