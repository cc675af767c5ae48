//! SQLite statements run on a transaction's own connection, on the caller's thread.
//!
//! sqlx runs each SQLite connection on a thread of its own and hands it every statement,
//! and every row and result back, through channels: two thread wake-ups or more per
//! statement. For a worker writing a batch of assignments (three statements and some
//! twenty rows and results each) those hand-offs cost more than SQLite's own work:
//! about 28 context switches per assignment, most of the worker's time (BENCHMARKS.md).
//! [`Tx::direct`] locks the connection away from its thread (sqlx's `lock_handle`: the
//! thread makes no call on it meanwhile) and lends it to a closure as a
//! [`rusqlite::Connection`], so a whole batch costs one hand-off.
//!
//! The statements are the same text as through sqlx, with PostgreSQL-style numbered
//! parameters (`$1` is the first value), and a script of several statements runs each
//! in turn, as sqlx does ([`Scripts`]).

use std::collections::HashMap;

use rusqlite::fallible_iterator::FallibleIterator;
use rusqlite::{Connection, Statement, ToSql};

use crate::backend::TxInner;
use crate::{Error, Tx};

impl Tx {
    /// Runs `work` on this SQLite transaction's connection (see the module
    /// documentation); `None` on PostgreSQL, whose statements have no such hand-off.
    /// What `work` writes is part of the transaction, committed or rolled back with it.
    pub async fn direct<R>(
        &mut self,
        work: impl FnOnce(&mut Scripts<'_>) -> R,
    ) -> Result<Option<R>, Error> {
        let TxInner::Sqlite { tx, .. } = &mut self.inner else {
            return Ok(None);
        };
        let mut handle = tx.lock_handle().await?;
        // SAFETY: while `handle` is held, the connection's own thread makes no call on it
        // or on its statements (sqlx's guarantee); the borrowed connection does not close
        // it, and is dropped, finalizing every statement it prepared, before `handle` is.
        let conn = unsafe { Connection::from_handle(handle.as_raw_handle().as_ptr()) }?;
        let out = {
            let mut scripts = Scripts {
                conn: &conn,
                prepared: HashMap::new(),
            };
            work(&mut scripts)
        };
        drop(conn);
        drop(handle);
        Ok(Some(out))
    }
}

/// The connection lent by [`Tx::direct`], with the scripts it has prepared (each once,
/// however often it runs).
pub struct Scripts<'c> {
    conn: &'c Connection,
    prepared: HashMap<&'static str, Vec<Statement<'c>>>,
}

impl Scripts<'_> {
    /// Runs each statement of `script` in turn with `params` (`$1` is `params[0]`), and
    /// returns the rows of the last, each read by `row`.
    pub fn query<T>(
        &mut self,
        script: &'static str,
        params: &[&dyn ToSql],
        mut row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<Vec<T>> {
        let conn = self.conn;
        let statements = match self.prepared.entry(script) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let mut batch = rusqlite::Batch::new(conn, script);
                let mut statements = Vec::new();
                while let Some(statement) = batch.next()? {
                    statements.push(statement);
                }
                e.insert(statements)
            }
        };
        let last = statements.len().saturating_sub(1);
        let mut out = Vec::new();
        for (i, statement) in statements.iter_mut().enumerate() {
            bind_numbered(statement, params)?;
            let mut rows = statement.raw_query();
            while let Some(r) = rows.next()? {
                if i == last {
                    out.push(row(r)?);
                }
            }
        }
        Ok(out)
    }

    /// Runs each statement of `script` in turn with `params`; the first column of the
    /// last statement's first row, if it returned one.
    pub fn scalar<T: rusqlite::types::FromSql>(
        &mut self,
        script: &'static str,
        params: &[&dyn ToSql],
    ) -> rusqlite::Result<Option<T>> {
        Ok(self.query(script, params, |r| r.get(0))?.into_iter().next())
    }

    /// Runs each statement of `script` in turn with `params`, for what they write.
    pub fn execute(&mut self, script: &'static str, params: &[&dyn ToSql]) -> rusqlite::Result<()> {
        self.query(script, params, |_| Ok(())).map(drop)
    }
}

/// Binds `params` to `statement` by number: its parameter `$n` (or `?n`) is
/// `params[n - 1]`, wherever and however often it appears.
fn bind_numbered(statement: &mut Statement<'_>, params: &[&dyn ToSql]) -> rusqlite::Result<()> {
    for index in 1..=statement.parameter_count() {
        let number = statement
            .parameter_name(index)
            .and_then(|name| name.get(1..))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(index);
        let value = params
            .get(number.wrapping_sub(1))
            .ok_or(rusqlite::Error::InvalidParameterCount(number, params.len()))?;
        statement.raw_bind_parameter(index, value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::Db;

    /// The SQLite pool of a test database (every one here is SQLite).
    fn sqlite(db: &Db) -> &sqlx::SqlitePool {
        match db.split() {
            crate::Either::Sqlite(p) => p,
            crate::Either::Postgres(_) => unreachable!(),
        }
    }

    /// A worker's connections keep temporary storage (a batch's savepoint journal) in
    /// memory; the API's keep SQLite's default (files, for the analytics' large sorts).
    #[tokio::test]
    async fn only_a_writes_workload_keeps_temporary_storage_in_memory() {
        for (workload, expected) in [(crate::Workload::Writes, 2), (crate::Workload::Mixed, 0)] {
            let db = Db::connect_for("sqlite::memory:", workload).await.unwrap();
            let temp_store: i64 = sqlx::query_scalar("PRAGMA temp_store")
                .fetch_one(sqlite(&db))
                .await
                .unwrap();
            assert_eq!(temp_store, expected, "{workload:?}");
        }
    }

    /// SQLite is compiled without its memory statistics (`.cargo/config.toml`): a build
    /// that lost the option would take a global mutex at every allocation again.
    #[tokio::test]
    async fn sqlite_is_compiled_without_memory_statistics() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        let options: Vec<String> = sqlx::query_scalar("PRAGMA compile_options")
            .fetch_all(sqlite(&db))
            .await
            .unwrap();
        assert!(
            options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
            "{options:?}"
        );
    }

    #[tokio::test]
    async fn a_script_runs_each_statement_in_the_transaction_with_numbered_parameters() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        let mut tx = db.write().await.unwrap();
        sqlx::raw_sql("CREATE TABLE t (a INTEGER, b TEXT)")
            .execute(&mut *match tx.split() {
                crate::Either::Sqlite(c) => c,
                crate::Either::Postgres(_) => unreachable!(),
            })
            .await
            .unwrap();
        let changed = tx
            .direct(|s| {
                const SCRIPT: &str = "INSERT INTO t (a, b) VALUES ($2, $1); \
                    UPDATE t SET a = a + $2 WHERE b = $1 AND changes() = 1; SELECT changes()";
                let first: Option<i64> = s.scalar(SCRIPT, &[&"x", &20_i64]).unwrap();
                let second: Option<i64> = s.scalar(SCRIPT, &[&"y", &1_i64]).unwrap();
                (first, second)
            })
            .await
            .unwrap();
        assert_eq!(changed, Some((Some(1), Some(1))));
        tx.commit().await.unwrap();
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT a, b FROM t ORDER BY b")
            .fetch_all(sqlite(&db))
            .await
            .unwrap();
        assert_eq!(rows, vec![(40, "x".to_owned()), (2, "y".to_owned())]);
    }
}
