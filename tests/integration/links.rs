//! Links: every form resolved exactly, the link graph, backlinks with their
//! context, redirects, and the exact position of every broken link.

use assert_cmd::Command;
use cairn::BuildOptions;
use cairn::diagnostic::Kind;

use crate::support::*;

/// The 1-based line and column (in characters) of `needle` in `text`.
fn pos(text: &str, needle: &str) -> (usize, usize) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in text"));
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    (line, col)
}

fn source_text() -> String {
    std::fs::read_to_string(fixture("links").join("content/source.md")).unwrap()
}

#[test]
fn every_link_form_resolves_to_its_url() {
    let built = cairn::build(&BuildOptions::new(fixture("links")));
    let html = text(&built, "source/index.html");
    for expected in [
        // Relative Markdown links.
        r#"<a href="/guides/first-steps/">first</a>"#,
        r#"<a href="/guides/first-steps/#install">install</a>"#,
        r#"<a href="/">here</a>"#,
        r#"<a href="/guides/">guides</a>"#,
        r#"<a href="/guides/first-steps/diagram.png">diagram</a>"#,
        r#"<a href="/guides/my-notes/">spaced</a>"#,
        r#"<a href="/guides/my-notes/">angled</a>"#,
        r#"<a href="/guides/cafe-guide/">café</a>"#,
        r#"<a href="/reference/">readme</a>"#,
        r##"<a href="#local-heading">local</a>"##,
        // Wiki links, labelled with the target's title unless a label is given.
        r#"Wiki: <a href="/guides/first-steps/">First Steps</a>"#,
        r#"<a href="/guides/first-steps/">the first steps</a>"#,
        r#"<a href="/guides/first-steps/#install">First Steps › Install</a>"#,
        r##"<a href="#local-heading">Local Heading</a>"##,
        r#"<a href="/guides/first-steps/">First Steps</a>, <a href="/guides/cafe-guide/">Café Guide</a>"#,
        r#"<a href="/reference/">Reference</a>"#,
        // Embeds: an image, and a note as a titled card with its description.
        r#"<img src="/guides/first-steps/diagram.png" alt="diagram.png" />"#,
        r#"<span class="embed"><a class="embed-title" href="/guides/cafe-guide/">Café Guide</a><span class="embed-description">Where to drink coffee.</span></span>"#,
        // Ambiguous: the shortest path wins.
        r#"Ambiguous: <a href="/notes/setup/">Setting up, the notes</a>"#,
        // A wiki link to nothing is shown, marked, and links nowhere.
        r#"<span class="broken-link" title="No page or file named Missing Page">Missing Page</span>"#,
        // External links are left alone.
        r#"<a href="https://example.org/missing.md">external</a>"#,
    ] {
        assert!(html.contains(expected), "missing {expected} in\n{html}");
    }
    // Decoys in code stay text.
    assert!(html.contains("<code>[[Not A Link]]</code>"));
    assert!(html.contains("<code>[x](missing.md)</code>"));
    assert!(!html.contains("href=\"nope.md\""));
}

