//! The HTTP side of `cairn serve`: files from the current snapshot, the
//! live-reload script, and the event stream that drives it.
//!
//! A request path is decoded, checked (no `..`, `.`, `\` or NUL segment)
//! and looked up in the output set; it is never joined to a folder on disk.

use std::convert::Infallible;
use std::net::TcpListener;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::Stream;

use super::{Live, Snapshot, state_message};
use crate::diagnostic::{Diagnostic, Kind};

/// Where the live-reload script and its event stream are served. No page
/// of a site can be there: output paths never start with `_` + `_cairn`.
pub const LIVE_SCRIPT: &str = "/__cairn/live.js";
pub const EVENTS: &str = "/__cairn/events";

const SCRIPT: &str = include_str!("live.js");

/// Serves until Ctrl+C.
pub fn run(listener: TcpListener, live: Arc<Live>) -> Result<(), Diagnostic> {
    let fail = |e: std::io::Error| Diagnostic::error(Kind::Io, "", format!("cannot serve: {e}"));
    listener.set_nonblocking(true).map_err(fail)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(fail)?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).map_err(fail)?;
        let server = axum::serve(listener, router(live));
        tokio::select! {
            result = server => result.map_err(fail),
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })
}

/// The server's routes, over `live`.
pub fn router(live: Arc<Live>) -> Router {
    Router::new()
        .route(EVENTS, get(events))
        .route(LIVE_SCRIPT, get(script))
        .fallback(file)
        .with_state(live)
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SCRIPT,
    )
        .into_response()
}

/// The stream of state messages: the current state at once, then one per
/// rebuild.
async fn events(
    State(live): State<Arc<Live>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = live.events.subscribe();
    let first = state_message(&live.snapshot(), Some(&[]));
    let stream = futures_util::stream::unfold(
        (Some(first), receiver, live),
        |(first, mut receiver, live)| async move {
            if let Some(message) = first {
                let event = Event::default().event("state").data(message);
                return Some((Ok(event), (None, receiver, live)));
            }
            let message = match receiver.recv().await {
                Ok(message) => message.to_string(),
                // Missed some: say where things are, and that all changed.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    state_message(&live.snapshot(), None)
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            };
            let event = Event::default().event("state").data(message);
            Some((Ok(event), (None, receiver, live)))
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// What a request path leads to.
#[derive(Debug, PartialEq, Eq)]
enum Lookup {
    /// This output file.
    File(String),
    /// A folder asked for without its `/`: send the browser there.
    Redirect(String),
    NotFound,
    BadRequest,
}

/// Finds the output file for the (still percent-encoded) request `path`.
fn lookup(snapshot: &Snapshot, path: &str) -> Lookup {
    let Ok(decoded) = percent_encoding::percent_decode_str(path).decode_utf8() else {
        return Lookup::BadRequest;
    };
    let unsafe_segment = decoded
        .split('/')
        .any(|s| s == ".." || s == "." || s.contains(['\\', '\0']));
    if unsafe_segment || !decoded.starts_with('/') {
        return Lookup::BadRequest;
    }
    let built = &snapshot.built;
    let base = built.base_path.as_str();
    if decoded == "/" && base != "/" || decoded == base.trim_end_matches('/') {
        return Lookup::Redirect(base.to_owned());
    }
    let Some(rel) = decoded.strip_prefix(base) else {
        return Lookup::NotFound;
    };
    let wanted = if rel.is_empty() || rel.ends_with('/') {
        format!("{rel}index.html")
    } else {
        rel.to_owned()
    };
    if built.file(&wanted).is_some() {
        return Lookup::File(wanted);
    }
    if built.file(&format!("{rel}/index.html")).is_some() {
        return Lookup::Redirect(format!("{path}/"));
    }
    Lookup::NotFound
}

async fn file(
    State(live): State<Arc<Live>>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
            "method not allowed\n",
        )
            .into_response();
    }
    let snapshot = live.snapshot();
    let head = method == Method::HEAD;
    match lookup(&snapshot, uri.path()) {
        Lookup::File(path) => serve_file(&snapshot, &path, StatusCode::OK, &headers, head),
        Lookup::Redirect(to) => {
            let location = match uri.query() {
                Some(query) => format!("{to}?{query}"),
                None => to,
            };
            (
                StatusCode::MOVED_PERMANENTLY,
                [(header::LOCATION, location)],
                "",
            )
                .into_response()
        }
        Lookup::BadRequest => (StatusCode::BAD_REQUEST, "bad request path\n").into_response(),
        Lookup::NotFound => {
            if snapshot.built.file("404.html").is_some() {
                serve_file(&snapshot, "404.html", StatusCode::NOT_FOUND, &headers, head)
            } else {
                (StatusCode::NOT_FOUND, "not found\n").into_response()
            }
        }
    }
}

/// One output file, with its type, an `ETag` and, for HTML, the live-reload
/// script.
fn serve_file(
    snapshot: &Snapshot,
    path: &str,
    status: StatusCode,
    request: &HeaderMap,
    head: bool,
) -> Response {
    let Some(bytes) = snapshot.built.file(path) else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    let content_type = content_type(path);
    let html = content_type.starts_with("text/html");
    let hash = blake3::hash(bytes).to_hex();
    // An HTML page carries the generation it was served from, so its tag
    // changes with it.
    let etag = if html {
        format!("\"{}-{}\"", &hash[..32], snapshot.generation)
    } else {
        format!("\"{}\"", &hash[..32])
    };
    let mut response_headers = HeaderMap::new();
    let mut set = |name, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            response_headers.insert(name, value);
        }
    };
    set(header::CONTENT_TYPE, &content_type);
    set(header::ETAG, &etag);
    set(header::CACHE_CONTROL, "no-cache");
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*")
        });
    if fresh && status == StatusCode::OK {
        return (StatusCode::NOT_MODIFIED, response_headers).into_response();
    }
    let body = if html {
        with_script(bytes, snapshot.generation)
    } else {
        bytes.to_vec()
    };
    set(header::CONTENT_LENGTH, &body.len().to_string());
    let body = if head {
        Body::empty()
    } else {
        Body::from(body)
    };
    (status, response_headers, body).into_response()
}

