//! The database: one pool shared by the dispatcher, the scheduler and the delivery worker.
//!
//! SQLite is the default (a `sqlite:` URL): WAL so readers never wait for the writer, foreign keys
//! on, a busy timeout so that short write contention waits instead of failing. PostgreSQL is the
//! second backend (a `postgres:` URL). Both are reached through sqlx's `Any` driver, so every
//! query is written once: `$1, $2, ...` placeholders (which SQLite reads too), integers for flags
//! and times, and portable SQL; the few statements whose spelling differs ask [`backend`]. The
//! migrations (`migrations/` for SQLite, `migrations_pg/` for PostgreSQL, the same schema) are
//! built into the binary and applied at start (`loa serve`) or alone (`loa migrate`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use sqlx::SqlitePool;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

/// The embedded migrations (SQLite's).
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A pool of connections to Loa's database, SQLite or PostgreSQL.
pub type DbPool = sqlx::AnyPool;

/// One connection to Loa's database.
pub type DbConn = sqlx::AnyConnection;

/// Which database a pool or a URL is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL names, if any.
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    /// The backend of a connection (from its driver's name).
    pub fn of_conn(conn: &DbConn) -> Backend {
        if conn.backend_name() == "PostgreSQL" { Backend::Postgres } else { Backend::Sqlite }
    }
}

/// A yes/no read from the database: SQLite answers a comparison or `EXISTS` with 0 or 1,
/// PostgreSQL with a boolean, and Loa's flag columns are integers in both. Read a `bool` through
/// it: `#[sqlx(try_from = "crate::db::Flag")]` on a row's field, `Flag` in a tuple or a scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

impl sqlx::Type<sqlx::Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as sqlx::Type<sqlx::Any>>::type_info()
    }
    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        ty.kind().is_integer() || ty.kind() == sqlx::any::AnyTypeInfoKind::Bool
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        match <i64 as sqlx::Decode<'r, sqlx::Any>>::decode(value.clone()) {
            Ok(n) => Ok(Flag(n != 0)),
            Err(_) => Ok(Flag(<bool as sqlx::Decode<'r, sqlx::Any>>::decode(value)?)),
        }
    }
}

/// Stores a type as the word `as_str` gives and reads it back with `from_word` (an unknown word
/// is an error naming it): Loa's lifecycles and the like, kept as lowercase words in TEXT columns.
#[macro_export]
macro_rules! stored_as_word {
    ($name:ty, $from_word:expr) => {
        impl sqlx::Type<sqlx::Any> for $name {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <&str as sqlx::Type<sqlx::Any>>::type_info()
            }
            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <&str as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }
        impl<'q> sqlx::Encode<'q, sqlx::Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<'q, sqlx::Any>>::encode(self.as_str(), buf)
            }
        }
        impl<'r> sqlx::Decode<'r, sqlx::Any> for $name {
            fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let word = <&str as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                let from_word: fn(&str) -> Option<$name> = $from_word;
                from_word(word).ok_or_else(|| format!("{word:?} is no {}", stringify!($name)).into())
            }
        }
    };
}

/// The backend `pool` is on.
pub fn backend(pool: &DbPool) -> Backend {
    Backend::of_url(pool.connect_options().database_url.as_str()).unwrap_or(Backend::Sqlite)
}

/// The spelling of a statement for `pool`'s backend: `sqlite`'s or `postgres`'s.
pub fn pick(pool: &DbPool, sqlite: &'static str, postgres: &'static str) -> &'static str {
    match backend(pool) {
        Backend::Sqlite => sqlite,
        Backend::Postgres => postgres,
    }
}

/// The page cache of each connection, in KiB.
pub const CACHE_KIB: u32 = 512;

/// How long a connection waits for another writer before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The file behind a `sqlite:` URL, when it names one (not `sqlite::memory:`).
pub fn file_of(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(PathBuf::from(path))
}

/// SQLite allocates in C with the system's malloc, outside Rust's global allocator. glibc gives
/// each thread that allocates an arena of its own and keeps what it freed there: the pool's
/// connections each run on a thread of their own, and at 100,000 cells the arenas of the busy
/// ones held about 7 MB more at the end of a broadcast than while it ran. SQLite lets a program
/// give it other memory functions before it first starts (`SQLITE_CONFIG_MALLOC`): these send it
/// to mimalloc, the allocator of the rest of Loa, whose freed pages are shared by every thread
/// and given back. Called once, before the first connection; if SQLite was started already (by
/// something else in the process), it keeps the system's malloc and says so in the log.
fn sqlite_on_mimalloc() {
    use libmimalloc_sys as mi;
    use std::ffi::{c_int, c_void};

    unsafe extern "C" fn malloc(n: c_int) -> *mut c_void {
        // SAFETY: any size may be asked of mi_malloc; SQLite never asks for 0 or less
        unsafe { mi::mi_malloc(usize::try_from(n).unwrap_or(0)) }
    }
    unsafe extern "C" fn free(p: *mut c_void) {
        // SAFETY: SQLite frees only what malloc or realloc above gave it (or null)
        unsafe { mi::mi_free(p) }
    }
    unsafe extern "C" fn realloc(p: *mut c_void, n: c_int) -> *mut c_void {
        // SAFETY: as for free; the new size as for malloc
        unsafe { mi::mi_realloc(p, usize::try_from(n).unwrap_or(0)) }
    }
    unsafe extern "C" fn size(p: *mut c_void) -> c_int {
        // SAFETY: as for free; SQLite's allocations are far below 2 GiB
        c_int::try_from(unsafe { mi::mi_usable_size(p) }).unwrap_or(c_int::MAX)
    }
    unsafe extern "C" fn roundup(n: c_int) -> c_int {
        // SAFETY: a pure function of the size
        c_int::try_from(unsafe { mi::mi_good_size(usize::try_from(n).unwrap_or(0)) }).unwrap_or(n)
    }
    unsafe extern "C" fn init(_: *mut c_void) -> c_int {
        libsqlite3_sys::SQLITE_OK
    }
    unsafe extern "C" fn shutdown(_: *mut c_void) {}

    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let methods = libsqlite3_sys::sqlite3_mem_methods {
            xMalloc: Some(malloc),
            xFree: Some(free),
            xRealloc: Some(realloc),
            xSize: Some(size),
            xRoundup: Some(roundup),
            xInit: Some(init),
            xShutdown: Some(shutdown),
            pAppData: std::ptr::null_mut(),
        };
        // SAFETY: SQLITE_CONFIG_MALLOC takes a pointer to a sqlite3_mem_methods, which SQLite
        // copies before returning; it is refused (SQLITE_MISUSE) once SQLite has started
        let rc = unsafe { libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MALLOC, &raw const methods) };
        if rc != libsqlite3_sys::SQLITE_OK {
            tracing::debug!(code = rc, "SQLite was started already: it keeps the system's malloc");
        }
    });
}

