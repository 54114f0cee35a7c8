//! Load: the only stage that reads the file system. It walks `content/`,
//! `static/` and `templates/`, reads every file (in parallel) and returns
//! them as plain data, with a diagnostic for each file it had to skip.
//!
//! The walk honours `.gitignore` and skips hidden files and folders. Symbolic
//! links are followed, but a link that loops, or that leads out of the site
//! root, is skipped with a warning, so a hostile tree can neither hang the
//! walk nor pull in files from elsewhere.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::config::{BuildOptions, CONFIG_FILE, Config};
use crate::contributors::CONTRIBUTORS_FILE;
use crate::diagnostic::{Diagnostic, Kind};

/// A text file of the site (a page or a template).
#[derive(Debug, Clone)]
pub struct TextFile {
    /// Path relative to the site root, with `/` (`content/guides/a.md`).
    pub display: String,
    /// Path relative to its folder (`content/`, `templates/`), with `/`.
    pub rel: String,
    /// Shared, so that a rebuild can keep a file it did not read again.
    pub text: std::sync::Arc<str>,
    /// BLAKE3 of the file's bytes.
    pub hash: blake3::Hash,
}

/// A file copied to the output as it is (a co-located asset or a static
/// file).
#[derive(Debug, Clone)]
pub struct BinaryFile {
    pub display: String,
    pub rel: String,
    pub bytes: std::sync::Arc<[u8]>,
}

/// Everything a build reads, as plain data.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// The text of `cairn.toml`, if there is one.
    pub config: Option<String>,
    /// The text of `contributors.yaml`, if there is one.
    pub contributors: Option<String>,
    /// Markdown pages under the content folder, sorted by path.
    pub pages: Vec<TextFile>,
    /// Other files under the content folder, sorted by path.
    pub assets: Vec<BinaryFile>,
    /// Files under `static/`, sorted by path.
    pub statics: Vec<BinaryFile>,
    /// Files under `templates/`, sorted by path.
    pub templates: Vec<TextFile>,
}

/// Whether `path` names a Markdown file.
pub fn is_markdown(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".md") || lower.ends_with(".markdown")
}

/// Reads the whole site. Problems with single files become diagnostics; a
/// missing content folder is an error.
pub fn load(options: &BuildOptions) -> (Sources, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();

    let mut sources = Sources {
        config: read_optional(options, CONFIG_FILE, &mut diagnostics),
        contributors: read_optional(options, CONTRIBUTORS_FILE, &mut diagnostics),
        ..Sources::default()
    };

    if !options.content.is_dir() {
        let shown = options.display_path(&options.content);
        diagnostics.push(
            Diagnostic::error(
                Kind::Io,
                shown.clone(),
                format!("content folder `{shown}` not found"),
            )
            .with_help("create it, or name another with `--content DIR`"),
        );
        return (sources, diagnostics);
    }

    let excluded = excluded_folders(options);
    let content = walk(options, &options.content, &excluded, &mut diagnostics);
    let (pages, assets): (Vec<_>, Vec<_>) =
        content.into_iter().partition(|(_, rel)| is_markdown(rel));
    // Code is highlighted unless the site says otherwise; the grammars
    // start loading on a thread of their own once a page with a fence is
    // read, beside the reading of the rest (see `highlight::preload`).
    let highlights = sources.config.as_deref().is_none_or(|text| {
        Config::parse(text, CONFIG_FILE).is_ok_and(|c| c.markdown.highlight_code)
    });
    let fence_seen = AtomicBool::new(!highlights);
    let watch = |text: &str| {
        if !fence_seen.load(Ordering::Relaxed)
            && (text.contains("```") || text.contains("~~~"))
            && !fence_seen.swap(true, Ordering::Relaxed)
        {
            crate::highlight::preload();
        }
    };
    sources.pages = read_texts(options, pages, &watch, &mut diagnostics);
    sources.assets = read_binaries(options, assets, &mut diagnostics);

    let static_dir = options.root.join("static");
    if static_dir.is_dir() && !same_path(&static_dir, &options.content) {
        let files = walk(options, &static_dir, &excluded, &mut diagnostics);
        sources.statics = read_binaries(options, files, &mut diagnostics);
    }
    let templates_dir = options.root.join("templates");
    if templates_dir.is_dir() {
        let files = walk(options, &templates_dir, &excluded, &mut diagnostics);
        sources.templates = read_texts(options, files, &|_| {}, &mut diagnostics);
    }
    (sources, diagnostics)
}

