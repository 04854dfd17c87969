//! Logs: tracing to stderr, human-readable by default, JSON lines with `LOG_FORMAT=json`, filtered
//! by `RUST_LOG` (default `info`). Whatever is written goes through [`redact`], so the bot token,
//! the webhook secret and the metrics token never reach a log line even when a library puts the
//! request URL into an error; and what people wrote never does either when a library puts a raw
//! update into its message (teloxide's "invalid JSON" errors carry the whole answer, its "cannot
//! parse an update" lines the whole update: message texts, invite codes). Panics are logged
//! through the same way, not printed past it.

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

/// Remembers the password of `url` (a database's or a proxy's), when it has one.
pub fn register_secret_of_url(url: &str) {
    if let Some(p) = url::Url::parse(url).ok().and_then(|u| u.password().map(str::to_string)) {
        register_secret(&p);
    }
}

/// `text` without the raw JSON that teloxide puts into an error (`(raw: "...")`, the quoted text
/// Debug-escaped) nor the update it puts into a "Cannot parse an update." line.
fn without_raw_updates(text: &str) -> std::borrow::Cow<'_, str> {
    const PARSE: &str = "Cannot parse an update.";
    const RAW: &str = "(raw: \"";
    if !text.contains(PARSE) && !text.contains(RAW) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    if let Some(i) = rest.find(PARSE) {
        // the line goes on with the error and the update, over several lines: only the event's end
        out.push_str(&rest[..i + PARSE.len()]);
        out.push_str(" (its content is not logged)");
        rest = rest[i..].find("\n\n").map(|j| &rest[i + j..]).unwrap_or("\n");
        if !rest.ends_with('\n') {
            rest = "\n";
        }
    }
    while let Some(i) = rest.find(RAW) {
        out.push_str(&rest[..i]);
        let quoted = &rest[i + RAW.len()..];
        // the end of the Debug-quoted text: a quote not escaped
        let mut end = None;
        let mut escaped = false;
        for (k, ch) in quoted.char_indices() {
            match ch {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    end = Some(k);
                    break;
                }
                _ => {}
            }
        }
        match end {
            Some(k) => {
                out.push_str(&format!("(raw: <{k} bytes not logged>"));
                rest = &quoted[k + 1..];
            }
            None => {
                out.push_str("(raw: <not logged>)\n");
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.into()
}

/// `text` with every registered secret replaced by `<hidden>`, and without raw updates.
pub fn redact(text: &str) -> String {
    let secrets = SECRETS.read().unwrap_or_else(|p| p.into_inner());
    let mut out = without_raw_updates(text).into_owned();
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

/// [`init`] with each line naming its thread: for `loa serve --provinces`, whose provinces each
/// run on threads named `province:<name>`.
pub fn init_with_thread_names() {
    init_inner("info,sqlx=warn,hyper=warn,reqwest=warn", true);
}

/// [`init`] with another filter when RUST_LOG is not set (`loa demo` is quiet by default).
pub fn init_with(default_filter: &str) {
    init_inner(default_filter, false);
}

fn init_inner(default_filter: &str, thread_names: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let json = std::env::var("LOG_FORMAT").map(|v| v.eq_ignore_ascii_case("json")).unwrap_or(false);
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_thread_names(thread_names)
        .with_writer(RedactingStderr);
    let result = if json { builder.json().try_init() } else { builder.try_init() };
    if result.is_ok() {
        // a panic's message may hold anything (a token in a URL, a user's text): log it as an
        // event, through the redactor, instead of the default hook's print to stderr
        std::panic::set_hook(Box::new(|info| {
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".into());
            let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
            tracing::error!(panic = %redact(&message), at = %at, "a task panicked");
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_updates_in_errors_are_not_written_out() {
        let invalid = "getUpdates failed; polling again error=An error while parsing JSON: expected value at line 1 column 1 (raw: \"{\\\"text\\\":\\\"/start SECRETCODE\\\"}\") after";
        let got = redact(invalid);
        assert!(!got.contains("SECRETCODE"), "{got}");
        assert!(got.contains("(raw: <") && got.ends_with(" after"), "{got}");
        let parse = "ERROR teloxide: Cannot parse an update.\nError: Error(\"x\")\nValue: {\"message\":{\"text\":\"báo cáo mật\"}}\nThis is a bug";
        let got = redact(parse);
        assert!(!got.contains("báo cáo mật") && got.contains("not logged"), "{got}");
        assert_eq!(redact("nothing to hide"), "nothing to hide");
    }

    #[test]
    fn registered_secrets_are_hidden() {
        register_secret("4242:secret-value-xyz");
        assert_eq!(
            redact("error sending request for url (https://api.telegram.org/bot4242:secret-value-xyz/GetMe)"),
            "error sending request for url (https://api.telegram.org/bot<hidden>/GetMe)"
        );
    }
}
