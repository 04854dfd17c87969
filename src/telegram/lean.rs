//! Requests whose answer Loa reads for its message ids only: a delivery's sends.
//!
//! teloxide reads every answer into a whole [`teloxide::types::Message`] (the chat, the sender,
//! the text and its entities, the keyboard...), through serde's untagged enums, which first copy
//! the JSON into a tree and then try each variant in turn. A delivery needs the new message's id
//! and nothing else. [`Lean`] wraps one of teloxide's own payloads: it goes out exactly as that
//! payload would (same method, same JSON), through teloxide's own request (same errors: 429s with
//! their wait, a chat that moved, the API's descriptions), and its answer is read as [`Sent`]:
//! the message id, every other field skipped. In a profile of 1000 messages a second (`perf
//! record`), reading whole messages took about 6 % of the process's samples and building the
//! multipart forms about 1.5 %.
//!
//! A document sent by its `file_id` goes as JSON too (teloxide sends every `sendDocument` as a
//! multipart form, file or not); the first upload of a file, whose answer carries the `file_id`
//! the others reuse, stays teloxide's own multipart request.
//!
//! Without a proxy, [`Sender`] sends these requests through hyper itself ([`Direct`]) rather than
//! through teloxide's reqwest client: the same method URL, the same JSON, the answer read the way
//! teloxide reads it (the same [`RequestError`]s, built from the same types), but none of reqwest's
//! per-request work (parsing the URL again, its redirect and retry layers, a header map built per
//! request). Measured side by side at 1,000 requests a second against the simulator, one thread
//! each: 62-65 CPU ms per 1,000 requests through teloxide, 43-47 through hyper. A proxy (set in
//! `telegram.proxy` or in the environment) keeps teloxide's client, which speaks to proxies.

use std::marker::PhantomData;
use std::time::Duration;

use std::collections::HashMap;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::{Client, connect::HttpConnector};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use teloxide::requests::{JsonRequest, Payload};
use teloxide::types::ResponseParameters;
use teloxide::{ApiError, Bot, RequestError};

/// What Loa reads of a message it sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Sent {
    pub message_id: i32,
}

/// Payload `P` sent as is, its answer read as `O` ([`Sent`], or `Vec<Sent>` for an album).
#[derive(Serialize)]
#[serde(transparent)]
pub struct Lean<P, O = Sent> {
    payload: P,
    #[serde(skip)]
    answer: PhantomData<fn() -> O>,
}

impl<P, O> Lean<P, O> {
    pub fn new(payload: P) -> Self {
        Lean { payload, answer: PhantomData }
    }
}

impl<P: Payload, O> Payload for Lean<P, O> {
    type Output = O;
    const NAME: &'static str = P::NAME;

    fn timeout_hint(&self) -> Option<Duration> {
        self.payload.timeout_hint()
    }
}

/// The request sending `payload` through `bot`, its answer read as `O`.
pub fn request<P, O>(bot: &Bot, payload: P) -> JsonRequest<Lean<P, O>> {
    JsonRequest::new(bot.clone(), Lean::new(payload))
}

/// How a delivery's JSON requests go out: straight through hyper, or through teloxide's client
/// when a proxy is in the way.
pub enum Sender {
    Direct(Box<Direct>),
    Teloxide(Bot),
}

impl Sender {
    /// [`Sender::Direct`] to `bot`'s API server with its token, unless the configuration or the
    /// environment names a proxy.
    pub fn for_bot(bot: &Bot, proxy: &crate::config::Proxy) -> Sender {
        let proxied = match proxy {
            crate::config::Proxy::Direct => false,
            crate::config::Proxy::Url(_) => true,
            crate::config::Proxy::Environment => !crate::app::environment_proxies().is_empty(),
        };
        match (proxied, Direct::new(bot.api_url(), bot.token())) {
            (false, Ok(direct)) => Sender::Direct(Box::new(direct)),
            (false, Err(e)) => {
                tracing::warn!(error = %format!("{e:#}"), "deliveries go through teloxide's HTTP client");
                Sender::Teloxide(bot.clone())
            }
            (true, _) => Sender::Teloxide(bot.clone()),
        }
    }

    /// Sends `payload`, its answer read as `O`.
    pub async fn send<P, O>(&self, payload: P) -> Result<O, RequestError>
    where
        P: Payload + Serialize + Send + 'static,
        O: DeserializeOwned + Send + 'static,
    {
        use teloxide::requests::Request;
        match self {
            Sender::Direct(d) => d.send(&payload).await,
            Sender::Teloxide(bot) => request::<P, O>(bot, payload).send().await,
        }
    }
}

/// A delivery's requests through hyper's own client (HTTP/1.1; TLS by rustls with the webpki
/// roots, as teloxide's reqwest client has them): its connections kept as the bot's client keeps
/// them ([`crate::app::IDLE_CONNECTIONS`], [`crate::app::IDLE_FOR`]).
pub struct Direct {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    /// The API server's URL with `bot<token>`: the method's name goes after it.
    base: url::Url,
    /// The method URLs made so far (a delivery uses two or three methods).
    urls: std::sync::Mutex<HashMap<&'static str, hyper::Uri>>,
}

