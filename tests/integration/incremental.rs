//! Incremental rebuilds equal full builds, byte for byte: a site is edited
//! step by step (bodies, titles, headings, new, deleted and moved pages,
//! people, templates, config, broken front matter and its fix) and after
//! each step the rebuild's output, diagnostics and root hash are compared
//! with a fresh full build of the same folder.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cairn::incremental::{Builder, Changes};
use cairn::{BuildOptions, Built};

use crate::support::copy_fixture;

fn assert_same(step: &str, rebuilt: &Built, full: &Built) {
    let paths = |b: &Built| b.files.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
    assert_eq!(paths(rebuilt), paths(full), "{step}: the files differ");
    for (a, b) in rebuilt.files.iter().zip(&full.files) {
        assert!(
            a.bytes == b.bytes,
            "{step}: {} differs from a full build:\n--- rebuilt\n{}\n--- full\n{}",
            a.path,
            String::from_utf8_lossy(&a.bytes),
            String::from_utf8_lossy(&b.bytes)
        );
    }
    assert_eq!(rebuilt.diagnostics, full.diagnostics, "{step}: diagnostics");
    assert_eq!(rebuilt.root, full.root, "{step}: root hash");
}

/// One edit: what it does to the folder, and which paths it touched.
type Edit = (&'static str, fn(&Path) -> Vec<&'static str>);

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn edit(root: &Path, rel: &str, from: &str, to: &str) {
    let path = root.join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{rel} has no {from:?}");
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

fn run(fixture: &str, edits: &[Edit]) {
    let site = copy_fixture(fixture);
    let root = std::path::absolute(site.path()).unwrap();
    let options = BuildOptions::new(&root);
    let mut builder = Builder::new(options.clone());
    let first = builder.build(&Changes::Everything);
    assert_same("first build", &first, &cairn::build(&options));
    for (step, apply) in edits {
        let touched: BTreeSet<PathBuf> = apply(&root).iter().map(|p| root.join(p)).collect();
        let rebuilt = builder.build(&Changes::Paths(touched));
        assert_same(step, &rebuilt, &cairn::build(&options));
    }
}

#[test]
fn links_fixture_edits() {
    run(
        "links",
        &[
            ("a body edit", |r| {
                edit(
                    r,
                    "content/guides/first-steps.md",
                    "Install it.",
                    "Install it twice.",
                );
                vec!["content/guides/first-steps.md"]
            }),
            ("a retitled page, named by wiki links", |r| {
                edit(
                    r,
                    "content/guides/first-steps.md",
                    "title: First Steps",
                    "title: Early Steps",
                );
                vec!["content/guides/first-steps.md"]
            }),
            ("a renamed heading breaks anchors", |r| {
                edit(
                    r,
                    "content/guides/first-steps.md",
                    "## Install",
                    "## Installing",
                );
                vec!["content/guides/first-steps.md"]
            }),
            ("a page that links to everything retitled", |r| {
                edit(r, "content/source.md", "title: Source", "title: Origin");
                vec!["content/source.md"]
            }),
            ("a link's context sentence changes", |r| {
                edit(
                    r,
                    "content/source.md",
                    "Relative: [first]",
                    "Relative links: [first]",
                );
                vec!["content/source.md"]
            }),
            ("a body edit that leaves every link alone", |r| {
                edit(
                    r,
                    "content/guides/setup.md",
                    "A guide with",
                    "A fine guide with",
                );
                vec!["content/guides/setup.md"]
            }),
            ("a new page linking to others", |r| {
                write(
                    r,
                    "content/guides/new.md",
                    "---\ntitle: New\n---\n\nSee [[First Steps]] and [setup](setup.md).\n",
                );
                vec!["content/guides/new.md"]
            }),
            ("a page moved to another folder", |r| {
                std::fs::rename(
                    r.join("content/guides/new.md"),
                    r.join("content/notes/new.md"),
                )
                .unwrap();
                vec!["content/guides/new.md", "content/notes/new.md"]
            }),
            ("a deleted page that others link to", |r| {
                std::fs::remove_file(r.join("content/guides/setup.md")).unwrap();
                vec!["content/guides/setup.md"]
            }),
            ("a section retitled", |r| {
                edit(r, "content/guides/_index.md", "title:", "title: The");
                vec!["content/guides/_index.md"]
            }),
            ("broken front matter", |r| {
                edit(r, "content/source.md", "---\n", "---\ntitle: [oops\n");
                vec!["content/source.md"]
            }),
            ("the fix", |r| {
                edit(r, "content/source.md", "title: [oops\n", "");
                vec!["content/source.md"]
            }),
            ("a new folder with an asset", |r| {
                write(
                    r,
                    "content/extra/_index.md",
                    "---\ntitle: Extra\n---\n\n![d](d.txt)\n",
                );
                write(r, "content/extra/d.txt", "data");
                vec!["content/extra"]
            }),
            ("an asset edited", |r| {
                write(r, "content/extra/d.txt", "more data");
                vec!["content/extra/d.txt"]
            }),
            ("a folder removed", |r| {
                std::fs::remove_dir_all(r.join("content/extra")).unwrap();
                vec!["content/extra"]
            }),
            ("a template added", |r| {
                write(
                    r,
                    "templates/page.html",
                    "<title>{{ page.title }}</title>{{ page.content }}",
                );
                vec!["templates/page.html"]
            }),
            ("the config", |r| {
                edit(r, "cairn.toml", "title", "description = \"Changed\"\ntitle");
                vec!["cairn.toml"]
            }),
        ],
    );
}

#[test]
fn people_fixture_edits() {
    run(
        "people",
        &[
            ("an author added", |r| {
                edit(
                    r,
                    "content/a.md",
                    "---\n",
                    "---\ncontributors: [Newcomer]\n",
                );
                vec!["content/a.md"]
            }),
            ("a profile renamed", |r| {
                let text = std::fs::read_to_string(r.join("contributors.yaml")).unwrap();
                let line = text
                    .lines()
                    .find(|l| l.contains("name:"))
                    .unwrap()
                    .to_owned();
                edit(r, "contributors.yaml", &line, &format!("{line} Jr."));
                vec!["contributors.yaml"]
            }),
            ("a body edit", |r| {
                let text = std::fs::read_to_string(r.join("content/b.md")).unwrap();
                std::fs::write(r.join("content/b.md"), format!("{text}\nOne more line.\n"))
                    .unwrap();
                vec!["content/b.md"]
            }),
        ],
    );
}

#[test]
fn basic_fixture_edits() {
    run(
        "basic",
        &[
            ("a static file", |r| {
                write(r, "static/robots.txt", "User-agent: *\n");
                vec!["static/robots.txt"]
            }),
            ("a draft published", |r| {
                edit(r, "content/unfinished.md", "draft: true", "draft: false");
                vec!["content/unfinished.md"]
            }),
            ("an untitled page gets a heading", |r| {
                edit(r, "content/notes.md", "# Plain Notes", "# Plainer Notes");
                vec!["content/notes.md"]
            }),
        ],
    );
}

/// A site with nothing to warn about, so that word-and-link edits go by
/// the fast lane (which mends the last build in place); each step says
/// whether it must.
#[test]
fn word_edits_are_mended_in_place_and_still_equal_a_full_build() {
    let site = tempfile::tempdir().unwrap();
    let root = std::path::absolute(site.path()).unwrap();
    write(&root, "cairn.toml", "title = \"Clean\"\n");
    write(
        &root,
        "content/_index.md",
        "---\ntitle: Clean\n---\n\nStart with [[Alpha]].\n",
    );
    write(
        &root,
        "content/notes/_index.md",
        "---\ntitle: Notes\n---\n\nAll the notes, see [[Beta]].\n",
    );
    write(
        &root,
        "content/notes/alpha.md",
        "---\ntitle: Alpha\nauthors: [Ana]\n---\n\n## One\n\nAlpha links to [[Beta]] here.\n\n```rust\nfn main() {}\n```\n",
    );
    write(
        &root,
        "content/notes/beta.md",
        "---\ntitle: Beta\nauthors: [Bo]\n---\n\n## Two\n\nBeta links back to [alpha](alpha.md#one).\n",
    );
    write(
        &root,
        "content/notes/gamma.md",
        "---\ntitle: Gamma\nauthors: [Ana, Bo]\n---\n\nGamma stands alone.\n",
    );
    let options = BuildOptions::new(&root);
    let mut builder = Builder::new(options.clone());
    let first = builder.build(&Changes::Everything);
    assert!(first.diagnostics.is_empty(), "{:?}", first.diagnostics);
    assert_same("first build", &first, &cairn::build(&options));

    type Step = (&'static str, bool, fn(&Path) -> Vec<&'static str>);
    let steps: &[Step] = &[
        ("words of a page", true, |r| {
            edit(
                r,
                "content/notes/gamma.md",
                "stands alone",
                "stands quite alone",
            );
            vec!["content/notes/gamma.md"]
        }),
        ("the sentence around a link", true, |r| {
            edit(
                r,
                "content/notes/alpha.md",
                "Alpha links to",
                "Alpha always links to",
            );
            vec!["content/notes/alpha.md"]
        }),
        ("a link moved to another page", true, |r| {
            edit(r, "content/notes/alpha.md", "[[Beta]]", "[[Gamma]]");
            vec!["content/notes/alpha.md"]
        }),
        ("a section's own page", true, |r| {
            edit(r, "content/notes/_index.md", "All the notes", "Every note");
            vec!["content/notes/_index.md"]
        }),
        ("two pages at once", true, |r| {
            edit(r, "content/notes/beta.md", "links back", "points back");
            edit(r, "content/notes/gamma.md", "quite alone", "alone again");
            vec!["content/notes/beta.md", "content/notes/gamma.md"]
        }),
        ("a broken link takes the long way", false, |r| {
            edit(
                r,
                "content/notes/gamma.md",
                "alone again",
                "alone, see [[Nowhere]]",
            );
            vec!["content/notes/gamma.md"]
        }),
        (
            "and so does its fix, after a build with warnings",
            false,
            |r| {
                edit(r, "content/notes/gamma.md", ", see [[Nowhere]]", "");
                vec!["content/notes/gamma.md"]
            },
        ),
        ("then words again", true, |r| {
            edit(r, "content/notes/gamma.md", "alone", "apart");
            vec!["content/notes/gamma.md"]
        }),
        ("a new heading takes the long way", false, |r| {
            edit(
                r,
                "content/notes/gamma.md",
                "Gamma stands",
                "## Three\n\nGamma stands",
            );
            vec!["content/notes/gamma.md"]
        }),
        ("a new author takes the long way", false, |r| {
            edit(r, "content/notes/gamma.md", "[Ana, Bo]", "[Ana, Bo, Cy]");
            vec!["content/notes/gamma.md"]
        }),
        ("words once more", true, |r| {
            edit(r, "content/notes/beta.md", "points back", "links back");
            vec!["content/notes/beta.md"]
        }),
    ];
    for (step, mended, apply) in steps {
        let touched: BTreeSet<PathBuf> = apply(&root).iter().map(|p| root.join(p)).collect();
        let rebuilt = builder.build(&Changes::Paths(touched));
        assert_eq!(builder.mended(), *mended, "{step}: mended");
        assert_same(step, &rebuilt, &cairn::build(&options));
    }
}
