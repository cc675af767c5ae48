//! An online backup of a SQLite database: a consistent copy of the file taken while the
//! service keeps writing (PostgreSQL has `pg_dump`; see the README's Backups).

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

/// What a backup wrote.
#[derive(Debug, Clone)]
pub struct Backup {
    pub path: PathBuf,
    pub bytes: u64,
    /// Bookings in the copy (a quick sign it holds what it should).
    pub bookings: i64,
    pub took: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("`api backup` copies a SQLite database; for PostgreSQL use pg_dump (README, Backups)")]
    NotSqlite,
    #[error("there is no database at {0}")]
    Missing(PathBuf),
    #[error("{0} already exists; choose a file that does not")]
    Exists(PathBuf),
    #[error("the copy failed its integrity check: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Copies the SQLite database at `url` to `output` with `VACUUM INTO`: one read
/// transaction, so the copy is the database as it was at one moment, every transaction
/// committed before it whole and none after it in part, while writers go on (WAL). The
/// copy is written beside `output` under a temporary name, checked (`PRAGMA
/// integrity_check`), synced and only then renamed: a failed backup leaves no file that
/// looks like one.
pub async fn backup_sqlite(url: &str, output: &Path) -> Result<Backup, BackupError> {
    if !url.starts_with("sqlite:") {
        return Err(BackupError::NotSqlite);
    }
    let source = SqliteConnectOptions::from_str(url)?
        .read_only(true)
        .busy_timeout(Duration::from_secs(10));
    if !source.get_filename().is_file() {
        return Err(BackupError::Missing(source.get_filename().to_path_buf()));
    }
    if output.exists() {
        return Err(BackupError::Exists(output.to_path_buf()));
    }
    let partial = PathBuf::from(format!("{}.partial", output.display()));
    let _ = std::fs::remove_file(&partial);
    // Readable by this user only, as the database is: `VACUUM INTO` fills an empty file.
    crate::new_private_file(&partial)?;
    let started = Instant::now();
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(source)
        .await?;
    let copied = sqlx::query("VACUUM INTO ?")
        .bind(partial.to_string_lossy().into_owned())
        .execute(&pool)
        .await;
    pool.close().await;
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&partial);
        return Err(e.into());
    }
    let checked = check_copy(&partial).await;
    let bookings = match checked {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, output)?;
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The rename itself survives a power cut once the folder is synced.
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(Backup {
        path: output.to_path_buf(),
        bytes: std::fs::metadata(output)?.len(),
        bookings,
        took: started.elapsed(),
    })
}

/// Checks a copy's integrity; how many bookings it holds.
async fn check_copy(path: &Path) -> Result<i64, BackupError> {
    let copy = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::new().filename(path).read_only(true))
        .await?;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&copy)
        .await?;
    let bookings = if check == "ok" {
        sqlx::query_scalar("SELECT COUNT(*) FROM bookings")
            .fetch_one(&copy)
            .await
            .map_err(BackupError::from)
    } else {
        Err(BackupError::Corrupt(check))
    };
    copy.close().await;
    bookings
}
