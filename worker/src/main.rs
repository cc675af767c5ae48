//! The `worker` binary: reads the configuration, sets up logging and runs the worker.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = worker::Config::parse();
    config.log.init();
    worker::run(config, runtime::shutdown_signal()).await
}
