//! Links: every link of every page resolved to its target, the link graph,
//! and a diagnostic for each link that goes nowhere.
//!
//! Two ways of writing a link are understood:
//!
//! - **Relative Markdown links**, as GitHub shows them: a path from the
//!   page's source file to another source file (`../guides/first-steps.md`,
//!   `diagram.png`, `./`, `../guides/`), with an optional `#anchor`.
//! - **Wiki links**, with Obsidian's rules: `[[name]]`, `[[name|label]]`,
//!   `[[name#Heading]]`, `[[#Heading]]`, `![[file.png]]`, `![[note]]`. A name
//!   is matched on file name (case-insensitive), then path, then title, then
//!   `aliases`; of several matches the shortest path wins, with a warning.
//!
//! Anchors are checked against the target's heading ids, made by the same
//! slug rule as the ids themselves. Every lookup is a hash-map hit, so the
//! stage is linear in pages plus links.

use foldhash::HashMap;

use percent_encoding::percent_decode_str;

use crate::diagnostic::{Diagnostic, Kind, LineIndex};
use crate::markdown::{LinkKind, LinkRef};
use crate::site::Site;
use crate::slug::{fold, slugify};

/// Where one link of a page leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An external URL, or something Cairn leaves alone (`mailto:`, `/x`).
    External,
    /// A page of the site (by index into `Site::pages`), maybe at an anchor.
    Page { page: usize, anchor: Option<String> },
    /// A section without a page of its own, by its URL.
    Section { url: String },
    /// A file copied to the output, by its site URL.
    File { url: String },
    /// A heading of the linking page itself.
    OwnAnchor(String),
    /// Nothing: reported as a broken link or anchor.
    Missing,
}

/// A link into a page from another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlink {
    /// The linking page.
    pub from: usize,
    /// Which of its links (index into its `links`).
    pub link: usize,
}

/// Every page's links, resolved.
#[derive(Debug, Clone, Default)]
pub struct LinkGraph {
    /// For each page, for each of its links, the target.
    pub targets: Vec<Vec<Target>>,
    /// For each page, the pages it links to, sorted by URL, without repeats.
    pub outgoing: Vec<Vec<usize>>,
    /// For each page, the links into it from other pages, sorted by the
    /// linking page's source path and the link's place in it.
    pub incoming: Vec<Vec<Backlink>>,
    /// For each page, its `derived_from` entries with internal ones turned
    /// into page URLs.
    pub derived_from: Vec<Vec<String>>,
}

/// Content paths, names, titles and aliases of every page, for lookups.
#[derive(Debug, Default)]
pub struct LinkIndex {
    /// Content-relative source path (NFC) → page.
    pages_by_path: HashMap<String, usize>,
    /// Content-relative folder → section index.
    sections_by_dir: HashMap<String, usize>,
    /// Content-relative file path (NFC) → output path.
    files_by_path: HashMap<String, String>,
    /// Lowercase file name (NFC) → output paths, for `![[name.png]]`.
    files_by_name: HashMap<String, Vec<String>>,
    /// Lowercase stem, path without extension, title and alias → pages.
    by_stem: HashMap<String, Vec<usize>>,
    by_path: HashMap<String, usize>,
    by_title: HashMap<String, Vec<usize>>,
    by_alias: HashMap<String, Vec<usize>>,
}

/// A page name's lookup key: its slug, so `First Steps`, `first-steps` and
/// `First_Steps` are one name (the same rule as URLs and heading ids).
fn name_key(text: &str) -> String {
    slugify(text.trim())
}

/// A path's lookup key: each segment's slug.
fn path_key(path: &str) -> String {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(slugify)
        .collect::<Vec<_>>()
        .join("/")
}

fn nfc(text: &str) -> String {
    crate::slug::nfc(text).into_owned()
}

fn strip_md(name: &str) -> &str {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".md") {
        &name[..name.len() - 3]
    } else if lower.ends_with(".markdown") {
        &name[..name.len() - 9]
    } else {
        name
    }
}

