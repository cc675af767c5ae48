//! Waking idle workers at once when a commit made jobs claimable. A transaction says so
//! ([`crate::Tx::wake`]); once it has committed, the queues it named are told:
//!
//! - PostgreSQL: `NOTIFY jobs_due` with each queue's name ([`Notifier`]), sent after the
//!   commit, from a statement of its own. Sent inside the writing transaction, as a
//!   trigger did until migration 0016, each commit held the server's notification lock
//!   while its log was flushed, so committing writers queued one flush each instead of
//!   sharing flushes.
//! - SQLite has no such signal, but its processes share a host. So each listening
//!   process binds a Unix datagram socket in a folder beside the database file
//!   (`bookings.db` → `bookings.db-wake/`), and the committing process sends the queue's
//!   name to every socket there ([`Waker`]). The folder is read again only when it
//!   changes (its modification time), so a commit costs a `stat` and one `sendto` per
//!   listener. A socket nobody reads any more (its process died) refuses the datagram
//!   and is removed.
//!
//! A wake-up lost (a full buffer, a listener starting, a process that dies between its
//! commit and the notification) costs one poll interval: listeners still poll.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

/// What a wake-up says when every queue should look (a change to jobs of any queue).
pub const ANY_QUEUE: &str = "*";

/// PostgreSQL's notification channel for due jobs; each notification's payload is a
/// queue's name or [`ANY_QUEUE`].
pub const CHANNEL: &str = "jobs_due";

/// Sends PostgreSQL's wake-ups, from a task of its own: the queues that commits named
/// while it was sending go together in the next statement, each once.
#[derive(Debug)]
pub struct Notifier {
    asked: tokio::sync::mpsc::UnboundedSender<Vec<String>>,
}

impl Notifier {
    /// Starts the task, which ends when the notifier is dropped.
    pub fn new(pool: sqlx::PgPool) -> Notifier {
        let (asked, mut waiting) = tokio::sync::mpsc::unbounded_channel::<Vec<String>>();
        tokio::spawn(async move {
            while let Some(mut queues) = waiting.recv().await {
                while let Ok(more) = waiting.try_recv() {
                    queues.extend(more);
                }
                queues.sort();
                queues.dedup();
                let sent = sqlx::query("SELECT pg_notify($1, q) FROM unnest($2::text[]) AS q")
                    .bind(CHANNEL)
                    .bind(&queues)
                    .execute(&pool)
                    .await;
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "could not wake the workers; they will find the jobs at their next poll");
                }
            }
        });
        Notifier { asked }
    }

    /// Tells the listeners of `queues`, soon; never waits.
    pub fn wake(&self, queues: &[String]) {
        let _ = self.asked.send(queues.to_vec());
    }
}

/// The folder of a SQLite database file's wake-up sockets.
pub fn folder_of(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push("-wake");
    PathBuf::from(name)
}

/// How a process wakes the idle workers of others, by backend.
#[derive(Debug)]
pub(crate) enum Wakes {
    /// SQLite: datagrams to the sockets beside the file.
    Sockets(Waker),
    /// PostgreSQL: notifications.
    Notify(Notifier),
}

impl Wakes {
    pub(crate) fn wake(&self, queues: &[String]) {
        match self {
            Wakes::Sockets(waker) => waker.wake(queues),
            Wakes::Notify(notifier) => notifier.wake(queues),
        }
    }
}

/// Sends wake-ups to the listeners in one folder.
#[derive(Debug)]
pub struct Waker {
    folder: PathBuf,
    socket: Option<UnixDatagram>,
    /// The listeners' sockets as last read, and the folder's modification time then.
    listeners: Mutex<(Option<SystemTime>, Vec<PathBuf>)>,
}

impl Waker {
    /// The folder whose listeners it wakes.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    pub fn new(folder: PathBuf) -> Waker {
        let socket = UnixDatagram::unbound()
            .and_then(|s| s.set_nonblocking(true).map(|()| s))
            .map_err(|e| tracing::warn!(error = %e, "cannot send wake-ups; workers will poll"))
            .ok();
        Waker {
            folder,
            socket,
            listeners: Mutex::new((None, Vec::new())),
        }
    }

    /// Tells every listener that jobs of `queues` may be claimable.
    pub fn wake(&self, queues: &[String]) {
        let Some(socket) = &self.socket else { return };
        let modified = std::fs::metadata(&self.folder)
            .and_then(|m| m.modified())
            .ok();
        let mut listeners = self.listeners.lock().unwrap_or_else(|e| e.into_inner());
        if modified.is_none() {
            // Nobody has listened here yet.
            return;
        }
        if listeners.0 != modified {
            let read = std::fs::read_dir(&self.folder)
                .map(|entries| {
                    entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.extension().is_some_and(|x| x == "sock"))
                        .collect()
                })
                .unwrap_or_default();
            *listeners = (modified, read);
        }
        let mut gone = Vec::new();
        for path in &listeners.1 {
            for queue in queues {
                match socket.send_to(queue.as_bytes(), path) {
                    Ok(_) => {}
                    // Its process died without removing it: nobody reads it.
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::NotFound
                        ) =>
                    {
                        gone.push(path.clone());
                        break;
                    }
                    // A full buffer: that listener has wake-ups waiting already.
                    Err(_) => {}
                }
            }
        }
        if !gone.is_empty() {
            for path in &gone {
                let _ = std::fs::remove_file(path);
            }
            listeners.1.retain(|p| !gone.contains(p));
        }
    }
}

/// A bound listening socket; its file is removed when it is dropped.
#[derive(Debug)]
pub struct Listener {
    pub socket: tokio::net::UnixDatagram,
    path: PathBuf,
}

impl Listener {
    /// Binds a new socket in `folder` (made if missing, readable by this user only).
    pub fn bind(folder: &Path) -> std::io::Result<Listener> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        std::fs::create_dir_all(folder)?;
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o700));
        }
        let path = folder.join(format!(
            "{}-{}.sock",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        // A file left by an earlier process of the same id.
        let _ = std::fs::remove_file(&path);
        let socket = tokio::net::UnixDatagram::bind(&path)?;
        Ok(Listener { socket, path })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_listener_hears_the_queues_woken_and_a_dead_one_s_socket_is_removed() {
        let dir = std::env::temp_dir().join(format!("wake-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let folder = folder_of(&dir.join("x.db"));
        assert!(folder.ends_with("x.db-wake"));
        let waker = Waker::new(folder.clone());
        // Nobody listening yet: nothing to do, nothing made.
        waker.wake(&["assignment".into()]);
        assert!(!folder.exists());

        let listener = Listener::bind(&folder).unwrap();
        // A process killed leaves its socket's file behind, with nobody reading it.
        let dead = folder.join("999999-0.sock");
        drop(UnixDatagram::bind(&dead).unwrap());
        assert!(dead.exists());
        waker.wake(&["assignment".into(), ANY_QUEUE.into()]);
        let mut buf = [0u8; 64];
        let n = listener.socket.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"assignment");
        let n = listener.socket.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"*");
        assert!(!dead.exists(), "the dead listener's socket is removed");
        // A listener dropped removes its own.
        let own = listener.path.clone();
        drop(listener);
        assert!(!own.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
