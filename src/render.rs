//! Render: the site to an in-memory output set (path → bytes), with no
//! file-system access, so `build`, tests and (later) `serve` share it.
//!
//! Templates are MiniJinja with auto-escaping. The default theme is embedded
//! from `themes/default/`; a site's `templates/NAME.html` replaces the
//! theme's template of the same name. Pages render in parallel and are
//! merged in path order.

use std::collections::{BTreeMap, HashMap, HashSet};

use minijinja::value::Rest;
use minijinja::{Environment, State, UndefinedBehavior, Value};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use rayon::prelude::*;
use serde::Serialize;

use crate::config::Config;
use crate::contributors::People;
use crate::diagnostic::{Diagnostic, Kind};
use crate::key::{KeyHasher, UNKEYED};
use crate::links::{LinkGraph, Target, target_url};
use crate::load::TextFile;
use crate::markdown::{self, Heading, LinkKind, LinkRef, Rewrite};
use crate::site::{Page, Section, Site};

/// The templates of the default theme, embedded in the binary.
const THEME_TEMPLATES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../themes/default/templates/base.html"),
    ),
    (
        "page.html",
        include_str!("../themes/default/templates/page.html"),
    ),
    (
        "section.html",
        include_str!("../themes/default/templates/section.html"),
    ),
    (
        "partials/nav.html",
        include_str!("../themes/default/templates/partials/nav.html"),
    ),
    (
        "index.html",
        include_str!("../themes/default/templates/index.html"),
    ),
    (
        "404.html",
        include_str!("../themes/default/templates/404.html"),
    ),
    (
        "partials/byline.html",
        include_str!("../themes/default/templates/partials/byline.html"),
    ),
    (
        "partials/listing.html",
        include_str!("../themes/default/templates/partials/listing.html"),
    ),
    (
        "contributors.html",
        include_str!("../themes/default/templates/contributors.html"),
    ),
    (
        "contributor.html",
        include_str!("../themes/default/templates/contributor.html"),
    ),
    (
        "partials/backlinks.html",
        include_str!("../themes/default/templates/partials/backlinks.html"),
    ),
];

/// The theme's stylesheet.
const THEME_CSS: &str = include_str!("../themes/default/static/style.css");

/// Where the theme's templates live in this repository, for messages.
const THEME_DIR: &str = "themes/default/templates";

/// A theme asset published under a name that carries its hash
/// (`style.1a2b3c4d5e.css`), so it can be cached for ever, and referenced
/// with Subresource Integrity. SRI allows only SHA-2, so the integrity is
/// `sha384-…` while the name carries BLAKE3 like the rest of the archive.
pub struct Fingerprinted {
    pub path: String,
    pub integrity: String,
    pub bytes: std::sync::Arc<[u8]>,
}

impl Fingerprinted {
    pub fn new(stem: &str, extension: &str, bytes: Vec<u8>) -> Self {
        use base64::Engine as _;
        use sha2::Digest as _;
        let short = &blake3::hash(&bytes).to_hex()[..10];
        let sha = sha2::Sha384::digest(&bytes);
        Self {
            path: format!("{stem}.{short}.{extension}"),
            integrity: format!(
                "sha384-{}",
                base64::engine::general_purpose::STANDARD.encode(sha)
            ),
            bytes: bytes.into(),
        }
    }
}

/// One file of the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Path relative to the output folder, with `/` (shared, like the
    /// rest, so that copying a build's list of files copies no text).
    pub path: std::sync::Arc<str>,
    /// Shared, so that a rebuild can keep a file it did not change.
    pub bytes: std::sync::Arc<[u8]>,
    /// The source it came from, for messages.
    pub origin: std::sync::Arc<str>,
    /// Set when the file was written to the staging folder as soon as it
    /// was made (a one-off build streams pages, so that it never holds
    /// them all): its hash; `bytes` are then empty.
    pub written: Option<blake3::Hash>,
}

impl Output {
    pub fn new(
        path: impl Into<std::sync::Arc<str>>,
        bytes: impl Into<std::sync::Arc<[u8]>>,
        origin: impl Into<std::sync::Arc<str>>,
    ) -> Self {
        Self {
            path: path.into(),
            bytes: bytes.into(),
            origin: origin.into(),
            written: None,
        }
    }
}

/// Everything render makes.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// Every output file, sorted by path.
    pub files: Vec<Output>,
    /// For each page of `Site::pages`, the BLAKE3 of its HTML.
    pub page_hashes: Vec<Option<blake3::Hash>>,
    /// When this render could tell which pages an edit reached since the
    /// last one (same pages, same shared inputs): those pages. Whatever
    /// else is made of single pages (their manifest entries) is unchanged
    /// for the others.
    pub dirty: Option<Vec<bool>>,
}

/// Pages and sections rendered by the last build, each under the key of
/// everything its HTML was made from: a rebuild renders again only those
/// whose key changed (see [`crate::incremental`]).
#[derive(Debug, Default)]
pub struct Memo {
    outputs: HashMap<String, Keyed>,
    global: Option<blake3::Hash>,
    last: Option<Last>,
}

/// What the last render was made from, to tell which pages an edit can
/// reach without computing every page's key.
#[derive(Debug)]
struct Last {
    inputs: Inputs,
    /// Each page's source hash, in page order.
    hashes: Vec<blake3::Hash>,
    /// Each page's outgoing links (page indices).
    outgoing: Vec<Vec<usize>>,
    /// `llms.txt`, a part per section.
    llms: Vec<String>,
    contributors_json: std::sync::Arc<[u8]>,
}

/// Keys of what every rendering shares, from the stages before render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inputs {
    /// Every page's path, URL, title, description, aliases and headings,
    /// every section and file ([`crate::links::structure_key`]).
    pub structure: blake3::Hash,
    /// Every page's people and dates, and `contributors.yaml`.
    pub people: blake3::Hash,
}

/// Which pages a rebuild must look at again, when the last render's shared
/// inputs all hold: the pages whose source changed, and the pages those
/// link to, then and now (their backlinks show the linking sentence). Every
/// other page's key is unchanged: everything else it reads is in the
/// shared inputs. `None` when some shared input changed.
fn reach(
    last: Option<&Last>,
    inputs: Inputs,
    site: &Site,
    graph: &LinkGraph,
) -> Option<(Vec<bool>, Vec<bool>)> {
    let last = last?;
    if last.inputs != inputs || last.hashes.len() != site.pages.len() {
        return None;
    }
    let changed: Vec<bool> = site
        .pages
        .iter()
        .zip(&last.hashes)
        .map(|(page, old)| page.hash != *old)
        .collect();
    let edited = changed
        .iter()
        .enumerate()
        .filter(|(_, c)| **c)
        .map(|(p, _)| (p, last.outgoing[p].as_slice()));
    let (dirty, _) = crate::links::reached(site.pages.len(), edited, graph);
    Some((changed, dirty))
}

/// What every page's HTML reads: the configuration, the templates, the
/// stylesheet and the navigation.
fn global_key(site: &Site, templates: &[TextFile], stylesheet: &Fingerprinted) -> blake3::Hash {
    let mut key = KeyHasher::new(&blake3::hash(b"cairn render"));
    key.debug(&site.config).text(&stylesheet.path);
    for file in templates {
        key.text(&file.rel).text(&file.hash.to_hex());
    }
    for &s in &site.sections[0].subsections {
        key.text(&site.sections[s].title)
            .text(&site.sections[s].url);
    }
    key.finish()
}

/// The key of page `p`'s own rendering (its HTML, or its part of its
/// section's): the page as resolved, where its links lead and what those
/// pages are called, who links to it and with which words, its people and
/// its breadcrumbs. `page_context` reads nothing else.
fn page_key(shared: &Shared<'_>, global: &blake3::Hash, p: usize) -> blake3::Hash {
    let site = shared.site;
    let page = &site.pages[p];
    let mut key = KeyHasher::new(global);
    key.0.extend_from_slice(page.hash.as_bytes());
    key.text(&page.source)
        .text(&page.url)
        .text(&page.title)
        .number(usize::from(page.title_from_body) + 2 * usize::from(page.is_index))
        .date(page.date)
        .date(page.updated);
    for person in &page.commit_authors {
        key.text(&person.name)
            .text(person.email.as_deref().unwrap_or_default());
    }
    // The breadcrumbs (and the section itself: more than needed is safe).
    for s in site.ancestry(page.section) {
        key.text(&site.sections[s].title)
            .text(&site.sections[s].url);
    }
    for target in &shared.graph.targets[p] {
        match target {
            Target::Page { page: to, anchor } => {
                let to = &site.pages[*to];
                key.number(1)
                    .text(&to.url)
                    .text(anchor.as_deref().unwrap_or_default())
                    .text(&to.title)
                    .text(to.front.description.as_deref().unwrap_or_default());
                for heading in &to.headings {
                    key.text(&heading.id).text(&heading.text);
                }
            }
            Target::Section { url } => {
                key.number(2).text(url);
            }
            Target::File { url } => {
                key.number(3).text(url);
            }
            Target::OwnAnchor(anchor) => {
                key.number(4).text(anchor);
            }
            Target::External => {
                key.number(5);
            }
            Target::Missing => {
                key.number(6);
            }
        }
    }
    for resolved in &shared.graph.derived_from[p] {
        key.text(resolved)
            .text(shared.links_title(resolved).unwrap_or_default());
    }
    for backlink in &shared.graph.incoming[p] {
        let from = &site.pages[backlink.from];
        key.text(&from.title).text(&from.url).text(
            from.links
                .get(backlink.link)
                .map_or("", |l| l.context.as_str()),
        );
    }
    let people = shared.people;
    let person = |key: &mut KeyHasher, c: usize| {
        let contributor = &people.contributors[c];
        key.text(&contributor.id).text(&contributor.name).text(
            contributor
                .profile
                .and_then(|i| people.directory.profiles[i].url.as_deref())
                .unwrap_or_default(),
        );
    };
    for &c in &people.page_authors[p] {
        person(&mut key, c);
    }
    key.number(usize::MAX);
    for (c, roles) in &people.page_contributors[p] {
        person(&mut key, *c);
        for role in roles {
            key.text(role);
        }
        key.number(usize::MAX);
    }
    key.finish()
}

