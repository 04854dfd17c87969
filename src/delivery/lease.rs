//! One sender per bot across instances. Several `loa serve` processes may run against one
//! PostgreSQL database (for a machine that may fail, or rolling restarts); Telegram's limits are
//! the bot's, not a process's, so only one of them sends deliveries at a time: the holder of the
//! bot's lease, a row of `sender_leases` it renews every second and that lapses [`TTL`] after its
//! last renewal. When the holder dies (even by kill -9) another instance takes the lease over
//! within seconds, puts the deliveries the dead one had in flight back in the queue (each may
//! then be sent twice, as after a crash of a lone Loa) and goes on sending. A holder that is
//! stopped lets go at once. The lease is read with the database's clock, so the instances' clocks
//! need not agree.
//!
//! On SQLite there is one process per database (`loa serve` locks the file), and no lease.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::db::{Backend, DbPool};

/// How long a lease lasts after its last renewal: the longest another instance waits to take over
/// from one that died.
pub const TTL: Duration = Duration::from_secs(5);

/// How often the holder renews its lease (each renewal a short write).
pub const RENEW_EVERY: Duration = Duration::from_secs(1);

/// What [`Lease::hold`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// This instance held the lease and still does.
    Kept,
    /// This instance has just taken the lease (first, or over from one whose lease lapsed).
    Taken,
    /// Another instance holds it.
    Elsewhere,
}

/// A bot's sending lease, as one instance sees it.
pub struct Lease {
    pool: DbPool,
    bot_id: i64,
    holder: String,
    /// When this instance last renewed the lease it holds (`None`: it does not hold it).
    renewed: Mutex<Option<Instant>>,
}

impl Lease {
    /// The lease of the bot whose token is `token` (its id is the part before the colon), for
    /// this process; `None` on SQLite, where no other instance can send.
    pub fn new(pool: &DbPool, token: &str) -> Option<Lease> {
        if crate::db::backend(pool) != Backend::Postgres {
            return None;
        }
        let bot_id = token.split(':').next().and_then(|id| id.parse().ok()).unwrap_or(0);
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let holder = format!("{}:{}:{:08x}", host.trim(), std::process::id(), rand::random::<u32>());
        Some(Lease { pool: pool.clone(), bot_id, holder, renewed: Mutex::new(None) })
    }

    /// This instance's name in the lease table: host, process id and a random part.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Takes or renews the lease when it is due; says who holds it.
    pub async fn hold(&self) -> sqlx::Result<Held> {
        let before = *self.renewed.lock().unwrap_or_else(|e| e.into_inner());
        if before.is_some_and(|at| at.elapsed() < RENEW_EVERY) {
            return Ok(Held::Kept);
        }
        let asked = Instant::now();
        let got: Option<String> = sqlx::query_scalar(
            "INSERT INTO sender_leases (bot_id, holder, until_ms)
             VALUES ($1, $2, CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT) + $3)
             ON CONFLICT (bot_id) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms
             WHERE sender_leases.holder = excluded.holder
                OR sender_leases.until_ms < CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)
             RETURNING holder",
        )
        .bind(self.bot_id)
        .bind(&self.holder)
        .bind(TTL.as_millis() as i64)
        .fetch_optional(&self.pool)
        .await?;
        let mut renewed = self.renewed.lock().unwrap_or_else(|e| e.into_inner());
        if got.is_some() {
            *renewed = Some(asked);
            Ok(if before.is_some() { Held::Kept } else { Held::Taken })
        } else {
            *renewed = None;
            Ok(Held::Elsewhere)
        }
    }

    /// Lets the lease go (at a stop), so that another instance takes over at once.
    pub async fn release(&self) {
        *self.renewed.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let done = sqlx::query("UPDATE sender_leases SET until_ms = 0 WHERE bot_id = $1 AND holder = $2")
            .bind(self.bot_id)
            .bind(&self.holder)
            .execute(&self.pool)
            .await;
        if let Err(e) = done {
            tracing::warn!(error = %e, "failed to let the sending lease go: another instance takes over when it lapses");
        }
    }
}
