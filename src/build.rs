//! The pipeline, end to end in memory: load → resolve → render → manifest.
//! Writing the result is `emit`'s job, so `check`, tests and `serve` can
//! run a whole build without touching the output folder.

use crate::config::{BuildOptions, CONFIG_FILE, Config};
use crate::contributors::People;
use crate::contributors::{self, CONTRIBUTORS_FILE, Directory};
use crate::diagnostic::{self, Diagnostic, Kind};
use crate::emit::Staging;
use crate::incremental::Changes;
use crate::key::KeyHasher;
use crate::load::{Sources, TextFile};
use crate::manifest::{self, MANIFEST};
use crate::render::{self, Output};
use crate::site::Page;
use crate::{archive, links, load, resolve};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

/// A finished build: the output set and everything it had to say.
#[derive(Debug, Clone)]
pub struct Built {
    /// Every output file, sorted by path (those written as they rendered,
    /// by [`build_into`], with their hash and no bytes).
    pub files: Vec<Output>,
    /// Every problem found, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// How many pages were built.
    pub pages: usize,
    /// The archive's root hash: BLAKE3 of its `B3SUMS`.
    pub root: blake3::Hash,
    /// The path the site lives under (`/`, or `/docs/` for a `base_url`
    /// of `https://example.org/docs/`), for `serve`.
    pub base_path: String,
}

impl Built {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.iter().filter(|d| !d.is_error()).count()
    }

    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    /// The bytes of the output file at `path`, if there is one held in
    /// memory (a file [`build_into`] wrote as it rendered is on disk, not
    /// here).
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        self.files
            .binary_search_by(|o| o.path.as_ref().cmp(path))
            .ok()
            .map(|i| &self.files[i])
            .filter(|o| o.written.is_none())
            .map(|o| &*o.bytes)
    }
}

/// What one build keeps for the next (see [`crate::incremental`]).
#[derive(Debug, Default)]
pub struct Cache {
    /// What the last load read, and what it had to say.
    loaded: Option<(Sources, Vec<Diagnostic>)>,
    /// Each page as parsed, by source path, with the hash of the source and
    /// the Markdown options it was parsed with.
    parsed: HashMap<String, (blake3::Hash, Parsed)>,
    markdown: String,
    /// `contributors.yaml` as parsed, by the hash of its text.
    directory: Option<(blake3::Hash, Directory, Vec<Diagnostic>)>,
    /// Who did what, by the key of every page's people and dates.
    people: Option<(blake3::Hash, Arc<People>)>,
    links: links::Memo,
    render: render::Memo,
    manifest: manifest::Memo,
    seal: archive::Memo,
    history: Option<(crate::git::History, Vec<Diagnostic>)>,
    /// The last build, kept whole when it had nothing to say, for the fast
    /// lane.
    last: Option<LastBuild>,
    /// The last build went by the fast lane.
    mended: bool,
    /// Keep the whole last build for the fast lane (a one-off build does
    /// not need it).
    keep: bool,
}

impl Cache {
    /// A cache for a site that will be rebuilt (by `serve`).
    pub fn for_rebuilds() -> Self {
        Self {
            keep: true,
            ..Self::default()
        }
    }

    /// Whether the last build mended the one before (the fast lane) rather
    /// than running every stage.
    pub fn mended(&self) -> bool {
        self.mended
    }
}

/// A whole build, kept so that an edit of a page's words alone can be
/// mended in place: the site, its graph and people, its files, `B3SUMS`
/// and where each path's hash is in it.
#[derive(Debug)]
struct LastBuild {
    site: crate::site::Site,
    templates: Vec<TextFile>,
    graph: links::LinkGraph,
    people: Arc<People>,
    page_hashes: Vec<Option<blake3::Hash>>,
    files: Vec<Output>,
    offsets: HashMap<String, usize>,
    by_source: HashMap<String, usize>,
}

