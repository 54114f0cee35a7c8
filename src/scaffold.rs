//! `cairn init` and `cairn new`: files to start an archive or a page from.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The files `cairn init` writes, relative to the new archive's folder.
const INIT_FILES: &[(&str, &str)] = &[
    (
        "cairn.toml",
        include_str!("../themes/default/init/cairn.toml"),
    ),
    (
        "content/_index.md",
        include_str!("../themes/default/init/_index.md"),
    ),
    (
        "content/guides/_index.md",
        include_str!("../themes/default/init/guides.md"),
    ),
    (
        "content/guides/first-steps.md",
        include_str!("../themes/default/init/first-steps.md"),
    ),
    (".gitignore", "public/\n"),
];

/// Creates a new archive in `dir`. Refuses a folder that already holds a
/// `cairn.toml`; never overwrites a file.
pub fn init(dir: &Path) -> Result<Vec<PathBuf>, String> {
    if dir.join("cairn.toml").exists() {
        return Err(format!(
            "`{}` already holds a cairn.toml; nothing was changed",
            dir.display()
        ));
    }
    let mut created = Vec::new();
    for (rel, text) in INIT_FILES {
        let path = dir.join(rel);
        if path.exists() {
            continue;
        }
        write_new(&path, text)?;
        created.push(path);
    }
    Ok(created)
}

/// Creates the page `path` with its front matter filled in: title, author
/// (from `git config user.name`), today's date and a fresh id.
pub fn new_page(path: &Path, title: Option<&str>) -> Result<Vec<PathBuf>, String> {
    if path.exists() {
        return Err(format!(
            "`{}` already exists; nothing was changed",
            path.display()
        ));
    }
    if !crate::load::is_markdown(&path.to_string_lossy()) {
        return Err(format!("`{}` is not a Markdown file (.md)", path.display()));
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let title = title.map_or_else(|| title_from_stem(&stem), str::to_owned);
    let today = jiff::ZonedDateTime::now().date();
    let id = fresh_id(path);
    let mut text = String::from("---\n");
    text.push_str(&format!("title: {}\n", yaml_string(&title)));
    match git_user_name() {
        Some(name) => text.push_str(&format!("authors:\n  - {}\n", yaml_string(&name))),
        None => text.push_str("authors: []\n"),
    }
    text.push_str(&format!("date: {today}\nid: {id}\ntags: []\n---\n\n"));
    text.push_str("Write the page here.\n");
    write_new(path, &text)?;
    Ok(vec![path.to_path_buf()])
}

/// `first-steps` → `First steps`.
fn title_from_stem(stem: &str) -> String {
    let spaced = stem.replace(['-', '_'], " ");
    let mut chars = spaced.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "Untitled".to_owned(),
    }
}

/// A YAML double-quoted string.
fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

/// The user's name from git, if git is there and knows it.
fn git_user_name() -> Option<String> {
    let out = Command::new("git")
        .args(["config", "user.name"])
        .output()
        .ok()?;
    let name = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !name.is_empty()).then_some(name)
}

/// A fresh, short identifier: 12 hex digits of BLAKE3 over the path, the
/// time and the process id.
fn fresh_id(path: &Path) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(path.to_string_lossy().as_bytes());
    hasher.update(
        jiff::Timestamp::now()
            .as_nanosecond()
            .to_le_bytes()
            .as_slice(),
    );
    hasher.update(&std::process::id().to_le_bytes());
    hasher.finalize().to_hex()[..12].to_owned()
}

fn write_new(path: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_from_file_names() {
        assert_eq!(title_from_stem("first-steps"), "First steps");
        assert_eq!(title_from_stem("über_uns"), "Über uns");
        assert_eq!(title_from_stem(""), "Untitled");
    }
}
