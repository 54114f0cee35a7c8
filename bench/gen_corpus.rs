//! Generates a synthetic community archive for benchmarks: `--pages N`
//! pages (10,000 by default) of about 1,000 words each, in nested sections,
//! with YAML front matter (1–3 authors out of a few hundred, 0–2
//! contributors, dates, tags), headings, lists, code blocks, emphasis and 5
//! internal links a page (relative `.md` links and wiki links), plus a
//! `contributors.yaml`. Every page carries the same short code block;
//! `--unique-code` makes each block differ (a highlighter can then reuse
//! nothing). Three shapes look for costs that grow faster than the pages:
//! `--hub` (every page links to the first), `--flat` (one section holds
//! every page) and `--prolific` (one person is an author of every page).
//!
//!     cargo run --release --example gen-corpus -- --pages 10000 --out /tmp/corpus
//!
//! The output depends only on the arguments (a fixed-seed generator), so two
//! runs give the same corpus.

use std::fmt::Write as _;
use std::path::PathBuf;

/// A small, fixed-seed pseudo-random generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

#[rustfmt::skip]
const WORDS: &[&str] = &[
    "wheel", "spoke", "chain", "brake", "cable", "tyre", "valve", "hub", "bearing", "grease",
    "the", "a", "and", "of", "to", "in", "with", "before", "after", "when", "every", "each",
    "check", "tighten", "loosen", "adjust", "clean", "measure", "replace", "turn", "hold",
    "quarter", "gently", "firmly", "slowly", "carefully", "always", "never", "first", "then",
    "volunteer", "workshop", "stand", "lever", "wrench", "derailleur", "cassette", "rim",
    "pressure", "tension", "thread", "bolt", "washer", "housing", "saddle", "frame", "fork",
    "because", "so", "until", "while", "most", "some", "one", "two", "three", "side",
];
#[rustfmt::skip]
const FIRST: &[&str] = &[
    "Ana", "Bo", "Cy", "Dana", "Erin", "Femi", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lena",
    "Marta", "Nico", "Oona", "Pia", "Quin", "Rosa", "Sami", "Tomás", "Uma", "Vik", "Wen", "Yara",
];
#[rustfmt::skip]
const LAST: &[&str] = &[
    "Lima", "Chen", "Park", "Ruiz", "Gray", "Okafor", "Raman", "Fischer", "Sato", "Brooks",
    "Herrera", "Novak",
];
#[rustfmt::skip]
const TAGS: &[&str] = &[
    "wheels", "brakes", "drivetrain", "tyres", "safety", "tools", "history", "volunteers",
    "beginner", "advanced", "governance", "events",
];
#[rustfmt::skip]
const SECTIONS: &[&str] = &[
    "guides", "guides/wheels", "guides/brakes", "guides/drivetrain", "workshop", "workshop/tools",
    "history", "history/meetings", "events", "people", "recipes", "reference", "reference/parts",
    "reference/standards", "stories", "projects", "projects/archive", "training", "training/mentors",
    "notes",
];

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        let w = rng.pick(WORDS);
        match rng.below(20) {
            0 => write!(s, "*{w}*"),
            1 => write!(s, "**{w}**"),
            2 => write!(s, "`{w}`"),
            _ => write!(s, "{w}"),
        }
        .ok();
    }
    let mut chars = s.chars();
    let first: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    format!("{first}{}.", chars.as_str())
}

fn person(i: usize) -> String {
    format!(
        "{} {} {i}",
        FIRST[i % FIRST.len()],
        LAST[(i / FIRST.len()) % LAST.len()]
    )
}

