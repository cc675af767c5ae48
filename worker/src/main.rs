//! The `worker` binary: reads the configuration, sets up logging and runs the worker.

use clap::Parser;

// One thread: a worker's jobs wait on the database, and with two tokio threads every
// answer from a SQLite connection's thread woke one to hand the task to the other
// (a drain ran 10-20% faster on one: BENCHMARKS.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let config = worker::Config::parse();
    config.log.init();
    worker::run(config, runtime::shutdown_signal()).await
}