/// Brings `sources` and `diagnostics` (what the last load read and said)
/// up to date after the files at `changed` (absolute paths) were written or
/// removed, reading only those, and returns the source paths of the files
/// read again or removed. `None`, with nothing changed, when that is not
/// enough to be exact (a file or folder that was not there before, a link,
/// anything outside the content folder): then [`load`] reads everything.
pub fn reload(
    options: &BuildOptions,
    sources: &mut Sources,
    diagnostics: &mut Vec<Diagnostic>,
    changed: &std::collections::BTreeSet<PathBuf>,
) -> Option<Vec<String>> {
    let content = std::path::absolute(&options.content).ok()?;
    // What each path is now, decided before anything is changed.
    enum Step {
        ReadPage,
        ReadAsset,
        Gone,
    }
    let mut steps = Vec::with_capacity(changed.len());
    for path in changed {
        let rel = slash_path(path.strip_prefix(&content).ok()?);
        if rel.is_empty() {
            return None;
        }
        let page = sources.pages.binary_search_by(|f| f.rel.as_str().cmp(&rel));
        let asset = sources
            .assets
            .binary_search_by(|f| f.rel.as_str().cmp(&rel));
        let step = match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_file() => match (page, asset) {
                (Ok(_), _) => Step::ReadPage,
                (_, Ok(_)) => Step::ReadAsset,
                _ => return None,
            },
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                if page.is_err() && asset.is_err() {
                    // A folder that held files is gone: walk again. A file
                    // never read (an editor's temp file) changes nothing.
                    let folder = format!("{rel}/");
                    let held = |r: &str| r.starts_with(&folder);
                    if sources.pages.iter().any(|f| held(&f.rel))
                        || sources.assets.iter().any(|f| held(&f.rel))
                    {
                        return None;
                    }
                }
                Step::Gone
            }
            _ => return None,
        };
        steps.push((path, rel, step));
    }

    let mut touched = Vec::new();
    let mut said = Vec::new();
    for (path, rel, step) in steps {
        let page = sources.pages.binary_search_by(|f| f.rel.as_str().cmp(&rel));
        let asset = sources
            .assets
            .binary_search_by(|f| f.rel.as_str().cmp(&rel));
        let list = vec![(path.clone(), rel)];
        match (step, page, asset) {
            (Step::ReadPage, Ok(i), _) => {
                touched.push(sources.pages.remove(i).display);
                if let Some(fresh) = read_texts(options, list, &|_| {}, &mut said).pop() {
                    sources.pages.insert(i, fresh);
                }
            }
            (Step::ReadAsset, _, Ok(i)) => {
                touched.push(sources.assets.remove(i).display);
                if let Some(fresh) = read_binaries(options, list, &mut said).pop() {
                    sources.assets.insert(i, fresh);
                }
            }
            (Step::Gone, Ok(i), _) => touched.push(sources.pages.remove(i).display),
            (Step::Gone, _, Ok(i)) => touched.push(sources.assets.remove(i).display),
            _ => {}
        }
    }
    diagnostics.retain(|d| !touched.contains(&d.file));
    diagnostics.extend(said);
    Some(touched)
}

/// The git history of the content folder, for `[provenance] git = true`.
pub fn git_history(options: &BuildOptions) -> (crate::git::History, Vec<Diagnostic>) {
    crate::git::history(&options.content, &options.display_path(&options.content))
}

/// Reads the optional text file `name` at the site root.
fn read_optional(
    options: &BuildOptions,
    name: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<String> {
    match std::fs::read(options.root.join(name)) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(err) => {
                diagnostics.push(invalid_utf8(name, err));
                None
            }
        },
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => {
            diagnostics.push(io_error(name, &err));
            None
        }
    }
}

/// Folders that are never content even when the content folder is the site
/// root (an Obsidian vault built with `--content .`).
fn excluded_folders(options: &BuildOptions) -> Vec<PathBuf> {
    let mut out = vec![
        options.output.clone(),
        crate::emit::staging_path(&options.output),
        crate::emit::previous_path(&options.output),
    ];
    if same_path(&options.content, &options.root) {
        for name in [
            "public",
            "templates",
            "static",
            "themes",
            "node_modules",
            "target",
        ] {
            out.push(options.root.join(name));
        }
    }
    out
}