/// The theme's stylesheet with the highlighting styles, fingerprinted
/// (once a process: it is the same for every site).
fn stylesheet() -> &'static Fingerprinted {
    static STYLESHEET: std::sync::OnceLock<Fingerprinted> = std::sync::OnceLock::new();
    STYLESHEET.get_or_init(|| {
        let css = [THEME_CSS, crate::highlight::STYLESHEET].concat();
        Fingerprinted::new("style", "css", css.into_bytes())
    })
}

fn globals(site: &Site) -> Globals<'_> {
    Globals {
        site: SiteContext {
            title: &site.config.title,
            description: &site.config.description,
            language: &site.config.language,
            base_url: &site.config.base_url,
            license: site.config.license.as_deref(),
        },
        nav: site.sections[0]
            .subsections
            .iter()
            .map(|&s| Link {
                title: site.sections[s].title.clone(),
                url: site.sections[s].url.clone(),
            })
            .collect(),
    }
}

/// Renders again, after an edit that changed no shared input (the caller
/// has made sure: same pages, names, URLs, headings and people), the pages
/// `pages` and the sections `sections`, keeping `memo` in step. Each made
/// output comes with its page (a section's own page for a section) and its
/// hash. `None` on any problem: the caller then takes the long way, which
/// reports it.
pub fn rerender(
    site: &Site,
    graph: &LinkGraph,
    people: &People,
    templates: &[TextFile],
    pages: &[usize],
    sections: &[usize],
    memo: &mut Memo,
) -> Option<Vec<(Option<usize>, Output, blake3::Hash)>> {
    let stylesheet = stylesheet();
    let (env, diagnostics) = environment(&site.config, templates, stylesheet);
    let global = global_key(site, templates, stylesheet);
    if !diagnostics.is_empty() || memo.global != Some(global) {
        return None;
    }
    let globals = globals(site);
    let shared = Shared::new(site, &env, &globals, graph, people, templates);
    let mut made = Vec::new();
    for &i in pages {
        let page = &site.pages[i];
        if page.is_index {
            continue;
        }
        let key = page_key(&shared, &global, i);
        let path = output_path(&page.url);
        let keyed = memoized(&memo.outputs, &path, key, || render_page(&shared, i, page)).ok()?;
        made.push((Some(i), keyed));
    }
    for &s in sections {
        let section = &site.sections[s];
        let key = section_key(&shared, &global, s);
        let path = output_path(&section.url);
        let keyed = memoized(&memo.outputs, &path, key, || {
            render_section(&shared, s, section)
        })
        .ok()?;
        made.push((section.index_page, keyed));
    }
    let mut out = Vec::with_capacity(made.len());
    for (page, (key, output, hash)) in made {
        memo.outputs
            .insert(output.path.to_string(), (key, output.clone(), hash));
        out.push((page, output, hash));
    }
    Some(out)
}

impl Memo {
    /// After [`rerender`]: what pages `changed` are now (their source and
    /// their links), so that the next render reaches from here.
    pub fn note_pages(&mut self, site: &Site, graph: &LinkGraph, changed: &[usize]) {
        if let Some(last) = self.last.as_mut() {
            for &p in changed {
                last.hashes[p] = site.pages[p].hash;
                last.outgoing[p] = graph.outgoing[p].clone();
            }
        }
    }
}

/// Renders every page, section and asset of `site`, reusing from `memo`
/// every page and section whose key did not change.
/// `progress`, if given, advances by one for every page and section.
/// Where render reports and delivers what it makes as it goes.
#[derive(Default, Clone, Copy)]
pub struct Delivery<'a> {
    /// Advanced once a page or section.
    pub progress: Option<&'a indicatif::ProgressBar>,
    /// A one-off build's staging folder: pages, sections and contributor
    /// pages are written to it as they are made (and only their hashes
    /// kept).
    pub sink: Option<&'a crate::emit::Staging>,
}

pub fn render(
    site: &Site,
    graph: &LinkGraph,
    people: &People,
    templates: &[TextFile],
    delivery: Delivery<'_>,
    inputs: Inputs,
    memo: &mut Memo,
) -> (Rendered, Vec<Diagnostic>) {
    let Delivery { progress, sink } = delivery;
    let tick = || {
        if let Some(bar) = progress {
            bar.inc(1);
        }
    };
    let stylesheet = stylesheet();
    let (env, mut diagnostics) = environment(&site.config, templates, stylesheet);
    let globals = globals(site);
    let mut shared = Shared::new(site, &env, &globals, graph, people, templates);
    shared.sink = sink;

    let global = global_key(site, templates, stylesheet);
    // The global key is part of every key: a last render under another
    // global key has nothing to give.
    let same_global = memo
        .last
        .as_ref()
        .is_some_and(|_| memo.global == Some(global));
    let reached = if same_global {
        reach(memo.last.as_ref(), inputs, site, graph)
    } else {
        None
    };
    if reached.is_none() {
        memo.last = None;
    }
    memo.global = Some(global);
    let previous = &memo.outputs;
    // A streamed build keeps nothing for a next one: no page needs a key.
    let keyed = !shared.streamed();
    // Pages and sections render in parallel, each into its own result;
    // `true` marks one made (or keyed) now.
    let page_results: Vec<(Option<usize>, Result<Made, Diagnostic>)> = site
        .pages
        .par_iter()
        .with_max_len(crate::PAGES_A_TASK)
        .enumerate()
        .filter(|(_, page)| !page.is_index)
        .map(|(i, page)| {
            tick();
            let path = output_path(&page.url);
            if let Some((_, dirty)) = &reached
                && !dirty[i]
                && let Some(kept) = previous.get(&path)
            {
                return (Some(i), Ok((kept.clone(), false)));
            }
            let key = if keyed {
                page_key(&shared, &global, i)
            } else {
                UNKEYED
            };
            let make = || render_page(&shared, i, page);
            // Streaming, the page's raw source goes beside its HTML now,
            // the first file in the page's folder.
            let source = match sink {
                Some(sink) => {
                    sink.put_in_new_folder(&source_path(page), page.text.as_bytes(), &page.source)
                }
                None => Ok(()),
            };
            (
                Some(i),
                source
                    .and_then(|()| memoized(previous, &path, key, make))
                    .map(|k| (k, true)),
            )
        })
        .collect();
    let section_results: Vec<(Option<usize>, Result<_, Diagnostic>)> = site
        .sections
        .par_iter()
        .enumerate()
        .map(|(i, section)| {
            let key = if keyed {
                section_key(&shared, &global, i)
            } else {
                UNKEYED
            };
            let make = || render_section(&shared, i, section);
            (
                section.index_page,
                memoized(previous, &output_path(&section.url), key, make).map(|k| (k, true)),
            )
        })
        .collect();
    let changed_pages = reached.as_ref().map(|(changed, _)| changed.as_slice());
    let (people_pages, more) = contributor_pages(&shared, &global, previous, changed_pages);

    let mut rendered = Rendered {
        files: Vec::with_capacity(site.pages.len() + site.assets.len() + 4),
        page_hashes: vec![None; site.pages.len()],
        dirty: reached.as_ref().map(|(_, dirty)| dirty.clone()),
    };
    // Without a last render to reach from, the memo is made anew (pages
    // gone leave nothing behind); with one, only what was made changes.
    if reached.is_none() {
        memo.outputs = HashMap::with_capacity(site.pages.len() + people.contributors.len() * 2);
    }
    let people_results = people_pages
        .into_iter()
        .map(|(keyed, fresh)| (None, Ok((keyed, fresh))));
    for (page, result) in page_results
        .into_iter()
        .chain(section_results)
        .chain(people_results)
    {
        match result {
            Ok(((key, output, hash), fresh)) => {
                if let Some(i) = page {
                    rendered.page_hashes[i] = Some(hash);
                }
                // Streamed outputs are not kept: their bytes are gone.
                if (fresh || reached.is_none()) && output.written.is_none() {
                    memo.outputs
                        .insert(output.path.to_string(), (key, output.clone(), hash));
                }
                rendered.files.push(output);
            }
            Err(d) => diagnostics.push(d),
        }
    }
    diagnostics.extend(more);

    let last = memo.last.take().filter(|_| reached.is_some());
    let contributors_json = match &last {
        Some(last) => std::sync::Arc::clone(&last.contributors_json),
        None => crate::contributors::to_json(site, people).into(),
    };
    rendered.files.push(Output::new(
        crate::contributors::JSON_FILE.to_owned(),
        std::sync::Arc::clone(&contributors_json),
        crate::contributors::JSON_FILE.to_owned(),
    ));

    let (redirects, more) = redirects(&shared);
    rendered.files.extend(redirects);
    diagnostics.extend(more);

    let context = Context {
        absolute_urls: true,
        ..Context::at(&shared, "/404.html")
    };
    match render_template(&env, "404.html", context) {
        Ok(html) => rendered.files.push(Output::new(
            "404.html".to_owned(),
            html,
            format!("{THEME_DIR}/404.html"),
        )),
        Err(e) => diagnostics.push(template_error(&e, templates)),
    }

    rendered.files.push(Output::new(
        stylesheet.path.clone(),
        std::sync::Arc::clone(&stylesheet.bytes),
        "themes/default/static/style.css".to_owned(),
    ));

    let llms: Vec<String> = site
        .sections
        .par_iter()
        .enumerate()
        .map(|(s, section)| {
            let touched = |(changed, _): &(Vec<bool>, Vec<bool>)| {
                section
                    .index_page
                    .iter()
                    .chain(&section.pages)
                    .any(|&p| changed[p])
            };
            match (&last, &reached) {
                (Some(last), Some(reached)) if !touched(reached) => last.llms[s].clone(),
                _ => llms_section(&shared, section),
            }
        })
        .collect();
    rendered.files.push(Output::new(
        "llms.txt".to_owned(),
        llms_txt(&shared, &llms).into_bytes(),
        "llms.txt".to_owned(),
    ));
    // A streamed build is a one-off: there is no next render to reach from.
    memo.last = sink.is_none().then(|| Last {
        inputs,
        hashes: site.pages.iter().map(|p| p.hash).collect(),
        outgoing: graph.outgoing.clone(),
        llms,
        contributors_json,
    });

    // Each page's source, byte for byte, beside its HTML: anyone can hash it
    // and compare with the manifest's `source_blake3`.
    for page in &site.pages {
        let output = Output::new(
            source_path(page),
            std::sync::Arc::<[u8]>::from(page.text.clone()),
            page.source.clone(),
        );
        rendered.files.push(match sink {
            Some(_) if !page.is_index => Output {
                bytes: std::sync::Arc::from(&[][..]),
                written: Some(page.hash),
                ..output
            },
            _ => output,
        });
    }

    for asset in &site.assets {
        rendered.files.push(Output::new(
            asset.path.clone(),
            asset.bytes.clone(),
            asset.source.clone(),
        ));
    }

    rendered.files.sort_by(|a, b| a.path.cmp(&b.path));
    diagnostics.extend(collisions(&rendered.files));
    (rendered, dedup(diagnostics))
}

