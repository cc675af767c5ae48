//! Waking idle workers when a job becomes claimable. On PostgreSQL a trigger on `jobs`
//! sends `NOTIFY jobs_due` with the queue's name at commit (migration 0004); one
//! listening connection per worker process turns it into a [`JobWakeup`]. SQLite has no
//! such signal: its workers share one host and rely on their poll alone.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::Notify;

use db::Pool;

use crate::Queue;

/// The notification channel of migration 0004's trigger.
const CHANNEL: &str = "jobs_due";

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
    /// wakeup is gone. On SQLite the wakeup never fires.
    pub fn wakeup(&self, queue: &str) -> JobWakeup {
        let wakeup = JobWakeup::default();
        if let Pool::Postgres(pool) = self.db.pool() {
            let (pool, queue, notify) = (pool.clone(), queue.to_owned(), Arc::downgrade(&wakeup.0));
            tokio::spawn(async move {
                let mut listener = loop {
                    let connected = async {
                        let mut listener = PgListener::connect_with(&pool).await?;
                        listener.listen(CHANNEL).await?;
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
                        Ok(n) if n.payload() == queue => notify.notify_one(),
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
