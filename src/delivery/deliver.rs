//! One delivery, from its claim to its [`Outcome`]: the pack's documents (one sendDocument, or an
//! album; uploaded by the first delivery, by file_id after) and then its message with the
//! buttons, every send through the [`Limiter`] and only while its broadcast is still running (a
//! pause puts the delivery back, a cancel cancels it). Each send's result becomes an outcome
//! ([`judge`] for a failure: a 429 pauses everything; a migrated group gets its new id and the send
//! goes on; a chat gone for good fails the delivery and marks the cell unreachable; a passing
//! failure retries with exponential backoff and jitter up to `delivery.max_attempts`; a content
//! error stops the broadcast), written by the outbox before the next send: a crash repeats at most
//! the send that was in flight.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use rand::Rng;
use teloxide::payloads;
use teloxide::prelude::*;
use teloxide::types::{InputFile, InputMedia, InputMediaDocument, ParseMode};
use tokio_util::sync::CancellationToken;

use super::outbox::{Claimed, Outbox, Outcome, judge};
use crate::config::Config;
use crate::i18n::{Catalog, Locale};
use crate::lifecycle::{BroadcastKind, BroadcastState};
use crate::packs::message::{self, PackText};
use crate::packs::period::Period;
use crate::telegram::button::pack_keyboard;
use crate::telegram::failure::classify;
use crate::telegram::lean::{self, Sent};
use crate::telegram::limiter::Limiter;

/// How stale a broadcast's state may be when a send checks it: a pause or cancel takes effect
/// within this time.
const STATE_TTL: Duration = Duration::from_millis(300);

pub(super) struct Doc {
    attachment_id: i64,
    name: String,
    local_path: Option<String>,
}

/// What every delivery of one pack sends.
pub(super) struct PackContent {
    title: String,
    period: Option<Period>,
    body_html: String,
    deadline: NaiveDate,
    report: Option<String>,
    docs: Vec<Doc>,
    /// Telegram's file_id of each document, once known: uploaded once, then reused.
    file_ids: Mutex<Vec<Option<String>>>,
    /// Held by the one delivery that uploads documents Telegram does not have yet.
    uploading: tokio::sync::Mutex<()>,
    /// The message as each language and kind of broadcast has it (the pack's, a reminder's, a
    /// resend's), rendered by the first delivery that sends it: every cell of a broadcast gets the
    /// same text, only the buttons differ.
    texts: Mutex<HashMap<(Locale, BroadcastKind), String>>,
}

/// What sends one delivery: the wire, the pack contents and broadcast states it has read, and the
/// outbox it writes each outcome to.
pub(super) struct Deliverer {
    pool: crate::db::DbPool,
    bot: Bot,
    /// A delivery's JSON requests (see `telegram::lean`): straight through hyper without a proxy.
    sender: lean::Sender,
    config: Arc<Config>,
    catalog: Arc<Catalog>,
    limiter: Arc<Limiter>,
    retry_base: Duration,
    pub(super) outbox: Outbox,
    /// Each pack's content, read once.
    packs: Mutex<HashMap<i64, Arc<PackContent>>>,
    /// Each broadcast's pack and kind.
    broadcast_packs: Mutex<HashMap<i64, (i64, BroadcastKind)>>,
    /// Broadcast states as last read, and when.
    states: Mutex<HashMap<i64, (BroadcastState, std::time::Instant)>>,
    /// Places for sends on their way ([`SENDS_IN_FLIGHT`]).
    sending: tokio::sync::Semaphore,
    /// Held while a pack's content or a broadcast's first state is read: the first delivery of a
    /// batch reads it, the hundreds claimed with it wait and find it kept (not each reading it).
    reading: tokio::sync::Mutex<()>,
    /// The database's health marks (a send that went through marks Telegram reached), found once.
    health: Arc<crate::ops::Health>,
}

