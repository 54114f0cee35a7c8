//! `cairn serve`: builds the site into memory, serves it over HTTP, watches
//! the files a build reads and rebuilds on every save, then tells open
//! browsers which pages changed so that they reload (Server-Sent Events).
//!
//! Three parts, each in its own thread or runtime:
//! - the watcher ([`watch`]) turns editor saves into batches of changed
//!   paths;
//! - the rebuild loop feeds each batch to an [`incremental::Builder`] and
//!   publishes the result as a new [`Snapshot`], or, when the build has
//!   errors, keeps the last good snapshot and publishes the errors;
//! - the HTTP server ([`http`]) answers from the current snapshot only: a
//!   request is a lookup in the output set, never a path on disk, so it
//!   cannot reach a file outside the site.

mod http;
mod watch;

use std::io::Write;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use crate::build::Built;
use crate::config::BuildOptions;
use crate::diagnostic::{self, Diagnostic, Kind};
use crate::incremental::{Builder, Changes};

pub use watch::{QUIET, Watcher};

/// The port `cairn serve` listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 1111;

/// How `cairn serve` was asked to run.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub build: BuildOptions,
    pub bind: IpAddr,
    /// 0 asks for any free port.
    pub port: u16,
    /// Open the site in the default browser once it is served.
    pub open: bool,
    /// Colours in the diagnostics printed to the terminal.
    pub color: bool,
}

/// What the server serves: the last good build, and the errors of the
/// latest one if it failed.
#[derive(Debug)]
pub struct Snapshot {
    /// The last build without errors (or the first build, whatever it was).
    pub built: Arc<Built>,
    /// Counts rebuilds; a page knows the generation it was served from.
    pub generation: u64,
    /// The latest build's errors, as the terminal shows them (no colours).
    pub errors: Option<String>,
}

/// The state shared by the rebuild loop and the server.
pub struct Live {
    snapshot: RwLock<Arc<Snapshot>>,
    events: tokio::sync::broadcast::Sender<Arc<str>>,
}

impl Live {
    fn new(snapshot: Snapshot) -> Self {
        Self {
            snapshot: RwLock::new(Arc::new(snapshot)),
            events: tokio::sync::broadcast::channel(64).0,
        }
    }

    /// The snapshot to answer from now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.snapshot.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn publish(&self, snapshot: Snapshot, changed: Option<&[String]>) {
        let message: Arc<str> = state_message(&snapshot, changed).into();
        let fresh = Arc::new(snapshot);
        // The old snapshot is dropped after the lock is let go.
        let _old = match self.snapshot.write() {
            Ok(mut guard) => std::mem::replace(&mut *guard, fresh),
            Err(poisoned) => std::mem::replace(&mut *poisoned.into_inner(), fresh),
        };
        // Nobody listening is fine.
        let _ = self.events.send(message);
    }
}

/// The message browsers get: the generation, the errors if any, and which
/// output files changed (`null`: assume all did).
fn state_message(snapshot: &Snapshot, changed: Option<&[String]>) -> String {
    serde_json::json!({
        "generation": snapshot.generation,
        "errors": snapshot.errors,
        "changed": changed,
    })
    .to_string()
}

/// Binds, builds, serves and rebuilds until interrupted.
pub fn serve(options: ServeOptions) -> Result<(), Diagnostic> {
    let listener = bind(options.bind, options.port)?;
    let address = listener
        .local_addr()
        .map_err(|e| Diagnostic::error(Kind::Io, "", format!("cannot serve: {e}")))?;

    // Watch before the first build, so that nothing saved during it is lost.
    let mut watcher = Watcher::start(&options.build)?;
    let mut builder = Builder::new(options.build.clone());
    let started = Instant::now();
    let built = builder.build(&Changes::Everything);
    print_diagnostics(&built.diagnostics, options.color);
    let errors = built.has_errors().then(|| overlay_text(&built));
    println!(
        "Built {} pages ({} files) in {} ms{}",
        built.pages,
        built.files.len(),
        started.elapsed().as_millis(),
        if errors.is_some() {
            "; it has errors, shown in the terminal and in the browser"
        } else {
            ""
        }
    );
    let live = Arc::new(Live::new(Snapshot {
        built: Arc::new(built),
        generation: 0,
        errors,
    }));

    let url = site_url(address, &live.snapshot().built.base_path);
    println!("Serving {url} (Ctrl+C to stop)");
    let _ = std::io::stdout().flush();
    if options.open {
        open_browser(&url);
    }

    let rebuilds = Arc::clone(&live);
    let color = options.color;
    std::thread::Builder::new()
        .name("cairn-rebuild".to_owned())
        .spawn(move || {
            while let Some(changes) = watcher.wait() {
                rebuild(&mut builder, &rebuilds, &changes, color);
            }
        })
        .map_err(|e| Diagnostic::error(Kind::Io, "", format!("cannot start watching: {e}")))?;

    http::run(listener, live)
}

