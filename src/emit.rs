//! Emit: the only stage that writes. The output set is written to a staging
//! folder beside the target and swapped in at the end, so a build that fails
//! (or is killed) leaves the previous output exactly as it was.
//!
//! A one-off build streams: each page is written to the staging folder as
//! soon as it is rendered (see [`Staging::put`]), so the build never holds
//! every page's HTML at once.
//!
//! Every output path is checked to be relative and made of plain segments
//! before it is joined to the staging folder: nothing can be written outside
//! it, whatever a page's slug or an asset's name says.

use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, Kind};
use crate::manifest::MANIFEST;
use crate::render::Output;

/// The staging folder for `output`: a hidden sibling.
pub fn staging_path(output: &Path) -> PathBuf {
    sibling(output, "cairn-staging")
}

/// Where the previous output waits during the swap.
pub fn previous_path(output: &Path) -> PathBuf {
    sibling(output, "cairn-previous")
}

fn sibling(output: &Path, suffix: &str) -> PathBuf {
    let name = output
        .file_name()
        .map_or_else(|| "public".into(), |n| n.to_string_lossy().into_owned());
    let parent = output.parent().unwrap_or_else(|| Path::new("."));
    parent.join(format!(".{name}.{suffix}"))
}

/// Why an output folder may not be written.
fn refuse(output: &Path, why: &str) -> Diagnostic {
    Diagnostic::error(
        Kind::Io,
        output.display().to_string(),
        format!(
            "refusing to write the archive to `{}`: {why}",
            output.display()
        ),
    )
}

/// Checks that `output` is a place the build may replace: not the site root
/// or a folder above it, and, if it exists, empty or a previous output
/// (it holds a manifest).
pub fn check_target(output: &Path, root: &Path, content: &Path) -> Result<(), Diagnostic> {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (out, root, content) = (abs(output), abs(root), abs(content));
    if root.starts_with(&out) || content.starts_with(&out) {
        return Err(refuse(output, "it contains the site's sources"));
    }
    if out.is_dir() {
        let empty = std::fs::read_dir(&out)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !empty && !out.join(MANIFEST).is_file() {
            return Err(refuse(
                output,
                "it is not empty and holds no cairn-manifest.json, so it is not a previous build",
            ));
        }
    } else if out.exists() {
        return Err(refuse(output, "it exists and is not a folder"));
    }
    Ok(())
}

/// Whether `path` is a relative path of plain segments.
pub fn is_safe_output_path(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('\\')
        && !path.contains(':')
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

fn io(path: &Path, action: &str, err: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        Kind::Io,
        path.display().to_string(),
        format!("cannot {action} `{}`: {err}", path.display()),
    )
}

/// Writes `files` to `output` through a staging folder.
pub fn write(files: &[Output], output: &Path) -> Result<(), Diagnostic> {
    Staging::create(output)?.finish(files)
}

/// A staging folder being filled. Files can be put in as they are made,
/// from any thread ([`Staging::put`]); [`Staging::finish`] writes the rest
/// and swaps the folder into place. Dropped unfinished (a failed build),
/// it removes itself, and the previous output stays as it was.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    output: PathBuf,
    finished: bool,
}