fn main() {
    let mut pages = 10_000usize;
    let mut out = PathBuf::from("corpus");
    let mut unique_code = false;
    // The shapes that would show a cost quadratic in pages or links.
    let mut hub = false;
    let mut flat = false;
    let mut prolific = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--pages" => pages = args.next().and_then(|v| v.parse().ok()).unwrap_or(pages),
            "--out" => out = args.next().map(PathBuf::from).unwrap_or(out),
            "--unique-code" => unique_code = true,
            "--hub" => hub = true,
            "--flat" => flat = true,
            "--prolific" => prolific = true,
            other => {
                eprintln!(
                    "unknown argument {other}; usage: gen-corpus [--pages N] [--out DIR] \
                     [--unique-code] [--hub] [--flat] [--prolific]"
                );
                std::process::exit(2);
            }
        }
    }
    let people = 300;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let content = out.join("content");
    std::fs::create_dir_all(&content).expect("create the corpus folder");
    std::fs::write(
        out.join("cairn.toml"),
        "title = \"Bench Archive\"\nlicense = \"CC-BY-4.0\"\n[markdown]\nhighlight_code = true\n",
    )
    .expect("write cairn.toml");

    let mut profiles = String::new();
    for i in 0..people {
        let name = person(i);
        let id = name.to_lowercase().replace(' ', "-").replace('á', "a");
        writeln!(
            profiles,
            "{id}:\n  name: {name}\n  aliases: [\"{id}@example.org\"]"
        )
        .ok();
    }
    std::fs::write(out.join("contributors.yaml"), profiles).expect("write contributors.yaml");

    let sections: &[&str] = if flat { &["all"] } else { SECTIONS };
    let path_of = |i: usize| format!("{}/page-{i:06}.md", sections[i % sections.len()]);
    for section in sections {
        let dir = content.join(section);
        std::fs::create_dir_all(&dir).expect("create a section");
        std::fs::write(
            dir.join("_index.md"),
            format!("---\ntitle: {section}\n---\n\nThe {section} section.\n"),
        )
        .expect("write a section page");
    }
    for i in 0..pages {
        let mut text = String::with_capacity(8 * 1024);
        let title = sentence(&mut rng, 4)
            .trim_end_matches('.')
            .replace(['*', '`'], "");
        text.push_str("---\n");
        writeln!(text, "title: \"{title} {i}\"").ok();
        text.push_str("authors:\n");
        // `--prolific`: one person writes (or co-writes) every page.
        if prolific {
            writeln!(text, "  - {}", person(0)).ok();
        }
        for _ in 0..1 + rng.below(3) {
            writeln!(text, "  - {}", person(rng.below(people))).ok();
        }
        let contributors = rng.below(3);
        if contributors > 0 {
            text.push_str("contributors:\n");
            for _ in 0..contributors {
                writeln!(
                    text,
                    "  - name: {}\n    role: reviewer",
                    person(rng.below(people))
                )
                .ok();
            }
        }
        writeln!(
            text,
            "date: {}-{:02}-{:02}",
            2015 + rng.below(10),
            1 + rng.below(12),
            1 + rng.below(28)
        )
        .ok();
        writeln!(text, "tags: [{}, {}]", rng.pick(TAGS), rng.pick(TAGS)).ok();
        text.push_str("---\n\n");

        // Five internal links: relative `.md` links and wiki links.
        let mut links = Vec::new();
        for k in 0..5 {
            let target = rng.below(pages);
            let from_dir = sections[i % sections.len()];
            let to = path_of(target);
            let link = if k % 2 == 0 {
                let up = "../".repeat(from_dir.split('/').count());
                format!("[see this]({up}{to})")
            } else {
                format!("[[page-{target:06}]]")
            };
            links.push(link);
        }
        let mut words = 0;
        let mut block = 0;
        while words < 1_000 {
            match block % 7 {
                0 => {
                    writeln!(text, "## {}\n", sentence(&mut rng, 3).trim_end_matches('.')).ok();
                    words += 3;
                }
                3 => {
                    for _ in 0..4 {
                        writeln!(text, "- {}", sentence(&mut rng, 8)).ok();
                    }
                    text.push('\n');
                    words += 32;
                }
                // The same block on every page, or (`--unique-code`) one
                // that differs on every page, for a highlighter that cannot
                // reuse its work.
                5 if block % 14 == 5 && unique_code => {
                    writeln!(
                        text,
                        "```rust\nfn tension_{i}_{block}(spoke: u32) -> u32 {{\n    spoke * {} + {}\n}}\n```\n",
                        2 + rng.below(9),
                        1 + rng.below(99)
                    )
                    .ok();
                    words += 10;
                }
                5 if block % 14 == 5 => {
                    text.push_str(
                        "```rust\nfn tension(spoke: u32) -> u32 {\n    spoke * 2 + 1\n}\n```\n\n",
                    );
                    words += 10;
                }
                _ => {
                    let n = 40 + rng.below(40);
                    let mut para = sentence(&mut rng, n);
                    if let Some(link) = links.pop() {
                        para.push(' ');
                        para.push_str(&link);
                        para.push('.');
                    }
                    writeln!(text, "{para}\n").ok();
                    words += n;
                }
            }
            block += 1;
        }
        for link in links {
            writeln!(text, "Also: {link}.\n").ok();
        }
        // `--hub`: every page also links to the first, which gets a
        // backlink from every other page.
        if hub && i > 0 {
            writeln!(text, "See also [[page-000000]], where it started.\n").ok();
        }
        std::fs::write(content.join(path_of(i)), text).expect("write a page");
    }
    println!("wrote {pages} pages to {}", out.display());
}
