//! Links between the files of the content folder.
//!
//! A relative Markdown link is written as GitHub shows it: a path from the
//! page's source file to another source file (`../guides/first-steps.md`,
//! `diagram.png`, `./`, `../guides/`). Pages are published at pretty URLs,
//! so the path as written would break; [`LinkIndex::resolve`] maps it to the
//! target's URL instead. Lookups are hash-map hits: linear in links.

use std::collections::HashMap;

use percent_encoding::percent_decode_str;

use crate::site::Site;

/// Where every page, section and content file is published, by its path in
/// the content folder.
#[derive(Debug, Default)]
pub struct LinkIndex<'a> {
    /// Content-relative source path (`guides/a.md`) or folder (`guides`,
    /// `` for the root) → site URL.
    targets: HashMap<&'a str, &'a str>,
}

impl<'a> LinkIndex<'a> {
    pub fn new(site: &'a Site) -> Self {
        let mut targets =
            HashMap::with_capacity(site.pages.len() + site.sections.len() + site.assets.len());
        for page in &site.pages {
            targets.insert(page.rel.as_str(), page.url.as_str());
        }
        for section in &site.sections {
            targets.insert(section.dir.as_str(), section.url.as_str());
        }
        for asset in &site.assets {
            if let Some(rel) = &asset.content_rel {
                targets.insert(rel.as_str(), asset.path.as_str());
            }
        }
        Self { targets }
    }

    /// The site URL (with its `#fragment`) that `dest`, written in the page
    /// whose source is `from_rel`, points to; `None` for external links,
    /// fragments alone, site-absolute paths and paths that match nothing.
    /// Asset URLs have no leading `/` in the index, so one is added.
    pub fn resolve(&self, from_rel: &str, dest: &str) -> Option<String> {
        if dest.is_empty() || dest.starts_with('#') || dest.starts_with('/') || has_scheme(dest) {
            return None;
        }
        let (path, fragment) = match dest.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (dest, None),
        };
        let path = path.split('?').next().unwrap_or(path);
        let decoded = percent_decode_str(path).decode_utf8().ok()?;
        let from_dir = from_rel.rsplit_once('/').map_or("", |(d, _)| d);
        let joined = normalize(from_dir, &decoded)?;
        let url = self.targets.get(joined.as_str())?;
        let mut out = String::with_capacity(url.len() + 16);
        if !url.starts_with('/') {
            out.push('/');
        }
        out.push_str(url);
        if let Some(f) = fragment {
            out.push('#');
            out.push_str(f);
        }
        Some(out)
    }
}

/// Whether `dest` starts with a URL scheme (`https:`, `mailto:`, …).
fn has_scheme(dest: &str) -> bool {
    match dest.find(':') {
        Some(colon) => {
            let scheme = &dest[..colon];
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// Joins `path` onto the folder `dir` (both content-relative), resolving
/// `.` and `..`. `None` if it climbs above the content folder.
fn normalize(dir: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_paths() {
        assert_eq!(normalize("a/b", "../c.md").as_deref(), Some("a/c.md"));
        assert_eq!(normalize("a", "./").as_deref(), Some("a"));
        assert_eq!(normalize("", "../x"), None);
        assert_eq!(normalize("a", "b/../../c").as_deref(), Some("c"));
    }

    #[test]
    fn schemes() {
        assert!(has_scheme("https://x"));
        assert!(has_scheme("mailto:a@b"));
        assert!(!has_scheme("a.md"));
        assert!(!has_scheme("dir/a:b.md"));
    }
}
