//! `loa serve`: opens the database, reaches Telegram, registers the command menus and runs the
//! dispatcher, the scheduler and the delivery worker as tokio tasks sharing one pool until told to
//! stop; one [`CancellationToken`] stops them together, and the worker finishes its sends in flight.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::response::IntoResponse;
use secrecy::{ExposeSecret, SecretString};
use teloxide::prelude::*;
use teloxide::update_listeners::Polling;
use tokio_util::sync::CancellationToken;

use crate::bot::{self, Ctx};
use crate::config::{Config, Mode, Proxy};
use crate::delivery::worker::{Worker, WorkerOptions};

/// Why `loa serve` could not start, when the cause is the operator's input (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// No token in LOA_TELEGRAM__TOKEN or TELOXIDE_TOKEN.
    #[error("{}", MISSING_TOKEN)]
    MissingToken,
    /// Telegram (or the configured api_url) refused the token.
    #[error(
        "Telegram refused the bot token (Unauthorized): check LOA_TELEGRAM__TOKEN; BotFather's /token shows it again"
    )]
    TokenRefused,
    /// The database is in use by another `loa serve` (or a restore).
    #[error("{0}")]
    Busy(String),
    /// A configuration this version cannot run.
    #[error("{0}")]
    Unsupported(String),
}

/// How long one request to the Bot API may take (an upload of 50 MB on a slow line).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// The most idle connections to the Bot API kept open.
pub const IDLE_CONNECTIONS: usize = 256;
/// How long an idle connection to the Bot API is kept.
pub const IDLE_FOR: Duration = Duration::from_secs(20);

/// What `loa serve` says when it has no token.
pub const MISSING_TOKEN: &str = "loa serve needs a Telegram bot token, and none is set.\n\
  1. In Telegram, open @BotFather, send /newbot and follow its questions; it answers with a token like 123456789:AAH...\n\
  2. Set it in the environment: export LOA_TELEGRAM__TOKEN='123456789:AAH...'  (TELOXIDE_TOKEN is read too)\n\
  3. Run loa serve again.\n\
To try Loa without Telegram, run it against the built-in simulator: see `loa sim --help` and the README.";

/// Builds the Bot API client: the configured api_url, the standard proxy variables, a timeout
/// long enough for 50 MB uploads on a slow line, and at most [`IDLE_CONNECTIONS`] idle connections
/// kept, for [`IDLE_FOR`] at most: a burst (a batch of presses answered at once) opens hundreds,
/// and without a bound every one of them stayed open, with its buffers, for the next burst.
///
/// The proxy is `telegram.proxy`'s: the environment's variables (reqwest reads HTTPS_PROXY,
/// HTTP_PROXY, ALL_PROXY and NO_PROXY as curl does, SOCKS5 included), none, or the one given.
/// A proxy's password is kept out of the logs.
pub fn build_bot(config: &Config, token: &SecretString) -> anyhow::Result<Bot> {
    let mut builder = teloxide::net::default_reqwest_settings()
        .timeout(REQUEST_TIMEOUT)
        .pool_max_idle_per_host(IDLE_CONNECTIONS)
        .pool_idle_timeout(IDLE_FOR);
    builder = match &config.telegram.proxy {
        Proxy::Environment => {
            for (_, url) in environment_proxies() {
                if let Some(p) = url::Url::parse(&url).ok().and_then(|u| u.password().map(str::to_string)) {
                    crate::logging::register_secret(&p);
                }
            }
            builder
        }
        Proxy::Direct => builder.no_proxy(),
        Proxy::Url(u) => {
            if let Some(p) = config.telegram.proxy.password() {
                crate::logging::register_secret(&p);
            }
            let proxy = reqwest::Proxy::all(u.as_str())
                .with_context(|| format!("telegram.proxy {} cannot be used", crate::config::redact_url(u.as_str())))?;
            builder.proxy(proxy)
        }
    };
    let client = builder.build().context("failed to build the HTTP client")?;
    Ok(Bot::with_client(token.expose_secret(), client).set_api_url(config.telegram.api_url.clone()))
}