#[derive(Serialize)]
struct ContributorSummary<'a> {
    id: &'a str,
    name: &'a str,
    url: String,
    authored: usize,
    contributed: usize,
    first: Option<String>,
    last: Option<String>,
}

#[derive(Serialize)]
struct ContributedPage<'a> {
    title: &'a str,
    url: &'a str,
    date: Option<String>,
    roles: &'a [String],
}

#[derive(Serialize)]
struct TagCount<'a> {
    tag: &'a str,
    pages: usize,
}

#[derive(Serialize)]
struct ContributorContext<'a> {
    id: &'a str,
    name: &'a str,
    url: String,
    homepage: Option<&'a str>,
    bio: Option<&'a str>,
    avatar: Option<&'a str>,
    first: Option<String>,
    last: Option<String>,
    authored: Vec<ContributedPage<'a>>,
    contributed: Vec<ContributedPage<'a>>,
    coauthors: Vec<PersonContext<'a>>,
    tags: Vec<TagCount<'a>>,
}

/// `/contributors/` and `/contributors/<id>/`.
/// A rendered output with the key it was made under and its hash.
type Keyed = (blake3::Hash, Output, blake3::Hash);
type Previous = HashMap<String, Keyed>;
/// A keyed output, and whether it was made (or keyed) by this render.
type Made = (Keyed, bool);

/// The last build's output at `path` if it was made under `key`, else a
/// fresh one from `make`.
fn memoized(
    previous: &Previous,
    path: &str,
    key: blake3::Hash,
    make: impl FnOnce() -> Result<Output, Diagnostic>,
) -> Result<Keyed, Diagnostic> {
    match previous.get(path) {
        Some((old, output, hash)) if *old == key => Ok((key, output.clone(), *hash)),
        _ => make().map(|output| {
            let hash = output
                .written
                .unwrap_or_else(|| blake3::hash(&output.bytes));
            (key, output, hash)
        }),
    }
}

/// What a contributor's page and feed are made from: their context, and
/// each of their pages' update, summary and people.
fn contributor_key(
    shared: &Shared<'_>,
    global: &blake3::Hash,
    c: &crate::contributors::Contributor,
    context: &ContributorContext<'_>,
) -> blake3::Hash {
    let (site, people) = (shared.site, shared.people);
    let mut key = KeyHasher::new(global);
    let _ = serde_json::to_writer(&mut key.0, context);
    for p in c
        .authored
        .iter()
        .chain(c.contributed.iter().map(|(p, _)| p))
    {
        let page = &site.pages[*p];
        key.date(page.updated)
            .text(page.front.description.as_deref().unwrap_or_default());
        for &a in &people.page_authors[*p] {
            key.text(&people.contributors[a].name);
        }
        key.number(usize::MAX);
        for (h, _) in &people.page_contributors[*p] {
            key.text(&people.contributors[*h].name);
        }
    }
    key.finish()
}

/// Every contributor's page and feed, and the list of contributors. With
/// `changed` (the pages whose source changed, while everything shared
/// held), only the people of those pages are looked at again.
fn contributor_pages(
    shared: &Shared<'_>,
    global: &blake3::Hash,
    previous: &Previous,
    changed: Option<&[bool]>,
) -> (Vec<(Keyed, bool)>, Vec<Diagnostic>) {
    let (site, people) = (shared.site, shared.people);
    let mut outputs = Vec::new();
    let mut diagnostics = Vec::new();
    let mut everyone: Vec<ContributorSummary<'_>> = people
        .contributors
        .iter()
        .map(|c| ContributorSummary {
            id: &c.id,
            name: &c.name,
            url: People::url(&c.id),
            authored: c.authored.len(),
            contributed: c.contributed.len(),
            first: c.first.map(|d| d.to_string()),
            last: c.last.map(|d| d.to_string()),
        })
        .collect();
    everyone.sort_by(|a, b| (a.name.to_lowercase(), a.id).cmp(&(b.name.to_lowercase(), b.id)));
    let page_of = |p: usize, roles: &'static [String]| {
        let page = &site.pages[p];
        ContributedPage {
            title: &page.title,
            url: &page.url,
            date: page.date.map(|d| d.to_string()),
            roles,
        }
    };
    let touched: Option<Vec<bool>> = changed.map(|changed| {
        let mut touched = vec![false; people.contributors.len()];
        for (p, _) in changed.iter().enumerate().filter(|(_, c)| **c) {
            for &c in &people.page_authors[p] {
                touched[c] = true;
            }
            for (c, _) in &people.page_contributors[p] {
                touched[*c] = true;
            }
        }
        touched
    });
    let results: Vec<Result<[(Keyed, bool); 2], Diagnostic>> = people
        .contributors
        .par_iter()
        .enumerate()
        .map(|(i, c)| {
            let url = People::url(&c.id);
            if let Some(touched) = &touched
                && !touched[i]
                && let Some(html) = previous.get(&output_path(&url))
                && let Some(feed) =
                    previous.get(&format!("{}atom.xml", url.trim_start_matches('/')))
            {
                return Ok([(html.clone(), false), (feed.clone(), false)]);
            }
            let profile = c.profile.map(|p| &people.directory.profiles[p]);
            let mut coauthors: BTreeMap<usize, usize> = BTreeMap::new();
            let mut tags: BTreeMap<&str, usize> = BTreeMap::new();
            for &p in &c.authored {
                for &other in &people.page_authors[p] {
                    if other != i {
                        *coauthors.entry(other).or_default() += 1;
                    }
                }
            }
            for p in c
                .authored
                .iter()
                .chain(c.contributed.iter().map(|(p, _)| p))
            {
                for tag in &site.pages[*p].front.tags {
                    *tags.entry(tag.as_str()).or_default() += 1;
                }
            }
            let mut tags: Vec<TagCount<'_>> = tags
                .into_iter()
                .map(|(tag, pages)| TagCount { tag, pages })
                .collect();
            tags.sort_by(|a, b| b.pages.cmp(&a.pages).then(a.tag.cmp(b.tag)));
            let context = ContributorContext {
                id: &c.id,
                name: &c.name,
                url: url.clone(),
                homepage: profile
                    .and_then(|p| p.url.as_deref())
                    .filter(|u| is_web_url(u)),
                bio: profile.and_then(|p| p.bio.as_deref()),
                avatar: profile
                    .and_then(|p| p.avatar.as_deref())
                    .filter(|u| is_web_url(u) || !u.contains(':')),
                first: c.first.map(|d| d.to_string()),
                last: c.last.map(|d| d.to_string()),
                authored: c.authored.iter().map(|&p| page_of(p, &[])).collect(),
                contributed: c
                    .contributed
                    .iter()
                    .map(|(p, roles)| ContributedPage {
                        roles,
                        ..page_of(*p, &[])
                    })
                    .collect(),
                coauthors: coauthors
                    .into_keys()
                    .map(|o| person(people, o, &[]))
                    .collect(),
                tags,
            };
            // The page shows its context; the feed also each page's
            // update, summary and people. (A streamed build keeps nothing
            // for a next one: no key.)
            let key = if shared.streamed() {
                UNKEYED
            } else {
                contributor_key(shared, global, c, &context)
            };
            let html = memoized(previous, &output_path(&url), key, || {
                let html = render_template(
                    shared.env,
                    "contributor.html",
                    Context {
                        contributor: Some(context),
                        ..Context::at(shared, &url)
                    },
                )
                .map_err(|e| template_error(&e, shared.templates))?;
                shared.output(
                    output_path(&url),
                    html,
                    crate::contributors::CONTRIBUTORS_FILE,
                )
            })?;
            let feed_url = format!("{url}atom.xml");
            let feed_path = feed_url.trim_start_matches('/').to_owned();
            let feed = memoized(previous, &feed_path, key, || {
                let feed = crate::feed::contributor_feed(site, people, c, &|to| {
                    shared.href(&feed_url, to)
                });
                shared.output(
                    feed_path.clone(),
                    feed.into_bytes(),
                    crate::contributors::CONTRIBUTORS_FILE,
                )
            })?;
            Ok([(html, true), (feed, true)])
        })
        .collect();
    for result in results {
        match result {
            Ok(files) => outputs.extend(files),
            Err(d) => diagnostics.push(d),
        }
    }
    let key = if shared.streamed() {
        UNKEYED
    } else {
        let mut key = KeyHasher::new(global);
        let _ = serde_json::to_writer(&mut key.0, &everyone);
        key.finish()
    };
    let index = memoized(previous, "contributors/index.html", key, || {
        let html = render_template(
            shared.env,
            "contributors.html",
            Context {
                contributors: Some(everyone),
                ..Context::at(shared, "/contributors/")
            },
        )
        .map_err(|e| template_error(&e, shared.templates))?;
        Ok(Output::new(
            "contributors/index.html".to_owned(),
            html,
            crate::contributors::CONTRIBUTORS_FILE.to_owned(),
        ))
    });
    match index {
        Ok(keyed) => outputs.push((keyed, true)),
        Err(d) => diagnostics.push(d),
    }
    (outputs, diagnostics)
}