/// The PostgreSQL migrations: the same schema as [`MIGRATOR`]'s, in PostgreSQL's types.
pub static MIGRATOR_PG: Migrator = sqlx::migrate!("./migrations_pg");

/// Opens (creating when missing, folder included) the database at `url`: a `sqlite:` file (or
/// `sqlite::memory:`) or a `postgres://` database (which must exist).
pub async fn connect(url: &str) -> anyhow::Result<DbPool> {
    use sqlx::Executor;
    static DRIVERS: std::sync::Once = std::sync::Once::new();
    DRIVERS.call_once(sqlx::any::install_default_drivers);
    let shown = crate::config::redact_url(url);
    match Backend::of_url(url) {
        Some(Backend::Sqlite) => {
            sqlite_on_mimalloc();
            if let Some(dir) =
                file_of(url).and_then(|f| f.parent().map(|d| d.to_path_buf())).filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("failed to create the database folder {}", dir.display()))?;
            }
            SqliteConnectOptions::from_str(url)
                .with_context(|| format!("failed to read the database URL {shown:?}"))?;
            let any = sqlx::any::AnyConnectOptions::from_str(&any_sqlite_url(url))
                .with_context(|| format!("failed to read the database URL {shown:?}"))?;
            sqlx::any::AnyPoolOptions::new()
                .max_connections(8)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        // each connection keeps at most CACHE_KIB of pages (SQLite's default is
                        // 2,000 KiB): with eight connections the default alone could take 16 MB
                        conn.execute(sqlx::AssertSqlSafe(format!(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
                             PRAGMA busy_timeout = {}; PRAGMA cache_size = -{CACHE_KIB};",
                            BUSY_TIMEOUT.as_millis()
                        )))
                        .await?;
                        Ok(())
                    })
                })
                .connect_with(any)
                .await
                .with_context(|| format!("failed to open the database {shown}"))
        }
        Some(Backend::Postgres) => sqlx::any::AnyPoolOptions::new()
            .max_connections(8)
            .connect(url)
            .await
            .with_context(|| format!("failed to open the database {shown}")),
        None => anyhow::bail!(
            "the database URL {shown:?} is neither sqlite: (sqlite:///var/lib/loa/loa.db) nor postgres:// (postgres://user:password@host/database)"
        ),
    }
}

/// The URL the Any driver reads again for every new connection to the SQLite database at `url`:
/// its file, created when missing (the path percent-encoded, as SQLite's driver decodes it, and
/// with no `//`, which would make a relative path's first folder a host name); for `:memory:`,
/// one database shared by the pool's connections under a name of its own.
fn any_sqlite_url(url: &str) -> String {
    match file_of(url) {
        Some(file) => {
            let mut path = String::new();
            for b in file.to_string_lossy().bytes() {
                if b.is_ascii_alphanumeric() || b"/._-~".contains(&b) {
                    path.push(char::from(b));
                } else {
                    path.push_str(&format!("%{b:02X}"));
                }
            }
            format!("sqlite:{path}?mode=rwc")
        }
        None => {
            static MEMORY: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = MEMORY.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            format!("sqlite:file:loa-memory-{}-{n}?mode=memory&cache=shared", std::process::id())
        }
    }
}

/// Applies the migrations not yet applied.
pub async fn migrate(pool: &DbPool) -> anyhow::Result<()> {
    match backend(pool) {
        Backend::Sqlite => MIGRATOR.run(pool).await.context("failed to apply the database migrations"),
        Backend::Postgres => {
            MIGRATOR_PG.run(pool).await.context("failed to apply the database migrations")?;
            seed_root(pool).await.context("failed to write the province's committee")
        }
    }
}

/// The province's committee (code `TINH`), which SQLite's migrations write into a new database
/// and PostgreSQL's schema, made in one piece for `loa migrate-data`, does not: a PostgreSQL
/// database with no unit gets it here (importing a registry whose root row says otherwise
/// renames it). Instances starting together write it once.
pub const ROOT_CODE: &str = "TINH";

