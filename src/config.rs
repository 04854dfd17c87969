//! Configuration: the shipped `config/default.toml` (built in), an optional `--config FILE` on top,
//! and `LOA_<SECTION>__<KEY>` environment variables over both. The raw layers are read into
//! [`RawSettings`] and then parsed into [`Config`], whose fields are typed values: whatever holds a
//! `Config` never has to check a URL, a time zone or a cron expression again.
//!
//! The bot token is read from the environment only and held as a [`SecretString`]: it never
//! appears in `Debug` output, logs or errors.

use std::collections::BTreeSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono_tz::Tz;
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use crate::i18n::Locale;

/// The shipped defaults, built into the binary.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// Environment variables that hold the bot token, in order of preference.
pub const TOKEN_VARS: [&str; 2] = ["LOA_TELEGRAM__TOKEN", "TELOXIDE_TOKEN"];
/// Environment variable that holds the webhook secret token.
pub const WEBHOOK_SECRET_VAR: &str = "LOA_TELEGRAM__WEBHOOK__SECRET";
/// Where the bearer token that `/metrics` asks for comes from (none: `/metrics` is open to
/// whoever reaches `http.listen`).
pub const METRICS_TOKEN_VAR: &str = "LOA_HTTP__METRICS_TOKEN";

/// A configuration value Loa cannot use. Displays as one line: key, value, expectation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid configuration: {key} = {value}: expected {expected}{}", source_suffix(.origin))]
pub struct ConfigError {
    /// Dotted key, e.g. `delivery.messages_per_second`.
    pub key: String,
    /// The offending value as written (never a secret).
    pub value: String,
    /// What would have been accepted.
    pub expected: String,
    /// Where the value came from, when known (a file, the environment).
    pub origin: Option<String>,
}

fn source_suffix(origin: &Option<String>) -> String {
    origin.as_ref().map(|o| format!(" (from {o})")).unwrap_or_default()
}

impl ConfigError {
    fn new(key: &str, value: impl fmt::Display, expected: impl Into<String>) -> Self {
        ConfigError { key: key.into(), value: value.to_string(), expected: expected.into(), origin: None }
    }
}

