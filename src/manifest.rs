//! `cairn-manifest.json`: the machine-readable catalogue of the archive, as
//! DESIGN.md's contract gives it (validated against
//! `shared/schemas/cairn-manifest.schema.json` in the tests).

use serde::Serialize;

use crate::contributors::People;
use crate::links::LinkGraph;
use crate::site::Site;

/// The manifest's file name at the output root.
pub const MANIFEST: &str = "cairn-manifest.json";

#[derive(Debug, Serialize)]
pub struct Manifest<'a> {
    pub generator: &'static str,
    pub pages: Vec<ManifestPage<'a>>,
}

#[derive(Debug, Serialize)]
pub struct ManifestPage<'a> {
    pub url: &'a str,
    pub source: &'a str,
    pub source_blake3: String,
    pub output_blake3: String,
    pub title: &'a str,
    pub authors: Vec<String>,
    pub contributors: Vec<String>,
    pub date: Option<String>,
    pub updated: Option<String>,
    pub license: Option<&'a str>,
    pub derived_from: Vec<String>,
    pub links: Vec<String>,
    pub backlinks: Vec<String>,
}

/// The generator string: `cairn X.Y.Z`.
pub const GENERATOR: &str = concat!("cairn ", env!("CARGO_PKG_VERSION"));

/// The manifest of `site`, given the BLAKE3 of each page's HTML (by page
/// index). Pages are sorted by source path.
pub fn manifest<'a>(
    site: &'a Site,
    graph: &LinkGraph,
    people: &People,
    page_hashes: &[Option<blake3::Hash>],
) -> Manifest<'a> {
    let mut pages: Vec<ManifestPage<'a>> = (0..site.pages.len())
        .map(|i| entry(site, graph, people, page_hashes, i))
        .collect();
    pages.sort_by(|a, b| a.source.cmp(b.source));
    Manifest {
        generator: GENERATOR,
        pages,
    }
}

/// The URLs of the pages that link to page `i`, sorted, without repeats.
fn backlinks(site: &Site, graph: &LinkGraph, i: usize) -> Vec<String> {
    let mut urls: Vec<String> = graph.incoming[i]
        .iter()
        .map(|b| site.pages[b.from].url.clone())
        .collect();
    urls.sort_unstable();
    urls.dedup();
    urls
}

/// What the last manifest was made of: each page's entry as it is written
/// in the file, in page order.
#[derive(Debug, Default)]
pub struct Memo {
    entries: Vec<std::sync::Arc<str>>,
}

/// The entry of page `i`.
fn entry<'a>(
    site: &'a Site,
    graph: &LinkGraph,
    people: &People,
    page_hashes: &[Option<blake3::Hash>],
    i: usize,
) -> ManifestPage<'a> {
    let page = &site.pages[i];
    ManifestPage {
        url: &page.url,
        source: &page.source,
        source_blake3: page.hash.to_hex().to_string(),
        output_blake3: page_hashes
            .get(i)
            .copied()
            .flatten()
            .map(|h| h.to_hex().to_string())
            .unwrap_or_default(),
        title: &page.title,
        authors: people.page_authors[i]
            .iter()
            .map(|&c| people.contributors[c].id.clone())
            .collect(),
        contributors: people.page_contributors[i]
            .iter()
            .map(|(c, _)| people.contributors[*c].id.clone())
            .collect(),
        date: page.date.map(|d| d.to_string()),
        updated: page.updated.map(|d| d.to_string()),
        license: site.license_of(page),
        derived_from: graph.derived_from.get(i).cloned().unwrap_or_default(),
        links: graph.outgoing[i]
            .iter()
            .map(|&p| site.pages[p].url.clone())
            .collect(),
        backlinks: backlinks(site, graph, i),
    }
}

/// The manifest file, byte for byte what [`to_json`] gives for
/// [`manifest`], written entry by entry: with `dirty` (the pages whose
/// entry may have changed since the last call, in the same pages), the
/// other entries are taken from `memo` as they were written.
pub fn json(
    site: &Site,
    graph: &LinkGraph,
    people: &People,
    page_hashes: &[Option<blake3::Hash>],
    dirty: Option<&[bool]>,
    memo: &mut Memo,
) -> Vec<u8> {
    use rayon::prelude::*;

    let keep = dirty.filter(|_| memo.entries.len() == site.pages.len());
    let entries: Vec<std::sync::Arc<str>> = (0..site.pages.len())
        .into_par_iter()
        .map(|i| match keep {
            Some(dirty) if !dirty[i] => std::sync::Arc::clone(&memo.entries[i]),
            _ => entry_json(site, graph, people, page_hashes, i).into(),
        })
        .collect();
    let size: usize = entries.iter().map(|e| e.len() + 2).sum();
    let mut out = Vec::with_capacity(size + 128);
    let order = source_order(site);
    let _ = assemble(&mut out, &order, |i| &*entries[i]);
    memo.entries = entries;
    out
}