/// `llms.txt` (the llms.txt convention): the archive's title and
/// description, then every page with the URL of its raw Markdown, its
/// authors and its license, grouped by section.
fn llms_txt(shared: &Shared<'_>, sections: &[String]) -> String {
    let site = shared.site;
    let mut out = format!("# {}\n\n", one_line(&site.config.title));
    if !site.config.description.is_empty() {
        out.push_str(&format!("> {}\n\n", one_line(&site.config.description)));
    }
    out.push_str(
        "Each page is linked as its raw Markdown (`index.md` beside the HTML), byte for byte its source; `cairn-manifest.json` lists every page with its BLAKE3 hashes, authors and license.\n",
    );
    for part in sections {
        out.push_str(part);
    }
    out
}

/// The part of `llms.txt` for one section: its title and its pages.
fn llms_section(shared: &Shared<'_>, section: &Section) -> String {
    let site = shared.site;
    let mut out = String::new();
    {
        let pages: Vec<usize> = section
            .index_page
            .into_iter()
            .chain(section.pages.iter().copied())
            .collect();
        if pages.is_empty() {
            return out;
        }
        out.push_str(&format!("\n## {}\n\n", one_line(&section.title)));
        for p in pages {
            let page = &site.pages[p];
            let link = format!(
                "{}{}index.md",
                shared.base_path.trim_end_matches('/'),
                page.url
            );
            let authors: Vec<&str> = shared.people.page_authors[p]
                .iter()
                .map(|&c| shared.people.contributors[c].name.as_str())
                .collect();
            let mut notes = Vec::new();
            if !authors.is_empty() {
                notes.push(format!("by {}", authors.join(", ")));
            }
            if let Some(license) = site.license_of(page) {
                notes.push(format!("license {license}"));
            }
            if let Some(d) = &page.front.description {
                notes.push(one_line(d));
            }
            let title = one_line(&page.title).replace(['[', ']'], "");
            out.push_str(&format!(
                "- [{title}]({}){}\n",
                link.replace(' ', "%20"),
                if notes.is_empty() {
                    String::new()
                } else {
                    format!(": {}", notes.join("; "))
                }
            ));
        }
    }
    out
}

/// Text on one line, for Markdown list items and headings.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Redirect pages: every `aliases` entry that starts with `/` (an old URL)
/// and every `id` (`/id/<id>/`) leads to its page.
fn redirects(shared: &Shared<'_>) -> (Vec<Output>, Vec<Diagnostic>) {
    let mut outputs = Vec::new();
    let mut diagnostics = Vec::new();
    for page in &shared.site.pages {
        let olds = page
            .front
            .aliases
            .iter()
            .filter(|a| a.starts_with('/'))
            .map(|a| (a.clone(), "aliases"));
        let id = page
            .front
            .id
            .iter()
            .map(|id| (format!("/id/{}/", crate::slug::slugify(id)), "id"));
        for (from, key) in olds.chain(id) {
            let path = redirect_path(&from);
            if !crate::emit::is_safe_output_path(&path) {
                diagnostics.push(
                    Diagnostic::error(
                        Kind::UnsafePath,
                        &page.source,
                        format!("the old URL `{from}` would be written outside the output folder"),
                    )
                    .at_offset(&page.text, crate::resolve::find_key(&page.text, key))
                    .with_target(from.clone()),
                );
                continue;
            }
            let current = format!("/{path}");
            let href = shared.href(&current, &page.url);
            outputs.push(Output::new(
                path,
                redirect_html(&href, &page.title).into_bytes(),
                page.source.clone(),
            ));
        }
    }
    (outputs, diagnostics)
}

/// Where a page's raw Markdown is published: `index.md` beside its HTML.
fn source_path(page: &Page) -> String {
    format!("{}index.md", page.url.trim_start_matches('/'))
}

/// `old/index.html` for `/old/` or `/old`; `old.html` for `/old.html`.
fn redirect_path(url: &str) -> String {
    let trimmed = url.trim().trim_start_matches('/');
    let last = trimmed.rsplit('/').next().unwrap_or("");
    if last.contains('.') {
        trimmed.to_owned()
    } else if trimmed.is_empty() || trimmed.ends_with('/') {
        format!("{trimmed}index.html")
    } else {
        format!("{trimmed}/index.html")
    }
}

/// A page that sends browsers (meta refresh) and search engines (canonical
/// link) on to `href`.
fn redirect_html(href: &str, title: &str) -> String {
    let mut h = String::new();
    markdown::escape_into(&mut h, href);
    let mut t = String::new();
    markdown::escape_into(&mut t, title);
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{t}</title>\n<link rel=\"canonical\" href=\"{h}\">\n<meta http-equiv=\"refresh\" content=\"0; url={h}\">\n<meta name=\"robots\" content=\"noindex\">\n</head>\n<body>\n<p>This page has moved to <a href=\"{h}\">{t}</a>.</p>\n</body>\n</html>\n"
    )
}

/// Two outputs at one path: an error naming both sources. The later one is
/// dropped so the output set stays a map.
fn collisions(files: &[Output]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for pair in files.windows(2) {
        if pair[0].path == pair[1].path {
            out.push(
                Diagnostic::error(
                    Kind::DuplicateUrl,
                    &*pair[1].origin,
                    format!(
                        "`{}` and `{}` would both be written to `{}`",
                        pair[0].origin, pair[1].origin, pair[1].path
                    ),
                )
                .with_target(pair[1].path.to_string()),
            );
        }
    }
    out
}

/// A broken template fails every page that uses it; say so once.
fn dedup(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut seen = HashSet::new();
    diagnostics
        .into_iter()
        .filter(|d| {
            d.kind != Kind::Template || seen.insert((d.file.clone(), d.line, d.message.clone()))
        })
        .collect()
}

/// The template environment: the theme's templates, then the site's, which
/// replace the theme's of the same name.
fn environment(
    config: &Config,
    templates: &[TextFile],
    stylesheet: &Fingerprinted,
) -> (Environment<'static>, Vec<Diagnostic>) {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    // Escape what HTML needs escaped, and no more: MiniJinja's own escaper
    // also turns `/` into `&#x2f;`, which makes every path in a page's text
    // and source unreadable, for no safety in text or quoted attributes.
    env.set_formatter(|out, state, value| {
        let write_failed =
            |_| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "cannot write output");
        if *state.auto_escape() == minijinja::AutoEscape::Html
            && let Some(text) = value.as_str()
        {
            // (A safe string, such as what `url()` gives and a page's body,
            // goes out as it is, without a second look.)
            return if value.is_safe() {
                std::fmt::Write::write_str(out, text).map_err(write_failed)
            } else {
                markdown::escape_runs(text, |run| std::fmt::Write::write_str(out, run))
                    .map_err(write_failed)
            };
        }
        minijinja::escape_formatter(out, state, value)
    });
    // Files end with a newline, as the templates do.
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    let mut diagnostics = Vec::new();
    for (name, source) in THEME_TEMPLATES {
        if let Err(e) = env.add_template(name, source) {
            diagnostics.push(template_error(&e, &[]));
        }
    }
    for file in templates {
        if let Err(e) = env.add_template_owned(file.rel.clone(), file.text.to_string()) {
            diagnostics.push(template_error(&e, templates));
        }
    }
    let base_path = config.base_path();
    let base_escaped = escape_attribute(base_path.clone());
    let relative = config.relative_urls;
    let env_id = environment_id();
    env.add_function("url", move |state: &State, path: &str| -> Value {
        // Only a relative link depends on the page it is on (and a page
        // that asks for absolute links, like 404.html, gets them).
        if relative && !state.lookup("absolute_urls").is_some_and(|v| v.is_true()) {
            let current = state.lookup("current_url");
            let current = current.as_ref().and_then(Value::as_str).unwrap_or("/");
            return Value::from_safe_string(escape_attribute(href(
                current, path, &base_path, true,
            )));
        }
        Value::from_safe_string(absolute_url(path, &base_path, &base_escaped))
    });
    env.add_function(
        "include_cached",
        move |state: &State, name: &str, key: Rest<Value>| {
            include_cached(state, env_id, name, &key)
        },
    );
    env.add_global("generator", concat!("cairn ", env!("CARGO_PKG_VERSION")));
    env.add_global("stylesheet", format!("/{}", stylesheet.path));
    // Browsers refuse integrity-checked files opened from `file://`, which is
    // what relative URLs are for, so that mode leaves the attribute out; the
    // name still carries the hash and B3SUMS still covers the file.
    if !config.relative_urls {
        env.add_global(
            "stylesheet_integrity",
            Value::from_safe_string(stylesheet.integrity.clone()),
        );
    }
    (env, diagnostics)
}

