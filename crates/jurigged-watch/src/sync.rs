//! Locks that survive a panic of the thread holding them: the one home of
//! the poison-tolerant `lock()` every crate of jurigged uses. It lives in the
//! lowest crate that takes a lock, so the crates above share it.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// Takes `mutex`, even poisoned: its data stays consistent (every critical
/// section of jurigged leaves it so), and the user's program must go on.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Waits on `condvar` with `guard`, and takes the lock back even poisoned.
pub fn wait<'a, T>(condvar: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    condvar.wait(guard).unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Waits on `condvar` with `guard` for at most `timeout`, and takes the lock
/// back even poisoned.
pub fn wait_timeout<'a, T>(condvar: &Condvar, guard: MutexGuard<'a, T>, timeout: Duration) -> MutexGuard<'a, T> {
    match condvar.wait_timeout(guard, timeout) {
        Ok((guard, _)) => guard,
        Err(poisoned) => poisoned.into_inner().0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_poisoned_by_a_panicking_holder_is_still_taken() {
        let mutex = std::sync::Arc::new(Mutex::new(1));
        let held = mutex.clone();
        let _ = std::thread::spawn(move || {
            let _guard = held.lock();
            panic!("the holder panics");
        })
        .join();
        assert!(mutex.is_poisoned());
        *lock(&mutex) += 1;
        assert_eq!(*lock(&mutex), 2);
        let condvar = Condvar::new();
        assert_eq!(*wait_timeout(&condvar, lock(&mutex), Duration::from_millis(1)), 2);
    }
}