impl Staging {
    /// An empty staging folder for `output` (an old one left by a killed
    /// build is removed first).
    pub fn create(output: &Path) -> Result<Self, Diagnostic> {
        let dir = staging_path(output);
        if dir.exists() {
            remove_tree(&dir).map_err(|e| io(&dir, "remove the old staging folder", &e))?;
        }
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, "create", &e))?;
        Ok(Self {
            dir,
            output: output.to_path_buf(),
            finished: false,
        })
    }

    /// Writes one file (its folder made if it is not there yet), after
    /// checking that its path stays inside the staging folder. The write is
    /// tried first: most files go to a folder an earlier one made (a
    /// page's source beside its HTML), which then costs no `mkdir`.
    pub fn put(&self, path: &str, bytes: &[u8], origin: &str) -> Result<(), Diagnostic> {
        check_path(path, origin)?;
        let target = self.dir.join(path);
        match std::fs::write(&target, bytes) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| io(parent, "create", &e))?;
                }
                std::fs::write(&target, bytes)
            }
            written => written,
        }
        .map_err(|e| io(&target, "write", &e))
    }

    /// Writes one file into a folder not made yet (a page's own): the
    /// folder first (`create_dir_all` tries the folder itself before its
    /// parents: one `mkdir`), then the file, where [`Staging::put`] would
    /// try the write, fail, and try again.
    pub fn put_in_new_folder(
        &self,
        path: &str,
        bytes: &[u8],
        origin: &str,
    ) -> Result<(), Diagnostic> {
        check_path(path, origin)?;
        let target = self.dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, "create", &e))?;
        }
        std::fs::write(&target, bytes).map_err(|e| io(&target, "write", &e))
    }

    /// Writes one file through `fill`, buffered, hashing it on the way:
    /// for a large file made in pieces (the manifest), never held whole.
    pub fn put_with(
        &self,
        path: &str,
        origin: &str,
        fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Result<blake3::Hash, Diagnostic> {
        use std::io::Write as _;
        check_path(path, origin)?;
        let target = self.dir.join(path);
        let file = std::fs::File::create(&target).map_err(|e| io(&target, "create", &e))?;
        // Hashed after the buffer: BLAKE3 hashes a large block many chunks
        // at a time, and the small writes `fill` makes one at a time.
        let mut out = std::io::BufWriter::with_capacity(
            1 << 16,
            Hashing {
                inner: file,
                hasher: blake3::Hasher::new(),
            },
        );
        fill(&mut out)
            .and_then(|()| out.flush())
            .map_err(|e| io(&target, "write", &e))?;
        let hashing = out
            .into_inner()
            .map_err(|e| io(&target, "write", e.error()))?;
        Ok(hashing.hasher.finalize())
    }

    /// Writes every file of `files` not already written, then moves the
    /// staging folder into place.
    pub fn finish(mut self, files: &[Output]) -> Result<(), Diagnostic> {
        for file in files {
            check_path(&file.path, &file.origin)?;
        }
        let pending: Vec<&Output> = files.iter().filter(|f| f.written.is_none()).collect();
        let mut dirs: Vec<&str> = pending
            .iter()
            .filter_map(|f| f.path.rsplit_once('/').map(|(dir, _)| dir))
            .collect();
        dirs.sort_unstable();
        dirs.dedup();
        for dir in dirs {
            let path = self.dir.join(dir);
            std::fs::create_dir_all(&path).map_err(|e| io(&path, "create", &e))?;
        }
        pending.par_iter().try_for_each(|file| {
            let path = self.dir.join(&*file.path);
            std::fs::write(&path, &file.bytes).map_err(|e| io(&path, "write", &e))
        })?;
        swap(&self.dir, &self.output)?;
        self.finished = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.finished {
            let _ = remove_tree(&self.dir);
        }
    }
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: blake3::Hasher,
}

impl<W: std::io::Write> std::io::Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn check_path(path: &str, origin: &str) -> Result<(), Diagnostic> {
    if is_safe_output_path(path) {
        return Ok(());
    }
    Err(Diagnostic::error(
        Kind::UnsafePath,
        origin,
        format!("refusing to write `{path}`: it would land outside the output folder"),
    ))
}

/// Moves the staging folder into place, the previous output out of the way
/// first, and removes the previous output last.
fn swap(staging: &Path, output: &Path) -> Result<(), Diagnostic> {
    let previous = previous_path(output);
    if previous.exists() {
        remove_tree(&previous).map_err(|e| io(&previous, "remove", &e))?;
    }
    let had_output = output.exists();
    if had_output {
        std::fs::rename(output, &previous).map_err(|e| io(output, "move aside", &e))?;
    }
    if let Err(e) = std::fs::rename(staging, output) {
        if had_output {
            let _ = std::fs::rename(&previous, output);
        }
        return Err(io(output, "move the new build into", &e));
    }
    if had_output {
        remove_tree(&previous).map_err(|e| io(&previous, "remove", &e))?;
    }
    Ok(())
}