/// The fast lane: when the only files written are pages of the last
/// build, and each still parses to the same front matter, title and
/// headings (only words and links changed), the last build is mended: the
/// pages re-parsed, their links resolved again, the pages they reach
/// rendered again, their manifest entries and `B3SUMS` lines rewritten.
/// Everything else stays as it is, which is what a full build would make
/// again: nothing it reads changed. `None` (nothing changed) whenever that
/// cannot be shown, or the edit has something to say (a broken link): then
/// the long way runs.
fn fast_lane(cache: &mut Cache, touched: &[String]) -> Option<Built> {
    let last = cache.last.as_mut()?;
    let (sources, said) = cache.loaded.as_ref()?;
    if !said.is_empty() || touched.is_empty() {
        return None;
    }
    let mut changed = Vec::with_capacity(touched.len());
    let mut fresh = Vec::with_capacity(touched.len());
    for display in touched {
        let &p = last.by_source.get(display)?;
        let rel = &last.site.pages[p].rel;
        let i = sources
            .pages
            .binary_search_by(|f| f.rel.as_str().cmp(rel))
            .ok()?;
        let file = &sources.pages[i];
        let old = &last.site.pages[p].parsed;
        let new = resolve::parse_page(file.clone(), &last.site.config.markdown).ok()?;
        let same = new.front == old.front
            && new.title == old.title
            && new.title_from_body == old.title_from_body
            && new.headings == old.headings;
        if !same {
            return None;
        }
        changed.push(p);
        fresh.push((file.hash, Arc::new(new)));
    }
    // From here on the last build is changed: any way out must drop it.
    // (The memos stay right: what they keep is keyed by what it was made
    // of.)
    for (&p, (hash, parsed)) in changed.iter().zip(&fresh) {
        last.site.pages[p].parsed = Arc::clone(parsed);
        cache
            .parsed
            .insert(parsed.source.clone(), (*hash, Ok(Arc::clone(parsed))));
    }
    let mended = mend(
        last,
        &mut cache.links,
        &mut cache.render,
        &mut cache.manifest,
        &changed,
    );
    if mended.is_none() {
        cache.last = None;
    }
    cache.mended = mended.is_some();
    mended
}

/// The fast lane's work on the last build, for pages `changed`.
fn mend(
    last: &mut LastBuild,
    link_memo: &mut links::Memo,
    render_memo: &mut render::Memo,
    manifest_memo: &mut manifest::Memo,
    changed: &[usize],
) -> Option<Built> {
    let old_out: Vec<Vec<usize>> = changed
        .iter()
        .map(|&p| last.graph.outgoing[p].clone())
        .collect();
    links::relink(&last.site, link_memo, &mut last.graph, changed)?;
    let site = &last.site;
    let edited = changed
        .iter()
        .zip(&old_out)
        .map(|(&p, old)| (p, old.as_slice()));
    let (dirty, reach) = links::reached(site.pages.len(), edited, &last.graph);
    let sections: Vec<usize> = reach
        .iter()
        .filter(|&&q| site.pages[q].is_index)
        .map(|&q| site.pages[q].section)
        .collect();
    let made = render::rerender(
        site,
        &last.graph,
        &last.people,
        &last.templates,
        &reach,
        &sections,
        render_memo,
    )?;
    render_memo.note_pages(site, &last.graph, changed);
    for (page, _, hash) in &made {
        if let Some(p) = page {
            last.page_hashes[*p] = Some(*hash);
        }
    }
    let manifest = manifest::json(
        site,
        &last.graph,
        &last.people,
        &last.page_hashes,
        Some(&dirty),
        manifest_memo,
    );
    let mut outputs: Vec<(Output, blake3::Hash)> = made
        .into_iter()
        .map(|(_, output, hash)| (output, hash))
        .collect();
    for &p in changed {
        let page = &site.pages[p];
        outputs.push((
            Output::new(
                format!("{}index.md", page.url.trim_start_matches('/')),
                Arc::<[u8]>::from(Arc::clone(&page.text)),
                page.source.clone(),
            ),
            page.hash,
        ));
    }
    let manifest_hash = blake3::hash(&manifest);
    outputs.push((
        Output::new(MANIFEST.to_owned(), manifest, MANIFEST.to_owned()),
        manifest_hash,
    ));
    let sums = last
        .files
        .binary_search_by(|o| o.path.as_ref().cmp(archive::B3SUMS))
        .ok()?;
    let hashes: Vec<(&str, blake3::Hash)> = outputs
        .iter()
        .map(|(o, hash)| (o.path.as_ref(), *hash))
        .collect();
    let (text, root) = archive::patch(&last.files[sums].bytes, &last.offsets, &hashes)?;
    let mut slots = Vec::with_capacity(outputs.len());
    for (output, _) in &outputs {
        slots.push(
            last.files
                .binary_search_by(|o| o.path.as_ref().cmp(&output.path))
                .ok()?,
        );
    }
    for (slot, (output, _)) in slots.into_iter().zip(outputs) {
        last.files[slot] = output;
    }
    last.files[sums].bytes = text.into();
    Some(Built {
        files: last.files.clone(),
        diagnostics: Vec::new(),
        pages: site.pages.len(),
        root,
        base_path: site.config.base_path(),
    })
}