/// A number for a new environment: which one a thread's remembered links
/// and cached partials belong to.
fn environment_id() -> usize {
    static ENVIRONMENTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
    ENVIRONMENTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Partials cached a thread and a build at a time are nested no deeper
/// than this (a partial that includes itself through `include_cached`
/// would never end).
const MAX_CACHED_DEPTH: usize = 8;

/// `include_cached(name, key…)`: the template `name` rendered with the
/// caller's variables, once a build (and thread) for each distinct key,
/// and the same HTML given back for that key after. For a partial whose
/// output depends on its key alone, such as the site navigation (the same
/// on every page of a section): rendered on every page, it was a twentieth
/// of a build. A partial that reads more than its key shows what the first
/// page to render it with that key saw, as with Hugo's `partialCached`.
fn include_cached(
    state: &State,
    env_id: usize,
    name: &str,
    key: &[Value],
) -> Result<Value, minijinja::Error> {
    thread_local! {
        static CACHED: std::cell::RefCell<EnvMemo> = std::cell::RefCell::default();
        static DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }
    let mut id = String::with_capacity(64);
    id.push_str(name);
    for part in key {
        use std::fmt::Write;
        // Debug keeps `none` and `"none"` apart.
        let _ = write!(id, "\0{part:?}");
    }
    let known = CACHED.with_borrow_mut(|memo| memo.of(env_id, 1 << 12).get(&id).cloned());
    if let Some(html) = known {
        return Ok(html);
    }
    let depth = DEPTH.get();
    if depth >= MAX_CACHED_DEPTH {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("include_cached of {name:?} nests more than {MAX_CACHED_DEPTH} deep"),
        ));
    }
    let template = state.env().get_template(name)?;
    // The partial sees every variable the caller sees, as `{% include %}`
    // would: what it names, what a template it includes names, and what
    // `url()` reads (`current_url`) to make a relative link.
    let context: BTreeMap<String, Value> = state
        .known_variables()
        .into_iter()
        .filter_map(|name| {
            let value = state.lookup(&name)?;
            Some((name.into_owned(), value))
        })
        .collect();
    DEPTH.set(depth + 1);
    let rendered = template.render(context);
    DEPTH.set(depth);
    let html = Value::from_safe_string(rendered?);
    CACHED.with_borrow_mut(|memo| memo.of(env_id, 1 << 12).insert(id, html.clone()));
    Ok(html)
}

/// A thread's memo of template values for one environment (one render):
/// the HTML of the partials included with `include_cached`.
#[derive(Default)]
struct EnvMemo {
    /// The environment the values were made in.
    owner: usize,
    known: foldhash::HashMap<String, Value>,
}

impl EnvMemo {
    /// The values made in environment `env_id`: none yet if another
    /// environment made the ones held (they belong to another build), or
    /// if more than `cap` are held (memory stays bounded when every page
    /// asks for something of its own).
    fn of(&mut self, env_id: usize, cap: usize) -> &mut foldhash::HashMap<String, Value> {
        if self.owner != env_id || self.known.len() > cap {
            self.owner = env_id;
            self.known.clear();
        }
        &mut self.known
    }
}

/// A template error, located in the site's template if it came from one.
fn template_error(err: &minijinja::Error, templates: &[TextFile]) -> Diagnostic {
    let name = err.name().unwrap_or("template");
    let user = templates.iter().find(|t| t.rel == name);
    let file = match user {
        Some(t) => t.display.clone(),
        None => format!("{THEME_DIR}/{name}"),
    };
    let mut message = err
        .detail()
        .map_or_else(|| err.kind().to_string(), str::to_owned);
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    let d = Diagnostic::error(Kind::Template, file, format!("template error: {message}"));
    match (err.line(), user) {
        (Some(line), Some(t)) => {
            let column = err
                .range()
                .map(|r| crate::diagnostic::line_col(&t.text, r.start).1)
                .unwrap_or(1);
            d.at(&t.text, line, column)
        }
        (Some(line), None) => {
            let text = THEME_TEMPLATES
                .iter()
                .find(|(n, _)| *n == name)
                .map_or("", |(_, s)| s);
            d.at(text, line, 1)
        }
        _ => d,
    }
}

fn render_template(
    env: &Environment<'_>,
    name: &str,
    context: Context<'_>,
) -> Result<Vec<u8>, minijinja::Error> {
    // Sized for the page's body and the theme around it, so that the
    // output is not copied each time it outgrows its buffer.
    let body = context
        .page
        .as_ref()
        .and_then(|page| page.content.as_str())
        .map_or(0, str::len);
    let mut out = Vec::with_capacity(body + (16 << 10));
    env.get_template(name)?
        .render_captured_to(context.into_value(), &mut out)?;
    Ok(out)
}

/// Declares a template object with one value a field, looked up by a
/// `match` on the field's name. The two contexts every page is rendered
/// with are made this way rather than serialised: a serialised struct
/// becomes a list of every field that each look-up (some eighty a page,
/// and every name not in the context, like `url`, on its way to the
/// globals) walks to the end, and serialising copied every field whether
/// a template reads it or not. Enumerated in the order declared, so
/// `tojson` and `items` see the same map as before.
macro_rules! fields_object {
    ($(#[$meta:meta])* $name:ident { $($field:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug)]
        struct $name {
            $($field: Value,)*
        }

        impl minijinja::value::Object for $name {
            fn repr(self: &std::sync::Arc<Self>) -> minijinja::value::ObjectRepr {
                minijinja::value::ObjectRepr::Map
            }

            fn get_value(self: &std::sync::Arc<Self>, key: &Value) -> Option<Value> {
                self.get_value_by_str(key.as_str()?)
            }

            fn get_value_by_str(self: &std::sync::Arc<Self>, key: &str) -> Option<Value> {
                match key {
                    $(stringify!($field) => Some(self.$field.clone()),)*
                    _ => None,
                }
            }

            fn enumerate(self: &std::sync::Arc<Self>) -> minijinja::value::Enumerator {
                minijinja::value::Enumerator::Str(&[$(stringify!($field)),*])
            }

            fn enumerator_len(self: &std::sync::Arc<Self>) -> Option<usize> {
                Some([$(stringify!($field)),*].len())
            }
        }
    };
}

fields_object!(
    /// [`Context`] as the template sees it (see [`Root`]).
    ContextFields {
        site,
        nav,
        page,
        section,
        contributor,
        contributors,
        current_url,
        nav_current,
        absolute_urls,
    }
);

/// The root of a template's context: [`ContextFields`], and then the
/// environment's globals (`url` above all, called some thirty times a
/// page). A name the context does not hold would be looked for in the
/// environment's globals next anyway; answering it here spares the walk
/// to them, a search of a tree of names each time. The same values,
/// found sooner.
#[derive(Debug)]
struct Root {
    fields: std::sync::Arc<ContextFields>,
    globals: std::sync::Arc<[(String, Value)]>,
}

impl minijinja::value::Object for Root {
    fn repr(self: &std::sync::Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Map
    }

    fn get_value(self: &std::sync::Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &std::sync::Arc<Self>, key: &str) -> Option<Value> {
        self.fields.get_value_by_str(key).or_else(|| {
            self.globals
                .iter()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value.clone())
        })
    }

    fn enumerate(self: &std::sync::Arc<Self>) -> minijinja::value::Enumerator {
        self.fields.enumerate()
    }

    fn enumerator_len(self: &std::sync::Arc<Self>) -> Option<usize> {
        self.fields.enumerator_len()
    }
}

fields_object!(
    /// [`PageContext`] as the template sees it.
    PageFields {
        title,
        url,
        content,
        description,
        authors,
        contributors,
        date,
        updated,
        tags,
        categories,
        topics,
        license,
        source,
        source_url,
        derived_from,
        source_path,
        source_hash,
        draft,
        extra,
        breadcrumbs,
        headings,
        backlinks,
        json_ld,
        cite_bibtex,
        cite_text,
    }
);

/// `value` as a template value, through serde.
fn serde_value<T: Serialize + ?Sized>(value: &T) -> Value {
    Value::from(minijinja::value::Serde(value))
}

/// `value` as a template value, `none` for nothing.
fn serialized<T: Serialize>(value: Option<T>) -> Value {
    value.map_or(Value::from(()), |v| serde_value(&v))
}

impl Context<'_> {
    fn into_value(self) -> Value {
        let globals = self.globals;
        let fields = std::sync::Arc::new(ContextFields {
            site: self.site,
            nav: self.nav,
            page: self.page.map_or(Value::from(()), PageContext::into_value),
            section: serialized(self.section),
            contributor: serialized(self.contributor),
            contributors: serialized(self.contributors),
            current_url: Value::from(self.current_url),
            nav_current: self.nav_current,
            absolute_urls: Value::from(self.absolute_urls),
        });
        Value::from_object(Root { fields, globals })
    }
}

impl PageContext<'_> {
    fn into_value(self) -> Value {
        Value::from_object(PageFields {
            title: Value::from(self.title),
            url: Value::from(self.url),
            content: self.content,
            description: Value::from(self.description),
            authors: serde_value(&self.authors),
            contributors: serde_value(&self.contributors),
            date: Value::from(self.date),
            updated: Value::from(self.updated),
            tags: serde_value(self.tags),
            categories: serde_value(self.categories),
            topics: serde_value(self.topics),
            license: Value::from(self.license),
            source: Value::from(self.source),
            source_url: Value::from(self.source_url),
            derived_from: serde_value(&self.derived_from),
            source_path: Value::from(self.source_path),
            source_hash: Value::from(self.source_hash),
            draft: Value::from(self.draft),
            extra: serde_value(self.extra),
            breadcrumbs: serde_value(&self.breadcrumbs),
            headings: serde_value(self.headings),
            backlinks: serde_value(&self.backlinks),
            json_ld: self.json_ld,
            cite_bibtex: Value::from(self.cite_bibtex),
            cite_text: Value::from(self.cite_text),
        })
    }
}