// ----- the raw layers -------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    telegram: RawTelegram,
    database: RawDatabase,
    time: RawTime,
    delivery: RawDelivery,
    schedule: RawSchedule,
    packs: RawPacks,
    organisation: RawOrganisation,
    situations: RawSituations,
    invites: RawInvites,
    i18n: RawI18n,
    staff: RawStaff,
    http: RawHttp,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTelegram {
    api_url: String,
    proxy: String,
    local_mode: bool,
    mode: String,
    bot_username: String,
    webhook: RawWebhook,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    listen: String,
    public_url: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    url: String,
    data_dir: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTime {
    timezone: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDelivery {
    messages_per_second: i64,
    paid_broadcast: bool,
    max_attempts: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    monthly_slot: String,
    quarterly_slot: String,
    reminders: String,
    remind_after_days: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPacks {
    default_deadline_days: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSituations {
    topics: Vec<String>,
    request_slot: String,
    request_days: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrganisation {
    levels: Vec<String>,
    board: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInvites {
    ttl_days: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawI18n {
    default_locale: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStaff {
    admins: Vec<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    listen: String,
    public_url: String,
}

// ----- the typed configuration ----------------------------------------------------------------

/// How updates reach Loa.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Polling,
    Webhook,
}

/// A cron expression that parsed (six or seven fields, seconds first), with its source text.
#[derive(Clone)]
pub struct CronSlot {
    pub expr: String,
    pub schedule: cron::Schedule,
}

impl fmt::Debug for CronSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronSlot({:?})", self.expr)
    }
}

impl CronSlot {
    pub fn parse(expr: &str) -> Result<Self, String> {
        let fields = expr.split_whitespace().count();
        if !(expr.starts_with('@') || fields == 6 || fields == 7) {
            return Err(format!(
                "a cron expression with 6 or 7 fields, seconds first (\"sec min hour day month weekday [year]\"), got {fields} field(s)"
            ));
        }
        cron::Schedule::from_str(expr)
            .map(|schedule| CronSlot { expr: expr.to_string(), schedule })
            .map_err(|e| format!("a valid cron expression (sec min hour day month weekday [year]): {e}"))
    }
}

/// How Loa reaches the Bot API (`telegram.proxy`).
#[derive(Clone, PartialEq, Eq)]
pub enum Proxy {
    /// The process's HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY, read as curl reads them.
    Environment,
    /// No proxy, whatever the environment says.
    Direct,
    /// Every Bot API request through this proxy (http, https, socks5 or socks5h).
    Url(Url),
}

/// The schemes a proxy may have.
pub const PROXY_SCHEMES: [&str; 4] = ["http", "https", "socks5", "socks5h"];

impl Proxy {
    /// Reads `telegram.proxy`.
    pub fn parse(value: &str) -> Result<Proxy, ConfigError> {
        let v = value.trim();
        if v.is_empty() {
            return Ok(Proxy::Environment);
        }
        if v.eq_ignore_ascii_case("direct") {
            return Ok(Proxy::Direct);
        }
        let wrong = || {
            ConfigError::new(
                "telegram.proxy",
                format!("{:?}", redact_url(v)),
                "empty (the HTTPS_PROXY / ALL_PROXY variables), \"direct\", or a proxy URL such as \
                 \"socks5h://127.0.0.1:1080\" or \"http://user:password@proxy.example:3128\" \
                 (schemes http, https, socks5, socks5h)",
            )
        };
        match Url::parse(v) {
            Ok(u) if PROXY_SCHEMES.contains(&u.scheme()) && u.host_str().is_some_and(|h| !h.is_empty()) => {
                Ok(Proxy::Url(u))
            }
            _ => Err(wrong()),
        }
    }

    /// The proxy's password (kept out of the logs), when it has one.
    pub fn password(&self) -> Option<String> {
        match self {
            Proxy::Url(u) => u.password().map(|p| p.to_string()),
            _ => None,
        }
    }
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Proxy::Environment => f.write_str("Environment"),
            Proxy::Direct => f.write_str("Direct"),
            Proxy::Url(u) => write!(f, "Url({})", redact_url(u.as_str())),
        }
    }
}

/// `url` with its password (if any) shown as `***`: what the logs and error messages show of a
/// proxy's address. Text that is not a URL comes back as it was, its `user:password@` part hidden.
pub fn redact_url(url: &str) -> String {
    if let Ok(mut u) = Url::parse(url)
        && u.password().is_some()
    {
        let _ = u.set_password(Some("***"));
        return u.to_string();
    }
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s + 3 => format!("{}***@{}", &url[..s + 3], &url[at + 1..]),
        _ => url.to_string(),
    }
}

#[derive(Debug, Clone)]
pub struct TelegramConfig {
    pub api_url: Url,
    /// How the Bot API is reached (`telegram.proxy`).
    pub proxy: Proxy,
    /// The Bot API server runs with `--local` and shares its files with Loa (`telegram.local_mode`).
    pub local_mode: bool,
    pub mode: Mode,
    pub bot_username: Option<String>,
    pub webhook_listen: SocketAddr,
    pub webhook_public_url: Option<Url>,
    pub webhook_secret: Option<SecretString>,
}

#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    pub messages_per_second: u32,
    pub paid_broadcast: bool,
    pub max_attempts: u32,
}

#[derive(Debug, Clone)]
pub struct ScheduleConfig {
    pub monthly_slot: CronSlot,
    pub quarterly_slot: CronSlot,
    pub reminders: CronSlot,
    pub remind_after_days: u32,
}

/// The organisation's tree as people name it.
#[derive(Debug, Clone)]
pub struct OrganisationConfig {
    /// The names of the levels, from the root (level 0) down.
    pub levels: Vec<String>,
    /// The board's name, as its people and the cells know it (in what Loa says of itself).
    pub board: String,
}

impl OrganisationConfig {
    /// The name of level `depth` (0 is the province's committee); "Cấp N" past the names given.
    pub fn level_name(&self, depth: i64) -> String {
        usize::try_from(depth).ok().and_then(|d| self.levels.get(d).cloned()).unwrap_or_else(|| format!("Cấp {depth}"))
    }

    /// The level a name stands for (compared without case), or a number given as one.
    pub fn level_of(&self, name: &str) -> Option<i64> {
        let name = name.trim();
        if let Ok(n) = name.parse::<i64>() {
            return (0..=100).contains(&n).then_some(n);
        }
        self.levels.iter().position(|l| l.to_lowercase() == name.to_lowercase()).map(|i| i as i64)
    }
}

/// Loa's validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub telegram: TelegramConfig,
    pub database_url: String,
    /// The folder of the stored files (`database.data_dir`), resolved: the key, else the SQLite
    /// database's folder, else `data`.
    pub data_dir: std::path::PathBuf,
    pub timezone: Tz,
    pub delivery: DeliveryConfig,
    pub schedule: ScheduleConfig,
    pub default_deadline_days: u32,
    pub organisation: OrganisationConfig,
    /// The topics a situation report is filed under, in the order cells choose from.
    pub situation_topics: Vec<String>,
    /// When every cell is asked for its periodic situation report; `None` when it is not asked.
    pub situation_request: Option<CronSlot>,
    /// Days a cell has to answer a situation request.
    pub situation_request_days: u32,
    pub invite_ttl_days: u32,
    pub default_locale: Locale,
    pub admins: BTreeSet<i64>,
    pub http_listen: SocketAddr,
    /// The address staff open the web desk at (`http.public_url`; by default `http://` and
    /// `http.listen`), with a trailing `/`: the base of the sign-in links `/web` gives.
    pub web_url: Url,
    /// The bearer token `/metrics` asks for, from the environment ([`METRICS_TOKEN_VAR`]).
    pub metrics_token: Option<SecretString>,
    /// The bot token, from the environment; `None` when not set.
    pub token: Option<SecretString>,
}