/// The proxy variables set in the environment, as (name, value), in the order curl weighs them.
pub fn environment_proxies() -> Vec<(&'static str, String)> {
    ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
        .into_iter()
        .filter_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()).map(|v| (k, v)))
        .collect()
}

/// One line for the log at start: how the Bot API is reached.
pub fn describe_route(config: &Config) -> String {
    match &config.telegram.proxy {
        Proxy::Direct => "directly (telegram.proxy = \"direct\")".to_string(),
        Proxy::Url(u) => format!("through the proxy {} (telegram.proxy)", crate::config::redact_url(u.as_str())),
        Proxy::Environment => {
            let set = environment_proxies();
            if set.is_empty() {
                "directly (no proxy set)".to_string()
            } else {
                let vars: Vec<String> =
                    set.iter().map(|(k, v)| format!("{k}={}", crate::config::redact_url(v))).collect();
                format!("through the environment's proxy variables ({}; NO_PROXY applies)", vars.join(", "))
            }
        }
    }
}

/// Asks getMe until Telegram answers, backing off on network trouble (Telegram may be blocked
/// or the proxy down); a refused token ends it at once.
async fn reach_telegram(bot: &Bot, stop: &CancellationToken) -> anyhow::Result<Option<teloxide::types::Me>> {
    let mut delay = Duration::from_secs(1);
    loop {
        match bot.get_me().await {
            Ok(me) => return Ok(Some(me)),
            Err(teloxide::RequestError::Api(teloxide::ApiError::InvalidToken)) => {
                return Err(StartError::TokenRefused.into());
            }
            Err(e) => {
                tracing::warn!(error = %crate::logging::redact(&e.to_string()), retry_in_s = delay.as_secs(), "cannot reach the Telegram Bot API yet");
            }
        }
        tokio::select! {
            _ = stop.cancelled() => return Ok(None),
            _ = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(Duration::from_secs(60));
    }
}

/// Runs Loa until `stop` is cancelled (ctrl-c / SIGTERM in `loa serve`).
pub async fn serve(config: Config, stop: CancellationToken) -> anyhow::Result<()> {
    serve_with(config, stop, WorkerOptions::default()).await
}

/// Every update is handed on at once, side by side: teloxide's per-chat queues make its
/// dispatcher wait when one chat's queue is full, which let one flooding chat hold up all the
/// others (and kept a task and a 62 KB queue per chat long after the chat went quiet). A chat's
/// updates still go one after the other: each takes its chat's turn first ([`bot::lanes`]).
fn distribution(_update: &Update) -> Option<ChatId> {
    None
}

/// Runs every province of `provinces` in this one process until `stop` (`loa serve
/// --provinces DIR`): each with its own bot, database, store, scheduler, delivery worker, web desk
/// and HTTP listener, exactly as [`serve`] runs one, so their data stay apart and each board's
/// admins see their own province only (their bot answers from their database). A province that
/// cannot start or stops with an error (its token refused, its database held by another `serve`)
/// is logged under its name and the others go on; the result is an error naming those that failed.
pub async fn serve_provinces(provinces: Vec<crate::config::Province>, stop: CancellationToken) -> anyhow::Result<()> {
    let names: Vec<String> = provinces.iter().map(|p| p.name.clone()).collect();
    tracing::info!(provinces = %names.join(", "), "serving several provinces");
    let mut running = Vec::new();
    for p in provinces {
        // a runtime of its own per province, its threads named after it: every line the
        // province's tasks log (the dispatcher's handlers, the delivery worker...) carries the
        // name, which a tracing span would lose at each spawned task
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(format!("province:{}", p.name))
            .enable_all()
            .build()
            .with_context(|| format!("failed to start the runtime of province {}", p.name))?;
        let (done, ended) = tokio::sync::oneshot::channel();
        let stop = stop.clone();
        let name = p.name.clone();
        std::thread::Builder::new()
            .name(format!("province:{name}"))
            .spawn(move || {
                let result = runtime.block_on(serve(p.config, stop));
                // the province's tasks end with its runtime, without waiting on the others
                runtime.shutdown_timeout(Duration::from_secs(5));
                let _ = done.send(result);
            })
            .with_context(|| format!("failed to start the thread of province {name}"))?;
        running.push((name, ended));
    }
    let mut failed = Vec::new();
    for (name, ended) in running {
        match ended.await {
            Ok(Ok(())) => tracing::info!(province = %name, "province stopped"),
            Ok(Err(e)) => {
                let e = crate::logging::redact(&format!("{e:#}"));
                tracing::error!(province = %name, error = %e, "province stopped with an error");
                failed.push(format!("{name}: {e}"));
            }
            Err(_) => failed.push(format!("{name}: its thread ended abnormally")),
        }
    }
    if failed.is_empty() { Ok(()) } else { anyhow::bail!("{}", failed.join("; ")) }
}

/// [`serve`] with the delivery worker's tunables (tests shorten its retry delays).
pub async fn serve_with(config: Config, stop: CancellationToken, worker_options: WorkerOptions) -> anyhow::Result<()> {
    let token = config.token.clone().ok_or(StartError::MissingToken)?;
    let _serving = crate::db::take_serve_lock(&config.database_url, "loa serve cannot start")?;
    crate::logging::register_secret(token.expose_secret());
    let pool = crate::db::open(&config.database_url).await?;
    tracing::info!(database = %crate::config::redact_url(&config.database_url), "database ready");
    // health and metrics: a port already taken is logged, not fatal (the bot matters more)
    if let Some(t) = &config.metrics_token {
        crate::logging::register_secret(t.expose_secret());
    }
    if let Some(s) = &config.telegram.webhook_secret {
        crate::logging::register_secret(s.expose_secret());
    }
    // the web desk opens once the bot's context is built (below); until then it says so
    let desk = crate::web::Slot::new();
    let http = match crate::ops::serve_http(
        config.http_listen,
        pool.clone(),
        config.metrics_token.clone(),
        Some(desk.clone()),
        stop.clone(),
    )
    .await
    {
        Ok((addr, task)) => {
            tracing::info!(listen = %addr, web = %config.web_url, "health on /healthz, metrics on /metrics, the web desk on /");
            Some(task)
        }
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "no health or metrics endpoint");
            None
        }
    };
    let bot = build_bot(&config, &token)?;
    tracing::info!(api_url = %config.telegram.api_url, route = %describe_route(&config), "reaching the Bot API");
    let Some(me) = reach_telegram(&bot, &stop).await? else {
        tracing::info!("stopped before Telegram answered");
        return Ok(());
    };
    tracing::info!(bot = %me.username(), api_url = %config.telegram.api_url, "connected to the Bot API");
    crate::ops::health(&pool).telegram_ok();
    // Telegram's reachability for /healthz, checked twice a minute
    let pinger = {
        let (bot, stop, health) = (bot.clone(), stop.clone(), crate::ops::health(&pool));
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_secs(20)) => {}
                }
                match bot.get_me().await {
                    Ok(_) => health.telegram_ok(),
                    Err(e) => {
                        tracing::warn!(error = %crate::logging::redact(&e.to_string()), "Telegram did not answer getMe")
                    }
                }
            }
        })
    };
    // one catalog and one limiter for the whole process: every message goes through the limiter
    let catalog = Arc::new(crate::i18n::Catalog::for_board(&config.organisation.board));
    let limiter = Arc::new(crate::telegram::limiter::Limiter::new(config.delivery.messages_per_second));
    let ctx = Arc::new(Ctx::new(pool.clone(), Arc::new(config), bot.clone(), catalog.clone(), limiter.clone()));
    desk.open(ctx.clone(), me.username().to_string());
    if let Err(e) = bot::commands::register_all(&bot, &ctx.catalog, &pool, &ctx.config.admins).await {
        tracing::warn!(error = %crate::logging::redact(&e.to_string()), "failed to register the command menus; continuing");
    }

    let scheduler = tokio::spawn(crate::schedule::run(
        pool.clone(),
        ctx.config.clone(),
        bot::announce::BotAnnouncer { bot: bot.clone(), ctx: ctx.clone() },
        ctx.schedule_changed.clone(),
        stop.clone(),
    ));

    // the worker has an HTTP client of its own: its connections live on its thread (Worker::start)
    let worker = Arc::new(Worker::new(
        pool.clone(),
        build_bot(&ctx.config, &token)?,
        ctx.config.clone(),
        catalog.clone(),
        limiter.clone(),
        worker_options,
    ));
    let reporter = crate::delivery::progress::Reporter {
        pool: pool.clone(),
        bot: bot.clone(),
        config: ctx.config.clone(),
        catalog,
        limiter,
    };
    let reporter = tokio::spawn(reporter.run(stop.clone()));
    let worker = worker.start(stop.clone()).context("failed to start the delivery worker's thread")?;

    let mut dispatcher = Dispatcher::builder(bot.clone(), bot::schema())
        .dependencies(dptree::deps![ctx.clone()])
        .default_handler(|update| async move {
            tracing::debug!(update_id = update.id.0, "update with no handler");
        })
        .error_handler(Arc::new(|e: anyhow::Error| async move {
            tracing::error!(error = %crate::logging::redact(&format!("{e:#}")), "handler failed");
        }))
        .distribution_function(distribution)
        .build();
    let shutdown = dispatcher.shutdown_token();
    let watcher = tokio::spawn(async move {
        stop.cancelled().await;
        tracing::info!("stopping: finishing the updates in hand");
        // The dispatcher may still be starting; ask until it hears.
        loop {
            match shutdown.shutdown() {
                Ok(done) => {
                    done.await;
                    break;
                }
                Err(_idle) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    });
    match ctx.config.telegram.mode {
        Mode::Polling => {
            if crate::db::backend(&ctx.pool) == crate::db::Backend::Postgres {
                tracing::warn!(
                    "long polling on PostgreSQL: run one instance so, or several in webhook mode (Telegram ends a second instance's getUpdates)"
                );
            }
            let listener =
                Polling::builder(bot.clone()).timeout(Duration::from_secs(10)).delete_webhook().await.build();
            let listener_errors = Arc::new(|e: teloxide::RequestError| async move {
                tracing::warn!(error = %crate::logging::redact(&e.to_string()), "getUpdates failed; polling again");
            });
            dispatcher.dispatch_with_listener(bot::lanes::bounded(listener, ctx.lanes.clone()), listener_errors).await;
        }
        Mode::Webhook => {
            let shared = crate::db::backend(&ctx.pool) == crate::db::Backend::Postgres;
            let (listener, server) = webhook(&bot, &ctx.config, shared).await?;
            dispatcher
                .dispatch_with_listener(
                    bot::lanes::bounded(listener, ctx.lanes.clone()),
                    Arc::new(|e: std::convert::Infallible| async move { match e {} }),
                )
                .await;
            let _ = server.await;
        }
    }
    watcher.abort();
    if let Err(e) = scheduler.await {
        tracing::error!(error = %e, "the scheduler task failed");
    }
    if let Err(e) = worker.await {
        tracing::error!(error = %e, "the delivery worker task failed");
    }
    if let Err(e) = reporter.await {
        tracing::error!(error = %e, "the progress reporter task failed");
    }
    pinger.abort();
    if let Some(http) = http {
        let _ = http.await;
    }
    pool.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Webhook mode: registers `telegram.webhook.public_url` with the secret (setWebhook), and listens
/// on `telegram.webhook.listen`. A request without the right `X-Telegram-Bot-Api-Secret-Token` is
/// answered 401 and logged. The server stops with the listener (deleting the webhook).
/// The webhook's listener and its server. `shared`: other instances on the same PostgreSQL
/// database may answer the same webhook (behind one address), so a stop leaves it set; alone on
/// its database, Loa removes it at a stop.
async fn webhook(
    bot: &Bot,
    config: &Config,
    shared: bool,
) -> anyhow::Result<(
    impl teloxide::update_listeners::UpdateListener<Err = std::convert::Infallible> + use<>,
    tokio::task::JoinHandle<()>,
)> {
    use teloxide::update_listeners::webhooks;
    let url = config
        .telegram
        .webhook_public_url
        .clone()
        .ok_or_else(|| StartError::Unsupported("telegram.webhook.public_url is needed in webhook mode".into()))?;
    if shared && config.telegram.webhook_secret.is_none() {
        // each instance would make a secret of its own, and Telegram keeps only the last one set
        return Err(StartError::Unsupported(
            "on PostgreSQL, where several instances may answer one webhook, its secret must be configured: set LOA_TELEGRAM__WEBHOOK__SECRET (the same for every instance)".into(),
        )
        .into());
    }
    let mut options = webhooks::Options::new(config.telegram.webhook_listen, url.clone());
    if let Some(secret) = &config.telegram.webhook_secret {
        options = options.secret_token(secret.expose_secret().to_string());
    }
    // without a configured secret teloxide makes a random one for this run: check that one too
    let secret = Arc::new(SecretString::from(options.get_or_gen_secret_token().to_string()));
    crate::logging::register_secret(secret.expose_secret());
    bot.set_webhook(url.clone())
        .secret_token(secret.expose_secret().to_string())
        .drop_pending_updates(false)
        .await
        .context("failed to register the webhook (setWebhook)")?;
    let (listener, stopped, router) = webhooks::axum_no_setup(options);
    let remover = bot.clone();
    let stopped = async move {
        stopped.await;
        if !shared && let Err(e) = remover.delete_webhook().await {
            tracing::error!(error = %crate::logging::redact(&e.to_string()), "failed to remove the webhook (deleteWebhook)");
        }
    };
    // the secret is checked here, in constant time, before teloxide sees the request (teloxide
    // compares it with `!=`, and answers a header that is not text 400 without a word); every
    // refusal is logged
    let router =
        router.layer(axum::middleware::from_fn(move |req: axum::extract::Request, next: axum::middleware::Next| {
            let secret = secret.clone();
            async move {
                let given = req.headers().get("X-Telegram-Bot-Api-Secret-Token").map(|v| v.as_bytes());
                if !given.is_some_and(|g| crate::ops::secret_matches(g, secret.expose_secret())) {
                    tracing::warn!(
                        path = %req.uri().path(),
                        header = given.is_some(),
                        "webhook request refused: wrong or missing secret token"
                    );
                    return axum::http::StatusCode::UNAUTHORIZED.into_response();
                }
                let (parts, body) = req.into_parts();
                // an update that does not parse is answered 200 (Telegram would send it again and
                // again) and logged by its size only: teloxide would log its whole text
                let bytes = match axum::body::to_bytes(body, 1 << 20).await {
                    Ok(b) => b,
                    Err(_) => {
                        tracing::warn!("webhook request refused: a body over 1 MB or cut short");
                        return axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response();
                    }
                };
                if serde_json::from_slice::<teloxide::types::Update>(&bytes).is_err() {
                    tracing::warn!(
                        bytes = bytes.len(),
                        "webhook update not understood; dropped (its content is not logged)"
                    );
                    return axum::http::StatusCode::OK.into_response();
                }
                next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes))).await
            }
        }));
    let tcp = tokio::net::TcpListener::bind(config.telegram.webhook_listen)
        .await
        .with_context(|| format!("cannot listen on {} (telegram.webhook.listen)", config.telegram.webhook_listen))?;
    tracing::info!(listen = %config.telegram.webhook_listen, public_url = %url, "receiving updates by webhook");
    let server = tokio::spawn(async move {
        if let Err(e) = axum::serve(tcp, router).with_graceful_shutdown(stopped).await {
            tracing::error!(error = %e, "the webhook listener stopped");
        }
    });
    Ok((listener, server))
}

/// A token cancelled on ctrl-c or SIGTERM.
pub fn stop_on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => tracing::info!("ctrl-c received"),
                _ = term.recv() => tracing::info!("SIGTERM received"),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        t.cancel();
    });
    token
}