/// `bytes` with the live-reload script before the last `</body>` (or at the
/// end).
fn with_script(bytes: &[u8], generation: u64) -> Vec<u8> {
    let tag =
        format!("<script src=\"{LIVE_SCRIPT}\" data-generation=\"{generation}\" defer></script>");
    let at = bytes
        .windows(7)
        .rposition(|w| w.eq_ignore_ascii_case(b"</body>"))
        .unwrap_or(bytes.len());
    let mut out = Vec::with_capacity(bytes.len() + tag.len());
    out.extend_from_slice(&bytes[..at]);
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(&bytes[at..]);
    out
}

fn content_type(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name == crate::archive::B3SUMS {
        return "text/plain; charset=utf-8".to_owned();
    }
    if name.ends_with(".md") {
        return "text/markdown; charset=utf-8".to_owned();
    }
    let mime = mime_guess::from_path(name).first_or_octet_stream();
    let text = mime.type_() == mime_guess::mime::TEXT
        || matches!(mime.subtype().as_str(), "javascript" | "json" | "xml")
        || mime.suffix().is_some_and(|s| s == "xml" || s == "json");
    if text {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::Built;
    use crate::render::Output;

    fn snapshot(base_path: &str) -> Snapshot {
        let files = ["404.html", "a/index.html", "index.html", "style.css"]
            .iter()
            .map(|p| {
                Output::new(
                    (*p).to_owned(),
                    b"<html><body>x</body></html>".to_vec(),
                    String::new(),
                )
            })
            .collect();
        Snapshot {
            built: Arc::new(Built {
                files,
                diagnostics: Vec::new(),
                pages: 2,
                root: blake3::hash(b""),
                base_path: base_path.to_owned(),
            }),
            generation: 0,
            errors: None,
        }
    }

    #[test]
    fn paths_are_looked_up_never_opened() {
        let s = snapshot("/");
        let file = |p: &str| Lookup::File(p.to_owned());
        assert_eq!(lookup(&s, "/"), file("index.html"));
        assert_eq!(lookup(&s, "/a/"), file("a/index.html"));
        assert_eq!(lookup(&s, "/a"), Lookup::Redirect("/a/".to_owned()));
        assert_eq!(lookup(&s, "/style.css"), file("style.css"));
        assert_eq!(lookup(&s, "/%61/"), file("a/index.html"));
        for bad in [
            "/../etc/passwd",
            "/a/../../x",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2fetc",
            "/a/%2e/",
            "/a%5c..%5cx",
            "/%00",
            "/%ff",
        ] {
            assert_eq!(lookup(&s, bad), Lookup::BadRequest, "{bad}");
        }
        assert_eq!(lookup(&s, "//etc/passwd"), Lookup::NotFound);
        assert_eq!(lookup(&s, "/nope/"), Lookup::NotFound);
    }

    #[test]
    fn a_base_path_is_served_under_its_prefix() {
        let s = snapshot("/archive/");
        assert_eq!(lookup(&s, "/"), Lookup::Redirect("/archive/".to_owned()));
        assert_eq!(
            lookup(&s, "/archive"),
            Lookup::Redirect("/archive/".to_owned())
        );
        assert_eq!(
            lookup(&s, "/archive/a/"),
            Lookup::File("a/index.html".to_owned())
        );
        assert_eq!(lookup(&s, "/a/"), Lookup::NotFound);
    }

    #[test]
    fn the_script_goes_before_the_last_body_end() {
        let out = with_script(b"<body>a</body><!-- </BODY> -->", 3);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("<body>a</body><!-- <script src=\"/__cairn/live.js\""));
        assert!(text.ends_with("</script></BODY> -->"));
        assert!(text.contains("data-generation=\"3\""));
    }

    #[test]
    fn types_carry_a_charset_when_they_are_text() {
        assert_eq!(content_type("a/index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("style.3f.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("B3SUMS"), "text/plain; charset=utf-8");
        assert_eq!(content_type("a/index.md"), "text/markdown; charset=utf-8");
        assert_eq!(
            content_type("cairn-manifest.json"),
            "application/json; charset=utf-8"
        );
        assert_eq!(content_type("x.png"), "image/png");
        assert_eq!(content_type("x.svg"), "image/svg+xml; charset=utf-8");
    }
}