impl LinkIndex {
    pub fn new(site: &Site) -> Self {
        let mut index = Self::default();
        for (i, page) in site.pages.iter().enumerate() {
            index.pages_by_path.insert(nfc(&page.rel), i);
            let without_ext = strip_md(&page.rel);
            let (dir, stem) = without_ext.rsplit_once('/').unwrap_or(("", without_ext));
            index.by_path.insert(path_key(without_ext), i);
            index.by_stem.entry(name_key(stem)).or_default().push(i);
            if page.is_index {
                // A folder's own page answers to the folder's name and path.
                let folder = dir.rsplit('/').next().unwrap_or(dir);
                if !folder.is_empty() {
                    index.by_stem.entry(name_key(folder)).or_default().push(i);
                    index.by_path.entry(path_key(dir)).or_insert(i);
                }
            }
            index
                .by_title
                .entry(name_key(&page.title))
                .or_default()
                .push(i);
            for alias in &page.front.aliases {
                if !alias.starts_with('/') {
                    index.by_alias.entry(name_key(alias)).or_default().push(i);
                }
            }
        }
        for (i, section) in site.sections.iter().enumerate() {
            index.sections_by_dir.insert(nfc(&section.dir), i);
        }
        for asset in &site.assets {
            if let Some(rel) = &asset.content_rel {
                index.files_by_path.insert(nfc(rel), asset.path.clone());
                let name = rel.rsplit('/').next().unwrap_or(rel);
                index
                    .files_by_name
                    .entry(fold(name))
                    .or_default()
                    .push(asset.path.clone());
            }
        }
        index
    }
}

/// What resolving one link found, and what to say about it.
struct Found {
    target: Target,
    diagnostic: Option<Problem>,
}

/// A problem with one link, located when it is reported.
struct Problem {
    kind: Kind,
    message: String,
    help: Option<String>,
}

/// What resolving one page's links gave: a target for each link, the
/// problems found, and its `derived_from` with pages turned into URLs.
type PageLinks = (Vec<Target>, Vec<Diagnostic>, Vec<String>);

/// What the last build resolved: the index, under the key of everything it
/// is made of, and each page's links, valid while that key holds.
#[derive(Debug, Default)]
pub struct Memo {
    key: Option<blake3::Hash>,
    index: Option<std::sync::Arc<LinkIndex>>,
    pages: HashMap<String, (blake3::Hash, std::sync::Arc<PageLinks>)>,
}

impl Memo {
    /// The key of the structure the last links were resolved against.
    pub fn key(&self) -> blake3::Hash {
        self.key.unwrap_or(crate::key::UNKEYED)
    }
}

/// The key of everything a page's links resolve against: every page's
/// path, URL, title, description, aliases and headings, every section and
/// every file (the description is not needed to resolve, but pages show
/// it for an embedded page, so render reads this key too).
/// While it holds, a page whose own text is unchanged resolves as before.
fn structure_key(site: &Site) -> blake3::Hash {
    let mut key = crate::key::KeyHasher::new(&blake3::hash(b"cairn links"));
    for page in &site.pages {
        key.text(&page.source)
            .text(&page.url)
            .text(&page.title)
            .text(page.front.description.as_deref().unwrap_or("\u{0}"))
            .number(page.section * 2 + usize::from(page.is_index))
            .number(page.front.aliases.len());
        for alias in &page.front.aliases {
            key.text(alias);
        }
        key.number(page.headings.len());
        for heading in &page.headings {
            key.text(&heading.id).text(&heading.text);
        }
    }
    for section in &site.sections {
        key.text(&section.dir)
            .text(&section.url)
            .number(section.index_page.map_or(usize::MAX, |p| p));
    }
    for asset in &site.assets {
        key.text(asset.content_rel.as_deref().unwrap_or("\u{0}"))
            .text(&asset.path);
    }
    key.finish()
}

/// Resolves every link of every page.
pub fn link(site: &Site) -> (LinkGraph, Vec<Diagnostic>) {
    link_cached(site, &mut Memo::default(), false)
}

