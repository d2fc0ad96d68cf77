//! Computed dashboard views shared between requests. The same view of the same query, at the
//! same store version and within the same few seconds of the clock, is computed once; requests
//! that arrive while it is being computed wait for that computation instead of repeating it.
//! A view whose window ends "now" is therefore at most [`SECONDS`] old; any change to the store
//! (an event, a catalogue change) makes every cached view stale at once.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::error::{AppError, Result};
use crate::state::AppState;

/// How long, in seconds of the application clock, a view stays fresh (its refresh cadence).
pub const SECONDS: i64 = 5;
/// Above this many entries, stale ones are dropped before a new one is added.
const PRUNE_ABOVE: usize = 1_000;

type Value = Arc<dyn Any + Send + Sync>;

struct Entry {
    /// The store version and the clock's `SECONDS`-long period the value belongs to.
    stamp: (u64, i64),
    value: Arc<OnceCell<Value>>,
}

#[derive(Clone, Default)]
pub struct ViewCache(Arc<Mutex<HashMap<String, Entry>>>);

impl ViewCache {
    /// The view `name` for the query `pairs`, from the cache when fresh, else from `compute`.
    /// Failures are not kept: the next request computes again.
    pub async fn get<T, F, Fut>(&self, state: &AppState, name: &str, pairs: &[(String, String)], compute: F) -> Result<T>
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let key = format!("{name}?{}", pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&"));
        let stamp = (state.metrics.version(), state.clock.now().timestamp().div_euclid(SECONDS));
        let cell = {
            let mut entries = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if entries.get(&key).is_none_or(|e| e.stamp != stamp) {
                if entries.len() >= PRUNE_ABOVE {
                    entries.retain(|_, e| e.stamp == stamp);
                }
                entries.insert(key.clone(), Entry { stamp, value: Arc::new(OnceCell::new()) });
            }
            entries[&key].value.clone()
        };
        let value = cell.get_or_try_init(|| async { compute().await.map(|v| Arc::new(v) as Value) }).await?;
        value.downcast_ref::<T>().cloned().ok_or_else(|| AppError::Internal(anyhow::anyhow!("the view cache holds another type under {key}")))
    }
}
