//! Waking idle workers when a job becomes claimable. A transaction that makes jobs
//! claimable says so ([`db::Tx::wake`]); once it commits, the queue's name goes out
//! ([`db::wake`]): on PostgreSQL as `NOTIFY jobs_due`, which one listening connection per
//! worker process turns into a [`JobWakeup`]; on SQLite as a datagram to every listener's
//! socket beside the database file, which turns into the same wakeup.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::Notify;

use db::Pool;

use crate::Queue;

/// Fires when a job of one queue may have become claimable. A worker waits on it
/// together with its poll timer, so a lost notification costs one poll interval.
#[derive(Debug, Clone, Default)]
pub struct JobWakeup(Arc<Notify>);

impl JobWakeup {
    /// Resolves at the next notification (or at once if one came since the last wait).
    pub async fn notified(&self) {
        self.0.notified().await;
    }
}

impl Queue {
    /// Starts listening for jobs of `queue` becoming due. The listener reconnects by
    /// itself after the connection is lost, and stops when every clone of the returned
    /// wakeup is gone. On a SQLite database in memory the wakeup never fires.
    pub fn wakeup(&self, queue: &str) -> JobWakeup {
        let wakeup = JobWakeup::default();
        if let Some(folder) = self.db.wake_folder() {
            listen_beside_file(folder, queue, &wakeup);
        }
        if let Pool::Postgres(pool) = self.db.pool() {
            let (pool, queue, notify) = (pool.clone(), queue.to_owned(), Arc::downgrade(&wakeup.0));
            tokio::spawn(async move {
                let mut listener = loop {
                    let connected = async {
                        let mut listener = PgListener::connect_with(&pool).await?;
                        listener.listen(db::wake::CHANNEL).await?;
                        Ok::<_, sqlx::Error>(listener)
                    };
                    match connected.await {
                        Ok(listener) => break listener,
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot listen for due jobs yet; polling meanwhile");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                    }
                    if notify.strong_count() == 0 {
                        return;
                    }
                };
                loop {
                    let received = listener.recv().await;
                    let Some(notify) = notify.upgrade() else {
                        return;
                    };
                    match received {
                        Ok(n) if n.payload() == queue || n.payload() == db::wake::ANY_QUEUE => {
                            notify.notify_one()
                        }
                        Ok(_) => {}
                        Err(e) => {
                            // The next recv reconnects; until then the poll carries on.
                            tracing::warn!(error = %e, "lost the due-jobs listener; reconnecting");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                    }
                }
            });
        }
        wakeup
    }
}

/// Listens on a socket of its own in `folder` for wake-ups naming `queue` (or any queue),
/// until every clone of `wakeup` is gone (checked at each datagram, and each second).
fn listen_beside_file(folder: &std::path::Path, queue: &str, wakeup: &JobWakeup) {
    let listener = match db::wake::Listener::bind(folder) {
        Ok(listener) => listener,
        Err(e) => {
            tracing::warn!(error = %e, folder = %folder.display(), "cannot listen for due jobs; polling only");
            return;
        }
    };
    let (queue, notify) = (queue.to_owned(), Arc::downgrade(&wakeup.0));
    tokio::spawn(async move {
        let mut buf = [0u8; 256];
        loop {
            let received =
                tokio::time::timeout(Duration::from_secs(1), listener.socket.recv(&mut buf)).await;
            let Some(notify) = notify.upgrade() else {
                return;
            };
            match received {
                Ok(Ok(n)) => {
                    let named = &buf[..n];
                    if named == queue.as_bytes() || named == db::wake::ANY_QUEUE.as_bytes() {
                        notify.notify_one();
                    }
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "the due-jobs socket failed; polling only");
                    return;
                }
                // Only to look whether anyone still waits.
                Err(_) => {}
            }
        }
    });
}