/// Resolves every link of every page, taking from `memo` each page whose
/// text is unchanged while nothing it resolves against changed. Without
/// `keep` (a one-off build), the memo keeps only the key.
pub fn link_cached(site: &Site, memo: &mut Memo, keep: bool) -> (LinkGraph, Vec<Diagnostic>) {
    use rayon::prelude::*;

    // (A memo that is not kept needs no key: it starts empty.)
    let key = if keep {
        structure_key(site)
    } else {
        crate::key::UNKEYED
    };
    if memo.key != Some(key) {
        memo.key = Some(key);
        memo.index = None;
        memo.pages.clear();
    }
    let index = match &memo.index {
        Some(index) => std::sync::Arc::clone(index),
        None => std::sync::Arc::new(LinkIndex::new(site)),
    };
    memo.index = keep.then(|| std::sync::Arc::clone(&index));
    let known = &memo.pages;
    let per_page: Vec<(bool, std::sync::Arc<PageLinks>)> = site
        .pages
        .par_iter()
        .enumerate()
        .map(|(p, page)| match known.get(&page.source) {
            Some((hash, links)) if *hash == page.hash => (false, std::sync::Arc::clone(links)),
            _ => (true, std::sync::Arc::new(resolve_page(site, &index, p))),
        })
        .collect();
    for ((fresh, links), page) in per_page.iter().zip(&site.pages) {
        if *fresh && keep {
            memo.pages.insert(
                page.source.clone(),
                (page.hash, std::sync::Arc::clone(links)),
            );
        }
    }
    if memo.pages.len() > site.pages.len() {
        let current: std::collections::HashSet<&str> =
            site.pages.iter().map(|p| p.source.as_str()).collect();
        memo.pages
            .retain(|source, _| current.contains(source.as_str()));
    }
    assemble(site, &per_page)
}

/// The pages an edit reaches: each changed page, given with the pages it
/// linked to before the edit, and every page it links to before or now in
/// `graph` (their backlinks show it). As flags by page, and in the order
/// first reached. Shared by the long way (`render::reach`) and the fast
/// lane (`build::mend`), so both re-render the same pages.
pub fn reached<'a>(
    pages: usize,
    changed: impl IntoIterator<Item = (usize, &'a [usize])>,
    graph: &LinkGraph,
) -> (Vec<bool>, Vec<usize>) {
    let mut dirty = vec![false; pages];
    let mut order = Vec::new();
    for (p, before) in changed {
        let now = graph.outgoing.get(p).map_or(&[][..], Vec::as_slice);
        for &q in std::iter::once(&p).chain(before).chain(now) {
            if q < pages && !dirty[q] {
                dirty[q] = true;
                order.push(q);
            }
        }
    }
    (dirty, order)
}

/// Resolves again the links of pages `changed`, whose text changed while
/// nothing they resolve against did (the caller has made sure), and mends
/// the graph around them exactly as [`link`] would have built it. `None`
/// (with nothing changed) when a link is broken now: the caller then takes
/// the long way, which reports it.
pub fn relink(
    site: &Site,
    memo: &mut Memo,
    graph: &mut LinkGraph,
    changed: &[usize],
) -> Option<()> {
    let index = std::sync::Arc::clone(memo.index.as_ref()?);
    let resolved: Vec<PageLinks> = changed
        .iter()
        .map(|&p| resolve_page(site, &index, p))
        .collect();
    if resolved
        .iter()
        .any(|(_, diagnostics, _)| !diagnostics.is_empty())
    {
        return None;
    }
    for (&p, links) in changed.iter().zip(resolved) {
        let page = &site.pages[p];
        let old_out = std::mem::take(&mut graph.outgoing[p]);
        let mut out: Vec<usize> = links
            .0
            .iter()
            .filter_map(|t| match t {
                Target::Page { page, .. } if *page != p => Some(*page),
                _ => None,
            })
            .collect();
        out.sort_by(|a, b| site.pages[*a].url.cmp(&site.pages[*b].url));
        out.dedup();
        for &q in old_out.iter().chain(&out) {
            graph.incoming[q].retain(|b| b.from != p);
        }
        for (n, target) in links.0.iter().enumerate() {
            if let Target::Page { page: q, .. } = target
                && *q != p
            {
                graph.incoming[*q].push(Backlink { from: p, link: n });
            }
        }
        for &q in &out {
            graph.incoming[q].sort_by_key(|b| (b.from, b.link));
        }
        graph.outgoing[p] = out;
        graph.targets[p] = links.0.clone();
        graph.derived_from[p] = links.2.clone();
        memo.pages
            .insert(page.source.clone(), (page.hash, std::sync::Arc::new(links)));
    }
    Some(())
}