/// Runs the whole pipeline for `options`, in memory.
pub fn build(options: &BuildOptions) -> Built {
    build_cached(options, &mut Cache::default(), &Changes::Everything)
}

/// Runs the whole pipeline for `options`, writing each page, section and
/// contributor page to `staging` as soon as it is rendered (the returned
/// files hold only their hashes) rather than holding them all: what
/// `cairn build` does. The caller finishes or drops `staging`.
pub fn build_into(options: &BuildOptions, staging: &Staging) -> Built {
    build_with(
        options,
        &mut Cache::default(),
        &Changes::Everything,
        Some(staging),
    )
}

/// Runs the pipeline, reusing from `cache` whatever `changes` did not touch,
/// and leaves in `cache` what the next build can reuse.
pub fn build_cached(options: &BuildOptions, cache: &mut Cache, changes: &Changes) -> Built {
    build_with(options, cache, changes, None)
}

fn build_with(
    options: &BuildOptions,
    cache: &mut Cache,
    changes: &Changes,
    sink: Option<&Staging>,
) -> Built {
    let mut clock = StageClock::new();
    let reloaded = match (changes, cache.loaded.as_mut()) {
        (Changes::Paths(paths), Some((sources, said))) => {
            load::reload(options, sources, said, paths)
        }
        _ => None,
    };
    match reloaded {
        Some(touched) => {
            if let Some(built) = fast_lane(cache, &touched) {
                clock.lap("fast lane");
                return built;
            }
        }
        None => cache.loaded = Some(load::load(options)),
    }
    cache.last = None;
    cache.mended = false;
    // A one-off build has no next build to keep the sources for.
    let (mut sources, mut diagnostics) = if cache.keep {
        cache.loaded.clone()
    } else {
        cache.loaded.take()
    }
    .unwrap_or_default();
    clock.lap("load");
    let mut config = match sources.config.take() {
        Some(text) => Config::parse(&text, CONFIG_FILE).unwrap_or_else(|d| {
            diagnostics.push(d);
            Config::default()
        }),
        None => Config::default(),
    };
    if let Some(relative) = options.relative_urls {
        config.relative_urls = relative;
    }
    let templates = std::mem::take(&mut sources.templates);
    let text = sources.contributors.take();
    let text_hash = blake3::hash(text.as_deref().unwrap_or_default().as_bytes());
    let (directory, more) = match (&cache.directory, text) {
        (Some((hash, directory, said)), _) if *hash == text_hash => {
            (directory.clone(), said.clone())
        }
        (_, Some(text)) => Directory::parse(&text, CONTRIBUTORS_FILE),
        (_, None) => (Directory::default(), Vec::new()),
    };
    cache.directory = Some((text_hash, directory.clone(), more.clone()));
    diagnostics.extend(more);
    // The history is read once a session: a commit made while serving
    // shows after a full build.
    let history = if config.provenance.git {
        match (&cache.history, changes) {
            (Some((history, said)), Changes::Paths(_)) => {
                diagnostics.extend(said.iter().cloned());
                history.clone()
            }
            _ => {
                let (history, more) = load::git_history(options);
                cache.history = Some((history.clone(), more.clone()));
                diagnostics.extend(more);
                clock.lap("git");
                history
            }
        }
    } else {
        crate::git::History::new()
    };
    clock.lap("config");
    let parsed = parse(std::mem::take(&mut sources.pages), &config, cache);
    if !cache.keep {
        // A one-off build's bodies are rendered (or their code remembered),
        // so the grammars' memory is better spent on what follows: some
        // 80 MB off the peak of a large archive.
        crate::highlight::release();
    }
    clock.lap("parse");
    let (site, more) = resolve::resolve_parsed(parsed, sources, config, &history, options);
    diagnostics.extend(more);
    clock.lap("resolve");
    if let Some(bar) = &options.progress {
        // Section pages render with their sections, not on their own.
        let own_pages = site.pages.iter().filter(|p| !p.is_index).count();
        bar.set_length((own_pages + site.sections.len()) as u64);
    }
    // A one-off build has no next build to compare the key with.
    let people_key = if cache.keep {
        people_key(&site, &text_hash)
    } else {
        text_hash
    };
    // People and links read the site and not each other: gathered while
    // the links resolve (both are mostly one long pass).
    let kept_people = match &cache.people {
        Some((key, people)) if *key == people_key => Some(Arc::clone(people)),
        _ => None,
    };
    let (people, (graph, more)) = rayon::join(
        || kept_people.unwrap_or_else(|| Arc::new(contributors::gather(&site, directory))),
        || links::link_cached(&site, &mut cache.links, cache.keep),
    );
    cache.people = Some((people_key, Arc::clone(&people)));
    diagnostics.extend(more);
    clock.lap("people and links");
    let (rendered, more) = render::render(
        &site,
        &graph,
        &people,
        &templates,
        render::Delivery {
            progress: options.progress.as_ref(),
            sink,
        },
        render::Inputs {
            structure: cache.links.key(),
            people: people_key,
        },
        &mut cache.render,
    );
    // Two pages at one URL were reported by resolve; their outputs (HTML and
    // raw Markdown) collide again in render, which need not say so twice.
    let reported: std::collections::HashSet<String> = diagnostics
        .iter()
        .filter(|d| d.kind == Kind::DuplicateUrl)
        .filter_map(|d| {
            d.target
                .as_deref()
                .map(|url| url.trim_start_matches('/').to_owned())
        })
        .collect();
    diagnostics.extend(more.into_iter().filter(|d| {
        let again = d.target.as_deref().is_some_and(|path| {
            let folder = path.rsplit_once('/').map_or("", |(dir, _)| dir);
            let folder = if folder.is_empty() {
                String::new()
            } else {
                format!("{folder}/")
            };
            reported.contains(&folder)
        });
        d.kind != Kind::DuplicateUrl || !again
    }));

    clock.lap("render");
    let mut files = rendered.files;
    let manifest_output = match sink {
        // Streamed a slice of entries at a time, and hashed on the way.
        Some(sink) => sink
            .put_with(MANIFEST, MANIFEST, |out| {
                manifest::write(&site, &graph, &people, &rendered.page_hashes, out)
            })
            .map(|hash| Output {
                written: Some(hash),
                ..Output::new(MANIFEST, Vec::new(), MANIFEST)
            }),
        None => Ok(Output::new(
            MANIFEST,
            manifest::json(
                &site,
                &graph,
                &people,
                &rendered.page_hashes,
                rendered.dirty.as_deref(),
                &mut cache.manifest,
            ),
            MANIFEST,
        )),
    };
    match files.binary_search_by(|o| o.path.as_ref().cmp(MANIFEST)) {
        Ok(i) => {
            diagnostics.push(Diagnostic::error(
                Kind::DuplicateUrl,
                &*files[i].origin,
                format!(
                    "`{}` would replace the archive's own `{MANIFEST}`",
                    files[i].origin
                ),
            ));
        }
        Err(i) => match manifest_output {
            Ok(output) => files.insert(i, output),
            Err(d) => diagnostics.push(d),
        },
    }

    clock.lap("manifest");
    // Hashes made on the way (each page's HTML for the manifest, each
    // source when it was read) are not made again for B3SUMS.
    // A rebuild knows most hashes from the last seal already.
    // Streamed files carry their hashes already.
    let mut known = archive::Known::new();
    if cache.seal.is_empty() && sink.is_none() {
        known.reserve(site.pages.len() * 2);
        for (page, html) in site.pages.iter().zip(&rendered.page_hashes) {
            let base = page.url.trim_start_matches('/');
            known.insert(format!("{base}index.md"), page.hash);
            if let Some(hash) = html {
                known.insert(render::output_path(&page.url), *hash);
            }
        }
    }
    let root = archive::seal_cached(&mut files, &known, cache.keep.then_some(&mut cache.seal));
    diagnostic::sort(&mut diagnostics);
    clock.lap("seal");
    let base_path = site.config.base_path();
    let pages = site.pages.len();
    if cache.keep
        && diagnostics.is_empty()
        && let Ok(sums) = files.binary_search_by(|o| o.path.as_ref().cmp(archive::B3SUMS))
    {
        cache.last = Some(LastBuild {
            offsets: archive::offsets(&files[sums].bytes),
            by_source: site
                .pages
                .iter()
                .enumerate()
                .map(|(i, p)| (p.source.clone(), i))
                .collect(),
            site,
            templates,
            graph,
            people,
            page_hashes: rendered.page_hashes,
            files: files.clone(),
        });
    } else {
        // A one-off build is done with the site: freeing a hundred thousand
        // pages' strings is work nobody waits for.
        // (Should no thread be had, the values are dropped here instead.)
        let hashes = rendered.page_hashes;
        let _ = std::thread::Builder::new()
            .spawn(move || drop((site, templates, graph, people, hashes)));
    }
    clock.lap("drop");
    Built {
        files,
        diagnostics,
        pages,
        root,
        base_path,
    }
}

