//! The simulator's HTTP face: the Bot API routes (`/bot<TOKEN>/<method>`, `/file/bot<TOKEN>/<path>`),
//! the control routes under `/_sim/` that `loa sim` users drive by hand, and the webhook pusher.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::Shared;
use super::world::{ApiError, ChatKind, FaultKind, FaultRule, Params, RateLimits, Upload};

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/file/{token}/{*path}", get(file))
        .route("/{token}/{method}", post(api).get(api))
        .route("/_sim/users", post(c_user))
        .route("/_sim/users/bulk", post(c_users_bulk))
        .route("/_sim/stats", get(c_stats))
        .route("/_sim/users/{id}/block", post(c_block))
        .route("/_sim/groups", post(c_group))
        .route("/_sim/chats/{id}/bot", post(c_bot))
        .route("/_sim/chats/{id}/migrate", post(c_migrate))
        .route("/_sim/chats/{id}/messages", post(c_send).get(c_messages))
        .route("/_sim/chats/{id}/documents", post(c_document))
        .route("/_sim/chats/{id}/press", post(c_press))
        .route("/_sim/callback_answers", get(c_answers))
        .route("/_sim/calls", get(c_calls))
        .route("/_sim/limits", get(c_limits_get).put(c_limits))
        .route("/_sim/faults", post(c_fault).delete(c_faults_clear))
        .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
        .with_state(shared)
}

fn answer(result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(v) => (StatusCode::OK, Json(json!({"ok": true, "result": v}))).into_response(),
        Err(e) => (StatusCode::from_u16(e.code).unwrap_or(StatusCode::BAD_REQUEST), Json(e.body())).into_response(),
    }
}

fn not_found() -> ApiError {
    ApiError { code: 404, description: "Not Found".into(), parameters: None }
}

async fn read_params(req: Request) -> Result<(Params, HashMap<String, Upload>), ApiError> {
    let mut map = Map::new();
    if let Some(q) = req.uri().query() {
        for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
            map.insert(k.into_owned(), Value::String(v.into_owned()));
        }
    }
    let ctype =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let mut uploads = HashMap::new();
    let too_large = || ApiError { code: 413, description: "Request Entity Too Large".into(), parameters: None };
    if ctype.starts_with("multipart/form-data") {
        let mut mp =
            Multipart::from_request(req, &()).await.map_err(|_| ApiError::bad_request("can't parse multipart body"))?;
        loop {
            let field = match mp.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
                Err(_) => return Err(ApiError::bad_request("can't parse multipart body")),
            };
            let name = field.name().unwrap_or_default().to_string();
            let file_name = field.file_name().map(str::to_string);
            let content_type = field.content_type().map(str::to_string);
            let bytes = field.bytes().await.map_err(|_| too_large())?;
            if file_name.is_some() {
                uploads.insert(name, Upload { file_name, content_type, bytes: bytes.to_vec() });
            } else {
                map.insert(name, Value::String(String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
    } else {
        let body = axum::body::to_bytes(req.into_body(), 64 * 1024 * 1024).await.map_err(|_| too_large())?;
        if ctype.starts_with("application/json") && !body.is_empty() {
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(m)) => map.extend(m),
                _ => return Err(ApiError::bad_request("can't parse JSON object")),
            }
        } else if !body.is_empty() {
            for (k, v) in url::form_urlencoded::parse(&body) {
                map.insert(k.into_owned(), Value::String(v.into_owned()));
            }
        }
    }
    Ok((Params(map), uploads))
}

