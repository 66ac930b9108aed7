//! Locks that survive a panic of the thread holding them.

use std::sync::{Mutex, MutexGuard};

/// Takes `mutex`, even poisoned: its data stays consistent (every critical
/// section here leaves it so), and the user's program must go on.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
