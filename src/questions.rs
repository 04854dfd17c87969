//! Questions on a pack: a member of a cell replies to the pack's message (or its reminder) with a
//! question; it is kept with the pack and the cell, the board is told, and an answer given in chat
//! (by the board, or an officer above the cell) goes back to the cell's chat. Asking, answering
//! and who did it are audited, never the words.

use crate::db::DbPool;
use serde_json::json;

use crate::audit::{self, Actor};

/// The longest question or answer.
pub const MAX_TEXT: usize = 1000;

/// The pack delivery whose message (or reminder) `message_id` is, in `chat_id`, if the chat
/// holds that delivery's cell now: (pack id, cell id, the cell's unit).
pub async fn pack_of_message(
    pool: &DbPool,
    chat_id: i64,
    message_id: i64,
) -> sqlx::Result<Option<(i64, i64, Option<i64>)>> {
    sqlx::query_as(
        "SELECT b.pack_id, d.cell_id, c.unit_id FROM deliveries d
         JOIN broadcasts b ON b.id = d.broadcast_id JOIN cells c ON c.id = d.cell_id
         WHERE d.chat_id = $1 AND d.ack_message_id = $2 AND c.chat_id = $1 AND d.state = 'sent'
         ORDER BY d.id DESC LIMIT 1",
    )
    .bind(chat_id)
    .bind(message_id)
    .fetch_optional(pool)
    .await
}

/// A question as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Question {
    pub id: i64,
    pub pack_id: i64,
    pub pack_title: String,
    pub cell_id: i64,
    pub cell_code: String,
    pub cell_name: String,
    pub chat_id: i64,
    pub user_name: String,
    pub body: String,
    pub answer: Option<String>,
    /// The answer went to every cell that got the pack (a hỏi đáp of the pack).
    #[sqlx(try_from = "crate::db::Flag")]
    pub faq: bool,
}

/// Writes a question (audited); returns its id.
#[allow(clippy::too_many_arguments)]
pub async fn ask(
    pool: &DbPool,
    pack_id: i64,
    cell_id: i64,
    unit_id: Option<i64>,
    chat_id: i64,
    user_id: i64,
    user_name: &str,
    body: &str,
    now: i64,
) -> anyhow::Result<i64> {
    let mut tx = crate::db::begin_write(pool).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO pack_questions (pack_id, cell_id, unit_id, chat_id, user_id, user_name, body, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(pack_id)
    .bind(cell_id)
    .bind(unit_id)
    .bind(chat_id)
    .bind(user_id)
    .bind(user_name)
    .bind(body)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let details = json!({ "pack_id": pack_id, "cell_id": cell_id });
    audit::record(&mut tx, Actor::User(user_id), "question.asked", Some(&id.to_string()), "ok", details).await?;
    tx.commit().await?;
    Ok(id)
}

const QUESTION: &str = "SELECT q.id, q.pack_id, p.title AS pack_title, q.cell_id, c.code AS cell_code,
        c.name AS cell_name, q.chat_id, q.user_name, q.body, q.answer, q.faq
     FROM pack_questions q JOIN packs p ON p.id = q.pack_id JOIN cells c ON c.id = q.cell_id";

/// One question, if it is within `within` (the whole province for `None`).
pub async fn get(pool: &DbPool, id: i64, within: Option<i64>) -> sqlx::Result<Option<Question>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{QUESTION} WHERE q.id = $1
           AND ($2 IS NULL OR q.unit_id IN (SELECT descendant FROM unit_paths WHERE ancestor = $2))"
    )))
    .bind(id)
    .bind(within)
    .fetch_optional(pool)
    .await
}

/// The questions not answered yet within `within`, oldest first (at most `limit`).
pub async fn open(pool: &DbPool, within: Option<i64>, limit: i64) -> sqlx::Result<Vec<Question>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{QUESTION} WHERE q.answered_at IS NULL
           AND ($1 IS NULL OR q.unit_id IN (SELECT descendant FROM unit_paths WHERE ancestor = $1))
         ORDER BY q.id LIMIT $2"
    )))
    .bind(within)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The questions of a pack answered for every cell (its hỏi đáp), in the order they were asked.
pub async fn faq(pool: &DbPool, pack_id: i64) -> sqlx::Result<Vec<Question>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{QUESTION} WHERE q.pack_id = $1 AND q.faq = 1 ORDER BY q.id")))
        .bind(pack_id)
        .fetch_all(pool)
        .await
}

/// Records an answer (audited); false when the question had one already (the first answer
/// stands; a second is not sent).
pub async fn answer(pool: &DbPool, id: i64, by: i64, text: &str, now: i64) -> anyhow::Result<bool> {
    let mut tx = crate::db::begin_write(pool).await?;
    let changed = sqlx::query(
        "UPDATE pack_questions SET answer = $1, answered_by = $2, answered_at = $3 WHERE id = $4 AND answered_at IS NULL",
    )
    .bind(text)
    .bind(by)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed > 0 {
        audit::record(&mut tx, Actor::User(by), "question.answered", Some(&id.to_string()), "ok", json!({})).await?;
    }
    tx.commit().await?;
    Ok(changed > 0)
}