/// teloxide waits this long after a server error before reading the answer (and so holds the
/// delivery that long before it is judged): the same here, so that both paths retry alike.
const DELAY_ON_SERVER_ERROR: Duration = Duration::from_secs(10);

impl Direct {
    pub fn new(api_url: url::Url, token: &str) -> anyhow::Result<Direct> {
        let mut base = api_url;
        let shown = base.to_string();
        base.path_segments_mut()
            .map_err(|()| anyhow::anyhow!("the API URL {shown} cannot take a path"))?
            .push(&format!("bot{token}"));
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(hyper_util::rt::TokioExecutor::new())
            .pool_timer(hyper_util::rt::TokioTimer::new())
            .pool_max_idle_per_host(crate::app::IDLE_CONNECTIONS)
            .pool_idle_timeout(crate::app::IDLE_FOR)
            .build(https);
        Ok(Direct { client, base, urls: Default::default() })
    }

    fn url(&self, method: &'static str) -> Result<hyper::Uri, RequestError> {
        let mut urls = self.urls.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(u) = urls.get(method) {
            return Ok(u.clone());
        }
        let mut url = self.base.clone();
        url.path_segments_mut().map_err(|()| io_error("the API URL cannot take a path"))?.push(method);
        let uri: hyper::Uri = url.as_str().parse().map_err(|_| io_error("the API URL is not a valid URI"))?;
        urls.insert(method, uri.clone());
        Ok(uri)
    }

    /// Sends `payload` as `P::NAME` with a JSON body; reads the answer as teloxide does.
    pub async fn send<P, O>(&self, payload: &P) -> Result<O, RequestError>
    where
        P: Payload + Serialize,
        O: DeserializeOwned,
    {
        let body =
            serde_json::to_vec(payload).map_err(|e| io_error(&format!("the request could not be written: {e}")))?;
        let request = hyper::Request::post(self.url(P::NAME.trim_end_matches("Inline"))?)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| io_error(&e.to_string()))?;
        let answer = async {
            let response = self.client.request(request).await.map_err(|e| io_error(&transport(&e)))?;
            if response.status().is_server_error() {
                tokio::time::sleep(DELAY_ON_SERVER_ERROR).await;
            }
            response.into_body().collect().await.map(|b| b.to_bytes()).map_err(|e| io_error(&transport(&e)))
        };
        let bytes = tokio::time::timeout(crate::app::REQUEST_TIMEOUT, answer)
            .await
            .map_err(|_| io_error("the request timed out"))??;
        read_answer(&bytes)
    }
}

/// An answer of the Bot API as teloxide reads it: `ok` true and the result, or `ok` false with a
/// description (one of teloxide's [`ApiError`]s) and perhaps parameters (a wait, a new chat).
pub fn read_answer<O: DeserializeOwned>(bytes: &[u8]) -> Result<O, RequestError> {
    #[derive(Deserialize)]
    struct Answer<O> {
        ok: bool,
        result: Option<O>,
        description: Option<ApiError>,
        parameters: Option<ResponseParameters>,
    }
    let invalid = |e: serde_json::Error| RequestError::InvalidJson {
        source: std::sync::Arc::new(e),
        raw: String::from_utf8_lossy(bytes).into(),
    };
    let answer: Answer<O> = serde_json::from_slice(bytes).map_err(invalid)?;
    match answer {
        Answer { ok: true, result: Some(r), .. } => Ok(r),
        Answer { ok: false, parameters: Some(ResponseParameters::RetryAfter(s)), .. } => {
            Err(RequestError::RetryAfter(s))
        }
        Answer { ok: false, parameters: Some(ResponseParameters::MigrateToChatId(c)), .. } => {
            Err(RequestError::MigrateToChatId(c))
        }
        Answer { ok: false, description: Some(e), .. } => Err(RequestError::Api(e)),
        _ => Err(invalid(<serde_json::Error as serde::de::Error>::custom("neither a result nor an error"))),
    }
}

fn io_error(what: &str) -> RequestError {
    RequestError::Io(std::sync::Arc::new(std::io::Error::other(what.to_string())))
}

