//! The write turn: one SQLite writer at a time, in this process and among the processes
//! that share the file.
//!
//! SQLite admits one writer anyway. A writer that finds the lock taken sleeps in SQLite's
//! busy handler (1, 2, 5, 10, 15, 20, 25, ... 100 ms) and looks again, so it wakes late
//! when the lock is freed early: with two workers draining one file, the one waiting
//! slept through most of the other's short transactions, and the machine stood half idle
//! while two workers drained no faster than one (BENCHMARKS.md). So the writers take
//! turns before `BEGIN IMMEDIATE`: in this process behind a mutex, and across processes
//! on an advisory lock (`flock`) of a file beside the database (`bookings.db` →
//! `bookings.db-writer`), which the kernel hands to a waiter the moment it is released.
//!
//! The lock file is only a courtesy among this project's processes: anything else that
//! writes the file (the `sqlite3` shell, a backup) still takes SQLite's own lock, which
//! every transaction takes too. So a turn that cannot be had (the lock file cannot be
//! opened, or another process holds it longer than [`WAIT`]) is not an error: the
//! transaction begins without it and SQLite's busy timeout decides, as before.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

/// How long a writer waits for another process's turn before beginning without one (and
/// then waiting through SQLite's busy timeout, which is as long).
const WAIT: Duration = Duration::from_secs(5);

/// The lock file of a SQLite database file.
pub fn lock_file_of(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push("-writer");
    PathBuf::from(name)
}

/// Hands out write turns. Cheap to clone: clones share the mutex and the lock file.
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteTurns {
    local: Arc<Mutex<()>>,
    /// The lock file shared with other processes; none for a database in memory.
    file: Option<Arc<File>>,
}

/// One writer's turn, until dropped.
#[derive(Debug)]
pub(crate) struct Turn {
    _local: OwnedMutexGuard<()>,
    /// The lock file, while this turn holds its lock.
    file: Option<Arc<File>>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        if let Some(file) = &self.file {
            let _ = file.unlock();
        }
    }
}

impl WriteTurns {
    /// Turns among this process's writers and, through `lock_file` (created if missing),
    /// the other processes'.
    pub(crate) fn new(lock_file: Option<&Path>) -> WriteTurns {
        let file = lock_file.and_then(|path| {
            // A lock needs no write access: a file another user created will do.
            File::options()
                .create(true)
                .truncate(false)
                .write(true)
                .open(path)
                .or_else(|_| File::open(path))
                .map_err(|e| {
                    tracing::warn!(error = %e, file = %path.display(), "cannot open the writers' lock file; writers of other processes will wait in SQLite's busy handler");
                })
                .ok()
        });
        WriteTurns {
            local: Arc::default(),
            file: file.map(Arc::new),
        }
    }

    /// Waits for this process's turn, then for the other processes' (at most [`WAIT`]).
    pub(crate) async fn take(&self) -> Turn {
        let local = self.local.clone().lock_owned().await;
        let file = match &self.file {
            Some(file) => lock_across_processes(file).await.then(|| file.clone()),
            None => None,
        };
        Turn {
            _local: local,
            file,
        }
    }
}

/// Takes the lock of `file`, waiting at most [`WAIT`]: whether it is held.
async fn lock_across_processes(file: &Arc<File>) -> bool {
    match file.try_lock() {
        Ok(()) => return true,
        Err(TryLockError::WouldBlock) => {}
        Err(TryLockError::Error(e)) => {
            tracing::debug!(error = %e, "cannot lock the writers' lock file");
            return false;
        }
    }
    // Another process writes: wait in the kernel, on a thread that may block. If this
    // side stops waiting first, the thread gives the lock back as soon as it gets it.
    // (`flock` locks belong to the open file, which this process's turns share: such a
    // late give-back can release the lock under a later turn of this process too. That
    // turn then writes as if it had none: SQLite's own lock still keeps writers apart.)
    let (taken, got) = oneshot::channel();
    let waiting = file.clone();
    tokio::task::spawn_blocking(move || {
        if waiting.lock().is_ok() && taken.send(()).is_err() {
            let _ = waiting.unlock();
        }
    });
    matches!(tokio::time::timeout(WAIT, got).await, Ok(Ok(())))
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn lock_file() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = lock_file_of(&dir.path().join("bookings.db"));
        (dir, path)
    }

    /// Two handles on one lock file stand for two processes (`flock` locks belong to the
    /// open file, not to the process).
    #[tokio::test]
    async fn a_writer_of_another_process_gets_its_turn_the_moment_the_holder_lets_go() {
        let (_dir, path) = lock_file();
        let ours = WriteTurns::new(Some(&path));
        let theirs = WriteTurns::new(Some(&path));
        let held = theirs.take().await;
        assert!(held.file.is_some());
        let started = Instant::now();
        let waiting = tokio::spawn(async move {
            let turn = ours.take().await;
            (turn.file.is_some(), started.elapsed())
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !waiting.is_finished(),
            "the turn was given while another held it"
        );
        drop(held);
        let (locked, waited) = waiting.await.unwrap();
        assert!(locked);
        assert!(waited >= Duration::from_millis(300), "{waited:?}");
        assert!(waited < WAIT, "{waited:?}");
    }

    #[tokio::test]
    async fn writers_of_one_process_take_turns_and_a_turn_given_back_can_be_taken_again() {
        let (_dir, path) = lock_file();
        let turns = WriteTurns::new(Some(&path));
        let first = turns.take().await;
        let second = turns.clone();
        let waiting = tokio::spawn(async move { second.take().await.file.is_some() });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiting.is_finished());
        drop(first);
        assert!(waiting.await.unwrap());
        // The lock went back each time: another handle gets it at once.
        let other = File::options().write(true).open(&path).unwrap();
        assert!(other.try_lock().is_ok());
    }

    /// A turn another process holds too long does not hold this writer for good: it
    /// begins without it (SQLite's own lock still keeps writers apart), and the lock
    /// taken late is given back.
    #[tokio::test]
    async fn a_writer_waits_for_another_process_at_most_five_seconds() {
        let (_dir, path) = lock_file();
        let theirs = File::create(&path).unwrap();
        theirs.lock().unwrap();
        let ours = WriteTurns::new(Some(&path));
        let started = Instant::now();
        let turn = ours.take().await;
        assert!(
            turn.file.is_none(),
            "the turn claimed a lock it does not hold"
        );
        assert!(started.elapsed() >= WAIT, "{:?}", started.elapsed());
        drop(turn);
        theirs.unlock().unwrap();
        // The waiting thread got the lock after this side had given up, and let it go.
        let again = File::options().write(true).open(&path).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while again.try_lock().is_err() {
            assert!(
                Instant::now() < deadline,
                "the abandoned wait kept the lock"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[tokio::test]
    async fn without_a_lock_file_the_turns_are_this_process_s_alone() {
        let turns = WriteTurns::new(None);
        let turn = turns.take().await;
        assert!(turn.file.is_none());
        let dir = tempfile::tempdir().unwrap();
        let unopenable = dir.path().join("missing-folder").join("bookings.db-writer");
        let turns = WriteTurns::new(Some(&unopenable));
        assert!(turns.take().await.file.is_none());
    }
}
