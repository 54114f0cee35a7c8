//! Watching the site for edits: notify, debounced, filtered down to the
//! files a build reads, and gathered into batches so that an editor's burst
//! of events (write a temp file, rename it over the page, touch it again)
//! becomes one rebuild.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use crate::config::{BuildOptions, CONFIG_FILE};
use crate::contributors::CONTRIBUTORS_FILE;
use crate::diagnostic::{Diagnostic, Kind};
use crate::incremental::Changes;

/// How long a path must stay quiet before its events are passed on. Editors
/// save within a millisecond or two; this is short so that an edit shows at
/// once, and long enough to stitch a temp-file-and-rename save into one.
pub const QUIET: Duration = Duration::from_millis(10);

/// The site's watcher. Dropping it stops watching.
pub struct Watcher {
    _debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
    events: Receiver<DebounceEventResult>,
    filter: Filter,
}

/// Which paths a build reads.
struct Filter {
    root: PathBuf,
    watched: Vec<PathBuf>,
    output: PathBuf,
}

impl Filter {
    fn wants(&self, path: &Path) -> bool {
        if path.starts_with(&self.output) {
            return false;
        }
        let top_level = [CONFIG_FILE, CONTRIBUTORS_FILE];
        let in_root = path.parent() == Some(self.root.as_path());
        let named = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| top_level.contains(&n));
        // `static/` or `templates/` appearing or going away counts too.
        let folder = in_root && self.watched.iter().any(|w| w == path);
        if (in_root && named) || folder {
            return true;
        }
        let Some(base) = self.watched.iter().find(|w| path.starts_with(w)) else {
            return false;
        };
        // Hidden files and folders are never read (editor swap files,
        // `.git`), nor are editor backups.
        let rel = path.strip_prefix(base).unwrap_or(path);
        let hidden = rel
            .components()
            .any(|c| c.as_os_str().to_str().is_some_and(|s| s.starts_with('.')));
        let backup = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with('~'));
        !hidden && !backup
    }
}

impl Watcher {
    /// Starts watching the site of `options`.
    pub fn start(options: &BuildOptions) -> Result<Self, Diagnostic> {
        let (tx, events) = channel();
        let mut debouncer = new_debouncer(QUIET, None, tx).map_err(watch_error)?;
        let root = absolute(&options.root);
        let content = absolute(&options.content);
        let watched = vec![content, root.join("static"), root.join("templates")];
        // The root itself, not recursively: `cairn.toml`, `contributors.yaml`
        // and the folders above appearing.
        debouncer
            .watch(&root, RecursiveMode::NonRecursive)
            .map_err(watch_error)?;
        for dir in &watched {
            if dir.is_dir() {
                debouncer
                    .watch(dir, RecursiveMode::Recursive)
                    .map_err(watch_error)?;
            }
        }
        Ok(Self {
            _debouncer: debouncer,
            events,
            filter: Filter {
                root,
                watched,
                output: absolute(&options.output),
            },
        })
    }

    /// Waits for the next batch of changes that a build reads, then takes
    /// whatever else has arrived meanwhile into the same batch. `None` when
    /// the watcher has stopped.
    pub fn wait(&mut self) -> Option<Changes> {
        loop {
            let first = self.events.recv().ok()?;
            let mut changes = Changes::Paths(BTreeSet::new());
            self.take(first, &mut changes);
            // Whatever else has been debounced meanwhile joins this batch
            // (the debouncer has already waited for the save to settle).
            while let Ok(more) = self.events.try_recv() {
                self.take(more, &mut changes);
            }
            match &changes {
                Changes::Paths(paths) if paths.is_empty() => continue,
                _ => return Some(changes),
            }
        }
    }

    fn take(&self, result: DebounceEventResult, changes: &mut Changes) {
        match result {
            Ok(events) => {
                for event in events {
                    // Reading is no change (and a build reads everything).
                    if matches!(event.kind, notify::EventKind::Access(_)) {
                        continue;
                    }
                    if event.need_rescan() {
                        *changes = Changes::Everything;
                    }
                    if let Changes::Paths(paths) = changes {
                        paths.extend(event.paths.iter().filter(|p| self.filter.wants(p)).cloned());
                    }
                }
            }
            // A watcher error (a folder gone, a full queue): be safe.
            Err(_) => *changes = Changes::Everything,
        }
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn watch_error(err: notify::Error) -> Diagnostic {
    Diagnostic::error(
        Kind::Io,
        "",
        format!("cannot watch the site for changes: {err}"),
    )
    .with_help("on Linux, raise fs.inotify.max_user_watches")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_a_build_reads_is_watched() {
        let root = PathBuf::from("/site");
        let filter = Filter {
            watched: vec![
                root.join("content"),
                root.join("static"),
                root.join("templates"),
            ],
            output: root.join("public"),
            root: root.clone(),
        };
        for (path, wanted) in [
            ("content/a.md", true),
            ("content/guides/img.png", true),
            ("content/.a.md.swp", false),
            ("content/.git/index", false),
            ("content/a.md~", false),
            ("templates/page.html", true),
            ("static/style.css", true),
            ("cairn.toml", true),
            ("contributors.yaml", true),
            ("static", true),
            ("public/index.html", false),
            ("notes.txt", false),
            ("README.md", false),
        ] {
            assert_eq!(filter.wants(&root.join(path)), wanted, "{path}");
        }
    }
}