async fn api(
    State(shared): State<Arc<Shared>>,
    Path((token, method)): Path<(String, String)>,
    req: Request,
) -> Response {
    let Some(token) = token.strip_prefix("bot") else { return answer(Err(not_found())) };
    if token != shared.world().token {
        return answer(Err(ApiError { code: 401, description: "Unauthorized".into(), parameters: None }));
    }
    let method = method.to_ascii_lowercase();
    let (params, uploads) = match read_params(req).await {
        Ok(p) => p,
        Err(e) => return answer(Err(e)),
    };
    let chat_id = params.i64("chat_id").ok().flatten();
    let (call, fault) = shared.with(|w| (w.begin_call(&method, chat_id), w.pick_fault(&method, chat_id)));
    match fault.clone() {
        Some(FaultKind::Slow { millis }) => tokio::time::sleep(Duration::from_millis(millis)).await,
        Some(FaultKind::Drop) => {
            shared.with(|w| w.finish_call(call, Err(0)));
            return dropped_connection();
        }
        Some(FaultKind::ServerError { status }) => {
            shared.with(|w| w.finish_call(call, Err(status)));
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if status == 502 || status == 504 {
                // what the front proxy answers when the API behind it is down: HTML, not JSON
                let page = format!(
                    "<html>\r\n<head><title>{code}</title></head>\r\n<body>\r\n<center><h1>{code}</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"
                );
                return (code, [(header::CONTENT_TYPE, "text/html")], page).into_response();
            }
            return answer(Err(ApiError {
                code: status,
                description: code.canonical_reason().unwrap_or("Internal Server Error").into(),
                parameters: None,
            }));
        }
        Some(FaultKind::Api { code, description, retry_after }) => {
            shared.with(|w| w.finish_call(call, Err(code)));
            let parameters = retry_after.map(|r| json!({ "retry_after": r }));
            return answer(Err(ApiError { code, description, parameters }));
        }
        Some(FaultKind::DropAfter) | None => {}
    }
    let result = if method == "getupdates" {
        get_updates(&shared, &params).await
    } else {
        shared.with(|w| match method.as_str() {
            "getme" => Ok({
                let mut me = w.bot_json();
                me["can_join_groups"] = json!(true);
                me["can_read_all_group_messages"] = json!(!w.privacy_mode);
                me["supports_inline_queries"] = json!(false);
                me["can_connect_to_business"] = json!(false);
                me["has_main_web_app"] = json!(false);
                me
            }),
            "getwebhookinfo" => w.webhook_info(),
            "setwebhook" => w.set_webhook(&params),
            "deletewebhook" => w.delete_webhook(&params),
            "sendmessage" => w.send_message(&params),
            "senddocument" => w.send_file(&params, &uploads, "document"),
            "sendphoto" => w.send_file(&params, &uploads, "photo"),
            "sendmediagroup" => w.send_media_group(&params, &uploads),
            "copymessage" => w.copy_message(&params),
            "editmessagetext" => w.edit_message(&params, true),
            "editmessagereplymarkup" => w.edit_message(&params, false),
            "deletemessage" => w.delete_message(&params),
            "answercallbackquery" => w.answer_callback(&params),
            "setmycommands" => w.set_my_commands(&params),
            "getmycommands" => w.get_my_commands(&params),
            "deletemycommands" => w.delete_my_commands(&params),
            "getfile" => w.get_file(&params),
            "getchat" => w.get_chat(&params),
            "sendchataction" => w.send_chat_action(&params),
            "logout" | "close" => Ok(json!(true)),
            _ => Err(not_found()),
        })
    };
    if fault == Some(FaultKind::DropAfter) {
        shared.with(|w| w.finish_call(call, Err(0)));
        return dropped_connection();
    }
    shared.with(|w| w.finish_call(call, result.as_ref().map(|_| ()).map_err(|e| e.code)));
    answer(result)
}

/// An answer whose connection breaks after the headers: the client sees a network error.
fn dropped_connection() -> Response {
    let stream = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped by the simulator"))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stream))
        .expect("valid response")
}

/// Long polling: answers at once when updates wait, else when one arrives or the timeout ends.
/// A newer getUpdates (or a webhook being set) ends an older one with 409, as on Telegram.
async fn get_updates(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let offset = params.i64("offset")?;
    let limit = params.i64("limit")?.unwrap_or(100).clamp(1, 100) as usize;
    let timeout = params.i64("timeout")?.unwrap_or(0).clamp(0, 50) as u64;
    let allowed = params.json("allowed_updates")?;
    let generation = shared.with(|w| {
        if w.webhook.is_some() {
            return Err(ApiError {
                code: 409,
                description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first".into(),
                parameters: None,
            });
        }
        if let Some(Value::Array(a)) = &allowed {
            w.allowed_updates = Some(a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect());
        }
        w.poll_generation += 1;
        Ok(w.poll_generation)
    })?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
    loop {
        let notified = shared.updates.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut w = shared.world();
            if w.poll_generation != generation {
                return Err(ApiError {
                    code: 409,
                    description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running".into(),
                    parameters: None,
                });
            }
            let ups = w.take_updates(offset, limit);
            if !ups.is_empty() || tokio::time::Instant::now() >= deadline {
                return Ok(Value::Array(ups));
            }
        }
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep_until(deadline) => {}
        }
    }
}