/// Resolves the links of page `p`.
fn resolve_page(site: &Site, index: &LinkIndex, p: usize) -> PageLinks {
    let page = &site.pages[p];
    let mut targets = Vec::with_capacity(page.links.len());
    let mut diagnostics = Vec::new();
    let mut lines: Option<LineIndex> = None;
    for link in &page.links {
        let found = resolve_link(site, index, p, link);
        targets.push(found.target);
        if let Some(problem) = found.diagnostic {
            let lines = lines.get_or_insert_with(|| LineIndex::new(&page.text));
            let mut d = Diagnostic::warning(problem.kind, &page.source, problem.message)
                .at_indexed(&page.text, lines, page.body_offset + link.offset)
                .with_target(link.dest.clone());
            d.help = problem.help;
            diagnostics.push(d);
        }
    }
    let derived = page
        .front
        .derived_from
        .iter()
        .map(|entry| resolve_citation(site, index, p, entry))
        .collect();
    (targets, diagnostics, derived)
}

/// The graph from each page's resolved links.
fn assemble(
    site: &Site,
    per_page: &[(bool, std::sync::Arc<PageLinks>)],
) -> (LinkGraph, Vec<Diagnostic>) {
    let mut graph = LinkGraph {
        targets: Vec::with_capacity(site.pages.len()),
        outgoing: vec![Vec::new(); site.pages.len()],
        incoming: vec![Vec::new(); site.pages.len()],
        derived_from: Vec::with_capacity(site.pages.len()),
    };
    let mut diagnostics = Vec::new();
    for (_, links) in per_page {
        let (targets, more, derived) = &**links;
        graph.targets.push(targets.clone());
        diagnostics.extend(more.iter().cloned());
        graph.derived_from.push(derived.clone());
    }
    // Pages are sorted by source path, so walking them in order gives
    // backlinks in a stable order.
    for (from, targets) in graph.targets.iter().enumerate() {
        for (n, target) in targets.iter().enumerate() {
            if let Target::Page { page, .. } = target
                && *page != from
            {
                graph.outgoing[from].push(*page);
                graph.incoming[*page].push(Backlink { from, link: n });
            }
        }
    }
    for out in &mut graph.outgoing {
        out.sort_by(|a, b| site.pages[*a].url.cmp(&site.pages[*b].url));
        out.dedup();
    }
    (graph, diagnostics)
}

