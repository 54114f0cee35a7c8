//! Measures `cairn serve`'s edit-to-served latency: starts the release
//! binary on a site, then edits one page `--edits` times (20 by default)
//! and, for each, times from the end of the file's write to the first HTTP
//! response that carries the new words. Prints each time, the median and
//! the worst.
//!
//!     cargo build --release
//!     cargo run --release --example gen-corpus -- --pages 10000 --out /tmp/corpus
//!     cargo run --release --example serve-latency -- --site /tmp/corpus
//!
//! The page edited is the first Markdown file (by path) of the biggest
//! section that is not a section's own page; `--page content/x.md` picks
//! another.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let mut site = PathBuf::from("/tmp/corpus");
    let mut page: Option<String> = None;
    let mut edits = 20usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--site" => site = args.next().map(PathBuf::from).unwrap_or(site),
            "--page" => page = args.next(),
            "--edits" => edits = args.next().and_then(|v| v.parse().ok()).unwrap_or(edits),
            other => {
                eprintln!(
                    "unknown argument {other}; usage: serve-latency [--site DIR] [--page content/x.md] [--edits N]"
                );
                std::process::exit(2);
            }
        }
    }
    let page = page.unwrap_or_else(|| first_page(&site.join("content")));
    let url = format!(
        "/{}",
        page.trim_start_matches("content/").trim_end_matches(".md")
    ) + "/";
    let binary = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/cairn");
    let started = Instant::now();
    let mut child = Command::new(&binary)
        .args(["serve", "--port", "0", "--root"])
        .arg(&site)
        .env("CI", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let address = loop {
        let line = lines.next().expect("serve ended").expect("stdout");
        if let Some(rest) = line.strip_prefix("Serving http://") {
            break rest.split('/').next().unwrap_or_default().to_owned();
        }
    };
    println!(
        "serving {} after {:.2} s; editing {page} ({url})",
        site.display(),
        started.elapsed().as_secs_f64()
    );
    // Keep reading stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});

    let path = site.join(&page);
    let original = std::fs::read_to_string(&path).expect("read the page");
    let mut times = Vec::with_capacity(edits);
    for n in 0..edits {
        let marker = format!("latency-marker-{n}-{}", std::process::id());
        std::fs::write(&path, format!("{original}\nEdited: {marker}.\n")).expect("write");
        let written = Instant::now();
        loop {
            if get(&address, &url).contains(&marker) {
                break;
            }
            assert!(
                written.elapsed() < Duration::from_secs(60),
                "edit {n} never served"
            );
        }
        let ms = written.elapsed().as_secs_f64() * 1000.0;
        println!("edit {n:2}: {ms:7.1} ms");
        times.push(ms);
        // Let the server settle, as between two saves of a person.
        std::thread::sleep(Duration::from_millis(200));
    }
    std::fs::write(&path, original).expect("restore the page");
    let _ = child.kill();
    let _ = child.wait();
    times.sort_by(f64::total_cmp);
    println!(
        "edit to served, {} edits: median {:.1} ms, worst {:.1} ms",
        times.len(),
        times[times.len() / 2],
        times[times.len() - 1]
    );
}

/// The first page, by path, of the folder with the most pages.
fn first_page(content: &Path) -> String {
    let mut best: Option<(usize, PathBuf)> = None;
    let mut stack = vec![content.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut pages: Vec<PathBuf> = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("read content").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md")
                && path.file_name().is_none_or(|n| n != "_index.md")
            {
                pages.push(path);
            }
        }
        pages.sort();
        if let Some(first) = pages.first()
            && best.as_ref().is_none_or(|(n, _)| pages.len() > *n)
        {
            best = Some((pages.len(), first.clone()));
        }
    }
    let (_, path) = best.expect("no pages");
    let root = content.parent().unwrap_or(content);
    path.strip_prefix(root)
        .unwrap_or(&path)
        .to_string_lossy()
        .replace('\\', "/")
}

fn get(address: &str, path: &str) -> String {
    let Ok(mut stream) = TcpStream::connect(address) else {
        return String::new();
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return String::new();
    }
    let mut body = String::new();
    let _ = stream.read_to_string(&mut body);
    body
}
