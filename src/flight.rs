//! One task in flight, shared by everyone waiting for it: the first caller starts it on the
//! runtime, later callers join it, and it runs to completion even if every waiter goes away.
//! Waiting never holds a lock.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::runtime::Handle;
use tokio::sync::watch;

type Slot = Arc<Mutex<Option<watch::Receiver<bool>>>>;

/// At most one running task.
#[derive(Debug, Default)]
pub struct Flight {
    slot: Slot,
}

/// A way to wait for the end of the task that was running when it was taken.
#[derive(Debug)]
pub struct Landing(watch::Receiver<bool>);

impl Landing {
    /// Resolves when the task has finished (or panicked).
    pub async fn wait(mut self) {
        let _ = self.0.wait_for(|done| *done).await;
    }
}

impl Flight {
    /// Whether a task is running.
    pub fn is_running(&self) -> bool {
        lock(&self.slot).is_some()
    }

    /// A way to wait for the running task, if one is running.
    pub fn join(&self) -> Option<Landing> {
        lock(&self.slot).as_ref().map(|running| Landing(running.clone()))
    }

    /// Starts `task()` on `runtime` unless a task is running, and returns a way to wait for
    /// whichever task is running now.
    pub fn start<F>(&self, runtime: &Handle, task: impl FnOnce() -> F) -> Landing
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let mut slot = lock(&self.slot);
        if let Some(running) = slot.as_ref() {
            return Landing(running.clone());
        }
        let (done, landing) = watch::channel(false);
        *slot = Some(landing.clone());
        let finish = Finish { slot: Arc::clone(&self.slot), done };
        let task = task();
        runtime.spawn(async move {
            task.await;
            drop(finish);
        });
        Landing(landing)
    }
}

/// Clears the slot and wakes the waiters when the task ends, even by a panic.
struct Finish {
    slot: Slot,
    done: watch::Sender<bool>,
}

impl Drop for Finish {
    fn drop(&mut self) {
        *lock(&self.slot) = None;
        let _ = self.done.send(true);
    }
}

/// Locks a mutex, taking the data even if another thread panicked while holding it: every
/// mutex here guards plain values that are consistent between statements.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn concurrent_callers_share_one_task() {
        let flight = Flight::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let landings: Vec<Landing> = (0..50)
            .map(|_| {
                let runs = Arc::clone(&runs);
                flight.start(&Handle::current(), move || async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                })
            })
            .collect();
        for landing in landings {
            landing.wait().await;
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(!flight.is_running());
    }

    #[tokio::test]
    async fn a_panicking_task_still_releases_its_waiters_and_the_slot() {
        let flight = Flight::default();
        flight.start(&Handle::current(), || async { panic!("boom") }).wait().await;
        assert!(!flight.is_running());
    }
}