fn resolve_link(site: &Site, index: &LinkIndex, from: usize, link: &LinkRef) -> Found {
    match link.kind {
        LinkKind::Markdown | LinkKind::Image => resolve_relative(site, index, from, link),
        LinkKind::Wiki { .. } | LinkKind::Embed => resolve_wiki(site, index, from, link),
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

fn broken(kind: Kind, message: String) -> Problem {
    Problem {
        kind,
        message,
        help: None,
    }
}

/// Checks `anchor` against the headings of page `target`.
fn with_anchor(site: &Site, link: &LinkRef, target: usize, anchor: Option<&str>) -> Found {
    let anchor = anchor.filter(|a| !a.is_empty());
    let Some(anchor) = anchor else {
        return Found {
            target: Target::Page {
                page: target,
                anchor: None,
            },
            diagnostic: None,
        };
    };
    let decoded = percent_decode_str(anchor).decode_utf8_lossy();
    let page = &site.pages[target];
    let found = page
        .headings
        .iter()
        .find(|h| h.id == decoded || h.id == slugify(&decoded));
    match found {
        Some(h) => Found {
            target: Target::Page {
                page: target,
                anchor: Some(h.id.clone()),
            },
            diagnostic: None,
        },
        None => Found {
            target: Target::Page {
                page: target,
                anchor: Some(anchor.to_owned()),
            },
            diagnostic: Some(broken(
                Kind::BrokenAnchor,
                format!(
                    "`{}` links to `#{anchor}`, but `{}` has no such heading",
                    link.text, page.source
                ),
            )),
        },
    }
}

/// `#anchor` (or `[[#anchor]]`) on the linking page itself.
fn own_anchor(site: &Site, link: &LinkRef, from: usize, anchor: &str) -> Found {
    match with_anchor(site, link, from, Some(anchor)) {
        Found {
            target: Target::Page {
                anchor: Some(a), ..
            },
            diagnostic,
        } => Found {
            target: Target::OwnAnchor(a),
            diagnostic,
        },
        other => other,
    }
}

fn resolve_relative(site: &Site, index: &LinkIndex, from: usize, link: &LinkRef) -> Found {
    let dest = link.dest.trim();
    if dest.is_empty() || dest.starts_with('/') || dest.starts_with("//") || has_scheme(dest) {
        return Found {
            target: Target::External,
            diagnostic: None,
        };
    }
    let (path, anchor) = match dest.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (dest, None),
    };
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() {
        // `#heading` on this page.
        return own_anchor(site, link, from, anchor.unwrap_or(""));
    }
    let decoded = percent_decode_str(path).decode_utf8_lossy();
    let page = &site.pages[from];
    let from_dir = page.rel.rsplit_once('/').map_or("", |(d, _)| d);
    let missing = |why: String| Found {
        target: Target::Missing,
        diagnostic: Some(broken(Kind::BrokenLink, why)),
    };
    let Some(joined) = normalize(from_dir, &decoded) else {
        return missing(format!(
            "`{}` links to `{dest}`, which climbs out of the content folder",
            link.text
        ));
    };
    let joined = nfc(&joined);
    if let Some(&target) = index.pages_by_path.get(&joined) {
        return with_anchor(site, link, target, anchor);
    }
    if let Some(&section) = index.sections_by_dir.get(&joined) {
        return match site.sections[section].index_page {
            Some(target) => with_anchor(site, link, target, anchor),
            None => Found {
                target: Target::Section {
                    url: site.sections[section].url.clone(),
                },
                diagnostic: None,
            },
        };
    }
    if let Some(path) = index.files_by_path.get(&joined) {
        return Found {
            target: Target::File {
                url: format!("/{path}"),
            },
            diagnostic: None,
        };
    }
    let shown = if joined.is_empty() {
        "."
    } else {
        joined.as_str()
    };
    missing(format!(
        "`{}` links to `{dest}`, but there is no page or file `{shown}` in the content folder",
        link.text
    ))
}

/// The pages a wiki name matches: by file name, then path, then title, then
/// alias; the first rule that matches anything decides.
fn wiki_candidates(index: &LinkIndex, from_dir: &str, name: &str) -> Vec<usize> {
    let name = strip_md(name.trim());
    if name.contains('/') {
        if let Some(&p) = index.by_path.get(&path_key(name)) {
            return vec![p];
        }
        if let Some(joined) = normalize(from_dir, name)
            && let Some(&p) = index.by_path.get(&path_key(&joined))
        {
            return vec![p];
        }
        return Vec::new();
    }
    let k = name_key(name);
    for map in [&index.by_stem, &index.by_title, &index.by_alias] {
        if let Some(pages) = map.get(&k) {
            let mut pages = pages.clone();
            pages.sort_unstable();
            pages.dedup();
            return pages;
        }
    }
    Vec::new()
}

fn resolve_wiki(site: &Site, index: &LinkIndex, from: usize, link: &LinkRef) -> Found {
    let (name, anchor) = match link.dest.split_once('#') {
        Some((n, a)) => (n.trim(), Some(a.trim())),
        None => (link.dest.trim(), None),
    };
    if name.is_empty() {
        return own_anchor(site, link, from, anchor.unwrap_or(""));
    }
    let page = &site.pages[from];
    let from_dir = page.rel.rsplit_once('/').map_or("", |(d, _)| d);
    // `![[diagram.png]]` and `[[report.pdf]]`: a file, found by name or path.
    let is_file = name.rsplit_once('.').is_some_and(|(_, ext)| {
        let ext = ext.to_ascii_lowercase();
        ext != "md" && ext != "markdown" && !ext.is_empty() && !ext.contains(' ')
    });
    if is_file {
        let by_path = normalize(from_dir, name)
            .and_then(|p| index.files_by_path.get(&nfc(&p)).map(String::as_str))
            .or_else(|| index.files_by_path.get(&nfc(name)).map(String::as_str));
        let by_name = || {
            let file = name.rsplit('/').next().unwrap_or(name);
            index
                .files_by_name
                .get(&fold(file))
                .and_then(|paths| paths.iter().min_by_key(|p| (p.len(), p.as_str())))
                .map(String::as_str)
        };
        if let Some(path) = by_path.or_else(by_name) {
            return Found {
                target: Target::File {
                    url: format!("/{path}"),
                },
                diagnostic: None,
            };
        }
    }
    let candidates = wiki_candidates(index, from_dir, name);
    match candidates.len() {
        0 => Found {
            target: Target::Missing,
            diagnostic: Some(broken(
                Kind::BrokenLink,
                format!(
                    "`[[{}]]` matches no page (by file name, path, title or alias)",
                    link.dest
                ),
            )),
        },
        1 => with_anchor(site, link, candidates[0], anchor),
        _ => {
            // The shortest path wins; the others are named in a warning.
            let mut sorted = candidates;
            sorted.sort_by(|a, b| {
                let (pa, pb) = (&site.pages[*a].rel, &site.pages[*b].rel);
                (pa.len(), pa).cmp(&(pb.len(), pb))
            });
            let chosen = sorted[0];
            let mut found = with_anchor(site, link, chosen, anchor);
            let names: Vec<&str> = sorted
                .iter()
                .map(|&p| site.pages[p].source.as_str())
                .collect();
            let mut warning = broken(
                Kind::AmbiguousLink,
                format!(
                    "`[[{}]]` matches {} pages ({}); it links to the one with the shortest path, `{}`",
                    link.dest,
                    names.len(),
                    names.join(", "),
                    names[0]
                ),
            );
            warning.help =
                Some("write the path, e.g. `[[folder/name]]`, to choose another".to_owned());
            found.diagnostic = Some(found.diagnostic.unwrap_or(warning));
            found
        }
    }
}

/// A `derived_from` entry: a page (by wiki name or relative path) becomes
/// its URL; anything else (a URL, a citation) stays as written.
fn resolve_citation(site: &Site, index: &LinkIndex, from: usize, entry: &str) -> String {
    let trimmed = entry.trim();
    if trimmed.is_empty() || has_scheme(trimmed) {
        return entry.to_owned();
    }
    let name = trimmed.trim_start_matches("[[").trim_end_matches("]]");
    let page = &site.pages[from];
    let from_dir = page.rel.rsplit_once('/').map_or("", |(d, _)| d);
    if let Some(joined) = normalize(from_dir, name)
        && let Some(&p) = index.pages_by_path.get(&nfc(&joined))
    {
        return site.pages[p].url.clone();
    }
    match wiki_candidates(index, from_dir, name).as_slice() {
        [only] => site.pages[*only].url.clone(),
        _ => entry.to_owned(),
    }
}

/// The site URL (with `#anchor`) of a resolved target; `None` for external
/// links and links to nothing.
pub fn target_url(site: &Site, target: &Target) -> Option<String> {
    match target {
        Target::Page { page, anchor } => {
            let url = &site.pages[*page].url;
            Some(match anchor {
                Some(a) => format!("{url}#{a}"),
                None => url.clone(),
            })
        }
        Target::Section { url } | Target::File { url } => Some(url.clone()),
        Target::OwnAnchor(a) => Some(format!("#{a}")),
        Target::External | Target::Missing => None,
    }
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

    #[test]
    fn markdown_extensions_are_stripped() {
        assert_eq!(strip_md("a/First Steps.md"), "a/First Steps");
        assert_eq!(strip_md("notes.MARKDOWN"), "notes");
        assert_eq!(strip_md("diagram.png"), "diagram.png");
    }
}
