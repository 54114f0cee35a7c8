//! Parse and resolve: from the loaded files to a [`Site`].
//!
//! Each page's front matter is parsed in parallel; then, in one ordered
//! pass, drafts are set aside, every page gets its URL and section, sections
//! are assembled and sorted, and two pages that would share a URL are
//! reported. Everything is keyed by hash maps, linear in the number of pages.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

use crate::config::{BuildOptions, Config, MarkdownConfig};
use crate::diagnostic::{Diagnostic, Kind};
use crate::frontmatter::{self, Person};
use crate::git::History;
use crate::load::{BinaryFile, Sources, TextFile};
use crate::site::{Asset, Page, Parsed, Section, Site};
use crate::slug::slugify;

/// File names (case-insensitive) that make a page its folder's own page, in
/// order of preference.
pub const INDEX_NAMES: [&str; 3] = ["_index.md", "index.md", "readme.md"];

/// Builds the [`Site`] from the loaded sources.
pub fn resolve(
    mut sources: Sources,
    config: Config,
    history: &History,
    options: &BuildOptions,
) -> (Site, Vec<Diagnostic>) {
    let parsed: Vec<Result<Page, Diagnostic>> = std::mem::take(&mut sources.pages)
        .into_par_iter()
        .map(|file| parse_page(file, &config.markdown).map(|p| Page::new(p.into())))
        .collect();
    resolve_parsed(parsed, sources, config, history, options)
}

/// Builds the [`Site`] from pages already parsed (one result for each of
/// the loaded pages, in their order) and the rest of the sources.
pub fn resolve_parsed(
    parsed: Vec<Result<Page, Diagnostic>>,
    sources: Sources,
    config: Config,
    history: &History,
    options: &BuildOptions,
) -> (Site, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut pages = Vec::with_capacity(parsed.len());
    for result in parsed {
        match result {
            Ok(page) if page.front.draft && !options.drafts => {}
            Ok(mut page) => {
                if let Some(file) = history.get(&page.rel) {
                    page.date = page.date.or(file.created);
                    page.updated = page.updated.or(file.updated);
                    page.commit_authors = file
                        .authors
                        .iter()
                        .map(|(name, email)| Person {
                            name: name.clone(),
                            email: Some(email.clone()),
                            url: None,
                            role: Some("commit".to_owned()),
                        })
                        .collect();
                }
                pages.push(page);
            }
            Err(d) => diagnostics.push(d),
        }
    }

    let mut sections = build_sections(&mut pages, &config);
    let content_display = options.display_path(&options.content);
    assign_urls(&mut pages, &sections, &content_display, &mut diagnostics);
    order_sections(&mut sections, &pages);

    let mut assets: Vec<Asset> = sources.assets.into_iter().map(content_asset).collect();
    assets.extend(sources.statics.into_iter().map(|file| Asset {
        content_rel: None,
        path: clean_file_path(&file.rel),
        source: file.display,
        bytes: file.bytes,
    }));

    (
        Site {
            config,
            pages,
            sections,
            assets,
        },
        diagnostics,
    )
}

/// Parses one page's front matter and finds its title: a function of the
/// file and the Markdown options alone.
pub fn parse_page(file: TextFile, markdown: &MarkdownConfig) -> Result<Parsed, Diagnostic> {
    let split = frontmatter::split(&file.text, &file.display)?;
    let front = frontmatter::parse(&split, &file.text, &file.display)?;
    let body_offset = split.body_offset;
    let given = front
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let (scan, prepared) =
        crate::markdown::prepare(&file.text[body_offset..], markdown, given.is_none());
    let title_from_body = scan.title.is_some();
    let title = match (given, scan.title) {
        (Some(t), _) => t.to_owned(),
        (None, Some(t)) => t,
        (None, None) => fallback_title(&file.rel),
    };
    Ok(Parsed {
        source: file.display,
        rel: file.rel,
        hash: file.hash,
        body_offset,
        front,
        title,
        title_from_body,
        headings: scan.headings,
        links: scan.links,
        prepared: std::sync::Mutex::new(prepared.and_then(crate::markdown::Held::new)),
        text: file.text,
    })
}

/// The title of a page with none: its file name without the extension, or
/// for a section's own page, its folder's name.
fn fallback_title(rel: &str) -> String {
    let (dir, name) = split_dir(rel);
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    if is_index_name(name) {
        return dir
            .rsplit('/')
            .next()
            .filter(|d| !d.is_empty())
            .unwrap_or("Home")
            .to_owned();
    }
    stem.to_owned()
}