/// What a template is rendered with.
struct Context<'a> {
    /// `Globals::site` and `nav`, made template values once a render:
    /// each page's context carries them by reference, not copied anew.
    site: Value,
    nav: Value,
    page: Option<PageContext<'a>>,
    section: Option<SectionContext<'a>>,
    /// On a contributor's page.
    contributor: Option<ContributorContext<'a>>,
    /// On the list of contributors.
    contributors: Option<Vec<ContributorSummary<'a>>>,
    /// The URL of the page being rendered, for `url()`.
    current_url: &'a str,
    /// The `url` of the navigation's entry whose URL `current_url` starts
    /// with (the top-level section the page is in), or none.
    nav_current: Value,
    /// Links from this page must not be relative (the 404 page is served
    /// at any address).
    absolute_urls: bool,
    /// The environment's globals, answered from the context (see [`Root`]).
    globals: std::sync::Arc<[(String, Value)]>,
}

impl<'a> Context<'a> {
    /// The context of a page at `current_url` showing nothing of its own
    /// yet: the caller fills in what it shows.
    fn at(shared: &Shared<'_>, current_url: &'a str) -> Self {
        Self {
            site: shared.site_value.clone(),
            nav: shared.nav_value.clone(),
            page: None,
            section: None,
            contributor: None,
            contributors: None,
            current_url,
            nav_current: shared.nav_current(current_url),
            absolute_urls: false,
            globals: std::sync::Arc::clone(&shared.globals),
        }
    }
}

/// What every page's rendering reads: the site, its templates and the link
/// index.
struct Shared<'a> {
    site: &'a Site,
    env: &'a Environment<'static>,
    graph: &'a LinkGraph,
    people: &'a People,
    /// Site URL → page, for titles of pages named by URL.
    page_by_url: foldhash::HashMap<&'a str, usize>,
    base_path: String,
    /// The site's own templates, to locate template errors in.
    templates: &'a [TextFile],
    /// Where a one-off build writes each page as soon as it is made.
    sink: Option<&'a crate::emit::Staging>,
    /// `globals.site` and `globals.nav` as template values.
    site_value: Value,
    nav_value: Value,
    /// Each navigation entry's URL, and the same as a template value.
    nav_urls: Vec<(&'a str, Value)>,
    /// The environment's globals, for every page's [`Root`].
    globals: std::sync::Arc<[(String, Value)]>,
}

impl<'a> Shared<'a> {
    /// A streamed (one-off) build: each output is made once and written at
    /// once, and nothing is kept for a next build (no keys, no prepared
    /// bodies once used).
    fn streamed(&self) -> bool {
        self.sink.is_some()
    }

    fn new(
        site: &'a Site,
        env: &'a Environment<'static>,
        globals: &'a Globals<'a>,
        graph: &'a LinkGraph,
        people: &'a People,
        templates: &'a [TextFile],
    ) -> Self {
        Self {
            site,
            env,
            graph,
            people,
            page_by_url: site
                .pages
                .iter()
                .enumerate()
                .map(|(i, p)| (p.url.as_str(), i))
                .collect(),
            base_path: site.config.base_path(),
            templates,
            sink: None,
            site_value: Value::from(minijinja::value::Serde(&globals.site)),
            nav_value: Value::from(minijinja::value::Serde(&globals.nav)),
            nav_urls: globals
                .nav
                .iter()
                .map(|link| (link.url.as_str(), Value::from(link.url.as_str())))
                .collect(),
            globals: env
                .globals()
                .map(|(name, value)| (name.to_owned(), value))
                .collect(),
        }
    }

    /// A file made now: with a sink, written to it at once (its bytes
    /// hashed and let go), else kept. (What is not written here, the sink's
    /// `finish` writes.)
    fn output(&self, path: String, bytes: Vec<u8>, origin: &str) -> Result<Output, Diagnostic> {
        let Some(sink) = self.sink else {
            return Ok(Output::new(path, bytes, origin));
        };
        sink.put(&path, &bytes, origin)?;
        Ok(Output {
            written: Some(blake3::hash(&bytes)),
            ..Output::new(path, Vec::new(), origin)
        })
    }

    /// `nav_current` for a page at `url`: the first navigation entry whose
    /// URL it starts with (entries are top-level sections, `/name/`, so at
    /// most one does), else none.
    fn nav_current(&self, url: &str) -> Value {
        self.nav_urls
            .iter()
            .find(|(nav, _)| url.starts_with(nav))
            .map_or(Value::from(()), |(_, value)| value.clone())
    }

    /// The title of the page published at site URL `url`, if one is.
    fn links_title(&self, url: &str) -> Option<&'a str> {
        if !url.starts_with('/') {
            return None;
        }
        self.page_by_url
            .get(url)
            .map(|&i| self.site.pages[i].title.as_str())
    }

    /// The `href` for a site URL, from the page at `from`.
    fn href(&self, from: &str, to: &str) -> String {
        href(from, to, &self.base_path, self.site.config.relative_urls)
    }
}

/// Values every template sees.
#[derive(Serialize)]
struct Globals<'a> {
    site: SiteContext<'a>,
    /// The top-level sections, for the site navigation.
    nav: Vec<Link>,
}

#[derive(Serialize)]
struct SiteContext<'a> {
    title: &'a str,
    description: &'a str,
    language: &'a str,
    base_url: &'a str,
    license: Option<&'a str>,
}

#[derive(Serialize, Clone)]
struct Link {
    title: String,
    url: String,
}

#[derive(Serialize)]
struct PersonContext<'a> {
    id: &'a str,
    name: &'a str,
    /// The person's page in the archive.
    url: String,
    /// Their own website, from `contributors.yaml`.
    homepage: Option<&'a str>,
    /// Roles on this page (reviewer, editor, …).
    roles: &'a [String],
}

struct PageContext<'a> {
    title: &'a str,
    url: &'a str,
    content: Value,
    description: Option<&'a str>,
    authors: Vec<PersonContext<'a>>,
    contributors: Vec<PersonContext<'a>>,
    date: Option<String>,
    updated: Option<String>,
    tags: &'a [String],
    categories: &'a [String],
    topics: &'a [String],
    license: Option<&'a str>,
    source: Option<&'a str>,
    /// `source` when it is an `http(s)` URL that may be linked.
    source_url: Option<&'a str>,
    /// What the page builds on: pages (by URL) and web addresses become
    /// links, citations stay text.
    derived_from: Vec<Derived<'a>>,
    source_path: &'a str,
    source_hash: String,
    draft: bool,
    extra: &'a serde_json::Map<String, serde_json::Value>,
    breadcrumbs: Vec<Link>,
    headings: &'a [Heading],
    /// Links into this page from others, with the sentence around each.
    backlinks: Vec<BacklinkContext<'a>>,
    /// Schema.org JSON-LD for the head, safe inside `<script>`.
    json_ld: Value,
    /// "Cite this page": BibTeX and plain text.
    cite_bibtex: String,
    cite_text: String,
}

#[derive(Serialize)]
struct Derived<'a> {
    text: &'a str,
    url: Option<&'a str>,
}

#[derive(Serialize)]
struct BacklinkContext<'a> {
    title: &'a str,
    url: &'a str,
    context: &'a str,
}

#[derive(Serialize)]
struct PageSummary<'a> {
    title: &'a str,
    url: &'a str,
    description: Option<&'a str>,
    date: Option<String>,
    authors: Vec<&'a str>,
}

#[derive(Serialize)]
struct SectionContext<'a> {
    title: &'a str,
    url: &'a str,
    pages: Vec<PageSummary<'a>>,
    subsections: Vec<SectionSummary<'a>>,
    breadcrumbs: Vec<Link>,
}

#[derive(Serialize)]
struct SectionSummary<'a> {
    title: &'a str,
    url: &'a str,
    description: Option<&'a str>,
    pages: usize,
}

fn person<'a>(people: &'a People, c: usize, roles: &'a [String]) -> PersonContext<'a> {
    let contributor = &people.contributors[c];
    PersonContext {
        id: &contributor.id,
        name: &contributor.name,
        url: People::url(&contributor.id),
        homepage: contributor
            .profile
            .and_then(|p| people.directory.profiles[p].url.as_deref())
            .filter(|u| is_web_url(u)),
        roles,
    }
}

/// Breadcrumbs of a page: the sections above it, root first.
fn breadcrumbs(site: &Site, page: &Page) -> Vec<Link> {
    let mut chain = site.ancestry(page.section);
    if page.is_index {
        chain.pop();
    }
    chain
        .into_iter()
        .map(|s| Link {
            title: site.sections[s].title.clone(),
            url: site.sections[s].url.clone(),
        })
        .collect()
}