/// Removes the folder `dir` and everything in it, its top-level entries
/// shared out among the threads. A build's output is tens of thousands of
/// files, and unlinking them one after another was nearly a fifth of a
/// build's wall time (10,000 pages: 280 ms; 160 ms on two threads). Each
/// top-level folder goes whole to one thread, by [`std::fs::remove_dir_all`]:
/// threads removing folders side by side in one parent wait on its lock,
/// and sharing out the pages of each section too was slower than one
/// thread alone. Symbolic links are removed, never followed.
pub fn remove_tree(dir: &Path) -> std::io::Result<()> {
    let entries = std::fs::read_dir(dir)?.collect::<std::io::Result<Vec<_>>>()?;
    entries.par_iter().try_for_each(|entry| {
        let path = entry.path();
        // `file_type` does not follow a link: a link to a folder is a link.
        if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        }
    })?;
    std::fs::remove_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_staging_folder_refuses_climbing_paths_and_vanishes_unfinished() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let staging = Staging::create(&out).unwrap();
        let err = staging
            .put("../escaped.html", b"x", "content/x.md")
            .unwrap_err();
        assert_eq!(err.kind, Kind::UnsafePath);
        assert!(!dir.path().join("escaped.html").exists());
        staging
            .put("a/b/index.html", b"page", "content/a/b.md")
            .unwrap();
        let hash = staging
            .put_with("big.json", "big.json", |w| w.write_all(b"{}\n"))
            .unwrap();
        assert_eq!(hash, blake3::hash(b"{}\n"));
        assert!(staging_path(&out).join("a/b/index.html").is_file());
        drop(staging);
        assert!(
            !staging_path(&out).exists(),
            "an unfinished staging folder is removed"
        );
        assert!(!out.exists(), "and nothing was swapped in");
    }

    #[cfg(unix)]
    #[test]
    fn a_file_in_a_new_folder_makes_the_folder_first() {
        let dir = tempfile::tempdir().unwrap();
        let staging = Staging::create(&dir.path().join("public")).unwrap();
        // A page's folder, under a section not made yet; the site's own
        // `index.md` at the top; a second file in a folder made already.
        staging
            .put_in_new_folder(
                "guides/tools/index.md",
                b"source",
                "content/guides/tools.md",
            )
            .unwrap();
        staging
            .put_in_new_folder("index.md", b"home", "content/_index.md")
            .unwrap();
        staging
            .put_in_new_folder(
                "guides/tools/index.html",
                b"page",
                "content/guides/tools.md",
            )
            .unwrap();
        let err = staging
            .put_in_new_folder("../escaped/index.md", b"x", "content/x.md")
            .unwrap_err();
        assert_eq!(err.kind, Kind::UnsafePath);
        assert!(!dir.path().join("escaped").exists());
        let read = |p: &str| std::fs::read(staging.dir.join(p)).unwrap();
        assert_eq!(read("guides/tools/index.md"), b"source");
        assert_eq!(read("index.md"), b"home");
        assert_eq!(read("guides/tools/index.html"), b"page");
    }

    #[test]
    fn a_removed_tree_takes_its_links_but_not_what_they_point_at() {
        let dir = tempfile::tempdir().unwrap();
        let keep = dir.path().join("keep");
        std::fs::create_dir_all(keep.join("inner")).unwrap();
        std::fs::write(keep.join("inner/file"), b"kept").unwrap();
        let old = dir.path().join("old");
        for sub in ["a/b/c", "d", "e/f"] {
            std::fs::create_dir_all(old.join(sub)).unwrap();
            std::fs::write(old.join(sub).join("index.html"), b"x").unwrap();
        }
        std::fs::write(old.join("top.txt"), b"x").unwrap();
        std::os::unix::fs::symlink(&keep, old.join("link")).unwrap();
        std::os::unix::fs::symlink(&keep, old.join("a/link")).unwrap();
        remove_tree(&old).unwrap();
        assert!(!old.exists());
        assert_eq!(std::fs::read(keep.join("inner/file")).unwrap(), b"kept");
    }

    #[test]
    fn unsafe_paths_are_refused() {
        for bad in [
            "../x",
            "/etc/passwd",
            "a/../../b",
            "C:/x",
            "a\\..\\b",
            "",
            "./a",
        ] {
            assert!(!is_safe_output_path(bad), "{bad}");
        }
        for good in ["index.html", "a/b/index.html", "a b/c.png", "x..y"] {
            assert!(is_safe_output_path(good), "{good}");
        }
    }
}