/// The key of what `contributors::gather` reads: the directory and every
/// page's people and dates, in page order.
fn people_key(site: &crate::site::Site, directory: &blake3::Hash) -> blake3::Hash {
    let mut key = KeyHasher::new(directory);
    let person = |key: &mut KeyHasher, p: &crate::frontmatter::Person| {
        key.text(&p.name)
            .text(p.email.as_deref().unwrap_or("\u{0}"))
            .text(p.url.as_deref().unwrap_or("\u{0}"))
            .text(p.role.as_deref().unwrap_or("\u{0}"));
    };
    for page in &site.pages {
        key.text(&page.source).date(page.date).date(page.updated);
        for list in [
            &page.front.authors,
            &page.front.contributors,
            &page.commit_authors,
        ] {
            key.number(list.len());
            for p in list {
                person(&mut key, p);
            }
        }
    }
    key.finish()
}

/// One page as parsed (or why it could not be), shared with the cache.
type Parsed = Result<Arc<crate::site::Parsed>, Diagnostic>;

/// Parses every page, taking from `cache` those whose source and Markdown
/// options are as they were.
fn parse(
    pages: Vec<TextFile>,
    config: &Config,
    cache: &mut Cache,
) -> Vec<Result<Page, Diagnostic>> {
    let markdown = format!("{:?}", config.markdown);
    if cache.markdown != markdown {
        cache.parsed.clear();
        cache.markdown = markdown;
    }
    let known = &cache.parsed;
    let results: Vec<(Option<(String, blake3::Hash)>, Parsed)> = pages
        .into_par_iter()
        .with_max_len(crate::PAGES_A_TASK)
        .map(|file| match known.get(&file.display) {
            Some((old, result)) if *old == file.hash => (None, result.clone()),
            _ => {
                let fresh = Some((file.display.clone(), file.hash));
                (
                    fresh,
                    resolve::parse_page(file, &config.markdown).map(Arc::new),
                )
            }
        })
        .collect();
    let count = results.len();
    let mut pages = Vec::with_capacity(count);
    for (fresh, result) in results {
        if let Some((display, hash)) = fresh
            && cache.keep
        {
            cache.parsed.insert(display, (hash, result.clone()));
        }
        pages.push(result.map(Page::new));
    }
    // The cache holds every page read now (and maybe some no longer there):
    // as many entries as pages means exactly these.
    if cache.parsed.len() > count {
        let current: std::collections::HashSet<&str> = pages
            .iter()
            .filter_map(|p| p.as_ref().ok().map(|p| p.source.as_str()))
            .collect();
        cache
            .parsed
            .retain(|display, (_, result)| current.contains(display.as_str()) || result.is_err());
    }
    pages
}

