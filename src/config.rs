//! `cairn.toml`, the site's optional configuration, and [`BuildOptions`],
//! the one immutable set of options a build runs with.
//!
//! Every key has a default, so a folder with only `content/` builds. An
//! unknown key or a value of the wrong type is an error at
//! `cairn.toml:LINE:COL`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Kind};

/// The file name of the site configuration, at the site root.
pub const CONFIG_FILE: &str = "cairn.toml";

/// The contents of `cairn.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The archive's name, shown in every page's header.
    pub title: String,
    /// Where the archive is published, e.g. `https://example.org/archive/`.
    /// Its path (`/archive/`) prefixes every link unless `relative_urls`.
    pub base_url: String,
    pub description: String,
    /// BCP 47 language tag of the content, for `<html lang>`.
    pub language: String,
    /// SPDX id of the license pages fall back to.
    pub license: Option<String>,
    /// Make every link relative, so the archive works under any sub-path and
    /// from `file://`.
    pub relative_urls: bool,
    pub markdown: MarkdownConfig,
    pub provenance: ProvenanceConfig,
    /// Free values handed to templates as `config.extra`.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            title: "Cairn archive".to_owned(),
            base_url: "/".to_owned(),
            description: String::new(),
            language: "en".to_owned(),
            license: None,
            relative_urls: false,
            markdown: MarkdownConfig::default(),
            provenance: ProvenanceConfig::default(),
            extra: serde_json::Map::new(),
        }
    }
}

/// `[provenance]` in `cairn.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProvenanceConfig {
    /// Read the git history: commit authors become contributors (role
    /// `commit`) and give dates where front matter has none.
    pub git: bool,
}

/// `[markdown]` in `cairn.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MarkdownConfig {
    /// Pass raw HTML through unsanitised. Only for trusted sites.
    pub unsafe_html: bool,
    /// Curly quotes, dashes and ellipses.
    pub smart_punctuation: bool,
    /// Highlight fenced code at build time.
    pub highlight_code: bool,
}

impl Default for MarkdownConfig {
    fn default() -> Self {
        Self {
            unsafe_html: false,
            smart_punctuation: true,
            highlight_code: true,
        }
    }
}

impl Config {
    /// Parses the text of `cairn.toml`. `file` is the path shown in errors.
    pub fn parse(text: &str, file: &str) -> Result<Config, Diagnostic> {
        toml::from_str::<Config>(text).map_err(|err| {
            let d = Diagnostic::error(Kind::Config, file, err.message().trim().to_owned());
            match err.span() {
                Some(span) => d.at_offset(text, span.start),
                None => d,
            }
        })
    }

    /// The path part of `base_url`, always starting and ending with `/`:
    /// `https://example.org/archive` gives `/archive/`.
    pub fn base_path(&self) -> String {
        let url = self.base_url.trim();
        let after_scheme = match url.find("://") {
            Some(i) => {
                let rest = &url[i + 3..];
                rest.find('/').map_or("", |j| &rest[j..])
            }
            None => url,
        };
        let trimmed = after_scheme.trim_matches('/');
        if trimmed.is_empty() {
            "/".to_owned()
        } else {
            format!("/{trimmed}/")
        }
    }
}

/// Everything a build needs to know, fixed before it starts.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The site root: where `cairn.toml`, `content/`, `static/` and
    /// `templates/` live.
    pub root: PathBuf,
    /// The folder of Markdown pages (`content/` under the root by default).
    pub content: PathBuf,
    /// Where the archive is written (`public/` under the root by default).
    pub output: PathBuf,
    /// Build pages marked `draft: true`.
    pub drafts: bool,
    /// Overrides `relative_urls` from the config when set.
    pub relative_urls: Option<bool>,
    /// A progress bar to advance as pages render (only on a terminal).
    pub progress: Option<indicatif::ProgressBar>,
}

impl BuildOptions {
    /// The defaults for a site root: `content/` and `public/` under it.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        Self {
            content: root.join("content"),
            output: root.join("public"),
            root,
            drafts: false,
            relative_urls: None,
            progress: None,
        }
    }

    /// The path of `path` relative to the site root, with `/`, for messages
    /// and the manifest. Paths outside the root are shown as given.
    pub fn display_path(&self, path: &Path) -> String {
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        let mut out = String::new();
        for (i, part) in rel.components().enumerate() {
            if i > 0 {
                out.push('/');
            }
            out.push_str(&part.as_os_str().to_string_lossy());
        }
        if out.is_empty() { ".".to_owned() } else { out }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_is_all_defaults() {
        assert_eq!(
            Config::parse("", "cairn.toml").ok(),
            Some(Config::default())
        );
    }

    #[test]
    fn unknown_key_is_located() {
        let err = Config::parse("title = \"x\"\ntitel = \"y\"\n", "cairn.toml").unwrap_err();
        assert_eq!((err.line, err.column), (2, 1));
        assert!(err.message.contains("titel"), "{}", err.message);
    }

    #[test]
    fn wrong_type_is_located() {
        let err = Config::parse("[markdown]\nunsafe_html = \"yes\"\n", "cairn.toml").unwrap_err();
        assert_eq!((err.line, err.column), (2, 15));
    }

    #[test]
    fn base_path_of_urls() {
        let mut c = Config::default();
        for (url, path) in [
            ("/", "/"),
            ("", "/"),
            ("https://example.org", "/"),
            ("https://example.org/", "/"),
            ("https://example.org/archive", "/archive/"),
            ("/docs/", "/docs/"),
        ] {
            c.base_url = url.to_owned();
            assert_eq!(c.base_path(), path, "{url}");
        }
    }
}
