//! Times incremental rebuilds in-process, without a server or a watcher:
//! builds a site once, then edits one page `--edits` times (20 by default)
//! and rebuilds after each, printing each rebuild's time and the median.
//! With `CAIRN_TIMINGS=1` every rebuild also prints its stages.
//!
//!     cargo run --release --example rebuild -- --site /tmp/corpus --page content/guides/page-000000.md

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

use cairn::BuildOptions;
use cairn::incremental::{Builder, Changes};

fn main() {
    let mut site = PathBuf::from("/tmp/corpus");
    let mut page = String::from("content/guides/page-000000.md");
    let mut edits = 20usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--site" => site = args.next().map(PathBuf::from).unwrap_or(site),
            "--page" => page = args.next().unwrap_or(page),
            "--edits" => edits = args.next().and_then(|v| v.parse().ok()).unwrap_or(edits),
            other => {
                eprintln!(
                    "unknown argument {other}; usage: rebuild [--site DIR] [--page content/x.md] [--edits N]"
                );
                std::process::exit(2);
            }
        }
    }
    let site = std::path::absolute(&site).expect("site path");
    let mut builder = Builder::new(BuildOptions::new(&site));
    let started = Instant::now();
    let built = builder.build(&Changes::Everything);
    println!(
        "first build: {} files in {:.0} ms",
        built.files.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    let path = site.join(&page);
    let original = std::fs::read_to_string(&path).expect("read the page");
    let mut times = Vec::with_capacity(edits);
    for n in 0..edits {
        std::fs::write(&path, format!("{original}\nEdit number {n}.\n")).expect("write");
        let started = Instant::now();
        let built = builder.build(&Changes::Paths(BTreeSet::from([path.clone()])));
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        assert!(!built.has_errors(), "the edit broke the build");
        println!("rebuild {n:2}: {ms:7.1} ms");
        times.push(ms);
    }
    std::fs::write(&path, original).expect("restore the page");
    times.sort_by(f64::total_cmp);
    println!(
        "{} rebuilds: median {:.1} ms, worst {:.1} ms",
        times.len(),
        times[times.len() / 2],
        times[times.len() - 1]
    );
}
