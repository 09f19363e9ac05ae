//! File downloads shared by the API and the web UI: attachment headers, and stored files
//! streamed from the database chunk by chunk.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use clientele_core::domain::export::StoredFile;
use clientele_core::service::Services;

/// A response that the browser saves as `name` (ASCII fallback plus the UTF-8 name).
pub fn attachment(name: &str, content_type: &str, body: Body) -> Response {
    let mut r = Response::new(body);
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    let ascii: String =
        name.chars().map(|ch| if ch.is_ascii_alphanumeric() || "-_.".contains(ch) { ch } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", crate::auth::urlencode(name));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// Streams a stored file chunk by chunk: never held whole in memory.
pub fn stream_file(s: Services, file: &StoredFile) -> Response {
    let file_id = file.id;
    let stream = futures_util::stream::unfold(Some(0_i64), move |seq| {
        let s = s.clone();
        async move {
            let seq = seq?;
            match s.file_chunk(file_id, seq).await {
                Ok(Some(chunk)) => Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), Some(seq + 1))),
                Ok(None) => None,
                Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
            }
        }
    });
    let mut r = attachment(&file.name, &file.content_type, Body::from_stream(stream));
    if let Ok(v) = HeaderValue::from_str(&file.size.to_string()) {
        r.headers_mut().insert(header::CONTENT_LENGTH, v);
    }
    r
}