#[test]
fn relative_urls_make_every_resolved_link_relative() {
    let mut options = BuildOptions::new(fixture("links"));
    options.relative_urls = Some(true);
    let built = cairn::build(&options);
    let html = text(&built, "source/index.html");
    assert!(
        html.contains(r#"<a href="../guides/first-steps/index.html">first</a>"#),
        "{html}"
    );
    assert!(html.contains(r#"<a href="../guides/first-steps/index.html#install">install</a>"#));
    assert!(html.contains(r#"<img src="../guides/first-steps/diagram.png""#));
    assert!(html.contains(r#"<a href="../index.html">here</a>"#));
}

#[test]
fn the_manifest_holds_the_link_graph() {
    let built = cairn::build(&BuildOptions::new(fixture("links")));
    let manifest: serde_json::Value =
        serde_json::from_slice(built.file("cairn-manifest.json").unwrap()).unwrap();
    assert_valid("cairn-manifest.schema.json", &manifest);
    let page = |source: &str| {
        manifest["pages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["source"] == source)
            .unwrap_or_else(|| panic!("{source}"))
            .clone()
    };
    let source = page("content/source.md");
    assert_eq!(
        source["links"],
        serde_json::json!([
            "/",
            "/guides/",
            "/guides/cafe-guide/",
            "/guides/first-steps/",
            "/guides/my-notes/",
            "/notes/setup/",
            "/reference/"
        ])
    );
    assert_eq!(source["backlinks"], serde_json::json!(["/toml-page/"]));
    assert_eq!(
        source["derived_from"],
        serde_json::json!(["/guides/first-steps/", "https://example.org/origin"])
    );
    let first = page("content/guides/first-steps.md");
    assert_eq!(first["links"], serde_json::json!([]));
    assert_eq!(first["backlinks"], serde_json::json!(["/", "/source/"]));
    let guides = page("content/guides/_index.md");
    assert_eq!(guides["backlinks"], serde_json::json!(["/source/"]));
}

#[test]
fn linked_from_shows_each_linking_page_with_its_sentence() {
    let built = cairn::build(&BuildOptions::new(fixture("links")));
    let html = text(&built, "guides/cafe-guide/index.html");
    let block = &html[html
        .find("<section class=\"backlinks\"")
        .expect("a Linked from block")..];
    let block = &block[..block.find("</section>").unwrap()];
    assert!(block.contains("<h2 id=\"backlinks-title\">Linked from</h2>"));
    // One entry per link, in the order the links appear.
    let entries: Vec<&str> = block.matches("<li>").collect();
    assert_eq!(entries.len(), 3, "{block}");
    assert!(block.contains(r#"<li><a href="/source/">Source</a><p class="context">Relative: first, install, here, guides, diagram, spaced, angled, café, readme, local.</p></li>"#), "{block}");
    assert!(block.contains(r#"<p class="context">Wiki: guides/first-steps, the first steps, First Steps#Install, #Local Heading, Beginning, Café Guide, reference.</p>"#), "{block}");
    // The embed is a link too.
    assert!(
        block.contains(r#"<p class="context">Café Guide</p>"#),
        "{block}"
    );
}

#[test]
fn aliases_and_ids_get_redirect_pages() {
    let built = cairn::build(&BuildOptions::new(fixture("links")));
    for path in [
        "old/first-steps/index.html",
        "legacy/start.html",
        "id/fs-001/index.html",
    ] {
        let html = text(&built, path);
        assert!(
            html.contains(r#"<meta http-equiv="refresh" content="0; url=/guides/first-steps/">"#),
            "{path}: {html}"
        );
        assert!(html.contains(r#"<link rel="canonical" href="/guides/first-steps/">"#));
    }
    // With relative URLs the redirect climbs out of its own folder.
    let mut options = BuildOptions::new(fixture("links"));
    options.relative_urls = Some(true);
    let built = cairn::build(&options);
    assert!(
        text(&built, "old/first-steps/index.html")
            .contains("url=../../guides/first-steps/index.html")
    );
}

#[test]
fn a_redirect_onto_a_real_page_is_an_error_naming_both() {
    let site = copy_fixture("links");
    write(
        site.path(),
        "content/mover.md",
        "---\ntitle: Mover\naliases: [/source/]\n---\nText\n",
    );
    let built = build(site.path());
    let errors: Vec<_> = built.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].kind, Kind::DuplicateUrl);
    assert!(
        errors[0].message.contains("content/source.md")
            && errors[0].message.contains("content/mover.md"),
        "{}",
        errors[0].message
    );
}

#[test]
fn check_json_locates_every_broken_link_in_the_file() {
    let output = Command::cargo_bin("cairn")
        .unwrap()
        .arg("--root")
        .arg(fixture("links"))
        .args(["check", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_valid("check-report.schema.json", &report);
    assert_eq!(report["errors"], serde_json::json!([]));
    let source = source_text();
    let toml_page = std::fs::read_to_string(fixture("links").join("content/toml-page.md")).unwrap();
    let at = |text: &str, needle: &str| pos(text, needle);
    let expected = [
        (
            "ambiguous-link",
            "content/source.md",
            at(&source, "[[setup]]"),
            "setup",
        ),
        (
            "broken-link",
            "content/source.md",
            at(&source, "[broken](nowhere.md)"),
            "nowhere.md",
        ),
        (
            "broken-link",
            "content/source.md",
            at(&source, "[[Missing Page]]"),
            "Missing Page",
        ),
        (
            "broken-anchor",
            "content/source.md",
            at(&source, "[bad anchor]"),
            "guides/first-steps.md#nope",
        ),
        (
            "broken-anchor",
            "content/source.md",
            at(&source, "[[First Steps#Nowhere]]"),
            "First Steps#Nowhere",
        ),
        (
            "broken-anchor",
            "content/source.md",
            at(&source, "[[#no-such-heading]]"),
            "#no-such-heading",
        ),
        (
            "broken-link",
            "content/toml-page.md",
            at(&toml_page, "[broken link]"),
            "../outside.md",
        ),
    ];
    let warnings: Vec<(String, String, (usize, usize), String)> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["kind"].as_str().unwrap().to_owned(),
                w["file"].as_str().unwrap().to_owned(),
                (
                    w["line"].as_u64().unwrap() as usize,
                    w["column"].as_u64().unwrap() as usize,
                ),
                w["target"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String, (usize, usize), String)> = expected
        .iter()
        .map(|(k, f, p, t)| (k.to_string(), f.to_string(), *p, t.to_string()))
        .collect();
    assert_eq!(warnings, expected);
    // The positions are past the long front-matter blocks, in the file.
    assert!(expected[1].2.0 > 40 && expected[6].2.0 == 13);
}

#[test]
fn build_warns_and_succeeds_but_strict_and_check_fail() {
    let out = tempfile::tempdir().unwrap();
    Command::cargo_bin("cairn")
        .unwrap()
        .env("CI", "true")
        .arg("--root")
        .arg(fixture("links"))
        .arg("build")
        .arg("--output")
        .arg(out.path().join("a"))
        .assert()
        .success()
        .stderr(predicates::str::contains("warning[broken-link]"))
        .stderr(predicates::str::contains("--> content/source.md:"));
    Command::cargo_bin("cairn")
        .unwrap()
        .env("CI", "true")
        .arg("--root")
        .arg(fixture("links"))
        .args(["build", "--strict", "--output"])
        .arg(out.path().join("b"))
        .assert()
        .code(1);
    assert!(!out.path().join("b").exists());
    Command::cargo_bin("cairn")
        .unwrap()
        .arg("--root")
        .arg(fixture("links"))
        .arg("check")
        .assert()
        .code(1)
        .stderr(predicates::str::contains("7 warnings"));
    // A site without problems passes the check.
    Command::cargo_bin("cairn")
        .unwrap()
        .arg("--root")
        .arg(fixture("basic"))
        .arg("check")
        .assert()
        .success();
}

#[test]
fn derived_from_is_shown_as_links_to_pages_and_addresses() {
    let built = cairn::build(&BuildOptions::new(fixture("links")));
    let html = text(&built, "source/index.html");
    assert!(
        html.contains(r#"<p class="derived">Derived from: <a href="/guides/first-steps/">First Steps</a>, <a href="https://example.org/origin">https://example.org/origin</a></p>"#),
        "{html}"
    );
}