/// One province of a process serving several ([`Config::load_provinces`]).
#[derive(Debug, Clone)]
pub struct Province {
    /// Its file's name without `.toml`, as the logs name it.
    pub name: String,
    pub file: PathBuf,
    pub config: Config,
}

/// `prefix` and the province's name in capitals, `-` as `_`: `LOA_TOKEN_THAI_NGUYEN`.
pub fn province_var(prefix: &str, name: &str) -> String {
    format!("{prefix}{}", name.to_ascii_uppercase().replace('-', "_"))
}

/// `p` from the current folder when it is relative (two provinces naming one file differently).
fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The layers without the process environment's token: defaults, then `file`, then `LOA_*`.
pub fn figment(file: Option<&Path>) -> Figment {
    let mut fig = Figment::from(Toml::string(DEFAULT_TOML));
    if let Some(f) = file {
        fig = fig.merge(Toml::file_exact(f));
    }
    fig.merge(
        Env::prefixed("LOA_")
            // only sectioned keys are configuration; the secrets are read on their own
            .filter(|k| {
                let k = k.as_str().to_ascii_lowercase();
                k.contains("__")
                    && k != "telegram__token"
                    && k != "telegram__webhook__secret"
                    && k != "http__metrics_token"
            })
            .split("__"),
    )
}

fn env_secret(vars: &[&str]) -> Option<SecretString> {
    vars.iter()
        .filter_map(|v| std::env::var(v).ok())
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
        .map(SecretString::from)
}

