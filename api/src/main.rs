//! The `api` binary: reads the configuration, sets up logging and runs the API.

use clap::Parser;

fn main() -> anyhow::Result<()> {
    return_large_blocks_when_freed();
    let config = api::Config::parse();
    config.log.init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match &config.command {
        Some(api::config::Command::Backup { output }) => {
            let done =
                runtime.block_on(db::backup_sqlite(&config.database.database_url, output))?;
            println!(
                "backed up {} bookings to {} ({} bytes) in {} ms",
                done.bookings,
                done.path.display(),
                done.bytes,
                done.took.as_millis()
            );
            Ok(())
        }
        None => runtime.block_on(api::run(config)),
    }
}

/// Argon2 takes 19 MiB for each password it hashes or checks. glibc serves a block that
/// large with `mmap` and unmaps it when freed, but then raises that threshold to the
/// block's size, so that later ones come from the heap, which keeps them: measured, the
/// API went from 12 MB idle to 92 MB after one sign-in. A fixed threshold keeps large
/// blocks in `mmap`, given back as soon as the password is checked.
fn return_large_blocks_when_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called first in `main`, before any other thread exists (glibc's condition);
    // `mallopt` only sets a parameter of the allocator, and this one takes any size up to
    // 32 MiB. Fixing it is what disables the moving threshold.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}