fn page_context<'a>(shared: &Shared<'a>, p: usize) -> PageContext<'a> {
    let site = shared.site;
    let page = &site.pages[p];
    let targets = &shared.graph.targets[p];
    let rewrite = |n: usize, link: &LinkRef| rewrite_link(shared, page, targets.get(n), link);
    // The body as prepared when it was scanned, its links filled in; or
    // rendered anew. A streamed build renders each page once: it takes the
    // prepared body out, and frees it here. (A poisoned lock only means
    // another thread panicked while holding it: the slot is still whole.)
    let mut slot = page.prepared.lock().unwrap_or_else(|e| e.into_inner());
    let taken = if shared.streamed() { slot.take() } else { None };
    let filled = taken.as_deref().or(slot.as_deref()).and_then(|prepared| {
        markdown::fill(prepared, &page.links, &site.config.markdown, &rewrite)
    });
    drop(slot);
    drop(taken);
    let html = filled.unwrap_or_else(|| {
        markdown::render(
            page.body(),
            &site.config.markdown,
            page.title_from_body,
            &rewrite,
        )
        .html
    });
    let backlinks = shared.graph.incoming[p]
        .iter()
        .map(|b| {
            let from = &site.pages[b.from];
            BacklinkContext {
                title: &from.title,
                url: &from.url,
                context: from.links.get(b.link).map_or("", |l| l.context.as_str()),
            }
        })
        .collect();
    let absolute = |path: &str| {
        let base = site.config.base_url.trim_end_matches('/');
        if base.contains("://") {
            format!("{base}{path}")
        } else {
            format!("{}{}", shared.base_path.trim_end_matches('/'), path)
        }
    };
    let people_of = |list: &[(usize, Vec<String>)]| -> Vec<(&str, String)> {
        list.iter()
            .map(|(c, _)| {
                let c = &shared.people.contributors[*c];
                (c.name.as_str(), absolute(&People::url(&c.id)))
            })
            .collect()
    };
    let author_list: Vec<(usize, Vec<String>)> = shared.people.page_authors[p]
        .iter()
        .map(|&c| (c, Vec::new()))
        .collect();
    let facts = crate::cite::Facts {
        title: &page.title,
        url: absolute(&page.url),
        site: &site.config.title,
        authors: people_of(&author_list),
        contributors: people_of(&shared.people.page_contributors[p]),
        created: page.date.map(|d| d.to_string()),
        modified: page.updated.map(|d| d.to_string()),
        license: site.license_of(page),
        based_on: &shared.graph.derived_from[p],
        source_blake3: page.hash.to_hex().to_string(),
    };
    let (cite_bibtex, cite_text) = crate::cite::citation(&facts);
    PageContext {
        title: &page.title,
        url: &page.url,
        content: Value::from_safe_string(html),
        description: page.front.description.as_deref(),
        authors: shared.people.page_authors[p]
            .iter()
            .map(|&c| person(shared.people, c, &[]))
            .collect(),
        contributors: shared.people.page_contributors[p]
            .iter()
            .map(|(c, roles)| person(shared.people, *c, roles))
            .collect(),
        date: page.date.map(|d| d.to_string()),
        updated: page.updated.map(|d| d.to_string()),
        tags: &page.front.tags,
        categories: &page.front.categories,
        topics: &page.front.topics,
        license: site.license_of(page),
        source: page.front.source.as_deref(),
        source_url: page.front.source.as_deref().filter(|s| is_web_url(s)),
        derived_from: page
            .front
            .derived_from
            .iter()
            .zip(&shared.graph.derived_from[p])
            .map(|(written, resolved)| Derived {
                text: match shared.links_title(resolved) {
                    Some(title) => title,
                    None => written.as_str(),
                },
                url: (resolved.starts_with('/') || is_web_url(resolved))
                    .then_some(resolved.as_str()),
            })
            .collect(),
        source_path: &page.source,
        source_hash: page.hash.to_hex().to_string(),
        draft: page.front.draft,
        extra: &page.front.extra,
        breadcrumbs: breadcrumbs(site, page),
        headings: &page.headings,
        backlinks,
        json_ld: Value::from_safe_string(crate::cite::json_ld(&facts)),
        cite_bibtex,
        cite_text,
    }
}

/// What to print for one link of `page`, given where it leads.
fn rewrite_link(
    shared: &Shared<'_>,
    page: &Page,
    target: Option<&Target>,
    link: &LinkRef,
) -> Rewrite {
    let site = shared.site;
    let Some(target) = target else {
        return Rewrite::Keep;
    };
    let is_wiki = matches!(link.kind, LinkKind::Wiki { .. } | LinkKind::Embed);
    let Some(url) = target_url(site, target) else {
        return if is_wiki && *target == Target::Missing {
            Rewrite::Unresolved
        } else {
            Rewrite::Keep
        };
    };
    let href = if url.starts_with('#') {
        url
    } else {
        shared.href(&page.url, &url)
    };
    match (link.kind, target) {
        (LinkKind::Embed, Target::Page { page: to, .. }) => {
            let to = &site.pages[*to];
            let mut html = String::from("<span class=\"embed\"><a class=\"embed-title\" href=\"");
            markdown::escape_into(&mut html, &href);
            html.push_str("\">");
            markdown::escape_into(&mut html, &to.title);
            html.push_str("</a>");
            if let Some(description) = &to.front.description {
                html.push_str("<span class=\"embed-description\">");
                markdown::escape_into(&mut html, description);
                html.push_str("</span>");
            }
            html.push_str("</span>");
            Rewrite::Html(html)
        }
        (LinkKind::Wiki { labelled: false }, Target::Page { page: to, anchor }) => {
            let to_page = &site.pages[*to];
            let heading = anchor
                .as_ref()
                .and_then(|a| to_page.headings.iter().find(|h| &h.id == a))
                .map(|h| h.text.as_str());
            let text = match heading {
                Some(h) => format!("{} › {h}", to_page.title),
                None => to_page.title.clone(),
            };
            Rewrite::Labelled { href, text }
        }
        (LinkKind::Wiki { labelled: false }, Target::OwnAnchor(a)) => {
            let text = page
                .headings
                .iter()
                .find(|h| &h.id == a)
                .map_or_else(|| a.clone(), |h| h.text.clone());
            Rewrite::Labelled { href, text }
        }
        _ => Rewrite::Href(href),
    }
}

fn render_page(shared: &Shared<'_>, p: usize, page: &Page) -> Result<Output, Diagnostic> {
    let env = shared.env;
    let template = page.front.template.as_deref().unwrap_or("page.html");
    if env.get_template(template).is_err() {
        return Err(missing_template(page, template));
    }
    let context = Context {
        page: Some(page_context(shared, p)),
        ..Context::at(shared, &page.url)
    };
    // The context (the page's body among it) is gone once rendered,
    // before the output is written.
    let html = render_template(env, template, context)
        .map_err(|e| template_error(&e, shared.templates))?;
    shared.output(output_path(&page.url), html, &page.source)
}

fn missing_template(page: &Page, name: &str) -> Diagnostic {
    Diagnostic::error(
        Kind::Template,
        &page.source,
        format!("template `{name}` not found in `templates/` or the theme"),
    )
    .at_offset(&page.text, crate::resolve::find_key(&page.text, "template"))
    .with_target(name.to_owned())
}

/// The key of section `s`'s page: its own page's key, and everything its
/// listing shows.
fn section_key(shared: &Shared<'_>, global: &blake3::Hash, s: usize) -> blake3::Hash {
    let site = shared.site;
    let section = &site.sections[s];
    let mut key = KeyHasher::new(global);
    key.text(&section.title)
        .text(&section.url)
        .text(&section.dir);
    if let Some(p) = section.index_page {
        key.text(&page_key(shared, global, p).to_hex());
    }
    for &i in &section.pages {
        let p = &site.pages[i];
        key.text(&p.title)
            .text(&p.url)
            .text(p.front.description.as_deref().unwrap_or_default())
            .date(p.date)
            .number(p.front.authors.len());
        for author in &p.front.authors {
            key.text(&author.name);
        }
    }
    key.number(usize::MAX);
    for &sub in &section.subsections {
        let sub = &site.sections[sub];
        key.text(&sub.title)
            .text(&sub.url)
            .number(sub.pages.len())
            .text(
                sub.index_page
                    .and_then(|i| site.pages[i].front.description.as_deref())
                    .unwrap_or_default(),
            );
    }
    for s in site.ancestry(s) {
        key.text(&site.sections[s].title)
            .text(&site.sections[s].url);
    }
    key.finish()
}

fn render_section(
    shared: &Shared<'_>,
    index: usize,
    section: &Section,
) -> Result<Output, Diagnostic> {
    let (env, site) = (shared.env, shared.site);
    let own = section.index_page.map(|i| &site.pages[i]);
    let default = if index == 0 {
        "index.html"
    } else {
        "section.html"
    };
    let template = own
        .and_then(|p| p.front.template.as_deref())
        .unwrap_or(default);
    if let Some(page) = own
        && env.get_template(template).is_err()
    {
        return Err(missing_template(page, template));
    }
    let context = SectionContext {
        title: &section.title,
        url: &section.url,
        pages: section
            .pages
            .iter()
            .map(|&i| {
                let p = &site.pages[i];
                PageSummary {
                    title: &p.title,
                    url: &p.url,
                    description: p.front.description.as_deref(),
                    date: p.date.map(|d| d.to_string()),
                    authors: p.front.authors.iter().map(|a| a.name.as_str()).collect(),
                }
            })
            .collect(),
        subsections: section
            .subsections
            .iter()
            .map(|&s| {
                let sub = &site.sections[s];
                SectionSummary {
                    title: &sub.title,
                    url: &sub.url,
                    description: sub
                        .index_page
                        .and_then(|i| site.pages[i].front.description.as_deref()),
                    pages: sub.pages.len(),
                }
            })
            .collect(),
        breadcrumbs: site
            .ancestry(index)
            .into_iter()
            .filter(|&s| s != index)
            .map(|s| Link {
                title: site.sections[s].title.clone(),
                url: site.sections[s].url.clone(),
            })
            .collect(),
    };
    let origin = own.map_or_else(|| format!("{THEME_DIR}/{template}"), |p| p.source.clone());
    let context = Context {
        page: section.index_page.map(|p| page_context(shared, p)),
        section: Some(context),
        ..Context::at(shared, &section.url)
    };
    // The context (the page's body among it) is gone once rendered,
    // before the output is written.
    let html = render_template(env, template, context)
        .map_err(|e| template_error(&e, shared.templates))?;
    shared.output(output_path(&section.url), html, &origin)
}

