//! `cairn serve`, driven over real HTTP: the real binary on a free port
//! against a temporary copy of a fixture site, edited while it runs.
//!
//! Every wait is bounded and polls; no test sleeps longer than it must.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::copy_fixture;

/// How long anything may take before a test fails (a slow CI machine
/// builds, a watcher fires): far above what it takes, and only ever spent
/// when something is broken.
const PATIENCE: Duration = Duration::from_secs(30);

/// A running `cairn serve` and what it has printed.
struct Server {
    child: Child,
    address: String,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(stream: impl Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            sink.lock().unwrap().push(line);
        }
    });
    lines
}

/// Polls `check` until it gives a value, failing after [`PATIENCE`].
fn wait_for<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(start.elapsed() < PATIENCE, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

impl Server {
    fn start(root: &Path) -> Self {
        Self::start_with(root, &["--port", "0"])
    }

    /// Started from inside the site, as an author does (`--root .`).
    fn start_inside(root: &Path) -> Self {
        Self::spawn(Path::new("."), &["--port", "0"], Some(root))
    }

    fn start_with(root: &Path, args: &[&str]) -> Self {
        Self::spawn(root, args, None)
    }

    fn spawn(root: &Path, args: &[&str], dir: Option<&Path>) -> Self {
        let mut command = Command::new(assert_cmd::cargo::cargo_bin("cairn"));
        if let Some(dir) = dir {
            command.current_dir(dir);
        }
        let mut child = command
            .arg("serve")
            .arg("--root")
            .arg(root)
            .args(args)
            .env("CI", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start cairn serve");
        let stdout = collect(child.stdout.take().expect("stdout"));
        let stderr = collect(child.stderr.take().expect("stderr"));
        let mut server = Self {
            child,
            address: String::new(),
            stdout,
            stderr,
        };
        server.address = wait_for("the server to start", || {
            server.stdout.lock().unwrap().iter().find_map(|line| {
                let url = line.strip_prefix("Serving http://")?;
                Some(url.split('/').next()?.to_owned())
            })
        });
        server
    }

    fn stdout(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    fn rebuilds(&self) -> usize {
        self.stdout()
            .iter()
            .filter(|l| l.starts_with("Rebuilt"))
            .count()
    }

    /// Sends `request` as it is and returns the raw response.
    fn raw(&self, request: &str) -> Response {
        let mut stream = TcpStream::connect(&self.address).expect("connect");
        stream
            .set_read_timeout(Some(PATIENCE))
            .expect("read timeout");
        stream.write_all(request.as_bytes()).expect("send");
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).expect("read response");
        Response::parse(&bytes)
    }

    fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.address);
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("Connection: close\r\n\r\n");
        self.raw(&request)
    }

    fn get(&self, path: &str) -> Response {
        self.request("GET", path, &[])
    }

    /// The first state message of the live-reload event stream.
    fn state(&self) -> serde_json::Value {
        let mut stream = TcpStream::connect(&self.address).expect("connect");
        stream
            .set_read_timeout(Some(PATIENCE))
            .expect("read timeout");
        write!(
            stream,
            "GET /__cairn/events HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
            self.address
        )
        .expect("send");
        let reader = BufReader::new(stream);
        for line in reader.lines() {
            let line = line.expect("event stream");
            // Chunked framing lines come and go; the data line is whole.
            if let Some(data) = line.strip_prefix("data: ") {
                return serde_json::from_str(data).expect("state is JSON");
            }
        }
        panic!("the event stream ended without a state");
    }
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn parse(bytes: &[u8]) -> Self {
        let split = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("end of headers");
        let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .expect("status line");
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Self {
            status,
            headers,
            body: bytes[split + 4..].to_vec(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A served page as a build writes it: without the live-reload tag.
fn without_script(mut body: Vec<u8>) -> Vec<u8> {
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| i + from)
    };
    if let Some(start) = find(&body, b"<script src=\"/__cairn/live.js\"", 0) {
        let end = find(&body, b"</script>", start).expect("end of the tag") + 9;
        body.drain(start..end);
    }
    body
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

const NOTES: &str = "content/notes.md";

#[test]
fn an_edit_is_served_with_the_reload_script_which_a_build_never_has() {
    let site = copy_fixture("basic");
    let server = Server::start(site.path());
    let page = server.get("/notes/");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.text().contains("A page with no front matter."));
    assert!(page.text().contains("<script src=\"/__cairn/live.js\""));
    let script = server.get("/__cairn/live.js");
    assert_eq!(script.status, 200);
    assert!(script.text().contains("EventSource"));

    write(
        site.path(),
        NOTES,
        "# Plain Notes\n\nFreshly edited words.\n",
    );
    wait_for("the edit to be served", || {
        server
            .get("/notes/")
            .text()
            .contains("Freshly edited words.")
            .then_some(())
    });

    // The same site, built: no script, no trace of the server.
    let built = crate::support::build(site.path());
    for file in &built.files {
        assert!(
            !String::from_utf8_lossy(&file.bytes).contains("__cairn"),
            "{} carries the live-reload script",
            file.path
        );
    }
}

#[test]
fn a_temp_file_renamed_over_the_page_is_one_rebuild() {
    let site = copy_fixture("basic");
    let server = Server::start(site.path());
    let before = server.rebuilds();
    // How editors save safely: write elsewhere, then rename over the page.
    let temp = site.path().join("content/notes.md.tmp");
    std::fs::write(&temp, "# Plain Notes\n\nSaved atomically.\n").expect("write temp");
    std::fs::rename(&temp, site.path().join(NOTES)).expect("rename");
    wait_for("the renamed save to be served", || {
        server
            .get("/notes/")
            .text()
            .contains("Saved atomically.")
            .then_some(())
    });
    // Anything else the watcher had to say would have come within a few
    // debounce periods.
    std::thread::sleep(cairn::serve::QUIET * 20);
    assert_eq!(server.rebuilds(), before + 1, "{:?}", server.stdout());
    assert!(server.get("/notes.md.tmp").status == 404);
}

#[test]
fn new_and_deleted_pages_reach_the_section_list_and_the_manifest() {
    let site = copy_fixture("basic");
    let server = Server::start(site.path());
    write(
        site.path(),
        "content/guides/brand-new.md",
        "---\ntitle: A Brand New Guide\n---\n\nHello.\n",
    );
    wait_for("the new page in its section", || {
        let section = server.get("/guides/").text();
        let manifest = server.get("/cairn-manifest.json").text();
        (section.contains("A Brand New Guide") && manifest.contains("\"/guides/brand-new/\""))
            .then_some(())
    });
    assert_eq!(server.get("/guides/brand-new/").status, 200);

    std::fs::remove_file(site.path().join("content/guides/brand-new.md")).expect("delete");
    wait_for("the deleted page to go", || {
        let section = server.get("/guides/").text();
        let manifest = server.get("/cairn-manifest.json").text();
        (!section.contains("A Brand New Guide") && !manifest.contains("brand-new")).then_some(())
    });
    let gone = server.get("/guides/brand-new/");
    assert_eq!(gone.status, 404);
    // The theme's 404 page, with the script (a reader may fix the link).
    assert!(gone.text().contains("<script src=\"/__cairn/live.js\""));

    // A whole folder, created and removed.
    write(
        site.path(),
        "content/events/2026/fair.md",
        "---\ntitle: Spring Fair\n---\n\nBikes.\n",
    );
    wait_for("the new folder", || {
        (server.get("/events/2026/fair/").status == 200).then_some(())
    });
    std::fs::remove_dir_all(site.path().join("content/events")).expect("rm -r");
    wait_for("the folder to go", || {
        (server.get("/events/2026/fair/").status == 404).then_some(())
    });
}

#[test]
fn a_broken_edit_keeps_the_last_good_page_and_shows_the_error_until_fixed() {
    let site = copy_fixture("basic");
    let server = Server::start_inside(site.path());
    assert_eq!(server.state()["errors"], serde_json::Value::Null);

    write(
        site.path(),
        NOTES,
        "---\ntitle: Notes\ndate: [not a date\n---\n\nBroken words.\n",
    );
    let state = wait_for("the error in the event stream", || {
        let state = server.state();
        state["errors"].is_string().then_some(state)
    });
    let overlay = state["errors"].as_str().unwrap();
    // Named from the site root, whatever path the watcher saw.
    assert!(overlay.contains(" --> content/notes.md:3:"), "{overlay}");
    assert!(overlay.contains("date: [not a date"), "{overlay}");
    // The terminal says the same.
    wait_for("the error in the terminal", || {
        let stderr = server.stderr();
        (stderr.contains("content/notes.md:3:") && stderr.contains("still serving")).then_some(())
    });
    // The last good page is still served.
    let page = server.get("/notes/").text();
    assert!(page.contains("A page with no front matter."));
    assert!(!page.contains("Broken words."));

    write(
        site.path(),
        NOTES,
        "---\ntitle: Notes\ndate: 2026-03-01\n---\n\nMended words.\n",
    );
    wait_for("the fix to be served", || {
        server
            .get("/notes/")
            .text()
            .contains("Mended words.")
            .then_some(())
    });
    assert_eq!(server.state()["errors"], serde_json::Value::Null);
}

#[test]
fn requests_cannot_leave_the_site() {
    let site = copy_fixture("basic");
    let secret = "TOP-SECRET-OUTSIDE-THE-SITE";
    std::fs::write(site.path().join("secret.txt"), secret).expect("secret");
    #[cfg(unix)]
    std::os::unix::fs::symlink(site.path(), site.path().join("content/escape")).expect("symlink");
    let server = Server::start(site.path());
    for path in [
        "/../secret.txt",
        "/../../../../etc/passwd",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/guides/..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "//etc/passwd",
        "/escape/secret.txt",
        "/escape/cairn.toml",
        "/%00",
        "/%ff%fe",
    ] {
        let response = server.get(path);
        assert!(
            matches!(response.status, 400 | 404),
            "{path}: {}",
            response.status
        );
        assert!(!response.text().contains(secret), "{path}");
        assert!(!response.text().contains("root:x:0:0"), "{path}");
    }
}

#[test]
fn heads_conditional_requests_folders_and_types() {
    let site = copy_fixture("basic");
    let server = Server::start(site.path());
    let page = server.get("/notes/");
    let etag = page.header("etag").expect("etag").to_owned();
    let again = server.request("GET", "/notes/", &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());

    let head = server.request("HEAD", "/notes/", &[]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length"),
        Some(page.body.len().to_string().as_str())
    );

    let folder = server.get("/guides");
    assert_eq!(folder.status, 301);
    assert_eq!(folder.header("location"), Some("/guides/"));
    assert_eq!(
        server.get("/robots.txt").header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        server
            .get("/guides/first-steps/diagram.svg")
            .header("content-type"),
        Some("image/svg+xml; charset=utf-8")
    );
    assert_eq!(server.request("POST", "/notes/", &[]).status, 405);
}

#[test]
fn the_served_site_is_the_built_site() {
    let site = copy_fixture("links");
    let server = Server::start(site.path());
    // Edits first, so the served set is a rebuilt one.
    write(
        site.path(),
        "content/guides/setup.md",
        "---\ntitle: Setup, revised\n---\n\nSee [[First Steps]].\n",
    );
    wait_for("the edit", || {
        server
            .get("/guides/setup/")
            .text()
            .contains("Setup, revised")
            .then_some(())
    });
    let built = crate::support::build(site.path());
    let sums = String::from_utf8(built.file("B3SUMS").unwrap().to_vec()).unwrap();
    assert_eq!(server.get("/B3SUMS").text(), sums);
    for line in sums.lines() {
        let path = &line[66..];
        let served = server.get(&format!("/{}", path.replace(' ', "%20")));
        assert_eq!(served.status, 200, "{path}");
        assert_eq!(
            without_script(served.body),
            built.file(path).unwrap(),
            "{path}"
        );
    }
}

#[test]
fn a_busy_port_is_refused_with_a_clear_message() {
    let site = copy_fixture("basic");
    let server = Server::start(site.path());
    let port = server.address.rsplit(':').next().unwrap().to_owned();
    let output = Command::new(assert_cmd::cargo::cargo_bin("cairn"))
        .args(["serve", "--port", &port, "--root"])
        .arg(site.path())
        .env("CI", "1")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("already in use"), "{stderr}");
    assert!(stderr.contains("--port 0"), "{stderr}");
    // Not about a file of the site: no empty location line.
    assert!(!stderr.contains("-->"), "{stderr}");
}

/// The `cairn` process keeps its memory off transparent huge pages (see
/// `main.rs`): a long-lived `serve` shows it in its `/proc` status. Where
/// the kernel has no huge pages to speak of, there is nothing to check.
#[cfg(target_os = "linux")]
#[test]
fn the_process_keeps_off_transparent_huge_pages() {
    let own = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if !own.contains("THP_enabled:") {
        return;
    }
    let site = copy_fixture("links");
    let server = Server::start(site.path());
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id()))
        .expect("the server's status");
    let line = status
        .lines()
        .find(|l| l.starts_with("THP_enabled:"))
        .expect("a THP_enabled line");
    assert_eq!(line.split_whitespace().nth(1), Some("0"), "{line}");
}