/// The most sends on their way to Telegram at once: each holds a connection and its buffers, and
/// the client keeps that many idle ([`crate::app::IDLE_CONNECTIONS`]), so that sends reuse them
/// instead of opening and closing one each. Most deliveries in flight wait for their chat's turn,
/// not for Telegram; at a round trip of 150 ms this many carry 1,700 messages a second.
pub const SENDS_IN_FLIGHT: usize = crate::app::IDLE_CONNECTIONS;

impl Deliverer {
    pub(super) fn new(
        pool: crate::db::DbPool,
        bot: Bot,
        config: Arc<Config>,
        catalog: Arc<Catalog>,
        limiter: Arc<Limiter>,
        retry_base: Duration,
    ) -> Deliverer {
        Deliverer {
            outbox: Outbox::new(pool.clone()),
            health: crate::ops::health(&pool),
            pool,
            sender: lean::Sender::for_bot(&bot, &config.telegram.proxy),
            bot,
            config,
            catalog,
            limiter,
            retry_base,
            packs: Mutex::new(HashMap::new()),
            broadcast_packs: Mutex::new(HashMap::new()),
            states: Mutex::new(HashMap::new()),
            sending: tokio::sync::Semaphore::new(SENDS_IN_FLIGHT),
            reading: tokio::sync::Mutex::new(()),
        }
    }

    pub(super) async fn pack_of(&self, broadcast_id: i64) -> anyhow::Result<(Arc<PackContent>, BroadcastKind)> {
        if let Some(known) = self.known_pack(broadcast_id) {
            return Ok(known);
        }
        let _reading = self.reading.lock().await;
        if let Some(known) = self.known_pack(broadcast_id) {
            return Ok(known);
        }
        let known = self.broadcast_packs.lock().unwrap_or_else(|e| e.into_inner()).get(&broadcast_id).copied();
        let (pack_id, kind) = match known {
            Some(p) => p,
            None => {
                let (p, kind): (i64, BroadcastKind) =
                    sqlx::query_as("SELECT pack_id, kind FROM broadcasts WHERE id = $1")
                        .bind(broadcast_id)
                        .fetch_one(&self.pool)
                        .await?;
                self.broadcast_packs.lock().unwrap_or_else(|e| e.into_inner()).insert(broadcast_id, (p, kind));
                (p, kind)
            }
        };
        if let Some(p) = self.packs.lock().unwrap_or_else(|e| e.into_inner()).get(&pack_id) {
            return Ok((p.clone(), kind));
        }
        let pack = crate::packs::store::get(&self.pool, pack_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("pack {pack_id} vanished"))?;
        let rows: Vec<(i64, String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT id, file_name, local_path, telegram_file_id FROM attachments WHERE pack_id = $1 ORDER BY position",
        )
        .bind(pack_id)
        .fetch_all(&self.pool)
        .await?;
        let today = chrono::Utc::now().with_timezone(&self.config.timezone).date_naive();
        let content = Arc::new(PackContent {
            title: pack.title.clone(),
            period: pack.period(),
            body_html: pack.body_html.clone(),
            deadline: crate::packs::deadline_for(pack.deadline(), today, self.config.default_deadline_days),
            report: pack.report_prompt.clone(),
            file_ids: Mutex::new(rows.iter().map(|r| r.3.clone()).collect()),
            docs: rows
                .into_iter()
                .map(|(id, name, path, _)| Doc { attachment_id: id, name, local_path: path })
                .collect(),
            uploading: tokio::sync::Mutex::new(()),
            texts: Mutex::new(HashMap::new()),
        });
        Ok((self.packs.lock().unwrap_or_else(|e| e.into_inner()).entry(pack_id).or_insert(content).clone(), kind))
    }

    /// A broadcast's pack and kind, when both are kept already.
    fn known_pack(&self, broadcast_id: i64) -> Option<(Arc<PackContent>, BroadcastKind)> {
        let (pack_id, kind) = *self.broadcast_packs.lock().unwrap_or_else(|e| e.into_inner()).get(&broadcast_id)?;
        let pack = self.packs.lock().unwrap_or_else(|e| e.into_inner()).get(&pack_id)?.clone();
        Some((pack, kind))
    }