fn is_index_name(name: &str) -> bool {
    INDEX_NAMES.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// `("guides/intro", "a.md")` from `"guides/intro/a.md"`.
fn split_dir(rel: &str) -> (&str, &str) {
    rel.rsplit_once('/').unwrap_or(("", rel))
}

/// Creates a section for every folder that holds a page (and for all their
/// ancestors), picks each section's own page and files every page under
/// its section.
fn build_sections(pages: &mut [Page], config: &Config) -> Vec<Section> {
    let mut dirs: BTreeMap<String, ()> = BTreeMap::new();
    dirs.insert(String::new(), ());
    for page in pages.iter() {
        let mut dir = split_dir(&page.rel).0;
        loop {
            dirs.insert(dir.to_owned(), ());
            match dir.rsplit_once('/') {
                Some((parent, _)) => dir = parent,
                None if !dir.is_empty() => dir = "",
                None => break,
            }
        }
    }
    let index: HashMap<String, usize> = dirs
        .keys()
        .enumerate()
        .map(|(i, d)| (d.clone(), i))
        .collect();
    let mut sections: Vec<Section> = dirs
        .keys()
        .map(|dir| {
            let parent = if dir.is_empty() {
                None
            } else {
                let parent_dir = dir.rsplit_once('/').map_or("", |(p, _)| p);
                index.get(parent_dir).copied()
            };
            let url = if dir.is_empty() {
                "/".to_owned()
            } else {
                let mut url = String::from("/");
                for part in dir.split('/') {
                    url.push_str(&slugify(part));
                    url.push('/');
                }
                url
            };
            let title = if dir.is_empty() {
                config.title.clone()
            } else {
                dir.rsplit('/').next().unwrap_or(dir).to_owned()
            };
            Section {
                dir: dir.clone(),
                url,
                title,
                index_page: None,
                pages: Vec::new(),
                subsections: Vec::new(),
                parent,
            }
        })
        .collect();

    // A section's own page: the most preferred index name in its folder.
    let mut best: HashMap<usize, (usize, usize)> = HashMap::new();
    for (i, page) in pages.iter().enumerate() {
        let (dir, name) = split_dir(&page.rel);
        let Some(&s) = index.get(dir) else { continue };
        if let Some(rank) = INDEX_NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
        {
            match best.get(&s) {
                Some(&(r, _)) if r <= rank => {}
                _ => {
                    best.insert(s, (rank, i));
                }
            }
        }
    }
    for (i, page) in pages.iter_mut().enumerate() {
        let dir = split_dir(&page.rel).0;
        let Some(&s) = index.get(dir) else { continue };
        page.section = s;
        if best.get(&s).is_some_and(|&(_, p)| p == i) {
            page.is_index = true;
            sections[s].index_page = Some(i);
            if !page.title_from_body && page.front.title.is_none() && s == 0 {
                page.title = config.title.clone();
            }
            sections[s].title = page.title.clone();
        } else {
            sections[s].pages.push(i);
        }
    }
    for s in 1..sections.len() {
        if let Some(parent) = sections[s].parent {
            sections[parent].subsections.push(s);
        }
    }
    sections
}

/// Gives every page its URL and reports URLs claimed twice.
fn assign_urls(
    pages: &mut [Page],
    sections: &[Section],
    content_display: &str,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut claimed: HashMap<String, usize> = HashMap::with_capacity(pages.len() + sections.len());
    for (i, page) in pages.iter_mut().enumerate() {
        let section_url = &sections[page.section].url;
        page.url = if page.is_index {
            section_url.clone()
        } else {
            let name = split_dir(&page.rel).1;
            let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
            let last = match page.front.slug.as_deref() {
                Some(slug) => match check_slug(slug) {
                    Ok(()) => slugify(slug),
                    Err(message) => {
                        diagnostics.push(
                            Diagnostic::error(Kind::UnsafePath, &page.source, message)
                                .at_offset(&page.text, find_key(&page.text, "slug"))
                                .with_target(slug.to_owned())
                                .with_help(
                                    "write only the last URL segment, e.g. `slug: first-steps`",
                                ),
                        );
                        slugify(stem)
                    }
                },
                None => slugify(stem),
            };
            format!("{section_url}{last}/")
        };
        claimed.entry(page.url.clone()).or_insert(i);
    }
    // Report every page whose URL was claimed first by another page.
    for (i, page) in pages.iter().enumerate() {
        if let Some(&first) = claimed.get(&page.url)
            && first != i
        {
            let other = &pages[first].source;
            diagnostics.push(
                Diagnostic::error(
                    Kind::DuplicateUrl,
                    &page.source,
                    format!(
                        "`{}` and `{other}` would both be published at `{}`",
                        page.source, page.url
                    ),
                )
                .with_target(page.url.clone())
                .with_help("rename one of them, or give one a different `slug`"),
            );
        }
    }
    // A folder without its own page is still listed at its URL.
    for section in sections.iter().filter(|s| s.index_page.is_none()) {
        if let Some(&page) = claimed.get(&section.url) {
            let page = &pages[page];
            let folder = if section.dir.is_empty() {
                content_display.to_owned()
            } else {
                format!("{content_display}/{}", section.dir)
            };
            diagnostics.push(
                Diagnostic::error(
                    Kind::DuplicateUrl,
                    &page.source,
                    format!(
                        "`{}` would be published at `{}`, the URL of the folder `{folder}/`",
                        page.source, section.url
                    ),
                )
                .with_target(section.url.clone())
                .with_help(format!(
                    "move it to `{folder}/_index.md` to make it the folder's own page"
                )),
            );
        }
    }
}

/// A `slug` must be one URL segment: nothing that could climb out of the
/// output folder or name a drive.
fn check_slug(slug: &str) -> Result<(), String> {
    let bad = slug.trim().is_empty()
        || slug.contains(['/', '\\', ':'])
        || slug.split('.').count() > 1 && slug.contains("..")
        || slug == "."
        || slug.chars().any(char::is_control);
    if bad {
        Err(format!(
            "`slug: {slug}` is not a single URL segment (it may not be empty or hold `/`, `\\`, `..` or `:`)"
        ))
    } else {
        Ok(())
    }
}

/// The byte offset of `key:` or `key =` at the start of a front-matter line,
/// for locating problems found after parsing.
pub fn find_key(text: &str, key: &str) -> usize {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix(key)
            && rest.trim_start().starts_with([':', '='])
        {
            return offset + (line.len() - trimmed.len());
        }
        offset += line.len();
        if offset > 64 * 1024 {
            break;
        }
    }
    0
}

