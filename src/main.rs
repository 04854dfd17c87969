//! The `loa` binary: parse the command line, set up logging, run the command, exit with its code.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = loa::cli::Cli::parse();
    loa::logging::init();
    loa::cli::run(cli).await
}