/// Rebuilds after `changes` and publishes the result.
pub fn rebuild(builder: &mut Builder, live: &Live, changes: &Changes, color: bool) {
    let started = Instant::now();
    let built = builder.build(changes);
    let elapsed = started.elapsed();
    let previous = live.snapshot();
    print_diagnostics(&built.diagnostics, color);
    if built.has_errors() {
        eprintln!(
            "Build failed: {} error{}, {} warning{}; still serving the last good build",
            built.errors(),
            plural(built.errors()),
            built.warnings(),
            plural(built.warnings()),
        );
        let snapshot = Snapshot {
            built: Arc::clone(&previous.built),
            generation: previous.generation + 1,
            errors: Some(overlay_text(&built)),
        };
        live.publish(snapshot, Some(&[]));
        return;
    }
    let changed = changed_files(&previous.built, &built);
    println!(
        "Rebuilt in {:.1} ms: {} file{} changed",
        elapsed.as_secs_f64() * 1000.0,
        changed.len(),
        plural(changed.len())
    );
    let _ = std::io::stdout().flush();
    let snapshot = Snapshot {
        built: Arc::new(built),
        generation: previous.generation + 1,
        errors: None,
    };
    // A long list helps nobody: past a few hundred, every page reloads.
    let changed = (changed.len() <= 500).then_some(changed);
    live.publish(snapshot, changed.as_deref());
}

/// The errors of a failed build, as the terminal shows them without
/// colours (warnings stay in the terminal).
fn overlay_text(built: &Built) -> String {
    let errors: Vec<Diagnostic> = built
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    diagnostic::render_all(&errors, false)
}

/// Output paths whose bytes differ between two builds (added and removed
/// files included). Both lists are sorted by path; a file a rebuild kept
/// shares its bytes with the last build, so most compare by pointer.
fn changed_files(old: &Built, new: &Built) -> Vec<String> {
    use std::cmp::Ordering;
    let (mut a, mut b) = (old.files.iter().peekable(), new.files.iter().peekable());
    let mut changed = Vec::new();
    loop {
        match (a.peek(), b.peek()) {
            (None, None) => break,
            (Some(x), None) => {
                changed.push(x.path.to_string());
                a.next();
            }
            (None, Some(y)) => {
                changed.push(y.path.to_string());
                b.next();
            }
            (Some(x), Some(y)) => match x.path.as_bytes().cmp(y.path.as_bytes()) {
                Ordering::Less => {
                    changed.push(x.path.to_string());
                    a.next();
                }
                Ordering::Greater => {
                    changed.push(y.path.to_string());
                    b.next();
                }
                Ordering::Equal => {
                    if !Arc::ptr_eq(&x.bytes, &y.bytes) && x.bytes != y.bytes {
                        changed.push(y.path.to_string());
                    }
                    a.next();
                    b.next();
                }
            },
        }
    }
    changed
}

fn bind(ip: IpAddr, port: u16) -> Result<TcpListener, Diagnostic> {
    TcpListener::bind(SocketAddr::new(ip, port)).map_err(|err| {
        let message = if err.kind() == std::io::ErrorKind::AddrInUse {
            format!("port {port} on {ip} is already in use")
        } else {
            format!("cannot listen on {ip}:{port}: {err}")
        };
        Diagnostic::error(Kind::Io, "", message)
            .with_help("pick another with `--port N`, or `--port 0` for any free port")
    })
}

fn site_url(address: SocketAddr, base_path: &str) -> String {
    let host = match address.ip() {
        IpAddr::V6(ip) => format!("[{ip}]"),
        IpAddr::V4(ip) => ip.to_string(),
    };
    format!("http://{host}:{}{base_path}", address.port())
}

fn open_browser(url: &str) {
    let command = if cfg!(target_os = "macos") {
        std::process::Command::new("open").arg(url).spawn()
    } else if cfg!(windows) {
        std::process::Command::new("cmd")
            .args(["/C", "start", "", url])
            .spawn()
    } else {
        std::process::Command::new("xdg-open").arg(url).spawn()
    };
    if let Err(err) = command {
        eprintln!("warning: could not open a browser ({err}); open {url} yourself");
    }
}

fn print_diagnostics(diagnostics: &[Diagnostic], color: bool) {
    if diagnostics.is_empty() {
        return;
    }
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(diagnostic::render_all(diagnostics, color).as_bytes());
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
