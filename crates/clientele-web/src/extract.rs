//! Request extractors with errors in the API's problem+json form: a JSON body whose failures
//! name the offending field, and the `If-Match` version.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use bytes::Bytes;
use clientele_core::{Error, FieldError};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body. Malformed JSON → 400; a value of the wrong shape → 422 naming the field
/// (`phones[0].number`); too large → 413; not JSON → 415.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::UnsupportedMediaType(
                "Send the body as JSON with `Content-Type: application/json`.".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge(crate::MAX_BODY_BYTES)
            } else {
                ApiError::BadRequest(rejection.body_text())
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| {
            let m = m.trim().to_ascii_lowercase();
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
        .unwrap_or(false)
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::Malformed(format!("The body is not valid JSON: {inner}"));
        }
        // serde reports a missing field at the parent's path, naming the field in the text.
        let msg = inner.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
        let field = match msg.strip_prefix("missing field `").and_then(|r| r.split('`').next()) {
            Some(missing) if path == "." => missing.to_owned(),
            Some(missing) => format!("{path}.{missing}"),
            None if path == "." => "body".to_owned(),
            None => path,
        };
        let message = if msg.starts_with("missing field") { "is required".to_owned() } else { msg };
        ApiError::Core(Error::Validation(vec![FieldError::new(field, message)]))
    })
}

/// The version named by `If-Match: "3"` (also accepts `3` and `W/"3"`); `None` without the
/// header. `*` means any version.
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(v) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let s = v.to_str().map_err(|_| ApiError::BadRequest("If-Match is not readable text".into()))?.trim();
        if s == "*" {
            return Ok(IfMatch(None));
        }
        let s = s.strip_prefix("W/").unwrap_or(s).trim_matches('"');
        s.parse::<i64>()
            .map(|n| IfMatch(Some(n)))
            .map_err(|_| ApiError::BadRequest(format!("If-Match must be a record version such as \"3\", not `{s}`")))
    }
}

/// `ETag` value for a record version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Phone {
        number: String,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        email: String,
        phones: Vec<Phone>,
    }

    fn field_of(r: Result<Body, ApiError>) -> String {
        match r {
            Err(ApiError::Core(Error::Validation(v))) => v[0].field.clone(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn json_errors_name_the_field() {
        assert!(matches!(parse_json::<Body>(b"{\"email\": "), Err(ApiError::Malformed(_))));
        assert!(matches!(parse_json::<Body>(b"not json"), Err(ApiError::Malformed(_))));
        assert_eq!(field_of(parse_json(br#"{"phones": []}"#)), "email");
        assert_eq!(field_of(parse_json(br#"{"email": 5, "phones": []}"#)), "email");
        assert_eq!(field_of(parse_json(br#"{"email": "a", "phones": [{"number": 1}]}"#)), "phones[0].number");
        assert_eq!(field_of(parse_json(br#"{"email": "a", "phones": [{}]}"#)), "phones[0].number");
    }
}