    /// The pack delivery to this cell a reminder or a resend belongs to: its buttons answer that one.
    async fn original_delivery(&self, broadcast_id: i64, cell_id: i64) -> sqlx::Result<Option<i64>> {
        sqlx::query_scalar(
            "SELECT d.id FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id
             WHERE b.pack_id = (SELECT pack_id FROM broadcasts WHERE id = $1) AND b.kind = 'pack' AND d.cell_id = $2
             ORDER BY d.id DESC LIMIT 1",
        )
        .bind(broadcast_id)
        .bind(cell_id)
        .fetch_optional(&self.pool)
        .await
    }

    /// The question and answer an `answer` broadcast sends (read per delivery: such broadcasts
    /// are few and small).
    async fn question_of(&self, broadcast_id: i64) -> sqlx::Result<(String, String)> {
        sqlx::query_as(
            "SELECT q.body, COALESCE(q.answer, '') FROM broadcasts b JOIN pack_questions q ON q.id = b.question_id
             WHERE b.id = $1",
        )
        .bind(broadcast_id)
        .fetch_one(&self.pool)
        .await
    }

    /// Sends one delivery to the end (or to an outcome that stops it).
    /// A stop lets the send under way finish; a delivery still waiting for its turn goes back to
    /// `pending` for the next start.
    pub(super) async fn deliver(&self, mut d: Claimed, stop: &CancellationToken) -> anyhow::Result<()> {
        // every future that queries the database is boxed: it lives only while it runs, not in
        // each delivery waiting for its chat's turn (a delivery in flight is then a few hundred
        // bytes, not 4 KB: at 1000/s about 1,300 are under way)
        let (pack, kind) = Box::pin(self.pack_of(d.broadcast_id)).await?;
        let locale = d.locale.as_deref().and_then(Locale::parse).unwrap_or(self.config.default_locale);
        // a reminder's buttons answer the pack's own delivery
        let answers = match kind {
            BroadcastKind::Pack => Some(d.id),
            BroadcastKind::Reminder | BroadcastKind::Resend => {
                Box::pin(self.original_delivery(d.broadcast_id, d.cell_id)).await?
            }
            BroadcastKind::Answer => None,
        };
        loop {
            let outcome = self.send_next(&mut d, &pack, locale, kind, answers, stop).await?;
            if let Outcome::SlowDown(wait) = outcome {
                self.limiter.pause(wait);
            }
            Box::pin(self.outbox.record(&mut d, &outcome, stop)).await?;
            if outcome.ends_claim() {
                return Ok(());
            }
        }
    }

    /// The next send of a delivery (its documents, or its message), and how it ended.
    async fn send_next(
        &self,
        d: &mut Claimed,
        pack: &PackContent,
        locale: Locale,
        kind: BroadcastKind,
        answers: Option<i64>,
        stop: &CancellationToken,
    ) -> anyhow::Result<Outcome> {
        let sending_docs = d.step == 0 && !pack.docs.is_empty();
        // the broadcast may have been paused or cancelled since this delivery was claimed
        match self.broadcast_state(d.broadcast_id).await? {
            BroadcastState::Running => {}
            BroadcastState::Paused => return Ok(Outcome::Paused),
            _ => return Ok(Outcome::Cancelled),
        }
        let turn = self.limiter.acquire(d.chat_id, if sending_docs { pack.docs.len() as u32 } else { 1 });
        tokio::select! {
            _ = turn => {}
            _ = stop.cancelled() => return Ok(Outcome::Paused),
        }
        // the semaphore is never closed
        let place = self.sending.acquire().await;
        let started = std::time::Instant::now();
        // the request's future (teloxide's and reqwest's state) is boxed too
        let result = if sending_docs {
            Box::pin(self.send_docs(d, pack)).await
        } else {
            Box::pin(self.send_message(d, pack, locale, kind, answers)).await
        };
        metrics::histogram!("loa_send_seconds").record(started.elapsed().as_secs_f64());
        drop(place);
        let what = match (sending_docs, kind) {
            (true, _) => "documents",
            (false, BroadcastKind::Pack) => "message",
            (false, BroadcastKind::Reminder) => "reminder",
            (false, BroadcastKind::Resend) => "resend",
            (false, BroadcastKind::Answer) => "answer",
        };
        Ok(match result {
            Ok(ids) => {
                metrics::counter!("loa_sends_total", "kind" => what).increment(1);
                self.health.telegram_ok();
                if sending_docs { Outcome::DocumentsSent(ids) } else { Outcome::Sent(ids[0]) }
            }
            Err(e) => {
                let verdict = classify(&e);
                metrics::counter!("loa_send_errors_total", "kind" => verdict.label()).increment(1);
                if matches!(verdict, crate::telegram::failure::Verdict::SlowDown(_)) {
                    metrics::counter!("loa_http_429_total").increment(1);
                }
                let base = self.retry_base;
                judge(verdict, d.attempts, self.config.delivery.max_attempts, |attempts| {
                    super::outbox::backoff(base, attempts, rand::rng().random_range(0.5..1.5))
                })
            }
        })
    }

