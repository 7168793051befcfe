//! The threads that help check a feed's items, kept for the process: a feed checked on
//! several threads borrows them here instead of starting its own, so that their allocator
//! heaps stay warm from one feed to the next (a thread started per feed paid for fresh
//! memory pages and an empty heap every time). A thread idle for [`IDLE_FOR`] ends.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

/// A piece of work for a pooled thread.
pub(super) type Task = Box<dyn FnOnce() + Send + 'static>;

/// How long an idle thread waits for work before it ends.
const IDLE_FOR: Duration = Duration::from_secs(60);

/// More idle threads than this end rather than wait (the CLI allows up to 256 threads).
const MAX_IDLE: usize = 256;

/// An idle thread: its id and where to send it a task.
struct IdleThread {
    id: u64,
    tasks: Sender<Task>,
}

static IDLE: Mutex<Vec<IdleThread>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn idle() -> std::sync::MutexGuard<'static, Vec<IdleThread>> {
    IDLE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `task` on an idle pooled thread, or on a new one. `false` when no thread could be
/// started (the system's limit): the caller does the work itself.
///
/// A task must not panic out (it catches its own panics and reports them): a pooled
/// thread that unwinds is lost to the pool.
pub(super) fn run(task: Task) -> bool {
    let mut task = task;
    // The most recently idle thread first: its caches are the warmest.
    while let Some(thread) = {
        let mut idle = idle();
        idle.pop()
    } {
        match thread.tasks.send(task) {
            Ok(()) => return true,
            // It ended meanwhile (it timed out and had not yet left the list).
            Err(mpsc::SendError(back)) => task = back,
        }
    }
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let (tasks, inbox) = mpsc::channel();
    let first = tasks.clone();
    let started = std::thread::Builder::new()
        .name("iarss-check".to_string())
        .spawn(move || serve(id, tasks, inbox));
    if started.is_err() {
        return false;
    }
    first.send(task).is_ok()
}

/// A pooled thread: runs each task it is sent, then offers itself again.
fn serve(id: u64, tasks: Sender<Task>, inbox: Receiver<Task>) {
    loop {
        match inbox.recv_timeout(IDLE_FOR) {
            Ok(task) => {
                task();
                let mut idle = idle();
                if idle.len() >= MAX_IDLE {
                    return;
                }
                idle.push(IdleThread {
                    id,
                    tasks: tasks.clone(),
                });
            }
            Err(RecvTimeoutError::Timeout) => {
                let mut idle = idle();
                match idle.iter().position(|t| t.id == id) {
                    Some(at) => {
                        idle.swap_remove(at);
                        return;
                    }
                    // Taken from the list just now: its task is on the way.
                    None => continue,
                }
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    #[test]
    fn a_thread_is_used_again_once_its_task_is_done() {
        let (done, finished) = channel();
        let send = done.clone();
        assert!(run(Box::new(move || {
            send.send(std::thread::current().id()).unwrap();
        })));
        let first = finished.recv().unwrap();
        // The thread offers itself again right after its task; wait until it has.
        for _ in 0..1000 {
            if !idle().is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let send = done.clone();
        assert!(run(Box::new(move || {
            send.send(std::thread::current().id()).unwrap();
        })));
        let second = finished.recv().unwrap();
        assert_eq!(first, second, "the idle thread took the second task");
    }

    #[test]
    fn tasks_given_at_once_run_on_threads_of_their_own() {
        // Two tasks that each wait for the other: they finish only if both run at once.
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let (done, finished) = channel();
        for _ in 0..2 {
            let barrier = barrier.clone();
            let done = done.clone();
            assert!(run(Box::new(move || {
                barrier.wait();
                done.send(()).unwrap();
            })));
        }
        for _ in 0..2 {
            finished
                .recv_timeout(Duration::from_secs(10))
                .expect("both tasks ran at once");
        }
    }
}
