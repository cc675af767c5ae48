//! The `api` binary: reads the configuration, sets up logging and runs the API.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = api::Config::parse();
    config.common.log.init();
    api::run(config).await
}