async fn seed_root(pool: &DbPool) -> sqlx::Result<()> {
    let mut tx = begin_write(pool).await?;
    let now = crate::dates::now();
    sqlx::query(
        "INSERT INTO units (code, name, kind, parent_id, created_at, updated_at)
         SELECT $1, 'Đảng bộ tỉnh', 'tinh', NULL, $2, $2 WHERE NOT EXISTS (SELECT 1 FROM units)",
    )
    .bind(ROOT_CODE)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO unit_paths (ancestor, descendant, depth)
         SELECT id, id, 0 FROM units WHERE parent_id IS NULL ON CONFLICT DO NOTHING",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Opens the database and brings its schema up to date.
pub async fn open(url: &str) -> anyhow::Result<DbPool> {
    let pool = connect(url).await?;
    migrate(&pool).await?;
    Ok(pool)
}

/// A write transaction, holding this process's turn to write to its database (see
/// [`begin_write`]). It reads as the connection; `commit` or `rollback` ends it (dropping it rolls
/// back), and either gives the turn to the next writer.
///
/// It says BEGIN, COMMIT and ROLLBACK itself rather than through `sqlx::Transaction`: when a
/// COMMIT fails on a full disk, SQLite rolls the transaction back on its own, sqlx's ROLLBACK then
/// fails ("no transaction is active"), and sqlx went on believing the connection was inside a
/// transaction: every later `BEGIN IMMEDIATE` on it was refused, for the life of the process.
pub struct WriteTx {
    conn: Option<sqlx::pool::PoolConnection<sqlx::Any>>,
    turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    health: Arc<crate::ops::Health>,
}

impl std::ops::Deref for WriteTx {
    type Target = DbConn;
    fn deref(&self) -> &Self::Target {
        self.conn.as_ref().expect("a transaction not yet ended")
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.conn.as_mut().expect("a transaction not yet ended")
    }
}

/// Ends whatever transaction `conn` may still be in; "no transaction is active" is the answer
/// when SQLite ended it already.
async fn end_transaction(conn: &mut DbConn) -> sqlx::Result<()> {
    use sqlx::Executor;
    match conn.execute("ROLLBACK").await {
        Err(sqlx::Error::Database(e)) if e.message().contains("no transaction is active") => Ok(()),
        other => other.map(|_| ()),
    }
}

impl WriteTx {
    pub async fn commit(mut self) -> sqlx::Result<()> {
        use sqlx::Executor;
        let mut conn = self.conn.take().expect("a transaction not yet ended");
        let done = conn.execute("COMMIT").await.map(|_| ());
        match &done {
            Ok(()) => self.health.write_ok(),
            Err(e) => self.health.write_failed(e),
        }
        if done.is_err() {
            // the transaction may still be open, or SQLite may have rolled it back: end it here
            if end_transaction(&mut conn).await.is_err() {
                conn.close_on_drop();
            }
        }
        done
    }

    pub async fn rollback(mut self) -> sqlx::Result<()> {
        let mut conn = self.conn.take().expect("a transaction not yet ended");
        let done = end_transaction(&mut conn).await;
        if done.is_err() {
            conn.close_on_drop();
        }
        done
    }
}

impl Drop for WriteTx {
    /// Dropped unfinished (an error half-way): rolled back before the connection goes back to the
    /// pool and before the next writer's turn.
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            // no runtime left (the process is ending): the connection closes, and SQLite rolls
            // back what was not committed
            let Ok(rt) = tokio::runtime::Handle::try_current() else {
                conn.close_on_drop();
                return;
            };
            let turn = self.turn.take();
            rt.spawn(async move {
                if end_transaction(&mut conn).await.is_err() {
                    conn.close_on_drop();
                }
                drop(turn);
            });
        }
    }
}

/// Something a process keeps one of per database file (the turn to write, the presses waiting to
/// be written, the delivery worker's bell), found through `map`, a static of the caller's, and
/// made by `make` the first time. Every pool opened on the same file shares it.
pub type PerDatabase<T> = OnceLock<std::sync::Mutex<HashMap<PathBuf, Arc<T>>>>;

/// The `T` of `pool`'s database file in `map` (see [`PerDatabase`]).
pub fn per_database<T>(map: &'static PerDatabase<T>, pool: &DbPool, make: impl FnOnce() -> T) -> Arc<T> {
    let url = pool.connect_options().database_url.to_string();
    let file = file_of(&url).unwrap_or_else(|| PathBuf::from(url));
    let mut all = map.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    all.entry(file).or_insert_with(|| Arc::new(make())).clone()
}

/// The turn to write to one database file, for the transactions of this process.
fn write_turn(pool: &DbPool) -> Arc<tokio::sync::Mutex<()>> {
    static TURNS: PerDatabase<tokio::sync::Mutex<()>> = OnceLock::new();
    per_database(&TURNS, pool, || tokio::sync::Mutex::new(()))
}

/// Waits for this process's turn to write to `pool`'s database, for a single statement outside
/// [`begin_write`] that must not jump the queue (nor be jumped: a write tried again and again while
/// the disk is full would otherwise keep the others knocking at SQLite's lock).
pub async fn take_write_turn(pool: &DbPool) -> tokio::sync::OwnedMutexGuard<()> {
    write_turn(pool).lock_owned().await
}

/// On PostgreSQL, the key of the advisory lock every write transaction takes at its start: one
/// writer at a time across every instance on the database, as SQLite's write lock does (reads are
/// never held up). Loa's transactions were written for SQLite's one writer; this keeps their
/// reasoning true on PostgreSQL.
pub const WRITER_LOCK_KEY: i64 = 7_140_222_001;
const WRITER_LOCK_PG: &str = "BEGIN; SELECT pg_advisory_xact_lock(7140222001)";

/// Begins a transaction that writes. It takes SQLite's write lock at `BEGIN IMMEDIATE`, so that
/// another writer makes it wait (up to [`BUSY_TIMEOUT`]) instead of failing later with
/// "database is locked" when a read inside it is followed by a write. Every write transaction in
/// Loa starts here. The process's writers first take turns on a fair async lock: without it they
/// all knock on SQLite's lock at once, and SQLite's busy handler puts the losers to sleep for a
/// millisecond or more each time, which under a flood of acknowledgements wastes most of the time
/// the lock is free.
pub async fn begin_write(pool: &DbPool) -> sqlx::Result<WriteTx> {
    use sqlx::Executor;
    let turn = take_write_turn(pool).await;
    let mut conn = pool.acquire().await?;
    let health = crate::ops::health(pool);
    let begin = match backend(pool) {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        // one writer at a time across every instance on the database, as SQLite's write lock
        Backend::Postgres => WRITER_LOCK_PG,
    };
    if let Err(e) = conn.execute(begin).await {
        health.write_failed(&e);
        // a BEGIN that failed leaves no transaction, unless SQLite says otherwise
        if end_transaction(&mut conn).await.is_err() {
            conn.close_on_drop();
        }
        return Err(e);
    }
    Ok(WriteTx { conn: Some(conn), turn: Some(turn), health })
}

