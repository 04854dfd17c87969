//! What an operator watches, on `http.listen`: `/healthz` (is the database reachable, was Telegram
//! reached within the last minute, is the scheduler alive, how long is the delivery backlog) and
//! `/metrics` in Prometheus' text format (deliveries by state, sends and errors by kind, 429s,
//! acknowledgements, reports, the backlog, send latency), through the `metrics` crate and its
//! Prometheus exporter.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::db::DbPool;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::lifecycle::DeliveryState;

/// How stale Telegram or the scheduler may be before `/healthz` says 503.
pub const STALE_S: i64 = 60;

/// When things last went well, in Unix seconds (0: never). One per database ([`health`]).
#[derive(Debug, Default)]
pub struct Health {
    telegram_ok_at: AtomicI64,
    scheduler_at: AtomicI64,
    /// Writes taken since the last one refused.
    taken_since_refused: AtomicI64,
    write_failed_at: AtomicI64,
    write_error: std::sync::Mutex<String>,
}

impl Health {
    /// Telegram answered a request.
    pub fn telegram_ok(&self) {
        self.telegram_ok_at.store(crate::dates::now(), Ordering::Relaxed);
    }
    /// The scheduler finished a step.
    pub fn scheduler_alive(&self) {
        self.scheduler_at.store(crate::dates::now(), Ordering::Relaxed);
    }
    /// The database took a write.
    pub fn write_ok(&self) {
        self.writes_ok(1);
    }
    /// `n` writes were taken at once (rows of several deliveries or presses in one statement).
    pub fn writes_ok(&self, n: u64) {
        self.taken_since_refused.fetch_add(n as i64, Ordering::Relaxed);
    }
    /// The database refused a write (a full disk, a lock held too long...).
    pub fn write_failed(&self, e: &sqlx::Error) {
        *self.write_error.lock().unwrap_or_else(|p| p.into_inner()) = e.to_string();
        self.taken_since_refused.store(0, Ordering::Relaxed);
        self.write_failed_at.store(crate::dates::now(), Ordering::Relaxed);
    }
    /// Whether the database refuses writes, how long ago it last refused one, and why: a write
    /// refused within the last [`STALE_S`] and fewer than ten taken since (a nearly full disk takes
    /// a write now and then: the ones that fit where the files already reach).
    fn refusing_writes(&self, now: i64) -> Option<(i64, String)> {
        let failed = self.write_failed_at.load(Ordering::Relaxed);
        let taken = self.taken_since_refused.load(Ordering::Relaxed);
        (failed > 0 && taken < 10 && now - failed <= STALE_S)
            .then(|| (now - failed, self.write_error.lock().unwrap_or_else(|p| p.into_inner()).clone()))
    }
}

/// The health marks of `pool`'s database: one set per database, so that each province of a
/// process serving several (`loa serve --provinces`) answers `/healthz` for itself.
pub fn health(pool: &DbPool) -> std::sync::Arc<Health> {
    static HEALTH: crate::db::PerDatabase<Health> = OnceLock::new();
    crate::db::per_database(&HEALTH, pool, Health::default)
}

/// The Prometheus recorder, installed once for the process (`None` if another recorder was).
pub fn metrics() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("loa_send_seconds".into()),
                    &[0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0],
                )
                .ok()?;
            match builder.install_recorder() {
                Ok(h) => {
                    describe();
                    Some(h)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics are not recorded: another recorder is installed");
                    None
                }
            }
        })
        .as_ref()
}

fn describe() {
    metrics::describe_counter!(
        "loa_sends_total",
        "Messages sent to cells, by kind (documents, message, reminder, resend)"
    );
    metrics::describe_counter!(
        "loa_send_errors_total",
        "Failed sends, by kind (slow_down, migrated, unreachable, content, transient)"
    );
    metrics::describe_counter!("loa_http_429_total", "Answers 429 Too Many Requests from the Bot API");
    metrics::describe_counter!("loa_acks_total", "Acknowledgements recorded");
    metrics::describe_counter!("loa_reports_total", "Reports recorded (corrections included)");
    metrics::describe_histogram!("loa_send_seconds", metrics::Unit::Seconds, "Time of one send to the Bot API");
    metrics::describe_gauge!("loa_deliveries", "Deliveries by state");
    metrics::describe_gauge!("loa_backlog", "Deliveries waiting to be sent (pending or sending)");
    metrics::describe_gauge!("loa_cells", "Cells by status");
    metrics::describe_gauge!("loa_tasks_alive", "Tokio tasks alive in the process");
    metrics::describe_gauge!("process_resident_memory_bytes", metrics::Unit::Bytes, "Resident memory of the process");
    metrics::describe_gauge!("process_open_fds", "Open file descriptors of the process");
}

async fn healthz(State(pool): State<DbPool>) -> impl IntoResponse {
    let now = crate::dates::now();
    let db: Result<i64, _> =
        sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE state IN ('pending', 'sending')")
            .fetch_one(&pool)
            .await;
    let age = |t: i64| if t == 0 { None } else { Some(now - t) };
    let h = health(&pool);
    let telegram = age(h.telegram_ok_at.load(Ordering::Relaxed));
    let scheduler = age(h.scheduler_at.load(Ordering::Relaxed));
    let fresh = |a: Option<i64>| a.is_some_and(|a| a <= STALE_S);
    let refusing = h.refusing_writes(now);
    let ok = db.is_ok() && refusing.is_none() && fresh(telegram) && fresh(scheduler);
    let body = json!({
        "status": if ok { "ok" } else { "unhealthy" },
        "database": match (&db, &refusing) {
            (Err(e), _) => format!("error: {e}"),
            (Ok(_), Some((ago, e))) => format!("refusing writes (one refused {ago} s ago): {e}"),
            (Ok(_), None) => "ok".to_string(),
        },
        "telegram_last_ok_s": telegram,
        "scheduler_last_step_s": scheduler,
        "backlog": db.as_ref().ok(),
    });
    let code = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, [(header::CONTENT_TYPE, "application/json")], body.to_string())
}

