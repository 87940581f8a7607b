//! The HTTP side of `serve`: the site from memory, the live-reload script and stylesheet, and
//! the event stream, all on one port. Requests are answered from the last good site; a path
//! is decoded once and refused if it could name anything outside the site.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::watch;

use super::{Shared, Site, Status};

/// Where the server's own files live, below the site's base path (and at the root).
pub const PREFIX: &str = "__atlas/";
const SCRIPT: &str = include_str!("livereload.js");
const OVERLAY: &str = include_str!("overlay.css");

/// Answers every request: the router has this one handler, so that the base path, which
/// `atlas.yaml` may change while serving, is read at each request.
pub async fn handle(State(shared): State<Arc<Shared>>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
            "méthode non autorisée\n",
        )
            .into_response();
    }
    let head = method == Method::HEAD;
    let path = match safe_path(uri.path()) {
        Ok(path) => path,
        Err(reason) => return plain(StatusCode::BAD_REQUEST, reason, head),
    };
    let site = shared.site();
    let relative = match path.strip_prefix(site.base_path.as_str()) {
        Some(relative) => relative.to_string(),
        // Outside the base path: its own files are also at the root; `/` leads to the site.
        None if path.starts_with(&format!("/{PREFIX}")) => path[1..].to_string(),
        None if path == "/" || format!("{path}/") == site.base_path => {
            return redirect(&site.base_path, uri.query());
        }
        None => return not_found(&shared, &site, &path, head),
    };
    if let Some(name) = relative.strip_prefix(PREFIX) {
        return internal(&shared, &site, name, head);
    }
    if site.build.is_empty() {
        return no_site_yet(&site, head);
    }
    let mut file = relative.clone();
    if file.is_empty() || file.ends_with('/') {
        file.push_str("index.html");
    }
    if let Some(bytes) = site.files.get(&file) {
        return serve_file(
            &shared,
            &site,
            &file,
            &[&file],
            bytes.clone(),
            StatusCode::OK,
            head,
        );
    }
    // `/villes/avignon` is the folder `/villes/avignon/`, as on static hosts.
    if !relative.is_empty()
        && !relative.ends_with('/')
        && site.files.contains_key(&format!("{relative}/index.html"))
    {
        return redirect(&format!("{path}/"), uri.query());
    }
    not_found(&shared, &site, &path, head)
}

/// Percent-decodes the path of a request and refuses what could leave the site: `..` or `.`
/// segments (written or encoded), empty segments, backslashes, NUL, invalid encodings.
/// Decoding happens once: `%252e` stays the three characters `%2e`.
pub fn safe_path(raw: &str) -> Result<String, &'static str> {
    if !raw.starts_with('/') {
        return Err("chemin relatif refusé");
    }
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = raw
                .get(index + 1..index + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or("encodage invalide dans le chemin")?;
            decoded.push(hex);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    let path = String::from_utf8(decoded).map_err(|_| "chemin qui n’est pas en UTF-8")?;
    if path.contains('\0') || path.contains('\\') {
        return Err("caractère interdit dans le chemin");
    }
    let inner = path[1..].strip_suffix('/').unwrap_or(&path[1..]);
    if !inner.is_empty()
        && inner
            .split('/')
            .any(|segment| segment.is_empty() || segment == "." || segment == "..")
    {
        return Err("chemin refusé : il sortirait du site");
    }
    Ok(path)
}

