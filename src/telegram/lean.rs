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

use std::marker::PhantomData;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use teloxide::Bot;
use teloxide::requests::{JsonRequest, Payload};

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
}
