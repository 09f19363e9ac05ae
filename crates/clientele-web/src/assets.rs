//! Static files embedded in the binary: our own CSS/JS, and the pinned third-party packages
//! that build.rs installed from the registry. Served with long cache lifetimes under
//! versioned URLs.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

include!(concat!(env!("OUT_DIR"), "/vendor/complete.rs"));

/// Bumped with the binary version, so browsers fetch new assets after an upgrade.
pub const ASSET_VERSION: &str = env!("CARGO_PKG_VERSION");

struct Asset {
    name: &'static str,
    mime: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset { name: "app.css", mime: "text/css; charset=utf-8", bytes: include_bytes!("../static/app.css") },
    Asset { name: "app.js", mime: "text/javascript; charset=utf-8", bytes: include_bytes!("../static/app.js") },
    Asset {
        name: "api-docs.js",
        mime: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../static/api-docs.js"),
    },
    Asset { name: "favicon.svg", mime: "image/svg+xml", bytes: include_bytes!("../static/favicon.svg") },
    Asset {
        name: "htmx.min.js",
        mime: "text/javascript; charset=utf-8",
        bytes: include_bytes!(concat!(env!("OUT_DIR"), "/vendor/htmx.min.js")),
    },
    Asset {
        name: "Sortable.min.js",
        mime: "text/javascript; charset=utf-8",
        bytes: include_bytes!(concat!(env!("OUT_DIR"), "/vendor/Sortable.min.js")),
    },
    Asset {
        name: "swagger-ui-bundle.js",
        mime: "text/javascript; charset=utf-8",
        bytes: include_bytes!(concat!(env!("OUT_DIR"), "/vendor/swagger-ui-bundle.js")),
    },
    Asset {
        name: "swagger-ui.css",
        mime: "text/css; charset=utf-8",
        bytes: include_bytes!(concat!(env!("OUT_DIR"), "/vendor/swagger-ui.css")),
    },
    Asset {
        name: "echarts.min.js",
        mime: "text/javascript; charset=utf-8",
        bytes: include_bytes!(concat!(env!("OUT_DIR"), "/vendor/echarts.min.js")),
    },
    Asset {
        name: "dashboards.js",
        mime: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../static/dashboards.js"),
    },
    Asset {
        name: "dashboards.css",
        mime: "text/css; charset=utf-8",
        bytes: include_bytes!("../static/dashboards.css"),
    },
];

pub async fn serve(Path((_version, name)): Path<(String, String)>) -> Response {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(a) => {
            let mut r = a.bytes.into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(a.mime));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
            r
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub fn url(name: &str) -> String {
    format!("/static/{ASSET_VERSION}/{name}")
}
