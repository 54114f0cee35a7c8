//! Git provenance: one `git log` over the whole history of the content
//! folder gives every file its commit authors and its created and updated
//! dates, following renames. One process for the whole site, never one per
//! file, so the cost grows with the history, not with pages × history.
//!
//! Not being in a git repository, or a shallow clone, is a warning: the site
//! builds with what front matter says.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use crate::diagnostic::{Diagnostic, Kind};

/// What the history says about one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileHistory {
    /// Commit authors, (name, email), oldest first, without repeats.
    pub authors: Vec<(String, String)>,
    /// Date of the oldest commit that touched the file.
    pub created: Option<jiff::civil::Date>,
    /// Date of the newest commit that touched the file.
    pub updated: Option<jiff::civil::Date>,
}

/// Every file's history, by its path relative to the content folder.
pub type History = HashMap<String, FileHistory>;

/// Reads the history of `content` (a folder inside a git work tree).
pub fn history(content: &Path, shown: &str) -> (History, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(content)
            .args(args)
            .output()
    };
    match git(&["rev-parse", "--is-shallow-repository"]) {
        Ok(out) if out.status.success() => {
            if String::from_utf8_lossy(&out.stdout).trim() == "true" {
                diagnostics.push(Diagnostic::warning(
                    Kind::Io,
                    shown,
                    "this is a shallow clone: git provenance sees only the commits it holds",
                ).with_help("fetch the whole history (`git fetch --unshallow`) for complete authors and dates"));
            }
        }
        _ => {
            diagnostics.push(Diagnostic::warning(
                Kind::Io,
                shown,
                "`[provenance] git = true`, but the content is not in a git repository (or git is not installed); dates and authors come from front matter only",
            ));
            return (History::new(), diagnostics);
        }
    }
    let out = git(&[
        "-c",
        "core.quotepath=off",
        "log",
        "--no-merges",
        "--relative",
        "-M",
        "--name-status",
        "--format=%x00%aN%x1f%aE%x1f%aI",
        "--",
        ".",
    ]);
    match out {
        Ok(out) if out.status.success() => (
            parse_log(&String::from_utf8_lossy(&out.stdout)),
            diagnostics,
        ),
        Ok(out) => {
            // A repository with no commits yet has no history to read.
            let message = String::from_utf8_lossy(&out.stderr);
            if !message.contains("does not have any commits") {
                diagnostics.push(Diagnostic::warning(
                    Kind::Io,
                    shown,
                    format!("`git log` failed: {}", message.trim()),
                ));
            }
            (History::new(), diagnostics)
        }
        Err(err) => {
            diagnostics.push(Diagnostic::warning(
                Kind::Io,
                shown,
                format!("cannot run git: {err}"),
            ));
            (History::new(), diagnostics)
        }
    }
}

/// Parses `git log --name-status -M` output (newest commit first) into the
/// history of the files as they are named now.
pub fn parse_log(log: &str) -> History {
    let mut history = History::new();
    // A path in an older commit → the file it is now (renames), or `None`
    // for a path whose file was deleted later.
    let mut now_named: HashMap<String, Option<String>> = HashMap::new();
    for commit in log.split('\0').filter(|c| !c.trim().is_empty()) {
        let mut lines = commit.lines();
        let Some(header) = lines.next() else { continue };
        let mut fields = header.split('\x1f');
        let (Some(name), Some(email), Some(when)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let date = when
            .get(..10)
            .and_then(|d| d.parse::<jiff::civil::Date>().ok());
        for line in lines.filter(|l| !l.is_empty()) {
            let parts: Vec<&str> = line.split('\t').collect();
            let status = parts[0].chars().next().unwrap_or(' ');
            let (path, old) = match (status, parts.as_slice()) {
                ('R', [_, old, new]) => (*new, Some(*old)),
                ('C', [_, _, new]) => (*new, None),
                (_, [_, path]) => (*path, None),
                _ => continue,
            };
            let current = match now_named.get(path) {
                Some(Some(current)) => Some(current.clone()),
                Some(None) => None,
                None => Some(path.to_owned()),
            };
            if status == 'D' {
                // Older commits of this path belong to a file that is gone.
                now_named.insert(path.to_owned(), None);
                continue;
            }
            let Some(current) = current else { continue };
            let entry = history.entry(current.clone()).or_default();
            let who = (name.to_owned(), email.to_owned());
            // Commits come newest first: whoever is met last touched the
            // file first, so a repeat moves to the end.
            entry.authors.retain(|a| a != &who);
            entry.authors.push(who);
            if entry.updated.is_none() {
                entry.updated = date;
            }
            entry.created = date.or(entry.created);
            if let Some(old) = old {
                now_named.insert(old.to_owned(), Some(current));
            }
        }
    }
    // Authors were gathered newest first; the history reads oldest first,
    // each in the order of their first commit to the file.
    for file in history.values_mut() {
        file.authors.reverse();
    }
    history
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_are_followed_and_dates_span_the_history() {
        let log = "\0Bo\x1fbo@example.org\x1f2024-03-01T10:00:00+00:00\n\nM\tguides/new.md\n\
                   \0Ana\x1fana@example.org\x1f2024-02-01T10:00:00+00:00\n\nR100\told.md\tguides/new.md\nA\tother.md\n\
                   \0Ana\x1fana@example.org\x1f2024-01-01T10:00:00+00:00\n\nA\told.md\n";
        let h = parse_log(log);
        let new = &h["guides/new.md"];
        assert_eq!(new.created.unwrap().to_string(), "2024-01-01");
        assert_eq!(new.updated.unwrap().to_string(), "2024-03-01");
        assert_eq!(
            new.authors,
            [
                ("Ana".to_owned(), "ana@example.org".to_owned()),
                ("Bo".to_owned(), "bo@example.org".to_owned())
            ]
        );
        assert!(!h.contains_key("old.md"));
        assert_eq!(h["other.md"].created.unwrap().to_string(), "2024-02-01");
    }

    #[test]
    fn a_deleted_file_lends_no_history_to_a_new_one() {
        let log = "\0Bo\x1fb@x\x1f2024-03-01T00:00:00Z\n\nA\ta.md\n\
                   \0Ana\x1fa@x\x1f2024-02-01T00:00:00Z\n\nD\ta.md\n\
                   \0Ana\x1fa@x\x1f2024-01-01T00:00:00Z\n\nA\ta.md\n";
        let h = parse_log(log);
        assert_eq!(h["a.md"].authors, [("Bo".to_owned(), "b@x".to_owned())]);
        assert_eq!(h["a.md"].created.unwrap().to_string(), "2024-03-01");
    }
}
