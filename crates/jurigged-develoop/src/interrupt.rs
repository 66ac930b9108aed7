//! Stopping a run from another thread (a key of the full-screen view), even
//! when the function is blocked in C: `time.sleep(100)`, a socket read.
//!
//! An asynchronous exception (`PyThreadState_SetAsyncExc`) is only seen when
//! the thread runs bytecode again, which a blocked call never does. What wakes
//! a blocked call in CPython is a real signal: the system call fails with
//! EINTR, CPython runs the signal handlers, and `signal.default_int_handler`
//! raises `KeyboardInterrupt`, exactly what Ctrl-C gives under python.
//! `PyErr_SetInterrupt` / `_thread.interrupt_main` only set the flag without a
//! signal, so they do not wake the call either. Python runs signal handlers on
//! the main thread only: a run on the main thread with the default SIGINT
//! handler is stopped with SIGINT sent to that thread; any other run falls
//! back to the asynchronous exception.

use std::sync::{Arc, Mutex};

use jurigged_watch::sync::lock;
use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;

/// The run in progress: who runs it and how it can be stopped.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    /// `threading.get_ident()` of the thread that runs it (its pthread_t on POSIX).
    thread: u64,
    /// The run is on the main thread and SIGINT raises KeyboardInterrupt there.
    by_signal: bool,
}

/// Where the view finds the run to stop; empty between runs.
pub type RunSlot = Arc<Mutex<Option<Run>>>;

impl Run {
    /// The run about to start on the current thread.
    pub fn here(py: Python<'_>) -> PyResult<Run> {
        let threading = py.import("threading")?;
        let thread: u64 = threading.call_method0("get_ident")?.extract()?;
        let main: Option<u64> = threading.call_method0("main_thread")?.getattr("ident")?.extract()?;
        let signal = py.import("signal")?;
        let handler = signal.call_method1("getsignal", (signal.getattr("SIGINT")?,))?;
        let default = handler.is(&signal.getattr("default_int_handler")?);
        let can_send = signal.hasattr("pthread_kill")?;
        Ok(Run { thread, by_signal: can_send && main == Some(thread) && default })
    }
}

/// Marks `run` as in progress.
pub fn begin(slot: &Mutex<Option<Run>>, run: Run) {
    *lock(slot) = Some(run);
}

/// Marks the run as over; from here on nothing is sent to its thread. Called
/// on the thread of the run, which then handles a signal sent just before.
pub fn end(py: Python<'_>, slot: &Mutex<Option<Run>>) {
    let run = lock(slot).take();
    if run.is_some_and(|run| run.by_signal) {
        // A signal sent before the slot was emptied is pending on this thread;
        // the kernel delivers it on the way back from any system call, so that
        // the check below sees it and it cannot hit the program later.
        std::thread::yield_now();
    }
    // A stop that arrived just as the run ended is dropped here.
    let _ = py.check_signals();
}

/// Stops the run in progress, if any; returns whether there was one. Called
/// from a thread of the view. The GIL orders it with the run's end: `end`
/// runs with the GIL, so while this holds it a run still in the slot has not
/// gone on with the program, and a signal sent now is either seen by the run
/// or dropped by `end`.
pub fn stop(slot: &Mutex<Option<Run>>) -> bool {
    Python::attach(|py| {
        let Some(run) = *lock(slot) else { return false };
        let sent = if run.by_signal { send_sigint(py, run.thread) } else { raise_in_thread(py, run.thread) };
        if let Err(error) = sent {
            error.print(py);
        }
        true
    })
}

/// SIGINT to the thread `thread` (the main thread): a blocked system call
/// returns with EINTR and the default handler raises KeyboardInterrupt.
fn send_sigint(py: Python<'_>, thread: u64) -> PyResult<()> {
    let signal = py.import("signal")?;
    signal.call_method1("pthread_kill", (thread, signal.getattr("SIGINT")?))?;
    Ok(())
}

/// Raises KeyboardInterrupt in the thread `thread_id` when it next runs bytecode.
fn raise_in_thread(py: Python<'_>, thread_id: u64) -> PyResult<()> {
    let ctypes = py.import("ctypes")?;
    let set_async_exc = ctypes.getattr("pythonapi")?.getattr("PyThreadState_SetAsyncExc")?;
    let id = ctypes.getattr("c_ulong")?.call1((thread_id,))?;
    let exc = ctypes.getattr("py_object")?.call1((py.get_type::<PyKeyboardInterrupt>(),))?;
    set_async_exc.call1((id, exc))?;
    Ok(())
}