/// The manifest file, as [`json`] makes it, written to `out` a slice of
/// entries at a time (made in parallel, written in order): the whole
/// manifest of a large archive is never held at once.
pub fn write(
    site: &Site,
    graph: &LinkGraph,
    people: &People,
    page_hashes: &[Option<blake3::Hash>],
    out: &mut (impl std::io::Write + ?Sized),
) -> std::io::Result<()> {
    write_sliced(site, graph, people, page_hashes, out, 2048)
}

pub(crate) fn write_sliced(
    site: &Site,
    graph: &LinkGraph,
    people: &People,
    page_hashes: &[Option<blake3::Hash>],
    out: &mut (impl std::io::Write + ?Sized),
    slice_len: usize,
) -> std::io::Result<()> {
    use rayon::prelude::*;

    let order = source_order(site);
    for (n, slice) in order.chunks(slice_len.max(1)).enumerate() {
        let entries: Vec<String> = slice
            .par_iter()
            .map(|&i| entry_json(site, graph, people, page_hashes, i))
            .collect();
        let at = n * slice_len.max(1);
        let is_last = at + slice.len() == order.len();
        // The header comes with the first slice, the footer with the last.
        write_slice(out, &entries, at == 0, is_last)?;
    }
    if order.is_empty() {
        assemble(out, &[], |_| "")?;
    }
    Ok(())
}

fn write_slice(
    out: &mut (impl std::io::Write + ?Sized),
    entries: &[String],
    first: bool,
    last: bool,
) -> std::io::Result<()> {
    if first {
        write_header(out)?;
        out.write_all(b",\n  \"pages\": [\n")?;
    }
    for (n, entry) in entries.iter().enumerate() {
        if n > 0 || !first {
            out.write_all(b",\n")?;
        }
        out.write_all(entry.as_bytes())?;
    }
    if last {
        out.write_all(b"\n  ]\n}\n")?;
    }
    Ok(())
}

fn write_header(out: &mut (impl std::io::Write + ?Sized)) -> std::io::Result<()> {
    out.write_all(b"{\n  \"generator\": ")?;
    out.write_all(&serde_json::to_vec(GENERATOR).unwrap_or_default())
}

/// Page indices sorted by source path: the manifest's order.
fn source_order(site: &Site) -> Vec<usize> {
    let mut order: Vec<usize> = (0..site.pages.len()).collect();
    order.sort_by(|&a, &b| site.pages[a].source.cmp(&site.pages[b].source));
    order
}

/// The file around the entries, in `order`.
fn assemble<'e>(
    out: &mut (impl std::io::Write + ?Sized),
    order: &[usize],
    entry: impl Fn(usize) -> &'e str,
) -> std::io::Result<()> {
    write_header(out)?;
    if order.is_empty() {
        return out.write_all(b",\n  \"pages\": []\n}\n");
    }
    out.write_all(b",\n  \"pages\": [\n")?;
    for (n, &i) in order.iter().enumerate() {
        if n > 0 {
            out.write_all(b",\n")?;
        }
        out.write_all(entry(i).as_bytes())?;
    }
    out.write_all(b"\n  ]\n}\n")
}

/// Page `i`'s entry as it stands in the file: pretty JSON, indented as an
/// element of the top-level `pages` array.
fn entry_json(
    site: &Site,
    graph: &LinkGraph,
    people: &People,
    page_hashes: &[Option<blake3::Hash>],
    i: usize,
) -> String {
    let json = serde_json::to_string_pretty(&entry(site, graph, people, page_hashes, i))
        .unwrap_or_default();
    let mut indented = String::with_capacity(json.len() + 256);
    for (n, line) in json.lines().enumerate() {
        if n > 0 {
            indented.push('\n');
        }
        indented.push_str("    ");
        indented.push_str(line);
    }
    indented
}

/// The manifest as pretty JSON with a final newline.
pub fn to_json(manifest: &Manifest<'_>) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(manifest).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}
