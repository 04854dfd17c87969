//! The `loa` binary: parse the command line, set up logging, run the command, exit with its code.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    loa::tune_allocator();
    // A file-size limit (ulimit -f) reached is an error to report, like a full disk, not a signal
    // that ends the process: SQLite then answers "disk I/O error" and the write is tried again.
    // SAFETY: sets the process-wide disposition of one signal that nothing else in Loa handles.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    let cli = loa::cli::Cli::parse();
    if matches!(cli.command, loa::cli::Command::Demo { .. }) {
        // the demo shows its own progress; Loa's log stays for warnings
        loa::logging::init_with("warn");
    } else if matches!(cli.command, loa::cli::Command::Serve { provinces: Some(_) }) {
        loa::logging::init_with_thread_names();
    } else {
        loa::logging::init();
    }
    loa::cli::run(cli).await
}