/// Prints how long each stage took when `CAIRN_TIMINGS` is set: a tool for
/// the benchmark harness and for profiling, silent otherwise.
struct StageClock {
    last: Option<std::time::Instant>,
}

impl StageClock {
    fn new() -> Self {
        let on = std::env::var_os("CAIRN_TIMINGS").is_some();
        Self {
            last: on.then(std::time::Instant::now),
        }
    }

    fn lap(&mut self, stage: &str) {
        if let Some(last) = self.last {
            let now = std::time::Instant::now();
            // Resident and peak memory, where the system tells them.
            let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            let field = |name: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map_or("?", str::trim)
                    .to_owned()
            };
            // The process's CPU time so far (user and system, all threads),
            // in clock ticks of 10 ms, where the system tells it: a stage
            // whose CPU time is short of twice its wall time left a core idle.
            let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
            let ticks: u64 = stat
                .rsplit_once(')')
                .map(|(_, rest)| {
                    rest.split_whitespace()
                        .skip(11)
                        .take(2)
                        .filter_map(|t| t.parse::<u64>().ok())
                        .sum()
                })
                .unwrap_or(0);
            eprintln!(
                "timing: {stage} {:.1} ms (cpu {} ms so far; rss {}, peak {}, prepared {} kB)",
                (now - last).as_secs_f64() * 1000.0,
                ticks * 10,
                field("VmRSS:"),
                field("VmHWM:"),
                crate::markdown::prepared_held() >> 10
            );
            self.last = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_written_entry_by_entry_is_the_pretty_manifest() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/links");
        let options = BuildOptions::new(&root);
        let (mut sources, _) = load::load(&options);
        let config = Config::parse(&sources.config.take().unwrap(), CONFIG_FILE).unwrap();
        let (site, _) = resolve::resolve(sources, config, &crate::git::History::new(), &options);
        let people = contributors::gather(&site, Directory::default());
        let (graph, _) = links::link(&site);
        let hashes: Vec<Option<blake3::Hash>> = (0..site.pages.len())
            .map(|i| Some(blake3::hash(&i.to_le_bytes())))
            .collect();
        let pretty = manifest::to_json(&manifest::manifest(&site, &graph, &people, &hashes));
        let mut memo = manifest::Memo::default();
        let written = manifest::json(&site, &graph, &people, &hashes, None, &mut memo);
        assert_eq!(
            String::from_utf8(written.to_vec()).unwrap(),
            String::from_utf8(pretty.clone()).unwrap()
        );
        // Kept entries (and the kept order) are the same bytes.
        let dirty = vec![false; site.pages.len()];
        let again = manifest::json(&site, &graph, &people, &hashes, Some(&dirty), &mut memo);
        assert_eq!(&again[..], &pretty[..]);
        // Every entry made again, in the order remembered: the same bytes.
        let dirty = vec![true; site.pages.len()];
        let third = manifest::json(&site, &graph, &people, &hashes, Some(&dirty), &mut memo);
        assert_eq!(&third[..], &pretty[..]);
        // An order is taken again only while it holds for the pages.
        let mut order: Vec<usize> = (0..site.pages.len()).collect();
        order.sort_by(|&a, &b| site.pages[a].source.cmp(&site.pages[b].source));
        assert!(manifest::in_source_order(&site, &order));
        assert!(site.pages.len() > 2, "the fixture has pages to reorder");
        let mut swapped = order.clone();
        swapped.swap(0, 1);
        assert!(!manifest::in_source_order(&site, &swapped));
        assert!(!manifest::in_source_order(&site, &order[1..]));
        let mut beyond = order.clone();
        beyond[0] = site.pages.len();
        assert!(!manifest::in_source_order(&site, &beyond));
        let mut twice = order.clone();
        twice[1] = twice[0];
        assert!(!manifest::in_source_order(&site, &twice));
        // Streamed a slice at a time, whatever the slice.
        for slice in [1, 2, 3, 2048] {
            let mut streamed = Vec::new();
            manifest::write_sliced(&site, &graph, &people, &hashes, &mut streamed, slice).unwrap();
            assert_eq!(streamed, pretty, "slices of {slice}");
        }
    }
}