    /// A broadcast's state, read at most every [`STATE_TTL`] (not once per send): the first send
    /// to find it stale reads it again, the sends meanwhile keep the state last read.
    async fn broadcast_state(&self, broadcast_id: i64) -> sqlx::Result<BroadcastState> {
        let kept = {
            let mut states = self.states.lock().unwrap_or_else(|e| e.into_inner());
            match states.get_mut(&broadcast_id) {
                Some((state, at)) if at.elapsed() < STATE_TTL => return Ok(*state),
                Some((_, at)) => {
                    // this send reads it again; until then the others see it as fresh
                    *at = std::time::Instant::now();
                    true
                }
                None => false,
            }
        };
        if kept {
            return self.read_state(broadcast_id).await;
        }
        // never read yet: the first reads it, the others wait for that
        let _reading = self.reading.lock().await;
        if let Some((state, _)) = self.states.lock().unwrap_or_else(|e| e.into_inner()).get(&broadcast_id) {
            return Ok(*state);
        }
        self.read_state(broadcast_id).await
    }

    async fn read_state(&self, broadcast_id: i64) -> sqlx::Result<BroadcastState> {
        let state: BroadcastState = Box::pin(
            sqlx::query_scalar("SELECT state FROM broadcasts WHERE id = $1").bind(broadcast_id).fetch_one(&self.pool),
        )
        .await?;
        self.states.lock().unwrap_or_else(|e| e.into_inner()).insert(broadcast_id, (state, std::time::Instant::now()));
        Ok(state)
    }