/// One instance's turn at work that must be done once across instances (the scheduler's step):
/// on PostgreSQL a session's advisory lock, held by one connection of the pool until
/// [`Exclusive::release`] (or until that connection closes, as when the process dies); on SQLite
/// there is one process per database and nothing to take.
pub struct Exclusive {
    conn: Option<sqlx::pool::PoolConnection<sqlx::Any>>,
    key: i64,
}

/// Takes the turn `key` if no other instance holds it ([`Exclusive`]); `None` when one does.
pub async fn try_exclusive(pool: &DbPool, key: i64) -> sqlx::Result<Option<Exclusive>> {
    if backend(pool) == Backend::Sqlite {
        return Ok(Some(Exclusive { conn: None, key }));
    }
    let mut conn = pool.acquire().await?;
    let taken: Flag = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(key).fetch_one(&mut *conn).await?;
    Ok(taken.0.then_some(Exclusive { conn: Some(conn), key }))
}

impl Exclusive {
    /// Gives the turn back.
    pub async fn release(mut self) {
        if let Some(mut conn) = self.conn.take()
            && sqlx::query("SELECT pg_advisory_unlock($1)").bind(self.key).execute(&mut *conn).await.is_err()
        {
            // closing the session lets go of its locks
            conn.close_on_drop();
        }
    }
}

impl Drop for Exclusive {
    /// Not given back (an error half-way): the connection is closed, and its lock with it.
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            conn.close_on_drop();
        }
    }
}

/// The lock `loa serve` holds on its database for as long as it runs (an advisory lock on
/// `FILE.serve.lock` beside the database, which the system lets go of when the process ends, even
/// by kill -9). `loa restore` takes the same lock: it refuses while a `serve` runs, and no `serve`
/// starts while it restores. Two `serve`s on one SQLite file would send every message twice.
pub struct ServeLock {
    _file: std::fs::File,
    pub path: PathBuf,
}

/// The lock file of the database at `db`.
pub fn serve_lock_path(db: &std::path::Path) -> PathBuf {
    let name = db.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    db.with_file_name(format!("{name}.serve.lock"))
}

/// Takes `url`'s lock ([`ServeLock`]); `None` for a database that is no file (`sqlite::memory:`).
/// When another process holds it, the error names that process: `doing` says what was refused.
pub fn take_serve_lock(url: &str, doing: &str) -> anyhow::Result<Option<ServeLock>> {
    use std::io::Write;
    let Some(db) = file_of(url) else { return Ok(None) };
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("failed to create the database folder {}", dir.display()))?;
    }
    let path = serve_lock_path(&db);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("failed to open the lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {
            // the holder's process id, for the message another one gets
            let _ = file.set_len(0);
            let _ = write!(file, "{}", std::process::id());
            Ok(Some(ServeLock { _file: file, path }))
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path).unwrap_or_default();
            let holder = holder.trim();
            let who = if holder.is_empty() { String::new() } else { format!(" (process {holder})") };
            Err(crate::app::StartError::Busy(format!(
                "{doing}: Loa is running on the database {}{who}; stop `loa serve` first",
                db.display()
            ))
            .into())
        }
        Err(std::fs::TryLockError::Error(e)) => {
            Err(anyhow::Error::from(e).context(format!("failed to lock {}", path.display())))
        }
    }
}

/// What a backup holds, as read back from the copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    pub bytes: u64,
    pub migrations: i64,
    pub cells: i64,
    pub packs: i64,
    pub deliveries: i64,
    pub acks: i64,
    pub reports: i64,
    /// Files of Loa's store the copy refers to (packs' documents, situation reports' and pack
    /// reports' files), copied beside it into `FILE.files/` and checked against their sha256.
    pub files: i64,
    pub file_bytes: u64,
    /// Files the copy refers to that the store does not have (or whose bytes do not match their
    /// name): the backup is made without them, and says so.
    pub missing: Vec<String>,
}

impl BackupSummary {
    /// "16 migrations, 1512 cells, 4 packs, ... 3377 reports": what the copy holds, for people.
    pub fn counts(&self) -> String {
        format!(
            "{} migrations, {} cells, {} packs, {} deliveries, {} acknowledgements, {} reports",
            self.migrations, self.cells, self.packs, self.deliveries, self.acks, self.reports
        )
    }
}

/// What the copy `copy` (of `bytes` bytes) holds: its migrations and rows; no files yet.
async fn tally(copy: &SqlitePool, bytes: u64) -> anyhow::Result<BackupSummary> {
    let count = async |table: &str| -> anyhow::Result<i64> {
        Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}"))).fetch_one(copy).await?)
    };
    Ok(BackupSummary {
        bytes,
        migrations: count("_sqlx_migrations").await?,
        cells: count("cells").await?,
        packs: count("packs").await?,
        deliveries: count("deliveries").await?,
        acks: count("acks").await?,
        reports: count("reports").await?,
        files: 0,
        file_bytes: 0,
        missing: Vec::new(),
    })
}

/// The folder a backup's files go to: `FILE.files` beside `FILE`.
pub fn backup_files_dir(target: &std::path::Path) -> std::path::PathBuf {
    let name = target.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    target.with_file_name(format!("{name}.files"))
}

/// The files of the store a database refers to, by their sha256.
const FILES_REFERRED_TO: &str = "SELECT sha256 FROM attachments WHERE sha256 <> '' AND local_path IS NOT NULL
     UNION SELECT sha256 FROM situation_files
     UNION SELECT attachment_sha256 FROM reports WHERE attachment_sha256 IS NOT NULL
     ORDER BY 1";