impl Config {
    /// Reads the configuration the way `loa` does: defaults, `file`, the environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        if let Some(f) = file.filter(|f| !f.is_file()) {
            return Err(ConfigError::new("--config", f.display(), "a readable TOML file"));
        }
        let mut config = Config::from_figment(figment(file))?;
        config.token = env_secret(&TOKEN_VARS);
        config.telegram.webhook_secret = env_secret(&[WEBHOOK_SECRET_VAR]);
        config.metrics_token = env_secret(&[METRICS_TOKEN_VAR]);
        config.check_secrets()?;
        Ok(config)
    }

    /// The provinces of a process that serves several (`loa serve --provinces DIR`): every
    /// `DIR/<name>.toml`, each layered over the defaults, the shared `file` and the `LOA_*`
    /// variables (so a province's file has the last word on its own keys). A province's bot
    /// token is read from `LOA_TOKEN_<NAME>` (the name in capitals, `-` as `_`), its webhook secret
    /// from `LOA_WEBHOOK_SECRET_<NAME>`; the metrics token is shared. Refused: no province, a name
    /// that is not `a-z 0-9 -`, a missing token, and two provinces with the same bot, database
    /// file or listening address.
    pub fn load_provinces(file: Option<&Path>, dir: &Path) -> Result<Vec<Province>, ConfigError> {
        if let Some(f) = file.filter(|f| !f.is_file()) {
            return Err(ConfigError::new("--config", f.display(), "a readable TOML file"));
        }
        let entries = std::fs::read_dir(dir).map_err(|e| {
            ConfigError::new("--provinces", dir.display(), format!("a folder of <province>.toml files ({e})"))
        })?;
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(ConfigError::new(
                "--provinces",
                dir.display(),
                "a folder with one <province>.toml per province (none found)",
            ));
        }
        let metrics_token = env_secret(&[METRICS_TOKEN_VAR]);
        let mut provinces: Vec<Province> = Vec::new();
        for path in files {
            let name = path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
            let ok_name = !name.is_empty()
                && name.len() <= 40
                && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !name.starts_with('-');
            if !ok_name {
                return Err(ConfigError::new(
                    "--provinces",
                    path.display(),
                    "file names of a-z, 0-9 and - (the province's name, e.g. thai-nguyen.toml)",
                ));
            }
            let origin = |mut e: ConfigError| {
                if e.origin.is_none() {
                    e.origin = Some(path.display().to_string());
                }
                e
            };
            let mut config = Config::from_figment(figment(file).merge(Toml::file_exact(&path))).map_err(origin)?;
            let token_var = province_var("LOA_TOKEN_", &name);
            config.token = env_secret(&[&token_var]);
            if config.token.is_none() {
                return Err(origin(ConfigError::new(
                    &token_var,
                    "(not set)",
                    format!("the bot token of province {name}, from BotFather, in the environment"),
                )));
            }
            config.telegram.webhook_secret = env_secret(&[&province_var("LOA_WEBHOOK_SECRET_", &name)]);
            config.metrics_token = metrics_token.clone();
            config.check_secrets().map_err(origin)?;
            for other in &provinces {
                let same = |what: &str, value: String| {
                    origin(ConfigError::new(
                        what,
                        value,
                        format!("a value of its own: province {} has the same", other.name),
                    ))
                };
                let here = crate::db::file_of(&config.database_url).map(|f| absolute(&f));
                let same_file =
                    here.is_some() && here == crate::db::file_of(&other.config.database_url).map(|f| absolute(&f));
                // two provinces in one PostgreSQL database would mix their registries
                let same_server_database = crate::db::Backend::of_url(&config.database_url)
                    == Some(crate::db::Backend::Postgres)
                    && config.database_url == other.config.database_url;
                if same_file || same_server_database {
                    return Err(same("database.url", format!("{:?}", redact_url(&config.database_url))));
                }
                if config.http_listen.port() != 0 && config.http_listen == other.config.http_listen {
                    return Err(same("http.listen", format!("{:?}", config.http_listen.to_string())));
                }
                if config.telegram.mode == Mode::Webhook
                    && other.config.telegram.mode == Mode::Webhook
                    && config.telegram.webhook_listen == other.config.telegram.webhook_listen
                {
                    return Err(same(
                        "telegram.webhook.listen",
                        format!("{:?}", config.telegram.webhook_listen.to_string()),
                    ));
                }
                let (a, b) = (
                    config.token.as_ref().map(|t| t.expose_secret().to_string()),
                    other.config.token.as_ref().map(|t| t.expose_secret().to_string()),
                );
                if a.is_some() && a == b {
                    return Err(same(&token_var, "(hidden)".to_string()));
                }
            }
            provinces.push(Province { name, file: path, config });
        }
        Ok(provinces)
    }

    /// The configuration of a run on a stage of its own (the demo, the test harness, the
    /// benchmarks): the shipped defaults with this database and the health listener on a free
    /// port; with `bot_api`, that Bot API (a simulator's address and token); with `per_second`,
    /// that sending rate (paid broadcast above Telegram's free 30 a second). Nothing is read from
    /// the environment.
    pub fn for_simulator(
        database_url: &str,
        bot_api: Option<(&str, &str)>,
        per_second: Option<u32>,
    ) -> Result<Config, ConfigError> {
        use figment::providers::Serialized;
        let mut fig = Figment::from(Toml::string(DEFAULT_TOML))
            .merge(Serialized::default("database.url", database_url))
            .merge(Serialized::default("http.listen", "127.0.0.1:0"));
        if let Some((url, _)) = bot_api {
            fig = fig.merge(Serialized::default("telegram.api_url", url));
        }
        if let Some(n) = per_second {
            fig = fig
                .merge(Serialized::default("delivery.messages_per_second", n))
                .merge(Serialized::default("delivery.paid_broadcast", n > 30));
        }
        let mut config = Config::from_figment(fig)?;
        config.token = bot_api.map(|(_, token)| SecretString::from(token));
        Ok(config)
    }

    /// Parses an already layered figment (tests build their own); no token is read.
    pub fn from_figment(fig: Figment) -> Result<Config, ConfigError> {
        let raw: RawSettings = fig.extract().map_err(figment_error)?;
        Config::parse(raw)
    }

    fn check_secrets(&self) -> Result<(), ConfigError> {
        if let Some(t) = &self.token {
            let t = t.expose_secret();
            let looks_right = t
                .split_once(':')
                .is_some_and(|(id, rest)| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) && !rest.is_empty());
            if !looks_right {
                return Err(ConfigError::new(
                    "telegram.token",
                    "(hidden)",
                    "a bot token as BotFather gives it, \"<bot id>:<secret>\", in LOA_TELEGRAM__TOKEN",
                ));
            }
        }
        if let Some(s) = &self.telegram.webhook_secret {
            let s = s.expose_secret();
            if s.len() > 256 || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                return Err(ConfigError::new(
                    "telegram.webhook.secret",
                    "(hidden)",
                    "1-256 characters of A-Z a-z 0-9 _ - in LOA_TELEGRAM__WEBHOOK__SECRET",
                ));
            }
        }
        if let Some(s) = &self.metrics_token
            && s.expose_secret().len() < 16
        {
            return Err(ConfigError::new(
                "http.metrics_token",
                "(hidden)",
                "at least 16 characters in LOA_HTTP__METRICS_TOKEN (a bearer token for /metrics)",
            ));
        }
        if self.telegram.mode == Mode::Webhook && self.telegram.webhook_public_url.is_none() {
            return Err(ConfigError::new(
                "telegram.webhook.public_url",
                "\"\"",
                "the public HTTPS URL Telegram should call when telegram.mode = \"webhook\"",
            ));
        }
        Ok(())
    }

    fn parse(raw: RawSettings) -> Result<Config, ConfigError> {
        let api_url = match Url::parse(&raw.telegram.api_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
            _ => {
                return Err(ConfigError::new(
                    "telegram.api_url",
                    format!("{:?}", raw.telegram.api_url),
                    "an http(s) URL such as \"https://api.telegram.org\"",
                ));
            }
        };
        let proxy = Proxy::parse(&raw.telegram.proxy)?;
        let mode = match raw.telegram.mode.as_str() {
            "polling" => Mode::Polling,
            "webhook" => Mode::Webhook,
            other => return Err(ConfigError::new("telegram.mode", format!("{other:?}"), "\"polling\" or \"webhook\"")),
        };
        let bot_username = match raw.telegram.bot_username.trim().trim_start_matches('@') {
            "" => None,
            u if (5..=32).contains(&u.len()) && u.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                Some(u.to_string())
            }
            _ => {
                return Err(ConfigError::new(
                    "telegram.bot_username",
                    format!("{:?}", raw.telegram.bot_username),
                    "the bot's username: 5-32 characters of A-Z a-z 0-9 _, or empty to ask Telegram",
                ));
            }
        };
        let webhook_listen = socket("telegram.webhook.listen", &raw.telegram.webhook.listen)?;
        let webhook_public_url = match raw.telegram.webhook.public_url.trim() {
            "" => None,
            u => match Url::parse(u) {
                Ok(url) if url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url)) => Some(url),
                _ => {
                    return Err(ConfigError::new(
                        "telegram.webhook.public_url",
                        format!("{u:?}"),
                        "an https URL that Telegram can reach (ports 443, 80, 88 or 8443)",
                    ));
                }
            },
        };
        let database_url = raw.database.url.trim().to_string();
        if crate::db::Backend::of_url(&database_url).is_none() {
            return Err(ConfigError::new(
                "database.url",
                format!("{:?}", redact_url(&database_url)),
                "a SQLite URL such as \"sqlite://data/loa.db\", or a PostgreSQL one such as \"postgres://loa:password@localhost/loa\"",
            ));
        }
        crate::logging::register_secret_of_url(&database_url);
        let data_dir = match raw.database.data_dir.trim() {
            "" => crate::db::file_of(&database_url)
                .map(|f| f.parent().map(std::path::Path::to_path_buf).unwrap_or_default())
                .map(|d| if d.as_os_str().is_empty() { std::path::PathBuf::from(".") } else { d })
                .unwrap_or_else(|| std::path::PathBuf::from("data")),
            dir => std::path::PathBuf::from(dir),
        };
        let timezone: Tz = raw.time.timezone.parse().map_err(|_| {
            ConfigError::new(
                "time.timezone",
                format!("{:?}", raw.time.timezone),
                "an IANA time zone such as \"Asia/Ho_Chi_Minh\"",
            )
        })?;
        let paid = raw.delivery.paid_broadcast;
        let max_rate = if paid { 1000 } else { 30 };
        let messages_per_second = ranged(
            "delivery.messages_per_second",
            raw.delivery.messages_per_second,
            1,
            max_rate,
            if paid { "with paid_broadcast" } else { "without paid_broadcast (Telegram's free limit)" },
        )?;
        let max_attempts = ranged("delivery.max_attempts", raw.delivery.max_attempts, 1, 100, "")?;
        let cron = |key: &str, v: &str| CronSlot::parse(v).map_err(|e| ConfigError::new(key, format!("{v:?}"), e));
        let schedule = ScheduleConfig {
            monthly_slot: cron("schedule.monthly_slot", &raw.schedule.monthly_slot)?,
            quarterly_slot: cron("schedule.quarterly_slot", &raw.schedule.quarterly_slot)?,
            reminders: cron("schedule.reminders", &raw.schedule.reminders)?,
            remind_after_days: ranged("schedule.remind_after_days", raw.schedule.remind_after_days, 1, 60, "")?,
        };
        let default_deadline_days = ranged("packs.default_deadline_days", raw.packs.default_deadline_days, 1, 90, "")?;
        let invite_ttl_days = ranged("invites.ttl_days", raw.invites.ttl_days, 1, 365, "")?;
        let situation_request = match raw.situations.request_slot.trim() {
            "" => None,
            slot => Some(cron("situations.request_slot", slot)?),
        };
        let situation_request_days = ranged("situations.request_days", raw.situations.request_days, 1, 60, "")?;
        let situation_topics: Vec<String> =
            raw.situations.topics.iter().map(|t| crate::text::visible(t).trim().to_string()).collect();
        let distinct: std::collections::BTreeSet<String> = situation_topics.iter().map(|t| t.to_lowercase()).collect();
        if situation_topics.is_empty()
            || situation_topics.len() > 20
            || distinct.len() != situation_topics.len()
            || situation_topics.iter().any(|t| t.is_empty() || t.chars().count() > 60)
        {
            return Err(ConfigError::new(
                "situations.topics",
                format!("{:?}", raw.situations.topics),
                "1-20 different topics, each 1-60 characters",
            ));
        }
        let board = crate::text::visible(&raw.organisation.board).trim().to_string();
        if board.is_empty() || board.chars().count() > 120 {
            return Err(ConfigError::new(
                "organisation.board",
                format!("{:?}", raw.organisation.board),
                "the board's name, 1-120 characters",
            ));
        }
        let levels: Vec<String> =
            raw.organisation.levels.iter().map(|l| crate::text::visible(l).trim().to_string()).collect();
        if levels.is_empty() || levels.len() > 10 || levels.iter().any(|l| l.is_empty() || l.chars().count() > 60) {
            return Err(ConfigError::new(
                "organisation.levels",
                format!("{:?}", raw.organisation.levels),
                "1-10 names of the tree's levels, from the province's committee down, each 1-60 characters",
            ));
        }
        let default_locale = Locale::parse(&raw.i18n.default_locale).ok_or_else(|| {
            ConfigError::new("i18n.default_locale", format!("{:?}", raw.i18n.default_locale), "\"vi\" or \"en\"")
        })?;
        let mut admins = BTreeSet::new();
        for id in raw.staff.admins {
            if !(1..=(1i64 << 52)).contains(&id) {
                return Err(ConfigError::new("staff.admins", id, "Telegram user ids (positive integers)"));
            }
            admins.insert(id);
        }
        let http_listen = socket("http.listen", &raw.http.listen)?;
        let web_url = web_url(&raw.http.public_url, http_listen)?;
        Ok(Config {
            telegram: TelegramConfig {
                api_url,
                proxy,
                local_mode: raw.telegram.local_mode,
                mode,
                bot_username,
                webhook_listen,
                webhook_public_url,
                webhook_secret: None,
            },
            database_url,
            data_dir,
            timezone,
            delivery: DeliveryConfig { messages_per_second, paid_broadcast: paid, max_attempts },
            schedule,
            default_deadline_days,
            organisation: OrganisationConfig { levels, board },
            situation_topics,
            situation_request,
            situation_request_days,
            invite_ttl_days,
            default_locale,
            admins,
            http_listen,
            web_url,
            metrics_token: None,
            token: None,
        })
    }
}