    async fn send_docs(&self, d: &Claimed, pack: &PackContent) -> Result<Vec<i64>, teloxide::RequestError> {
        let known =
            |pack: &PackContent| pack.file_ids.lock().unwrap_or_else(|e| e.into_inner()).iter().all(Option::is_some);
        // the first delivery uploads; the others wait and then send by file_id
        let _uploading = if known(pack) { None } else { Some(pack.uploading.lock().await) };
        let ids = pack.file_ids.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let input = |i: usize| -> InputFile {
            match &ids[i] {
                Some(id) => InputFile::file_id(teloxide::types::FileId(id.clone())),
                None => InputFile::file(pack.docs[i].local_path.clone().unwrap_or_default())
                    .file_name(pack.docs[i].name.clone()),
            }
        };
        let paid = self.config.delivery.paid_broadcast;
        let chat = ChatId(d.chat_id);
        if ids.iter().all(Option::is_some) {
            // by file_id: JSON, and only the message ids read back (see `telegram::lean`)
            let paid = paid.then_some(true);
            return if pack.docs.len() == 1 {
                let mut p = payloads::SendDocument::new(chat, input(0));
                p.allow_paid_broadcast = paid;
                let sent: Sent = self.sender.send(p).await?;
                Ok(vec![i64::from(sent.message_id)])
            } else {
                let media = (0..pack.docs.len()).map(|i| InputMedia::Document(InputMediaDocument::new(input(i))));
                let mut p = payloads::SendMediaGroup::new(chat, media);
                p.allow_paid_broadcast = paid;
                let sent: Vec<Sent> = self.sender.send(p).await?;
                Ok(sent.iter().map(|m| i64::from(m.message_id)).collect())
            };
        }
        let sent: Vec<Message> = if pack.docs.len() == 1 {
            let mut req = self.bot.send_document(chat, input(0));
            if paid {
                req = req.allow_paid_broadcast(true);
            }
            vec![req.await?]
        } else {
            let media: Vec<InputMedia> =
                (0..pack.docs.len()).map(|i| InputMedia::Document(InputMediaDocument::new(input(i)))).collect();
            let mut req = self.bot.send_media_group(chat, media);
            if paid {
                req = req.allow_paid_broadcast(true);
            }
            req.await?
        };
        {
            let learned: Vec<Option<String>> =
                sent.iter().map(|m| m.document().map(|doc| doc.file.id.0.clone())).collect();
            for (i, fid) in learned.iter().enumerate() {
                if let (Some(fid), Some(doc)) = (fid, pack.docs.get(i)) {
                    let _ = sqlx::query(
                        "UPDATE attachments SET telegram_file_id = $1 WHERE id = $2 AND telegram_file_id IS NULL",
                    )
                    .bind(fid)
                    .bind(doc.attachment_id)
                    .execute(&self.pool)
                    .await;
                }
            }
            let mut cache = pack.file_ids.lock().unwrap_or_else(|e| e.into_inner());
            for (slot, fid) in cache.iter_mut().zip(learned) {
                if slot.is_none() {
                    *slot = fid;
                }
            }
        }
        Ok(sent.iter().map(|m| i64::from(m.id.0)).collect())
    }

    async fn send_message(
        &self,
        d: &Claimed,
        pack: &PackContent,
        locale: Locale,
        kind: BroadcastKind,
        answers: Option<i64>,
    ) -> Result<Vec<i64>, teloxide::RequestError> {
        let kept = pack.texts.lock().unwrap_or_else(|e| e.into_inner()).get(&(locale, kind)).cloned();
        let text = match (kept, kind) {
            (Some(text), _) => text,
            (None, BroadcastKind::Answer) => {
                let (question, answer) = self.question_of(d.broadcast_id).await.map_err(|e| {
                    teloxide::RequestError::Io(std::sync::Arc::new(std::io::Error::other(format!(
                        "the question an answer broadcast sends could not be read: {e}"
                    ))))
                })?;
                // not kept: a pack's answers are broadcasts of their own, each with its question
                message::answer(&self.catalog, locale, &pack.title, pack.period, &question, &answer)
            }
            (None, _) => {
                let text = match kind {
                    BroadcastKind::Reminder => {
                        message::reminder(&self.catalog, locale, &pack.title, pack.period, pack.deadline)
                    }
                    BroadcastKind::Resend => message::resent(&self.catalog, locale, &pack.title, pack.period),
                    // an answer's text was made above
                    BroadcastKind::Pack | BroadcastKind::Answer => message::render(
                        &self.catalog,
                        locale,
                        &PackText {
                            title: &pack.title,
                            period: pack.period,
                            body_html: &pack.body_html,
                            deadline: pack.deadline,
                            report_prompt: pack.report.as_deref(),
                            attachments: pack.docs.len(),
                        },
                    ),
                };
                pack.texts.lock().unwrap_or_else(|e| e.into_inner()).insert((locale, kind), text.clone());
                text
            }
        };
        let mut p = payloads::SendMessage::new(ChatId(d.chat_id), text);
        p.parse_mode = Some(ParseMode::Html);
        if let (Some(answers), BroadcastKind::Pack | BroadcastKind::Reminder) = (answers, kind) {
            p.reply_markup = Some(pack_keyboard(answers, pack.report.is_some(), None).into());
        }
        p.allow_paid_broadcast = self.config.delivery.paid_broadcast.then_some(true);
        // only the message id is read back (see `telegram::lean`)
        let sent: Sent = self.sender.send(p).await?;
        Ok(vec![i64::from(sent.message_id)])
    }
}