fn same_path(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Walks `dir`, returning (absolute path, path relative to `dir` with `/`)
/// of every file, sorted.
fn walk(
    options: &BuildOptions,
    dir: &Path,
    excluded: &[PathBuf],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<(PathBuf, String)> {
    let root = options
        .root
        .canonicalize()
        .unwrap_or_else(|_| options.root.clone());
    let escaped: Arc<Mutex<Vec<PathBuf>>> = Arc::default();
    let excluded: Vec<PathBuf> = excluded.to_vec();
    let escaped_in_filter = Arc::clone(&escaped);
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(true)
        .follow_links(true)
        .git_global(false)
        .require_git(true)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(move |entry| {
            let path = entry.path();
            if excluded.iter().any(|x| x == path) {
                return false;
            }
            if entry.path_is_symlink() {
                let inside = path
                    .canonicalize()
                    .is_ok_and(|real| real.starts_with(&root));
                if !inside {
                    if let Ok(mut list) = escaped_in_filter.lock() {
                        list.push(path.to_path_buf());
                    }
                    return false;
                }
            }
            true
        })
        .build();

    let mut files = Vec::new();
    for entry in walker {
        match entry {
            Ok(entry) => {
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    continue;
                }
                let path = entry.into_path();
                let Ok(rel) = path.strip_prefix(dir) else {
                    continue;
                };
                let rel = slash_path(rel);
                files.push((path, rel));
            }
            Err(err) => diagnostics.push(walk_error(options, &err)),
        }
    }
    if let Ok(list) = escaped.lock() {
        for path in list.iter() {
            diagnostics.push(
                Diagnostic::warning(
                    Kind::Io,
                    options.display_path(path),
                    "skipped: this symbolic link leads outside the site root (or nowhere)",
                )
                .with_target(
                    path.read_link()
                        .map(|t| t.display().to_string())
                        .unwrap_or_default(),
                ),
            );
        }
    }
    files.sort_by(|a, b| a.1.cmp(&b.1));
    files
}

/// A relative path with `/` separators.
fn slash_path(path: &Path) -> String {
    let mut out = String::new();
    for (i, part) in path.components().enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(&part.as_os_str().to_string_lossy());
    }
    out
}

fn walk_error(options: &BuildOptions, err: &ignore::Error) -> Diagnostic {
    fn find(err: &ignore::Error) -> (Option<PathBuf>, bool) {
        match err {
            ignore::Error::WithPath { path, err } => (Some(path.clone()), find(err).1),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                find(err)
            }
            ignore::Error::Loop { child, .. } => (Some(child.clone()), true),
            ignore::Error::Partial(errs) => errs.first().map_or((None, false), find),
            _ => (None, false),
        }
    }
    let (path, is_loop) = find(err);
    let file = path
        .as_deref()
        .map_or_else(|| ".".to_owned(), |p| options.display_path(p));
    let message = if is_loop {
        "skipped: this symbolic link loops back to a folder that contains it".to_owned()
    } else {
        format!("skipped: {err}")
    };
    Diagnostic::warning(Kind::Io, file, message)
}

/// Reads `files` as UTF-8 text, showing each text to `watch` as it is read.
fn read_texts(
    options: &BuildOptions,
    files: Vec<(PathBuf, String)>,
    watch: &(dyn Fn(&str) + Sync),
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<TextFile> {
    let results: Vec<Result<TextFile, Diagnostic>> = files
        .into_par_iter()
        .with_max_len(crate::PAGES_A_TASK)
        .map(|(path, rel)| {
            let display = options.display_path(&path);
            let bytes = std::fs::read(&path).map_err(|e| io_error(&display, &e))?;
            let hash = blake3::hash(&bytes);
            let text = String::from_utf8(bytes).map_err(|e| invalid_utf8(&display, e))?;
            watch(&text);
            Ok(TextFile {
                display,
                rel,
                text: text.into(),
                hash,
            })
        })
        .collect();
    collect(results, diagnostics)
}

fn read_binaries(
    options: &BuildOptions,
    files: Vec<(PathBuf, String)>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<BinaryFile> {
    let results: Vec<Result<BinaryFile, Diagnostic>> = files
        .into_par_iter()
        .map(|(path, rel)| {
            let display = options.display_path(&path);
            let bytes = std::fs::read(&path).map_err(|e| io_error(&display, &e))?;
            Ok(BinaryFile {
                display,
                rel,
                bytes: bytes.into(),
            })
        })
        .collect();
    collect(results, diagnostics)
}

fn collect<T>(results: Vec<Result<T, Diagnostic>>, diagnostics: &mut Vec<Diagnostic>) -> Vec<T> {
    let mut out = Vec::with_capacity(results.len());
    for result in results {
        match result {
            Ok(file) => out.push(file),
            Err(d) => diagnostics.push(d),
        }
    }
    out
}

fn io_error(display: &str, err: &std::io::Error) -> Diagnostic {
    Diagnostic::error(Kind::Io, display, format!("cannot read `{display}`: {err}"))
}

/// Invalid UTF-8, located at the first bad byte.
fn invalid_utf8(display: &str, err: std::string::FromUtf8Error) -> Diagnostic {
    let valid = err.utf8_error().valid_up_to();
    let bytes = err.as_bytes();
    // Everything before the bad byte is valid text, so it can be measured.
    let before = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
    let (line, column) = crate::diagnostic::line_col(before, before.len());
    let mut d = Diagnostic::error(
        Kind::Encoding,
        display,
        format!(
            "`{display}` is not valid UTF-8 (byte 0x{:02x} at offset {valid})",
            bytes.get(valid).copied().unwrap_or(0)
        ),
    )
    .with_help("save the file as UTF-8");
    d.line = line;
    d.column = column;
    d
}