async fn file(State(shared): State<Arc<Shared>>, Path((token, path)): Path<(String, String)>) -> Response {
    let w = shared.world();
    if token.strip_prefix("bot") != Some(w.token.as_str()) {
        return answer(Err(ApiError { code: 401, description: "Unauthorized".into(), parameters: None }));
    }
    match w.file_by_path(&path) {
        Some(f) => {
            let ctype = f.mime_type.clone().unwrap_or_else(|| "application/octet-stream".into());
            (StatusCode::OK, [(header::CONTENT_TYPE, ctype)], f.bytes.clone()).into_response()
        }
        None => answer(Err(not_found())),
    }
}

/// Delivers queued updates to the webhook while one is set: one at a time, in order, with the
/// secret header; an update leaves the queue only when the bot answered 2xx.
pub async fn webhook_pusher(shared: Arc<Shared>) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("http client");
    loop {
        let notified = shared.updates.notified();
        let next = {
            let w = shared.world();
            w.webhook.as_ref().and_then(|h| {
                w.updates.front().map(|(id, _, u)| (h.url.clone(), h.secret_token.clone(), *id, u.clone()))
            })
        };
        let Some((url, secret, id, update)) = next else {
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
            continue;
        };
        let mut req = client.post(&url).json(&update);
        if let Some(s) = secret {
            req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
        }
        let outcome = match req.send().await {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(format!("Wrong response from the webhook: {}", r.status())),
            Err(e) => Err(format!("Connection failed: {e}")),
        };
        let failed = outcome.is_err();
        shared.with(|w| match outcome {
            Ok(()) => {
                if w.updates.front().is_some_and(|(i, _, _)| *i == id) {
                    w.updates.pop_front();
                }
            }
            Err(msg) => {
                if let Some(h) = w.webhook.as_mut() {
                    h.last_error = Some((super::world::now_secs(), msg));
                }
            }
        });
        if failed {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

// ----- control routes -------------------------------------------------------------------------

fn control<T: serde::Serialize>(r: Result<T, String>) -> Response {
    match r {
        Ok(v) => (StatusCode::OK, Json(json!({"ok": true, "result": v}))).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, Json(json!({"ok": false, "description": e}))).into_response(),
    }
}

#[derive(Deserialize)]
struct NewUser {
    first_name: String,
    last_name: Option<String>,
    language_code: Option<String>,
}

async fn c_user(State(s): State<Arc<Shared>>, Json(b): Json<NewUser>) -> Response {
    control(Ok(s.with(|w| w.create_user(&b.first_name, b.last_name.as_deref(), b.language_code.as_deref()))))
}

#[derive(Deserialize)]
struct Bulk {
    count: u32,
    /// The users open their private chat with the bot at once.
    #[serde(default)]
    started: bool,
}

/// Many users at once (for load runs): returns their ids.
async fn c_users_bulk(State(s): State<Arc<Shared>>, Json(b): Json<Bulk>) -> Response {
    control(Ok(s.with(|w| {
        (0..b.count)
            .map(|i| {
                let id = w.create_user(&format!("User {i}"), None, Some("vi"));
                if b.started {
                    w.open_private_chat(id);
                }
                id
            })
            .collect::<Vec<i64>>()
    })))
}

/// What a load run needs to judge itself: how many chats got how many bot messages, 429s, files.
async fn c_stats(State(s): State<Arc<Shared>>) -> Response {
    control(Ok(s.with(|w| {
        let mut per_chat: std::collections::BTreeMap<usize, usize> = Default::default();
        for chat in w.chats.values() {
            let n = chat.messages.iter().filter(|m| m.from_bot).count();
            *per_chat.entry(n).or_default() += 1;
        }
        json!({
            "chats_by_bot_messages": per_chat,
            "http_429": w.calls.iter().filter(|c| c.error_code == Some(429)).count(),
            "files": w.files.len(),
            "calls": w.calls.len(),
        })
    })))
}

#[derive(Deserialize)]
struct Block {
    blocked: bool,
}

async fn c_block(State(s): State<Arc<Shared>>, Path(id): Path<i64>, Json(b): Json<Block>) -> Response {
    control(s.with(|w| w.set_blocked(id, b.blocked)))
}

#[derive(Deserialize)]
struct NewGroup {
    title: String,
    #[serde(default = "group_kind")]
    kind: ChatKind,
}

fn group_kind() -> ChatKind {
    ChatKind::Group
}

async fn c_group(State(s): State<Arc<Shared>>, Json(b): Json<NewGroup>) -> Response {
    control(Ok(s.with(|w| w.create_group(&b.title, b.kind))))
}

#[derive(Deserialize)]
struct BotAction {
    action: String,
    by: i64,
    start: Option<String>,
}

async fn c_bot(State(s): State<Arc<Shared>>, Path(id): Path<i64>, Json(b): Json<BotAction>) -> Response {
    control(s.with(|w| match b.action.as_str() {
        "add" => w.add_bot_to_group(id, b.by, b.start.as_deref()),
        "remove" => w.remove_bot_from_group(id, b.by),
        other => Err(format!("unknown action {other:?}: expected \"add\" or \"remove\"")),
    }))
}

#[derive(Deserialize)]
struct By {
    by: i64,
}

async fn c_migrate(State(s): State<Arc<Shared>>, Path(id): Path<i64>, Json(b): Json<By>) -> Response {
    control(s.with(|w| w.migrate_group(id, b.by)))
}

#[derive(Deserialize)]
struct Say {
    from: i64,
    text: String,
    reply_to: Option<i64>,
}

async fn c_send(State(s): State<Arc<Shared>>, Path(id): Path<i64>, Json(b): Json<Say>) -> Response {
    control(s.with(|w| w.user_text(id, b.from, &b.text, b.reply_to)))
}

#[derive(Deserialize)]
struct SendFile {
    from: i64,
    file_name: String,
    mime_type: Option<String>,
    /// The file's content as text.
    content: String,
    caption: Option<String>,
    reply_to: Option<i64>,
    #[serde(default)]
    photo: bool,
}

async fn c_document(State(s): State<Arc<Shared>>, Path(id): Path<i64>, Json(b): Json<SendFile>) -> Response {
    let kind = if b.photo { "photo" } else { "document" };
    let upload = Upload { file_name: Some(b.file_name), content_type: b.mime_type, bytes: b.content.into_bytes() };
    control(s.with(|w| w.user_file(id, b.from, kind, upload, b.caption.as_deref(), b.reply_to)))
}

#[derive(Deserialize)]
struct Press {
    from: i64,
    message_id: i64,
    data: String,
}

async fn c_press(State(s): State<Arc<Shared>>, Path(id): Path<i64>, Json(b): Json<Press>) -> Response {
    control(s.with(|w| w.press_button(id, b.from, b.message_id, &b.data)))
}

async fn c_messages(State(s): State<Arc<Shared>>, Path(id): Path<i64>) -> Response {
    control(s.with(|w| w.chats.get(&id).map(|c| c.messages.clone()).ok_or_else(|| "no such chat".to_string())))
}

async fn c_answers(State(s): State<Arc<Shared>>) -> Response {
    control(Ok(s.with(|w| w.callback_answers.clone())))
}

async fn c_calls(State(s): State<Arc<Shared>>) -> Response {
    control(Ok(s.with(|w| {
        let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
        for c in &w.calls {
            *counts.entry(c.method.clone()).or_default() += 1;
        }
        counts
    })))
}

async fn c_limits_get(State(s): State<Arc<Shared>>) -> Response {
    control(Ok(s.with(|w| w.limits.clone())))
}

async fn c_limits(State(s): State<Arc<Shared>>, Json(b): Json<RateLimits>) -> Response {
    s.with(|w| w.limits = b);
    control(Ok(()))
}

async fn c_fault(State(s): State<Arc<Shared>>, Json(b): Json<FaultRule>) -> Response {
    s.with(|w| w.faults.push(b));
    control(Ok(()))
}

async fn c_faults_clear(State(s): State<Arc<Shared>>, _h: HeaderMap) -> Response {
    s.with(|w| w.faults.clear());
    control(Ok(()))
}