/// An `http://` or `https://` URL, safe to put in an `href`.
fn is_web_url(text: &str) -> bool {
    let lower = text.trim_start().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && !text.contains(char::is_whitespace)
}

/// `guides/first-steps/index.html` for `/guides/first-steps/`.
pub fn output_path(url: &str) -> String {
    format!("{}index.html", url.trim_start_matches('/'))
}

/// Characters percent-encoded in an `href` path.
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'?')
    .add(b'{')
    .add(b'}')
    .add(b'%')
    .add(b'\\')
    .add(b'^')
    .add(b'|')
    .add(b'[')
    .add(b']');

/// The absolute `href` of `path` under `base_path` (escaped for an
/// attribute: `base_escaped`). A site path of plain characters (what slugs
/// are made of) is the base path and the path, put together without the
/// general case's percent-encoding and escaping: `url()` asks for this
/// some thirty times a page. (A memo of every link asked for was slower:
/// with a page's worth of distinct links each, its table outgrew the
/// caches. Going through `href()` for every path instead of this shortcut
/// took 0.9% more instructions on the 1,000-page corpus.)
fn absolute_url(path: &str, base_path: &str, base_escaped: &str) -> String {
    if !path.starts_with('#') && path.bytes().all(is_plain_path_byte) {
        let rest = path.trim_start_matches('/');
        let mut out = String::with_capacity(base_escaped.len() + rest.len());
        out.push_str(base_escaped);
        out.push_str(rest);
        return out;
    }
    escape_attribute(href("/", path, base_path, false))
}

/// Whether `byte` stands in a site path's `href` as it is: neither
/// percent-encoded ([`PATH`]) nor escaped ([`escape_attribute`]), nor
/// part of a scheme (`:`) or a query (`?`).
fn is_plain_path_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'/' | b'-' | b'_' | b'.' | b'~' | b'#')
}

/// Escapes what an attribute value must not hold raw; `/` stays readable.
fn escape_attribute(text: String) -> String {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 8);
    markdown::escape_into(&mut out, &text);
    out
}

/// The `href` from the page at `from` to the site path `to` (both
/// site-relative URLs). With `relative`, the link climbs out of `from` with
/// `../` and names `index.html` explicitly, so it works from `file://`;
/// otherwise it is `base_path` + `to`. External URLs are returned as they
/// are.
pub fn href(from: &str, to: &str, base_path: &str, relative: bool) -> String {
    // (A `://` found from its colons: cheaper than a substring search, and
    // this runs for every link of every page.)
    let has_scheme = to
        .match_indices(':')
        .any(|(at, _)| to[at..].starts_with("://"));
    if has_scheme || to.starts_with("mailto:") || to.starts_with('#') {
        return to.to_owned();
    }
    let (path, fragment) = match to.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (to, None),
    };
    let target = path.trim_start_matches('/');
    let mut out = String::with_capacity(base_path.len() + to.len() + 16);
    if relative {
        let depth = from.split('/').filter(|s| !s.is_empty()).count();
        let from_is_file = from
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.'));
        let depth = if from_is_file {
            depth.saturating_sub(1)
        } else {
            depth
        };
        for _ in 0..depth {
            out.push_str("../");
        }
        out.push_str(&std::borrow::Cow::from(utf8_percent_encode(target, PATH)));
        if target.is_empty() || target.ends_with('/') {
            out.push_str("index.html");
        }
    } else {
        out.push_str(base_path);
        out.push_str(&std::borrow::Cow::from(utf8_percent_encode(target, PATH)));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// Renders into a map for tests and for `serve`: path → bytes.
pub fn into_map(rendered: &Rendered) -> BTreeMap<&str, &[u8]> {
    rendered
        .files
        .iter()
        .map(|o| (o.path.as_ref(), &*o.bytes))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{
        Rest, State, Value, absolute_url, environment_id, escape_attribute, href, include_cached,
    };

    #[test]
    fn an_absolute_url_put_together_is_the_one_href_makes() {
        let paths = [
            "",
            "/",
            "/notes/page-1/",
            "notes/x/",
            "/a#b#c",
            "/a/#top",
            "#top",
            "//evil.example/",
            "///x/",
            "/a b/",
            "/ü/",
            "/a?b=c",
            "/a&b/",
            "/a\"b/",
            "/a'b/",
            "/100%/",
            "mailto:x@example.org",
            "https://example.org/a",
            "/a:b/",
            "/style.33b475edf8.css",
            "/x/index.md",
            "/a~b_c.d-e/",
        ];
        for base in ["/", "/docs/", "/a&b/"] {
            let escaped = escape_attribute(base.to_owned());
            for path in paths {
                assert_eq!(
                    absolute_url(path, base, &escaped),
                    escape_attribute(href("/", path, base, false)),
                    "{path} under {base}"
                );
            }
        }
    }

    /// An environment with `include_cached`, `page.html` calling it as
    /// `include_cached(partial, key)`, and `partials`.
    fn cached_env(partials: &[(&'static str, &'static str)]) -> minijinja::Environment<'static> {
        let mut env = minijinja::Environment::new();
        let id = environment_id();
        env.add_function(
            "include_cached",
            move |state: &State, name: &str, key: Rest<Value>| {
                include_cached(state, id, name, &key)
            },
        );
        env.add_function("where", |state: &State| {
            Value::from_safe_string(
                state
                    .lookup("current_url")
                    .map_or_else(String::new, |v| v.to_string()),
            )
        });
        env.add_template("page.html", "{{ include_cached(partial, key) }}")
            .unwrap();
        for (name, source) in partials {
            env.add_template(name, source).unwrap();
        }
        env
    }

    fn render(env: &minijinja::Environment<'_>, context: Value) -> Result<String, String> {
        env.get_template("page.html")
            .unwrap()
            .render(context)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_cached_partial_renders_once_for_each_key() {
        let env = cached_env(&[("who.html", "<b>{{ who }}</b>")]);
        let page = |who: &str, key: Value| {
            render(
                &env,
                minijinja::context! { partial => "who.html", who, key },
            )
        };
        assert_eq!(page("<a>", Value::from(1)).unwrap(), "<b>&lt;a&gt;</b>");
        // The same key: the first page's HTML, as it was (not escaped again).
        assert_eq!(page("b", Value::from(1)).unwrap(), "<b>&lt;a&gt;</b>");
        assert_eq!(page("c", Value::from(2)).unwrap(), "<b>c</b>");
        // `none` and `"none"` are different keys.
        assert_eq!(page("d", Value::from(())).unwrap(), "<b>d</b>");
        assert_eq!(page("e", Value::from("none")).unwrap(), "<b>e</b>");
        // A new environment (a new build) renders anew.
        let fresh = cached_env(&[("who.html", "<i>{{ who }}</i>")]);
        let context = minijinja::context! { partial => "who.html", who => "f", key => 1 };
        assert_eq!(render(&fresh, context).unwrap(), "<i>f</i>");
    }

    #[test]
    fn a_cached_partial_sees_the_page_url_it_does_not_name() {
        // `url()` reads `current_url` to make a relative link.
        let env = cached_env(&[("where.html", "{{ where() }}")]);
        let context = minijinja::context! {
            partial => "where.html", key => "k", current_url => "/a/b/"
        };
        assert_eq!(render(&env, context).unwrap(), "/a/b/");
    }

    #[test]
    fn a_cached_partial_passes_the_callers_variables_to_what_it_includes() {
        let env = cached_env(&[
            ("outer.html", "[{% include 'inner.html' %}]"),
            ("inner.html", "{{ who }}"),
        ]);
        let context = minijinja::context! { partial => "outer.html", key => 1, who => "g" };
        assert_eq!(render(&env, context).unwrap(), "[g]");
    }

    #[test]
    fn a_partial_that_caches_itself_is_an_error_not_an_overflow() {
        let env = cached_env(&[("loop.html", "{{ include_cached('loop.html', key) }}")]);
        let context = minijinja::context! { partial => "loop.html", key => 1 };
        let error = render(&env, context).unwrap_err();
        assert!(error.contains("nests more than 8 deep"), "{error}");
        // Nothing half-made was kept: the same call fails the same way.
        let context = minijinja::context! { partial => "loop.html", key => 1 };
        assert!(render(&env, context).is_err());
    }

    #[test]
    fn absolute_hrefs_use_the_base_path() {
        assert_eq!(href("/a/b/", "/c/", "/", false), "/c/");
        assert_eq!(href("/a/b/", "/c/", "/archive/", false), "/archive/c/");
        assert_eq!(href("/", "/my file.png", "/", false), "/my%20file.png");
        assert_eq!(href("/", "/c/#sec", "/", false), "/c/#sec");
        // Anything with a scheme, wherever its `://` is, is left alone.
        for external in ["https://x.org/a", "x:y://z", "mailto:a@b.c", "#top"] {
            assert_eq!(href("/a/", external, "/archive/", false), external);
            assert_eq!(href("/a/", external, "/", true), external);
        }
        assert_eq!(href("/", "/a:b/", "/", false), "/a:b/");
    }

    #[test]
    fn relative_hrefs_climb_and_name_index() {
        assert_eq!(href("/a/b/", "/c/", "/", true), "../../c/index.html");
        assert_eq!(href("/", "/", "/", true), "index.html");
        assert_eq!(href("/a/", "/style.css", "/", true), "../style.css");
        assert_eq!(href("/404.html", "/", "/", true), "index.html");
        assert_eq!(href("/a/", "https://e.org/x", "/", true), "https://e.org/x");
    }
}
