//! The floor: the bare cost of the work any build of the corpus must do,
//! with nothing else. It walks the content folder, reads every Markdown
//! file, skips its front matter, renders the Markdown with pulldown-cmark
//! (with Cairn's own options, from `markdown::parser_options`), wraps it
//! in a minimal page, hashes the source and the output with BLAKE3, and
//! writes each page to a pretty URL (`a/b.md` → `a/b/index.html`), all in
//! parallel. No templates, links,
//! people, highlighting, manifest or checks: Cairn's full build is held to
//! within 3× of this.
//!
//!     cargo run --release --example floor -- --content /tmp/corpus/content --out /tmp/floor

use std::path::{Path, PathBuf};
use std::time::Instant;

use pulldown_cmark::{Options, Parser, html};
use rayon::prelude::*;

fn main() {
    let mut content = PathBuf::from("/tmp/corpus/content");
    let mut out = PathBuf::from("/tmp/floor");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--content" => content = args.next().map(PathBuf::from).unwrap_or(content),
            "--out" => out = args.next().map(PathBuf::from).unwrap_or(out),
            other => {
                eprintln!("unknown argument {other}; usage: floor [--content DIR] [--out DIR]");
                std::process::exit(2);
            }
        }
    }
    let started = Instant::now();
    let files: Vec<PathBuf> = ignore::WalkBuilder::new(&content)
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .map(ignore::DirEntry::into_path)
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    // Cairn's own extensions (wiki links and GFM among them), read from
    // Cairn itself so that the two can never drift apart: the corpus's
    // wiki links are parsed as links here too.
    let options = cairn::markdown::parser_options(&cairn::config::MarkdownConfig::default());
    let digest: Vec<(blake3::Hash, blake3::Hash)> = files
        .par_iter()
        .map(|path| build_one(&content, &out, path, options))
        .collect();
    // One value from every hash, so that none of the work can be skipped.
    let mut all = blake3::Hasher::new();
    for (source, output) in &digest {
        all.update(source.as_bytes());
        all.update(output.as_bytes());
    }
    println!(
        "floor: {} pages in {:.3} s ({})",
        digest.len(),
        started.elapsed().as_secs_f64(),
        &all.finalize().to_hex()[..16]
    );
}

fn build_one(
    content: &Path,
    out: &Path,
    path: &Path,
    options: Options,
) -> (blake3::Hash, blake3::Hash) {
    let text = std::fs::read_to_string(path).expect("read a page");
    let source = blake3::hash(text.as_bytes());
    let body = match text.strip_prefix("---\n") {
        Some(rest) => rest.find("\n---\n").map_or(rest, |end| &rest[end + 5..]),
        None => &text,
    };
    let mut page = String::with_capacity(body.len() * 2);
    page.push_str("<!doctype html><html><body>");
    html::push_html(&mut page, Parser::new_ext(body, options));
    page.push_str("</body></html>\n");
    let output = blake3::hash(page.as_bytes());
    let rel = path
        .strip_prefix(content)
        .unwrap_or(path)
        .with_extension("");
    let rel = if rel.file_name().is_some_and(|n| n == "_index") {
        rel.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        rel
    };
    let dir = out.join(rel);
    std::fs::create_dir_all(&dir).expect("create a folder");
    std::fs::write(dir.join("index.html"), page).expect("write a page");
    (source, output)
}
