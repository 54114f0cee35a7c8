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

/// One page's entry. Everything is borrowed from the site or written as
/// it is serialised: an entry is made for every page of every build.
#[derive(Debug, Serialize)]
pub struct ManifestPage<'a> {
    pub url: &'a str,
    pub source: &'a str,
    pub source_blake3: Hex,
    /// Empty for a page with no HTML.
    pub output_blake3: Hex,
    pub title: &'a str,
    pub authors: Vec<&'a str>,
    pub contributors: Vec<&'a str>,
    pub date: Option<Date>,
    pub updated: Option<Date>,
    pub license: Option<&'a str>,
    pub derived_from: &'a [String],
    pub links: Vec<&'a str>,
    pub backlinks: Vec<&'a str>,
}

/// A BLAKE3 hash, serialised as its lowercase hex (`None` as "").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hex(pub Option<blake3::Hash>);

impl Serialize for Hex {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Some(hash) => s.serialize_str(&hash.to_hex()),
            None => s.serialize_str(""),
        }
    }
}

/// A calendar date, serialised as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub jiff::civil::Date);

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// The generator string: `cairn X.Y.Z`.
pub const GENERATOR: &str = concat!("cairn ", env!("CARGO_PKG_VERSION"));

/// The manifest of `site`, given the BLAKE3 of each page's HTML (by page
/// index). Pages are sorted by source path.
pub fn manifest<'a>(
    site: &'a Site,
    graph: &'a LinkGraph,
    people: &'a People,
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
fn backlinks<'a>(site: &'a Site, graph: &LinkGraph, i: usize) -> Vec<&'a str> {
    let mut urls: Vec<&str> = graph.incoming[i]
        .iter()
        .map(|b| site.pages[b.from].url.as_str())
        .collect();
    urls.sort_unstable();
    urls.dedup();
    urls
}

/// What the last manifest was made of: each page's entry as it is written
/// in the file, in page order, and the order the entries went in.
#[derive(Debug, Default)]
pub struct Memo {
    entries: Vec<std::sync::Arc<str>>,
    order: Vec<usize>,
}

/// The entry of page `i`.
fn entry<'a>(
    site: &'a Site,
    graph: &'a LinkGraph,
    people: &'a People,
    page_hashes: &[Option<blake3::Hash>],
    i: usize,
) -> ManifestPage<'a> {
    let page = &site.pages[i];
    ManifestPage {
        url: &page.url,
        source: &page.source,
        source_blake3: Hex(Some(page.hash)),
        output_blake3: Hex(page_hashes.get(i).copied().flatten()),
        title: &page.title,
        authors: people.page_authors[i]
            .iter()
            .map(|&c| people.contributors[c].id.as_str())
            .collect(),
        contributors: people.page_contributors[i]
            .iter()
            .map(|(c, _)| people.contributors[*c].id.as_str())
            .collect(),
        date: page.date.map(Date),
        updated: page.updated.map(Date),
        license: site.license_of(page),
        derived_from: graph.derived_from.get(i).map_or(&[], Vec::as_slice),
        links: graph.outgoing[i]
            .iter()
            .map(|&p| site.pages[p].url.as_str())
            .collect(),
        backlinks: backlinks(site, graph, i),
    }
}

/// The manifest file, byte for byte what [`to_json`] gives for
/// [`manifest`], written entry by entry: with `dirty` (the pages whose
/// entry may have changed since the last call, in the same pages), the
/// other entries are taken from `memo` as they were written.
///
/// Made for `serve`, where every edit makes the whole file again (some
/// 10 MB at 10,000 pages): its size is counted first and the file written
/// straight into the shared buffer it is served from, not into a list of
/// bytes copied into one afterwards (that copy, into memory fresh from the
/// system, was the dearest step of a one-page rebuild); and the order of
/// the entries is taken from `memo` while it still holds.
pub fn json(
    site: &Site,
    graph: &LinkGraph,
    people: &People,
    page_hashes: &[Option<blake3::Hash>],
    dirty: Option<&[bool]>,
    memo: &mut Memo,
) -> std::sync::Arc<[u8]> {
    use rayon::prelude::*;

    let keep = dirty.filter(|_| memo.entries.len() == site.pages.len());
    let entries: Vec<std::sync::Arc<str>> = (0..site.pages.len())
        .into_par_iter()
        .map(|i| match keep {
            Some(dirty) if !dirty[i] => std::sync::Arc::clone(&memo.entries[i]),
            _ => entry_json(site, graph, people, page_hashes, i).into(),
        })
        .collect();
    let order = if in_source_order(site, &memo.order) {
        std::mem::take(&mut memo.order)
    } else {
        source_order(site)
    };
    let entry = |i: usize| &*entries[i];
    let mut size = Counted(0);
    let _ = assemble(&mut size, &order, entry);
    let mut out: std::sync::Arc<[u8]> = std::iter::repeat_n(0, size.0).collect();
    // Written when the bytes fill the buffer exactly: a short count fails
    // the write, a long one would leave zeros at the end.
    let written = std::sync::Arc::get_mut(&mut out).is_some_and(|mut buffer| {
        assemble(&mut buffer, &order, entry).is_ok() && buffer.is_empty()
    });
    if !written {
        // (A buffer just made is nobody else's, and it was counted by the
        // same `assemble`: this is never taken.)
        let mut bytes = Vec::with_capacity(size.0);
        let _ = assemble(&mut bytes, &order, entry);
        out = bytes.into();
    }
    memo.entries = entries;
    memo.order = order;
    out
}

/// Whether `order` lists every page once, by source path: true when every
/// index is a page's and each page's source sorts after the one before
/// (sources are distinct, so no page is listed twice). A look at each
/// page, where sorting them again compares each with many.
pub(crate) fn in_source_order(site: &Site, order: &[usize]) -> bool {
    order.len() == site.pages.len()
        && order.iter().all(|&i| i < site.pages.len())
        && order
            .windows(2)
            .all(|w| site.pages[w[0]].source < site.pages[w[1]].source)
}

/// A writer that keeps nothing and counts the bytes it is given.
struct Counted(usize);

impl std::io::Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
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
    let mut out = Indented(Vec::with_capacity(1024));
    out.0.extend_from_slice(b"    ");
    let _ = serde_json::to_writer_pretty(&mut out, &entry(site, graph, people, page_hashes, i));
    String::from_utf8(out.0).unwrap_or_default()
}

/// Pretty JSON as an element of the top-level `pages` array: every line
/// after the first indented by two more levels. (JSON strings hold no raw
/// newline, so every one written is a line break.)
struct Indented(Vec<u8>);

impl std::io::Write for Indented {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut rest = buf;
        while let Some(at) = rest.iter().position(|&b| b == b'\n') {
            self.0.extend_from_slice(&rest[..=at]);
            self.0.extend_from_slice(b"    ");
            rest = &rest[at + 1..];
        }
        self.0.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The manifest as pretty JSON with a final newline.
pub fn to_json(manifest: &Manifest<'_>) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(manifest).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}
