//! Logs: tracing to stderr, human-readable by default, JSON lines with `LOG_FORMAT=json`, filtered
//! by `RUST_LOG` (default `info`). Whatever is written goes through [`redact`], so the bot token
//! never reaches a log line even when a library puts the request URL into an error.

use std::io::{self, Write};
use std::sync::RwLock;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Remembers a secret that must never be written out.
pub fn register_secret(secret: &str) {
    if secret.len() < 8 {
        return;
    }
    let mut s = SECRETS.write().unwrap_or_else(|p| p.into_inner());
    if !s.iter().any(|x| x == secret) {
        s.push(secret.to_string());
    }
}

/// `text` with every registered secret replaced by `<hidden>`.
pub fn redact(text: &str) -> String {
    let secrets = SECRETS.read().unwrap_or_else(|p| p.into_inner());
    let mut out = text.to_string();
    for s in secrets.iter() {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "<hidden>");
        }
    }
    out
}

/// stderr, through [`redact`].
pub struct RedactingStderr;

impl Write for RedactingStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        io::stderr().write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = RedactingStderr;
    fn make_writer(&'a self) -> Self::Writer {
        RedactingStderr
    }
}

/// Sets up tracing once for the process.
pub fn init() {
    init_with("info,sqlx=warn,hyper=warn,reqwest=warn");
}

/// [`init`] with another filter when RUST_LOG is not set (`loa demo` is quiet by default).
pub fn init_with(default_filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let json = std::env::var("LOG_FORMAT").map(|v| v.eq_ignore_ascii_case("json")).unwrap_or(false);
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(RedactingStderr);
    let result = if json { builder.json().try_init() } else { builder.try_init() };
    let _ = result;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_are_hidden() {
        register_secret("4242:secret-value-xyz");
        assert_eq!(
            redact("error sending request for url (https://api.telegram.org/bot4242:secret-value-xyz/GetMe)"),
            "error sending request for url (https://api.telegram.org/bot<hidden>/GetMe)"
        );
    }
}
