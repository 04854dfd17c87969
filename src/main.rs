//! The `loa` binary: parse the command line, set up logging, run the command, exit with its code.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = loa::cli::Cli::parse();
    if matches!(cli.command, loa::cli::Command::Demo { .. }) {
        // the demo shows its own progress; Loa's log stays for warnings
        loa::logging::init_with("warn");
    } else {
        loa::logging::init();
    }
    loa::cli::run(cli).await
}