/// Whether `given` is `expected`, compared in constant time (a secret token from a request).
pub fn secret_matches(given: &[u8], expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    given.len() == expected.len() && bool::from(given.ct_eq(expected.as_bytes()))
}

/// What `/metrics` needs: the pool, and the bearer token it asks for (none: open).
#[derive(Clone)]
struct MetricsState {
    pool: DbPool,
    token: Option<std::sync::Arc<secrecy::SecretString>>,
}

async fn metrics_text(State(state): State<MetricsState>, headers: axum::http::HeaderMap) -> impl IntoResponse {
    use secrecy::ExposeSecret;
    if let Some(token) = &state.token {
        let given = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()).unwrap_or_default();
        let bearer = given.strip_prefix(b"Bearer ").unwrap_or_default();
        if !secret_matches(bearer, token.expose_secret()) {
            tracing::warn!(authorization = !given.is_empty(), "/metrics refused: wrong or missing bearer token");
            return (StatusCode::UNAUTHORIZED, "a bearer token is needed (LOA_HTTP__METRICS_TOKEN)\n".to_string());
        }
    }
    let pool = state.pool;
    let Some(handle) = metrics() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "metrics are not recorded in this process\n".to_string());
    };
    // the states of the outbox and the registry, read now; one scrape at a time, so that in a
    // process serving several provinces each one's page shows its own database's figures (the
    // counters are the whole process's)
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = ONE_AT_A_TIME.lock().await;
    // each state counted through its own small index (the pending, the open, the failed, the
    // cancelled deliveries); the sent are the rest of the table, whose count SQLite takes from its
    // narrowest index: a scrape costs milliseconds at a million deliveries, not a table's reading
    if let Ok((pending, open, failed, cancelled, all)) = sqlx::query_as::<_, (i64, i64, i64, i64, i64)>(
        "SELECT (SELECT count(*) FROM deliveries WHERE state = 'pending'),
                (SELECT count(*) FROM deliveries WHERE state IN ('pending', 'sending')),
                (SELECT count(*) FROM deliveries WHERE state = 'failed'),
                (SELECT count(*) FROM deliveries WHERE state = 'cancelled'),
                (SELECT count(*) FROM deliveries)",
    )
    .fetch_one(&pool)
    .await
    {
        for &state in DeliveryState::ALL {
            let n = match state {
                DeliveryState::Pending => pending,
                DeliveryState::Sending => open - pending,
                DeliveryState::Failed => failed,
                DeliveryState::Cancelled => cancelled,
                DeliveryState::Sent => all - open - failed - cancelled,
            };
            metrics::gauge!("loa_deliveries", "state" => state.as_str()).set(n as f64);
        }
        metrics::gauge!("loa_backlog").set(open as f64);
    }
    if let Ok(rows) =
        sqlx::query_as::<_, (String, i64)>("SELECT status, count(*) FROM cells GROUP BY status").fetch_all(&pool).await
    {
        for status in ["unbound", "active", "unreachable", "retired"] {
            let n = rows.iter().find(|r| r.0 == status).map(|r| r.1).unwrap_or(0);
            metrics::gauge!("loa_cells", "status" => status).set(n as f64);
        }
    }
    // the process itself: what a long run must keep flat
    metrics::gauge!("loa_tasks_alive").set(tokio::runtime::Handle::current().metrics().num_alive_tasks() as f64);
    if let Some(rss) = resident_bytes() {
        metrics::gauge!("process_resident_memory_bytes").set(rss as f64);
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        metrics::gauge!("process_open_fds").set(fds.count() as f64);
    }
    (StatusCode::OK, handle.render())
}

/// Resident memory from `/proc/self/status` (Linux); `None` elsewhere.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse::<u64>().ok()?;
    Some(kb * 1024)
}

/// Serves `/healthz` and `/metrics` on `listen` until `stop`, and the web desk when `web` is
/// given ([`crate::web`]). Returns the address bound. With `metrics_token`, `/metrics` answers
/// only a request that carries it as a bearer token.
pub async fn serve_http(
    listen: SocketAddr,
    pool: DbPool,
    metrics_token: Option<secrecy::SecretString>,
    web: Option<std::sync::Arc<crate::web::Slot>>,
    stop: CancellationToken,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    metrics();
    let state = MetricsState { pool: pool.clone(), token: metrics_token.map(std::sync::Arc::new) };
    let mut app = Router::new()
        .route("/healthz", get(healthz))
        .with_state(pool)
        .merge(Router::new().route("/metrics", get(metrics_text)).with_state(state));
    if let Some(slot) = web {
        app = app.merge(crate::web::router(slot));
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen} (http.listen): {e}"))?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app).with_graceful_shutdown(async move { stop.cancelled().await }).await;
        if let Err(e) = served {
            tracing::error!(error = %e, "the health and metrics listener stopped");
        }
    });
    Ok((addr, task))
}