/// Copies the store's files the copy `copy` refers to into `dir`, each checked by its sha256;
/// returns (files, bytes, missing).
async fn copy_files(
    copy: &SqlitePool,
    store: &std::path::Path,
    dir: &std::path::Path,
) -> anyhow::Result<(i64, u64, Vec<String>)> {
    use sha2::Digest;
    let wanted: Vec<String> = sqlx::query_scalar(FILES_REFERRED_TO).fetch_all(copy).await?;
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    let (mut files, mut bytes, mut missing) = (0i64, 0u64, Vec::new());
    for sha in wanted {
        // a name that is not a hash is no file of the store's
        if sha.len() != 64 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
            missing.push(sha);
            continue;
        }
        let Ok(data) = std::fs::read(store.join(&sha)) else {
            missing.push(sha);
            continue;
        };
        let got: String = sha2::Sha256::digest(&data).iter().map(|b| format!("{b:02x}")).collect();
        if got != sha {
            missing.push(sha);
            continue;
        }
        let dest = dir.join(&sha);
        std::fs::write(&dest, &data).with_context(|| format!("failed to write {}", dest.display()))?;
        files += 1;
        bytes += data.len() as u64;
    }
    Ok((files, bytes, missing))
}

/// Writes a consistent copy of the database to `target` while Loa may be running (`VACUUM INTO`
/// reads one snapshot), checks the copy (SQLite's integrity check, the migrations, the tables),
/// and only then gives it its name: a failed backup leaves nothing under `target`. An existing
/// `target` is refused.
pub async fn backup(pool: &DbPool, target: &std::path::Path, store: &std::path::Path) -> anyhow::Result<BackupSummary> {
    if backend(pool) == Backend::Postgres {
        anyhow::bail!(
            "Loa's database is in PostgreSQL: back it up with pg_dump (pg_dump -Fc -f loa.dump DATABASE) and the store's folder with it"
        );
    }
    let files_dir = backup_files_dir(target);
    for taken in [target, files_dir.as_path()] {
        if taken.exists() {
            anyhow::bail!("{} exists already: choose a new file name (a backup never overwrites)", taken.display());
        }
    }
    let name = target.file_name().with_context(|| format!("{} is not a file name", target.display()))?;
    let part = target.with_file_name(format!("{}.part", name.to_string_lossy()));
    let files_part = target.with_file_name(format!("{}.files.part", name.to_string_lossy()));
    let _ = std::fs::remove_file(&part);
    let _ = std::fs::remove_dir_all(&files_part);
    let result = async {
        let path = part.to_str().with_context(|| format!("{} is not valid UTF-8", part.display()))?;
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(pool)
            .await
            .with_context(|| format!("failed to write the copy {}", part.display()))?;
        let copy = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(SqliteConnectOptions::new().filename(&part).read_only(true))
            .await
            .with_context(|| format!("failed to open the copy {}", part.display()))?;
        let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&copy).await?;
        if check != "ok" {
            anyhow::bail!("the copy failed SQLite's integrity check: {check}");
        }
        let summary = tally(&copy, std::fs::metadata(&part)?.len()).await?;
        let (files, file_bytes, missing) = copy_files(&copy, store, &files_part).await?;
        let summary = BackupSummary { files, file_bytes, missing, ..summary };
        copy.close().await;
        let live: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations").fetch_one(pool).await?;
        if summary.migrations != live {
            anyhow::bail!("the copy has {} migrations, the database {live}", summary.migrations);
        }
        Ok(summary)
    }
    .await;
    match result {
        Ok(summary) => {
            std::fs::rename(&files_part, &files_dir)
                .with_context(|| format!("failed to name the files' copy {}", files_dir.display()))?;
            std::fs::rename(&part, target).with_context(|| format!("failed to name the copy {}", target.display()))?;
            Ok(summary)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            let _ = std::fs::remove_dir_all(&files_part);
            Err(e)
        }
    }
}

/// A backup `loa restore` will not put in place, or a place it will not restore into: the
/// operator's input, said as it is (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BackupRefused(pub String);

fn refused(why: String) -> anyhow::Error {
    BackupRefused(why).into()
}

/// What `loa restore` put back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreSummary {
    /// What the backup holds (read from it before anything was changed).
    pub backup: BackupSummary,
    /// Where the database that was there before went (nothing is deleted), if there was one.
    pub set_aside: Option<PathBuf>,
    /// Migrations this Loa applied on top of the backup's (a backup made by an older Loa).
    pub migrated: i64,
}