/// Sorts each section's pages (weight, then title, then source) and
/// subsections (weight of their own page, then title).
fn order_sections(sections: &mut [Section], pages: &[Page]) {
    let page_key = |&i: &usize| {
        let p = &pages[i];
        (
            p.front.weight.unwrap_or(i64::MAX),
            p.title.to_lowercase(),
            p.source.clone(),
        )
    };
    let section_keys: Vec<(i64, String, String)> = sections
        .iter()
        .map(|s| {
            let weight = s
                .index_page
                .and_then(|i| pages[i].front.weight)
                .unwrap_or(i64::MAX);
            (weight, s.title.to_lowercase(), s.dir.clone())
        })
        .collect();
    for section in sections.iter_mut() {
        section.pages.sort_by_cached_key(page_key);
        section
            .subsections
            .sort_by(|a, b| section_keys[*a].cmp(&section_keys[*b]));
    }
}

/// A co-located file: its folders follow the section URLs, its name is
/// kept.
fn content_asset(file: BinaryFile) -> Asset {
    let (dir, name) = split_dir(&file.rel);
    let mut path = String::new();
    if !dir.is_empty() {
        for part in dir.split('/') {
            path.push_str(&slugify(part));
            path.push('/');
        }
    }
    path.push_str(&clean_segment(name));
    Asset {
        source: file.display,
        content_rel: Some(file.rel),
        path,
        bytes: file.bytes,
    }
}

/// A static file keeps its path, each segment made safe.
fn clean_file_path(rel: &str) -> String {
    rel.split('/')
        .map(clean_segment)
        .collect::<Vec<_>>()
        .join("/")
}

/// A file name made safe for every host: no `\`, `:` or control characters,
/// and never `.` or `..`.
fn clean_segment(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c == '\\' || c == ':' || c.is_control() {
                '-'
            } else {
                c
            }
        })
        .collect();
    match cleaned.as_str() {
        "" | "." | ".." => "-".to_owned(),
        _ => cleaned,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_that_climb_are_refused() {
        for bad in ["../x", "a/b", "..", "a\\b", "C:x", "", " "] {
            assert!(check_slug(bad).is_err(), "{bad}");
        }
        for good in ["intro", "First Steps", "v1.2"] {
            assert!(check_slug(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn segments_are_cleaned() {
        assert_eq!(clean_segment(".."), "-");
        assert_eq!(clean_segment("a\\b:c"), "a-b-c");
        assert_eq!(clean_file_path("img/../x.png"), "img/-/x.png");
    }
}