/// `http.public_url`: an http(s) address with no query or fragment, ending in `/` (a path under
/// a reverse proxy is kept); empty: `http.listen` itself.
fn web_url(given: &str, listen: SocketAddr) -> Result<Url, ConfigError> {
    let given = given.trim();
    if given.is_empty() {
        return Ok(Url::parse(&format!("http://{listen}/")).expect("an address and port make a URL"));
    }
    let bad = || {
        ConfigError::new(
            "http.public_url",
            format!("{given:?}"),
            "the http(s) address staff open the web desk at, such as \"https://loa.example.vn/\" (no query), or empty",
        )
    };
    let mut url = Url::parse(given).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host().is_none()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(bad());
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
}

fn socket(key: &str, v: &str) -> Result<SocketAddr, ConfigError> {
    v.trim()
        .parse()
        .map_err(|_| ConfigError::new(key, format!("{v:?}"), "an address and port such as \"127.0.0.1:9090\""))
}

fn ranged(key: &str, v: i64, lo: u32, hi: u32, note: &str) -> Result<u32, ConfigError> {
    if v < lo as i64 || v > hi as i64 {
        let note = if note.is_empty() { String::new() } else { format!(" {note}") };
        return Err(ConfigError::new(key, v, format!("a whole number from {lo} to {hi}{note}")));
    }
    Ok(v as u32)
}