/// Puts the backup `backup` (made by `loa backup`: the file and its `FILE.files/` folder) in place
/// of the database at `url`, and its files into the store `store`.
///
/// The backup is checked first (SQLite's integrity check, its migrations known to this Loa,
/// every file's sha256): a backup that fails is refused with nothing changed. The database
/// already there is renamed `FILE.before-restore-<time>` (with its -wal and -shm), never deleted;
/// the copy is written beside it and renamed into place; the paths of stored files in the
/// restored database are set to `store`, since the machine (or the folder) may be another; then
/// this Loa's newer migrations are applied. Refused while `loa serve` runs on `url`.
pub async fn restore(url: &str, backup: &std::path::Path, store: &std::path::Path) -> anyhow::Result<RestoreSummary> {
    use sha2::Digest;
    let db = file_of(url)
        .ok_or_else(|| refused(format!("{url} names no database file: a restore needs a sqlite:// file")))?;
    let _lock = take_serve_lock(url, "loa restore refused")?;
    if !backup.is_file() {
        return Err(refused(format!("{} is not a backup file (made by `loa backup FILE`)", backup.display())));
    }
    // 1. the copy, checked, before anything changes
    let copy = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::new().filename(backup).read_only(true).immutable(true))
        .await
        .map_err(|e| refused(format!("{} cannot be opened as a database: {e}", backup.display())))?;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&copy)
        .await
        .map_err(|e| refused(format!("{} is not a Loa backup: {e}", backup.display())))?;
    if check != "ok" {
        return Err(refused(format!("{} failed SQLite's integrity check: {check}", backup.display())));
    }
    let applied: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&copy)
            .await
            .map_err(|_| refused(format!("{} is not a Loa backup (it has no migrations table)", backup.display())))?;
    for (version, checksum) in &applied {
        match MIGRATOR.iter().find(|m| m.version == *version) {
            None => {
                return Err(refused(format!(
                    "{} was made by a newer Loa (migration {version} is unknown to this one): restore it with that version",
                    backup.display()
                )));
            }
            Some(m) if m.checksum.as_ref() != checksum.as_slice() => {
                return Err(refused(format!(
                    "{}: migration {version} differs from this Loa's: not a backup of this program",
                    backup.display()
                )));
            }
            Some(_) => {}
        }
    }
    let mut summary = tally(&copy, std::fs::metadata(backup)?.len()).await?;
    let wanted: Vec<String> = sqlx::query_scalar(FILES_REFERRED_TO).fetch_all(&copy).await?;
    copy.close().await;
    let files_dir = backup_files_dir(backup);
    let mut present = Vec::new();
    let mut damaged = Vec::new();
    for sha in wanted {
        if sha.len() != 64 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
            damaged.push(sha);
            continue;
        }
        let path = files_dir.join(&sha);
        match std::fs::read(&path) {
            Err(_) => summary.missing.push(sha),
            Ok(data) => {
                let got: String = sha2::Sha256::digest(&data).iter().map(|b| format!("{b:02x}")).collect();
                if got == sha {
                    summary.files += 1;
                    summary.file_bytes += data.len() as u64;
                    present.push(sha);
                } else {
                    damaged.push(sha);
                }
            }
        }
    }
    if !damaged.is_empty() {
        return Err(refused(format!(
            "{} file(s) in {} do not match their name (damaged): {}; nothing was restored",
            damaged.len(),
            files_dir.display(),
            damaged.join(", ")
        )));
    }
    // 2. the copy beside the database, the files into the store
    let dir = db
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| ".".into());
    std::fs::create_dir_all(&dir).with_context(|| format!("failed to create {}", dir.display()))?;
    std::fs::create_dir_all(store).with_context(|| format!("failed to create {}", store.display()))?;
    let name = db.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let part = dir.join(format!("{name}.restore.part"));
    let written = (|| -> anyhow::Result<()> {
        std::fs::copy(backup, &part).with_context(|| format!("failed to write {}", part.display()))?;
        std::fs::File::open(&part)?.sync_all()?;
        for sha in &present {
            let dest = store.join(sha);
            if dest.exists() {
                continue;
            }
            let tmp = store.join(format!(".{sha}.restore.part"));
            std::fs::copy(files_dir.join(sha), &tmp).with_context(|| format!("failed to write {}", tmp.display()))?;
            std::fs::File::open(&tmp)?.sync_all()?;
            std::fs::rename(&tmp, &dest).with_context(|| format!("failed to store {}", dest.display()))?;
        }
        Ok(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&part);
        return Err(e.context("nothing was restored"));
    }
    // 3. the database there before set aside (with its journal), the copy in its place
    let set_aside = if db.exists() {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let aside = dir.join(format!("{name}.before-restore-{stamp}"));
        for suffix in ["-wal", "-shm", ""] {
            let from = dir.join(format!("{name}{suffix}"));
            if from.exists() {
                let to = dir.join(format!("{}{suffix}", aside.file_name().unwrap_or_default().to_string_lossy()));
                std::fs::rename(&from, &to).with_context(|| format!("failed to set {} aside", from.display()))?;
            }
        }
        Some(aside)
    } else {
        None
    };
    std::fs::rename(&part, &db).with_context(|| format!("failed to put the copy in place as {}", db.display()))?;
    // 4. this machine's store, this Loa's migrations
    let pool = connect(url).await?;
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations").fetch_one(&pool).await?;
    migrate(&pool).await?;
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations").fetch_one(&pool).await?;
    let at = |sha: &str| store.join(sha).to_string_lossy().to_string();
    let mut tx = begin_write(&pool).await?;
    for (table, path, sha, keep) in [
        ("attachments", "local_path", "sha256", "sha256 <> '' AND local_path IS NOT NULL"),
        ("situation_files", "local_path", "sha256", "1"),
        ("reports", "attachment_path", "attachment_sha256", "attachment_sha256 IS NOT NULL"),
    ] {
        let rows: Vec<(i64, String)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT rowid, {sha} FROM {table} WHERE {keep}")))
                .fetch_all(&mut *tx)
                .await?;
        for (rowid, sha) in rows {
            sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE {table} SET {path} = $1 WHERE rowid = $2")))
                .bind(at(&sha))
                .bind(rowid)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    pool.close().await;
    Ok(RestoreSummary { backup: summary, set_aside, migrated: after - before })
}

/// Writes that come together, written together: each caller adds its item and waits; the first
/// to find no write under way (after `linger`, to let others join) takes every item waiting, its
/// own among them, and writes them with one call of `write`; the others hear how theirs went, and
/// the next to find its item still waiting writes the next group. Under load that is one
/// statement or transaction for many items instead of one each, and a lone item is written at
/// once (or after `linger`). Used for the delivery worker's sends and for acknowledgements; each
/// caller still waits for its own item to be written.
///
/// A group that knows who may still add an item (each of them counted by an [`Enlisted`] guard
/// while it may) ends its lingering as soon as every one of them is waiting: the last sends of a
/// broadcast are written at once, not after the whole `linger`.
pub struct GroupWrite<T, R> {
    waiting: std::sync::Mutex<Vec<(T, Tell<R>)>>,
    writing: tokio::sync::Mutex<()>,
    most: usize,
    /// Callers that may still add an item ([`GroupWrite::enlist`]); 0: not known.
    enlisted: std::sync::atomic::AtomicUsize,
    /// Rung when every enlisted caller is waiting.
    all_waiting: tokio::sync::Notify,
}

/// One caller counted as one that may add items to a [`GroupWrite`], until dropped.
pub struct Enlisted<T, R> {
    group: Arc<GroupWrite<T, R>>,
}

impl<T, R> Drop for Enlisted<T, R> {
    fn drop(&mut self) {
        self.group.enlisted.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        // the one that left may have been the last not waiting
        let waiting = self.group.waiting.lock().unwrap_or_else(|e| e.into_inner()).len();
        self.group.ring_if_all_waiting(waiting);
    }
}

impl<T, R> GroupWrite<T, R> {
    /// At most `most` items to a write.
    pub fn new(most: usize) -> GroupWrite<T, R> {
        GroupWrite {
            waiting: Default::default(),
            writing: Default::default(),
            most: most.max(1),
            enlisted: Default::default(),
            all_waiting: Default::default(),
        }
    }

    /// Counts a caller that may add items from now until the guard is dropped.
    pub fn enlist(self: &Arc<Self>) -> Enlisted<T, R> {
        self.enlisted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Enlisted { group: self.clone() }
    }

    /// Whether `waiting` items are all the enlisted callers may add (never while none is enlisted).
    fn all_waiting(&self, waiting: usize) -> bool {
        let enlisted = self.enlisted.load(std::sync::atomic::Ordering::SeqCst);
        enlisted > 0 && waiting >= enlisted
    }

    fn ring_if_all_waiting(&self, waiting: usize) {
        if waiting > 0 && self.all_waiting(waiting) {
            self.all_waiting.notify_waiters();
        }
    }

    /// Adds `item` and returns what became of it: `write` gets the items of one write and answers
    /// one result for each, in their order, or one error for all.
    pub async fn submit<F, Fut>(&self, item: T, linger: Option<Duration>, mut write: F) -> Result<R, String>
    where
        F: FnMut(Vec<T>) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<R>, String>>,
        R: Clone,
    {
        let (tell, mut told) = tokio::sync::oneshot::channel();
        let waiting = {
            let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
            waiting.push((item, tell));
            waiting.len()
        };
        self.ring_if_all_waiting(waiting);
        let _turn = tokio::select! {
            biased;
            written = &mut told => return written.unwrap_or_else(|_| Err(ABANDONED.into())),
            turn = self.writing.lock() => turn,
        };
        // the write that just ended may have carried this one
        if let Ok(written) = told.try_recv() {
            return written;
        }
        if let Some(linger) = linger {
            // registered before the look, so that the last caller's ring cannot slip by
            let rung = self.all_waiting.notified();
            tokio::pin!(rung);
            rung.as_mut().enable();
            let waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner()).len();
            if !self.all_waiting(waiting) {
                tokio::select! {
                    _ = rung => {}
                    _ = tokio::time::sleep(linger) => {}
                }
            }
        }
        // every item waiting now, up to `most`, until this one is written; the items that come in
        // meanwhile wait for the next caller to find its own still waiting (and to linger for others)
        loop {
            let (items, tells): (Vec<T>, Vec<_>) = {
                let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
                let n = waiting.len().min(self.most);
                waiting.drain(..n).unzip()
            };
            let n = items.len();
            if n > 0 {
                match write(items).await {
                    Ok(results) if results.len() == n => {
                        for (tell, result) in tells.into_iter().zip(results) {
                            let _ = tell.send(Ok(result));
                        }
                    }
                    Ok(results) => {
                        let e = format!("a grouped write answered {} results for {n} items", results.len());
                        for tell in tells {
                            let _ = tell.send(Err(e.clone()));
                        }
                    }
                    Err(e) => {
                        for tell in tells {
                            let _ = tell.send(Err(e.clone()));
                        }
                    }
                }
            }
            match told.try_recv() {
                Ok(written) => return written,
                // more than `most` were waiting before this one: the next group
                Err(tokio::sync::oneshot::error::TryRecvError::Empty) if n > 0 => {}
                Err(_) => return Err(ABANDONED.into()),
            }
        }
    }
}

/// Where an item's caller hears how its write went.
type Tell<R> = tokio::sync::oneshot::Sender<Result<R, String>>;

const ABANDONED: &str = "the grouped write carrying it was abandoned";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_database_file_is_found_whatever_its_path_holds_and_every_connection_shares_memory() {
        // a folder named as an office names it: spaces, Vietnamese letters, `#`
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("Ban Tuyên giáo #1");
        let url = format!("sqlite://{}/loa.db", folder.display());
        let pool = open(&url).await.unwrap();
        sqlx::query("INSERT INTO slot_runs (slot, due_at, ran_at) VALUES ('x', 1, 1)").execute(&pool).await.unwrap();
        pool.close().await;
        assert!(folder.join("loa.db").is_file(), "the file is where the URL says, not elsewhere");
        let again = open(&url).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM slot_runs").fetch_one(&again).await.unwrap();
        assert_eq!(n, 1);
        // a relative path keeps its first folder's case (it is no host name)
        assert_eq!(any_sqlite_url("sqlite://Data/Loa.db"), "sqlite:Data/Loa.db?mode=rwc");
        // one in-memory database for all of a pool's connections
        let memory = open("sqlite::memory:").await.unwrap();
        let mut first = memory.acquire().await.unwrap();
        let mut second = memory.acquire().await.unwrap();
        sqlx::query("INSERT INTO slot_runs (slot, due_at, ran_at) VALUES ('y', 1, 1)")
            .execute(&mut *first)
            .await
            .unwrap();
        let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM slot_runs").fetch_one(&mut *second).await.unwrap();
        assert_eq!(seen, 1);
    }

    #[tokio::test]
    async fn sqlite_allocates_from_mimalloc() {
        let pool = connect("sqlite::memory:").await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_master").fetch_one(&pool).await.unwrap();
        assert_eq!(n, 0);
        // SAFETY: sqlite3_malloc / sqlite3_free in a pair; the pointer is only looked at
        unsafe {
            let p = libsqlite3_sys::sqlite3_malloc(1000);
            assert!(!p.is_null());
            assert!(libmimalloc_sys::mi_is_in_heap_region(p), "SQLite's memory came from the system's malloc");
            assert!(libsqlite3_sys::sqlite3_msize(p) >= 1000);
            libsqlite3_sys::sqlite3_free(p);
        }
    }

    #[tokio::test]
    async fn a_group_write_carries_what_came_together_and_answers_each_in_its_order() {
        let group: Arc<GroupWrite<u32, u32>> = Arc::new(GroupWrite::new(3));
        let calls = Arc::new(std::sync::Mutex::new(Vec::new()));
        let submit = |item: u32| {
            let (group, calls) = (group.clone(), calls.clone());
            tokio::spawn(async move {
                group
                    .submit(item, Some(Duration::from_millis(50)), |items| {
                        let calls = calls.clone();
                        async move {
                            calls.lock().unwrap().push(items.clone());
                            if items.contains(&13) {
                                return Err("thirteen".to_string());
                            }
                            Ok(items.iter().map(|i| i * 10).collect())
                        }
                    })
                    .await
            })
        };
        // five at once: the first waits 50 ms, then writes three, then the other two
        let handles: Vec<_> = [1, 2, 3, 4, 5].into_iter().map(submit).collect();
        let mut got = Vec::new();
        for h in handles {
            got.push(h.await.unwrap());
        }
        assert_eq!(got, [Ok(10), Ok(20), Ok(30), Ok(40), Ok(50)]);
        assert_eq!(*calls.lock().unwrap(), [vec![1, 2, 3], vec![4, 5]]);
        // a write that fails fails every item it carried, and only those
        calls.lock().unwrap().clear();
        let handles: Vec<_> = [12, 13].into_iter().map(submit).collect();
        let mut got = Vec::new();
        for h in handles {
            got.push(h.await.unwrap());
        }
        assert_eq!(got, [Err("thirteen".to_string()), Err("thirteen".to_string())]);
        assert_eq!(submit(14).await.unwrap(), Ok(140));
    }

    #[tokio::test(start_paused = true)]
    async fn a_group_write_lingers_no_longer_once_every_enlisted_caller_waits() {
        use tokio::time::Instant;
        let group: Arc<GroupWrite<u32, u32>> = Arc::new(GroupWrite::new(10));
        let submit = |item: u32, linger: Duration| {
            let group = group.clone();
            tokio::spawn(async move {
                group
                    .submit(item, Some(linger), |items| async move { Ok(items.iter().map(|i| i * 10).collect()) })
                    .await
            })
        };
        let hour = Duration::from_secs(3600);
        // two callers that may add items: the first lingers until the second's item comes, not an
        // hour (the clock is tokio's paused one: a sleep would move it)
        let (a, b) = (group.enlist(), group.enlist());
        let started = Instant::now();
        let (first, second) = (submit(1, hour), submit(2, hour));
        assert_eq!((first.await.unwrap(), second.await.unwrap()), (Ok(10), Ok(20)));
        assert!(started.elapsed() < hour, "lingered {:?} with every caller waiting", started.elapsed());
        // one left: a lone item from the other is written at once
        drop(b);
        let started = Instant::now();
        assert_eq!(submit(3, hour).await.unwrap(), Ok(30));
        assert!(started.elapsed() < hour);
        // a write lingering for a caller that leaves without an item goes when it leaves
        let c = group.enlist();
        let started = Instant::now();
        let fourth = submit(4, hour);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!fourth.is_finished(), "it lingers while a caller may still add an item");
        drop(c);
        assert_eq!(fourth.await.unwrap(), Ok(40));
        assert!(started.elapsed() < hour);
        // nobody enlisted: the group does not know who may come, and lingers the whole time
        drop(a);
        let started = Instant::now();
        assert_eq!(submit(5, Duration::from_millis(50)).await.unwrap(), Ok(50));
        assert!(started.elapsed() >= Duration::from_millis(50));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_read_then_write_transactions_wait_instead_of_failing() {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(&format!("sqlite://{}/t.db", dir.path().display())).await.unwrap();
        let mut tasks = Vec::new();
        for t in 0..8 {
            let pool = pool.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..20 {
                    let mut tx = begin_write(&pool).await?;
                    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM slot_runs").fetch_one(&mut *tx).await?;
                    sqlx::query("INSERT INTO slot_runs (slot, due_at, ran_at) VALUES ($1, $2, $3)")
                        .bind(format!("t{t}"))
                        .bind(i)
                        .bind(n)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                }
                Ok::<_, sqlx::Error>(())
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM slot_runs").fetch_one(&pool).await.unwrap();
        assert_eq!(n, 160);
    }

    #[test]
    fn database_urls_name_their_files() {
        assert_eq!(file_of("sqlite://data/loa.db"), Some(PathBuf::from("data/loa.db")));
        assert_eq!(file_of("sqlite:///var/lib/loa/loa.db?mode=rwc"), Some(PathBuf::from("/var/lib/loa/loa.db")));
        assert_eq!(file_of("sqlite::memory:"), None);
    }

    #[tokio::test]
    async fn a_new_database_gets_its_folder_wal_foreign_keys_and_schema() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/nested/loa.db", dir.path().display());
        let pool = open(&url).await.unwrap();
        assert!(dir.path().join("nested/loa.db").is_file());
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&pool).await.unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&pool).await.unwrap();
        assert_eq!(fk, 1);
        for table in [
            "cells",
            "invites",
            "staff",
            "packs",
            "attachments",
            "broadcasts",
            "deliveries",
            "acks",
            "reports",
            "slot_runs",
            "dialogues",
            "audit_log",
        ] {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1")
                .bind(table)
                .fetch_one(&pool)
                .await
                .unwrap();
            assert_eq!(n, 1, "table {table} is missing");
        }
        // applying again is a no-op
        migrate(&pool).await.unwrap();
        // foreign keys are enforced
        let err = sqlx::query("INSERT INTO cell_tags (cell_id, tag) VALUES (999, 'x')").execute(&pool).await;
        assert!(err.is_err());
    }
}