/// A transport failure's message with its causes (hyper's own says only "client error").
fn transport(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use teloxide::payloads::{SendDocument, SendMessage};
    use teloxide::types::{ChatId, FileId, InputFile, ParseMode, ReplyMarkup};

    #[test]
    fn a_lean_payload_goes_out_as_the_payload_it_wraps() {
        let mut p = SendMessage::new(ChatId(-100123), "<b>Định hướng</b> tháng 12");
        p.parse_mode = Some(ParseMode::Html);
        p.reply_markup = Some(ReplyMarkup::InlineKeyboard(crate::telegram::button::pack_keyboard(7, true, None)));
        let plain = serde_json::to_value(&p).unwrap();
        let lean: Lean<SendMessage> = Lean::new(p);
        assert_eq!(serde_json::to_value(&lean).unwrap(), plain);
        assert_eq!(<Lean<SendMessage> as Payload>::NAME, "SendMessage");

        let doc = SendDocument::new(ChatId(5), InputFile::file_id(FileId("BQACAgIAAxk".into())));
        let json = serde_json::to_value(Lean::<_, Sent>::new(doc)).unwrap();
        assert_eq!(json["document"], "BQACAgIAAxk", "a document by file_id is a plain string in JSON");
        assert_eq!(<Lean<SendDocument> as Payload>::NAME, "SendDocument");
    }

    #[test]
    fn only_the_message_id_is_read_from_the_answer() {
        // a message as the Bot API returns it, with fields teloxide itself may not know
        let message = r#"{"message_id":4242,"from":{"id":1,"is_bot":true,"first_name":"Loa"},
            "chat":{"id":-100123,"title":"Chi bộ 1","type":"supergroup"},"date":1764806400,
            "text":"Định hướng","entities":[{"offset":0,"length":10,"type":"bold"}],
            "reply_markup":{"inline_keyboard":[[{"text":"✅","callback_data":"a:7"}]]},
            "some_future_field":{"nested":[1,2,3]}}"#;
        assert_eq!(serde_json::from_str::<Sent>(message).unwrap(), Sent { message_id: 4242 });
        let album = format!("[{message},{}]", message.replace("4242", "4243"));
        let ids: Vec<Sent> = serde_json::from_str(&album).unwrap();
        assert_eq!(ids, vec![Sent { message_id: 4242 }, Sent { message_id: 4243 }]);
        assert!(serde_json::from_str::<Sent>(r#"{"chat":{"id":1}}"#).is_err(), "no id, no message");
    }

    #[test]
    fn an_answer_is_read_as_teloxide_reads_it() {
        let sent: Sent =
            read_answer(br#"{"ok":true,"result":{"message_id":77,"chat":{"id":5,"type":"private"}}}"#).unwrap();
        assert_eq!(sent, Sent { message_id: 77 });
        let wait = read_answer::<Sent>(
            br#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#,
        );
        assert!(matches!(wait, Err(RequestError::RetryAfter(s)) if s.seconds() == 7), "{wait:?}");
        let moved = read_answer::<Sent>(
            br#"{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001234}}"#,
        );
        assert!(matches!(moved, Err(RequestError::MigrateToChatId(c)) if c.0 == -1001234), "{moved:?}");
        let blocked = read_answer::<Sent>(
            br#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#,
        );
        assert!(matches!(blocked, Err(RequestError::Api(ApiError::BotBlocked))), "{blocked:?}");
        // a description teloxide does not know is kept whole, as teloxide keeps it
        let odd = read_answer::<Sent>(br#"{"ok":false,"error_code":400,"description":"Bad Request: something new"}"#);
        assert!(
            matches!(odd, Err(RequestError::Api(ApiError::Unknown(ref d))) if d == "Bad Request: something new"),
            "{odd:?}"
        );
        // the same errors, classified alike by both paths
        for (raw, e) in [(&br#"{"ok":true}"#[..], "no result"), (b"<html>502 Bad Gateway</html>", "a proxy's page")] {
            let got = read_answer::<Sent>(raw);
            assert!(matches!(got, Err(RequestError::InvalidJson { .. })), "{e}: {got:?}");
        }
        let page = read_answer::<Sent>(b"<html>502 Bad Gateway</html>").unwrap_err();
        assert!(matches!(crate::telegram::failure::classify(&page), crate::telegram::failure::Verdict::Passing(_)));
    }

    #[test]
    fn deliveries_go_straight_through_hyper_unless_a_proxy_is_set() {
        // the method's URL as teloxide makes it: the API URL's path, bot<token>, the method
        for (api, url) in [
            ("https://api.telegram.org/", "https://api.telegram.org/bot123:abc/SendMessage"),
            ("http://127.0.0.1:8081/api", "http://127.0.0.1:8081/api/bot123:abc/SendMessage"),
        ] {
            let bot = Bot::new("123:abc").set_api_url(api.parse().unwrap());
            match Sender::for_bot(&bot, &crate::config::Proxy::Direct) {
                Sender::Direct(d) => assert_eq!(d.url("SendMessage").unwrap().to_string(), url),
                Sender::Teloxide(_) => panic!("no proxy: straight through hyper"),
            }
        }
        let bot = Bot::new("123:abc");
        let proxy = crate::config::Proxy::Url("socks5h://127.0.0.1:1080".parse().unwrap());
        assert!(matches!(Sender::for_bot(&bot, &proxy), Sender::Teloxide(_)), "a proxy keeps teloxide's client");
    }
}