/// Turns figment's error (a type mismatch, an unknown key, a broken file) into one line.
fn figment_error(e: figment::Error) -> ConfigError {
    use figment::error::Kind;
    let key = e.path.join(".");
    let origin = e.metadata.as_ref().map(|m| match &m.source {
        Some(figment::Source::File(p)) => format!("{}", p.display()),
        _ => m.name.to_string(),
    });
    let (key, value, expected) = match &e.kind {
        Kind::InvalidType(actual, exp) => (key, actual.to_string(), exp.clone()),
        Kind::InvalidValue(actual, exp) => (key, actual.to_string(), exp.clone()),
        Kind::UnknownField(field, known) => {
            let full = if key.is_empty() {
                field.clone()
            } else if e.path.last() == Some(field) {
                key
            } else {
                format!("{key}.{field}")
            };
            (full, "(unknown key)".to_string(), format!("one of: {}", known.join(", ")))
        }
        Kind::MissingField(field) => {
            let full = if key.is_empty() || e.path.last().map(String::as_str) == Some(field.as_ref()) {
                if key.is_empty() { field.to_string() } else { key }
            } else {
                format!("{key}.{field}")
            };
            (full, "(missing)".to_string(), "a value".to_string())
        }
        Kind::Message(msg) => {
            // a TOML syntax error: keep the position and the reason, drop the drawn snippet
            let lines: Vec<&str> = msg
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('|') && !l.contains(" | ") && !l.starts_with('^'))
                .collect();
            (if key.is_empty() { "(file)".into() } else { key }, lines.join("; "), "valid TOML".to_string())
        }
        other => (if key.is_empty() { "(file)".into() } else { key }, other.to_string(), "valid TOML".to_string()),
    };
    ConfigError { key, value, expected, origin }
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::providers::Serialized;

    fn with(key: &str, value: impl serde::Serialize) -> Result<Config, ConfigError> {
        Config::from_figment(Figment::from(Toml::string(DEFAULT_TOML)).merge(Serialized::default(key, value)))
    }

    #[test]
    fn the_shipped_defaults_are_valid_and_match_the_design() {
        let c = Config::from_figment(Figment::from(Toml::string(DEFAULT_TOML))).unwrap();
        assert_eq!(c.telegram.api_url.as_str(), "https://api.telegram.org/");
        assert_eq!(c.telegram.mode, Mode::Polling);
        assert_eq!(c.database_url, "sqlite://data/loa.db");
        assert_eq!(c.timezone, chrono_tz::Asia::Ho_Chi_Minh);
        assert_eq!(c.delivery.messages_per_second, 30);
        assert_eq!(c.delivery.max_attempts, 8);
        assert_eq!(c.schedule.quarterly_slot.expr, "0 0 8 1 1,4,7,10 *");
        assert_eq!(c.schedule.remind_after_days, 3);
        assert_eq!(c.default_deadline_days, 10);
        assert_eq!(c.invite_ttl_days, 30);
        assert_eq!(c.default_locale, Locale::Vi);
        assert!(c.admins.is_empty());
        assert_eq!(c.http_listen.to_string(), "127.0.0.1:9090");
    }

    #[test]
    fn a_proxy_is_the_environment_s_direct_or_a_url_and_its_password_never_shows() {
        assert_eq!(with("telegram.proxy", "").unwrap().telegram.proxy, Proxy::Environment);
        assert_eq!(with("telegram.proxy", "Direct").unwrap().telegram.proxy, Proxy::Direct);
        assert!(!with("telegram.local_mode", false).unwrap().telegram.local_mode);
        assert!(with("telegram.local_mode", true).unwrap().telegram.local_mode);
        for ok in ["socks5h://127.0.0.1:1080", "socks5://10.0.0.1", "http://proxy.example:3128", "https://p.example"] {
            let c = with("telegram.proxy", ok).unwrap();
            assert!(matches!(c.telegram.proxy, Proxy::Url(ref u) if u.as_str().starts_with(ok)), "{ok}");
        }
        let c = with("telegram.proxy", "socks5://bi-thu:mat-khau-1@10.0.0.1:1080").unwrap();
        assert_eq!(c.telegram.proxy.password().as_deref(), Some("mat-khau-1"));
        let shown = format!("{c:?}");
        assert!(!shown.contains("mat-khau-1") && shown.contains("socks5://bi-thu:***@10.0.0.1:1080"), "{shown}");
        for bad in ["socks4://10.0.0.1:1080", "10.0.0.1:1080", "ftp://p.example", "socks5://"] {
            let e = with("telegram.proxy", bad).unwrap_err();
            assert_eq!(e.key, "telegram.proxy", "{bad}");
            assert!(e.to_string().contains("socks5h"), "{e}");
        }
        // a wrong value is named without its password
        let e = with("telegram.proxy", "socks9://u:secret-pw@h:1").unwrap_err();
        assert!(!e.to_string().contains("secret-pw") && e.to_string().contains("***"), "{e}");
        assert_eq!(redact_url("no url here"), "no url here");
    }

    #[test]
    fn the_levels_of_the_tree_are_named_by_the_configuration() {
        let c = with("organisation.levels", ["Tỉnh ủy", "Xã, phường"]).unwrap();
        assert_eq!(c.organisation.level_name(1), "Xã, phường");
        assert_eq!(c.organisation.level_name(4), "Cấp 4", "deeper than named");
        assert_eq!(c.organisation.level_of("xã, PHƯỜNG"), Some(1));
        assert_eq!(c.organisation.level_of("2"), Some(2));
        assert_eq!(c.organisation.level_of("huyện"), None);
        assert_eq!(
            Config::for_simulator("sqlite::memory:", None, None).unwrap().organisation.board,
            "Ban Tuyên giáo và Dân vận Tỉnh ủy"
        );
        let e = with("organisation.board", " \u{200b} ").unwrap_err().to_string();
        assert!(e.contains("organisation.board"), "{e}");
        let e = with("organisation.levels", Vec::<String>::new()).unwrap_err().to_string();
        assert!(e.contains("organisation.levels = []: expected 1-10 names"), "{e}");
        assert!(with("organisation.levels", ["Tỉnh", " "]).is_err(), "an empty name");
    }

    #[test]
    fn a_wrong_mode_names_key_value_and_choices() {
        let e = with("telegram.mode", "pollin").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid configuration: telegram.mode = \"pollin\": expected \"polling\" or \"webhook\""
        );
    }

    #[test]
    fn a_rate_above_the_free_limit_needs_paid_broadcast() {
        let e = with("delivery.messages_per_second", 100).unwrap_err();
        assert_eq!(e.key, "delivery.messages_per_second");
        assert!(e.to_string().contains("1 to 30"), "{e}");
        let c = Config::from_figment(
            Figment::from(Toml::string(DEFAULT_TOML))
                .merge(Serialized::default("delivery.paid_broadcast", true))
                .merge(Serialized::default("delivery.messages_per_second", 100)),
        )
        .unwrap();
        assert_eq!(c.delivery.messages_per_second, 100);
    }

    #[test]
    fn a_five_field_cron_is_refused_with_the_reason() {
        let e = with("schedule.reminders", "0 8 * * *").unwrap_err();
        assert_eq!(e.key, "schedule.reminders");
        assert!(e.to_string().contains("6 or 7 fields"), "{e}");
    }

    #[test]
    fn a_wrong_type_and_an_unknown_key_are_named() {
        let e = with("delivery.max_attempts", "many").unwrap_err();
        assert_eq!(e.key, "delivery.max_attempts");
        assert!(e.value.contains("many"), "{e}");
        let e = with("delivery.mesages_per_second", 10).unwrap_err();
        assert_eq!(e.key, "delivery.mesages_per_second");
        assert!(e.expected.contains("messages_per_second"), "{e}");
    }

    #[test]
    fn bad_time_zone_locale_and_url_are_refused() {
        assert_eq!(with("time.timezone", "Asia/Hanoi_City").unwrap_err().key, "time.timezone");
        assert_eq!(with("i18n.default_locale", "fr").unwrap_err().key, "i18n.default_locale");
        assert_eq!(with("telegram.api_url", "api.telegram.org").unwrap_err().key, "telegram.api_url");
        assert_eq!(with("database.url", "mysql://x").unwrap_err().key, "database.url");
        assert_eq!(with("database.url", "data/loa.db").unwrap_err().key, "database.url");
        assert!(with("database.url", "postgres://loa:pw@db/loa").is_ok(), "PostgreSQL is the second backend");
        assert_eq!(with("http.listen", "9090").unwrap_err().key, "http.listen");
        assert_eq!(with("staff.admins", vec![-5]).unwrap_err().key, "staff.admins");
    }

    #[test]
    fn the_token_is_never_shown_in_debug_output() {
        let mut c = Config::from_figment(Figment::from(Toml::string(DEFAULT_TOML))).unwrap();
        c.token = Some(SecretString::from("123:very-secret-token"));
        assert!(!format!("{c:?}").contains("very-secret-token"));
    }

    #[test]
    fn cron_slots_evaluate_in_the_configured_zone() {
        let c = Config::from_figment(Figment::from(Toml::string(DEFAULT_TOML))).unwrap();
        let after = chrono::TimeZone::with_ymd_and_hms(&c.timezone, 2023, 9, 15, 0, 0, 0).unwrap();
        let next = c.schedule.quarterly_slot.schedule.after(&after).next().unwrap();
        assert_eq!(next.to_string(), "2023-10-01 08:00:00 +07");
    }
}
