//! A request's parameters, whether they came as JSON, a form, multipart or the query string.

use serde_json::{Map, Value};

use super::*;

/// A request's parameters, whether they came as JSON, a form, multipart or the query string.
#[derive(Debug, Clone, Default)]
pub struct Params(pub Map<String, Value>);

impl Params {
    pub fn from_value(v: Value) -> Self {
        match v {
            Value::Object(m) => Params(m),
            _ => Params::default(),
        }
    }

    pub fn str(&self, key: &str) -> Option<String> {
        match self.0.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    pub fn i64(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => {
                n.as_i64().map(Some).ok_or_else(|| ApiError::bad_request(format!("invalid {key} specified")))
            }
            Some(Value::String(s)) => {
                s.trim().parse().map(Some).map_err(|_| ApiError::bad_request(format!("invalid {key} specified")))
            }
            Some(_) => Err(ApiError::bad_request(format!("invalid {key} specified"))),
        }
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => match s.as_str() {
                "true" | "True" | "1" => Ok(Some(true)),
                "false" | "False" | "0" | "" => Ok(Some(false)),
                _ => Err(ApiError::bad_request(format!("invalid {key} specified"))),
            },
            Some(_) => Err(ApiError::bad_request(format!("invalid {key} specified"))),
        }
    }

    /// A field holding JSON: given as JSON directly, or as a JSON string in a form.
    pub fn json(&self, key: &str) -> Result<Option<Value>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => serde_json::from_str(s)
                .map(Some)
                .map_err(|_| ApiError::bad_request(format!("can't parse {key} JSON object"))),
            Some(v) => Ok(Some(v.clone())),
        }
    }

    pub fn chat_id(&self) -> Result<i64, ApiError> {
        match self.0.get("chat_id") {
            None | Some(Value::Null) => Err(ApiError::bad_request("chat_id is empty")),
            Some(Value::String(s)) if s.starts_with('@') => Err(ApiError::bad_request("chat not found")),
            _ => self.i64("chat_id")?.ok_or_else(|| ApiError::bad_request("chat not found")),
        }
    }
}