/// The server's own files and the event stream.
fn internal(shared: &Arc<Shared>, site: &Site, name: &str, head: bool) -> Response {
    match name {
        "livereload.js" => asset("text/javascript; charset=utf-8", SCRIPT, head),
        "overlay.css" => asset("text/css; charset=utf-8", OVERLAY, head),
        "events" => events(shared.events.subscribe()).into_response(),
        "site.json" => {
            let mut files: Vec<&String> = site.files.keys().collect();
            files.sort();
            let body = serde_json::json!({"build": &*site.build, "base_path": site.base_path, "files": files});
            let mut response = asset("application/json", &body.to_string(), head);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        _ => plain(StatusCode::NOT_FOUND, "introuvable", head),
    }
}

fn asset(content_type: &'static str, text: &str, head: bool) -> Response {
    let body = if head {
        Body::empty()
    } else {
        Body::from(text.to_string())
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

fn plain(status: StatusCode, reason: &str, head: bool) -> Response {
    let body = if head {
        Body::empty()
    } else {
        Body::from(format!("{reason}\n"))
    };
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

fn redirect(location: &str, query: Option<&str>) -> Response {
    let location = match query {
        Some(query) => format!("{location}?{query}"),
        None => location.to_string(),
    };
    // Temporary: a browser must not remember it once the page is renamed.
    match HeaderValue::from_str(&location) {
        Ok(value) => (
            StatusCode::FOUND,
            [
                (header::LOCATION, value),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        Err(_) => plain(StatusCode::BAD_REQUEST, "chemin invalide", false),
    }
}

/// Every page while the site has never built: the overlay shows why, and the page reloads
/// once the site builds.
fn no_site_yet(site: &Site, head: bool) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Site en attente — vaucluse-atlas</title><link rel=\"stylesheet\" href=\"{base}{PREFIX}overlay.css\"></head><body><main class=\"vaucluse-atlas-sans-site\"><h1>Le site n’a pas encore pu être construit</h1><p>Corrigez l’erreur indiquée ci-dessous et dans le terminal&nbsp;: cette page se rechargera d’elle-même.</p></main>{script}</body></html>",
        base = attribute(&site.base_path),
        script = script_tag(site, &[]),
    );
    let mut response = Response::new(if head {
        Body::empty()
    } else {
        Body::from(html)
    });
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The site's `404.html`, with status 404, or a plain text when the site has none.
fn not_found(shared: &Arc<Shared>, site: &Site, path: &str, head: bool) -> Response {
    let relative = path.strip_prefix(site.base_path.as_str()).unwrap_or(path);
    let wanted = if relative.is_empty() || relative.ends_with('/') {
        format!("{relative}index.html")
    } else {
        relative.to_string()
    };
    let folder = format!("{relative}/index.html");
    match site.files.get("404.html") {
        Some(bytes) => serve_file(
            shared,
            site,
            "404.html",
            // The page reloads when it comes to exist, or when 404.html changes.
            &["404.html", &wanted, &folder],
            bytes.clone(),
            StatusCode::NOT_FOUND,
            head,
        ),
        None => plain(StatusCode::NOT_FOUND, "page introuvable", head),
    }
}

fn serve_file(
    shared: &Arc<Shared>,
    site: &Site,
    file: &str,
    depends_on: &[&str],
    bytes: Bytes,
    status: StatusCode,
    head: bool,
) -> Response {
    let content_type = mime_type(file);
    let bytes = if content_type.starts_with("text/html") && shared.live_reload {
        inject(&bytes, &script_tag(site, depends_on))
    } else {
        bytes
    };
    let mut response = Response::new(if head {
        Body::empty()
    } else {
        Body::from(bytes.clone())
    });
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    // Always asked again: what is served changes with every save.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// The tag that loads the live-reload script: an external, same-origin, deferred script,
/// which the theme's Content-Security-Policy (`script-src 'self'`) allows.
pub fn script_tag(site: &Site, depends_on: &[&str]) -> String {
    format!(
        "<script src=\"{}{PREFIX}livereload.js\" data-build=\"{}\" data-files=\"{}\" defer></script>",
        attribute(&site.base_path),
        attribute(&site.build),
        attribute(&depends_on.join(" "))
    )
}

fn attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

/// Inserts `tag` before the last `</body>`, or at the end when minification left it out
/// (the browser puts a trailing script in the body all the same).
pub fn inject(html: &[u8], tag: &str) -> Bytes {
    let position = html
        .windows(7)
        .rposition(|w| w.eq_ignore_ascii_case(b"</body>"))
        .unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + tag.len());
    out.extend_from_slice(&html[..position]);
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(&html[position..]);
    Bytes::from(out)
}

/// The media type of a file, by its extension.
pub fn mime_type(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "geojson" => "application/geo+json",
        "jsonld" => "application/ld+json",
        "webmanifest" => "application/manifest+json",
        "xml" => "application/xml",
        "atom" => "application/atom+xml",
        "rss" => "application/rss+xml",
        "txt" | "md" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "pdf" => "application/pdf",
        "wasm" => "application/wasm",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

/// The event stream of one browser tab: `hello` at once, then one event per change of the
/// server's status, computed from what this tab was last told (so that statuses published
/// in quick succession still add up to the right event).
fn events(receiver: watch::Receiver<Status>) -> impl IntoResponse {
    struct Client {
        receiver: watch::Receiver<Status>,
        build: Arc<str>,
        diagnostics: u64,
        started: bool,
    }
    let client = Client {
        receiver,
        build: Arc::from(""),
        diagnostics: 0,
        started: false,
    };
    let stream = futures_util::stream::unfold(client, |mut client| async move {
        if !client.started {
            client.started = true;
            let status = client.receiver.borrow_and_update().clone();
            client.build = Arc::clone(&status.build);
            client.diagnostics = status.diagnostics_seq;
            let data = serde_json::json!({
                "build": &*status.build,
                "diagnostics": status.diagnostics_json(),
            });
            let event = Event::default()
                .event("hello")
                .retry(Duration::from_millis(500))
                .data(data.to_string());
            return Some((Ok::<Event, Infallible>(event), client));
        }
        loop {
            client.receiver.changed().await.ok()?;
            let status = client.receiver.borrow_and_update().clone();
            let event = if status.build != client.build {
                let (name, data) = if status.previous != client.build {
                    // This tab missed a step: everything may have changed.
                    (
                        "reload",
                        serde_json::json!({"build": &*status.build, "files": null, "diagnostics": status.diagnostics_json()}),
                    )
                } else if let Some(stylesheets) = &status.stylesheets {
                    (
                        "css",
                        serde_json::json!({"build": &*status.build, "stylesheets": &**stylesheets, "diagnostics": status.diagnostics_json()}),
                    )
                } else {
                    (
                        "reload",
                        serde_json::json!({"build": &*status.build, "files": status.changed.as_deref(), "diagnostics": status.diagnostics_json()}),
                    )
                };
                client.build = Arc::clone(&status.build);
                client.diagnostics = status.diagnostics_seq;
                Event::default().event(name).data(data.to_string())
            } else if status.diagnostics_seq != client.diagnostics {
                client.diagnostics = status.diagnostics_seq;
                match status.diagnostics_json() {
                    Some(diagnostics) => Event::default().event("erreurs").data(
                        serde_json::json!({"build": &*status.build, "diagnostics": diagnostics})
                            .to_string(),
                    ),
                    None => Event::default()
                        .event("ok")
                        .data(serde_json::json!({"build": &*status.build}).to_string()),
                }
            } else {
                continue;
            };
            return Some((Ok(event), client));
        }
    });
    (
        [
            // Proxies must pass events through at once, neither buffered nor compressed.
            (header::CACHE_CONTROL, "no-cache, no-transform"),
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_the_site_are_refused() {
        for bad in [
            "/../etc/passwd",
            "/cas/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2fetc%2fpasswd",
            "/..%2f..%2fetc/passwd",
            "/villes/%2e%2e/%2e%2e/secret",
            "/a/./b",
            "//etc/passwd",
            "/a//b",
            "/a%5c..%5cb",
            "/a\\b",
            "/a%00b",
            "/a%zz",
            "/a%2",
            "/%ff",
            "relative",
        ] {
            assert!(safe_path(bad).is_err(), "{bad}");
        }
        assert_eq!(safe_path("/").unwrap(), "/");
        assert_eq!(safe_path("/villes/avignon/").unwrap(), "/villes/avignon/");
        assert_eq!(
            safe_path("/cas/f%C3%AAte/index.html").unwrap(),
            "/cas/fête/index.html"
        );
        // Decoded once only.
        assert_eq!(safe_path("/%252e%252e/x").unwrap(), "/%2e%2e/x");
    }

    #[test]
    fn media_types_follow_the_extension() {
        assert_eq!(mime_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(mime_type("static/style.css"), "text/css; charset=utf-8");
        assert_eq!(mime_type("static/favicon.svg"), "image/svg+xml");
        assert_eq!(mime_type("donnees/villes.geojson"), "application/geo+json");
        assert_eq!(mime_type("donnees/a.CSV"), "text/csv; charset=utf-8");
        assert_eq!(mime_type("a/b"), "application/octet-stream");
    }

    #[test]
    fn the_script_goes_before_the_end_of_the_body_or_at_the_end() {
        assert_eq!(
            &inject(b"<p>a</body></html>", "<s>")[..],
            b"<p>a<s></body></html>"
        );
        assert_eq!(&inject(b"<p>a", "<s>")[..], b"<p>a<s>");
        assert_eq!(&inject(b"<p>a</BODY>", "<s>")[..], b"<p>a<s></BODY>");
    }
}
