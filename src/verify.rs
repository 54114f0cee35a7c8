//! `cairn verify DIR`: checks a built or downloaded archive against its own
//! `B3SUMS` and manifest, needing nothing but the folder.
//!
//! Every file `B3SUMS` lists must be there with that BLAKE3 hash; every file
//! there must be listed; every page of the manifest must have the HTML and
//! raw Markdown whose hashes it claims. The root hash (BLAKE3 of `B3SUMS`)
//! is reported, and compared with `--root` when one is given.

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use crate::archive::B3SUMS;
use crate::manifest::MANIFEST;

/// What `verify` found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The root hash of the archive as found (BLAKE3 of its `B3SUMS`).
    pub root: Option<String>,
    /// `Some(false)` when `--root` was given and differs.
    pub root_matches: Option<bool>,
    /// Listed in `B3SUMS`, not in the folder.
    pub missing: Vec<String>,
    /// In the folder with another hash than `B3SUMS` gives.
    pub changed: Vec<String>,
    /// In the folder, not listed.
    pub extra: Vec<String>,
    /// Claims of the manifest that the files do not bear out, and problems
    /// reading `B3SUMS` or the manifest.
    pub problems: Vec<String>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.root.is_some()
            && self.root_matches != Some(false)
            && self.missing.is_empty()
            && self.changed.is_empty()
            && self.extra.is_empty()
            && self.problems.is_empty()
    }
}

/// Every file under `dir` (symbolic links included, never followed), by its
/// path relative to `dir` with `/`.
fn files_in(dir: &Path) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let walker = ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .follow_links(false)
        .build();
    for entry in walker {
        let entry = entry.map_err(|e| e.to_string())?;
        if entry.file_type().is_some_and(|t| !t.is_dir()) {
            let rel = entry.path().strip_prefix(dir).map_err(|e| e.to_string())?;
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
    out.sort();
    Ok(out)
}

/// The BLAKE3 of a regular file, `None` if it cannot be read as one.
fn hash_file(path: &Path) -> Option<blake3::Hash> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    std::fs::read(path).ok().map(|b| blake3::hash(&b))
}

/// Parses `B3SUMS`: path → expected hash.
fn parse_sums(text: &str, problems: &mut Vec<String>) -> BTreeMap<String, String> {
    let mut sums = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let ok = line.len() > 66
            && line.is_char_boundary(64)
            && line.is_char_boundary(66)
            && &line[64..66] == "  ";
        let hex = &line[..64.min(line.len())];
        if !ok || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            problems.push(format!(
                "B3SUMS line {}: expected 64 hex digits, two spaces and a path",
                n + 1
            ));
            continue;
        }
        let path = &line[66..];
        if !crate::emit::is_safe_output_path(path) {
            problems.push(format!(
                "B3SUMS line {}: `{path}` is not a path inside the archive",
                n + 1
            ));
            continue;
        }
        sums.insert(path.to_owned(), hex.to_ascii_lowercase());
    }
    sums
}

/// Verifies the archive in `dir`, against `expected_root` when given.
pub fn verify(dir: &Path, expected_root: Option<&str>) -> Report {
    let mut report = Report::default();
    let sums_bytes = match std::fs::read(dir.join(B3SUMS)) {
        Ok(b) => b,
        Err(e) => {
            report
                .problems
                .push(format!("cannot read {}: {e}", dir.join(B3SUMS).display()));
            return report;
        }
    };
    let root = blake3::hash(&sums_bytes).to_hex().to_string();
    report.root_matches = expected_root.map(|r| r.trim().eq_ignore_ascii_case(&root));
    report.root = Some(root);
    let sums = parse_sums(&String::from_utf8_lossy(&sums_bytes), &mut report.problems);
    let present = match files_in(dir) {
        Ok(p) => p,
        Err(e) => {
            report
                .problems
                .push(format!("cannot list {}: {e}", dir.display()));
            return report;
        }
    };
    let checks: Vec<(String, Option<bool>)> = sums
        .par_iter()
        .map(|(path, hex)| {
            let found = hash_file(&dir.join(path)).map(|h| h.to_hex().as_str() == hex);
            (path.clone(), found)
        })
        .collect();
    for (path, found) in checks {
        match found {
            None => report.missing.push(path),
            Some(false) => report.changed.push(path),
            Some(true) => {}
        }
    }
    report.extra = present
        .into_iter()
        .filter(|p| p != B3SUMS && !sums.contains_key(p))
        .collect();
    check_manifest(dir, &mut report);
    report
}

/// Checks each page's `output_blake3` and `source_blake3` against the HTML
/// and raw Markdown published beside it.
fn check_manifest(dir: &Path, report: &mut Report) {
    #[derive(serde::Deserialize)]
    struct Page {
        url: String,
        source_blake3: String,
        output_blake3: String,
    }
    #[derive(serde::Deserialize)]
    struct Manifest {
        pages: Vec<Page>,
    }
    let manifest: Manifest =
        match std::fs::read(dir.join(MANIFEST)).map(|b| serde_json::from_slice(&b)) {
            Ok(Ok(m)) => m,
            Ok(Err(e)) => {
                report
                    .problems
                    .push(format!("{MANIFEST} is not a valid manifest: {e}"));
                return;
            }
            Err(e) => {
                report.problems.push(format!("cannot read {MANIFEST}: {e}"));
                return;
            }
        };
    for page in manifest.pages {
        let base = page.url.trim_start_matches('/');
        for (file, claimed, what) in [
            (
                format!("{base}index.html"),
                &page.output_blake3,
                "output_blake3",
            ),
            (
                format!("{base}index.md"),
                &page.source_blake3,
                "source_blake3",
            ),
        ] {
            if !crate::emit::is_safe_output_path(&file) {
                report.problems.push(format!(
                    "{MANIFEST}: `{}` is not a URL inside the archive",
                    page.url
                ));
                break;
            }
            match hash_file(&dir.join(&file)) {
                Some(h) if h.to_hex().as_str() == claimed.as_str() => {}
                Some(_) => report.problems.push(format!(
                    "{MANIFEST}: {what} of {} does not match `{file}`",
                    page.url
                )),
                None => report
                    .problems
                    .push(format!("{MANIFEST}: `{file}` of {} is missing", page.url)),
            }
        }
    }
}
