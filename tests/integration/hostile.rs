//! Hostile input: every case builds safely or fails with a located message;
//! none escapes the output folder, hangs or panics.

use cairn::BuildOptions;
use cairn::diagnostic::Kind;

use crate::support::*;

fn site_with(pages: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, bytes) in pages {
        write(dir.path(), rel, bytes);
    }
    dir
}

#[test]
fn script_injection_is_sanitised() {
    let site = site_with(&[(
        "content/evil.md",
        b"---\ntitle: \"</title><script>alert(1)</script>\"\nsource: \"javascript:alert(2)\"\ntags: [\"<b>bold tag</b>\"]\n---\n\n<script>alert(4)</script>\n\n<p onclick=\"alert(5)\">click</p>\n\n<iframe src=\"https://example.org\"></iframe>\n\n[link](javascript:alert(6)) and <a href=\"javascript:alert(7)\">raw</a>\n\n<img src=\"x\" onerror=\"alert(8)\">\n",
    )]);
    let built = build_ok(&BuildOptions::new(site.path()));
    let html = text(&built, "evil/index.html");
    assert!(html.contains("&lt;b&gt;bold tag&lt;"), "{html}");
    // `javascript:` may show as text (the `source` line), never as a URL.
    assert!(html.contains("Source: javascript:alert(2)</p>"), "{html}");
    // The one script is the page's own JSON-LD.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert_eq!(
        html.matches("<script type=\"application/ld+json\">")
            .count(),
        1
    );
    for needle in [
        "<script>",
        "onclick",
        "onerror",
        "<iframe",
        "=\"javascript:",
        "<b>bold",
    ] {
        assert!(!html.contains(needle), "found {needle} in:\n{html}");
    }
    assert!(html.contains("&lt;/title&gt;&lt;script&gt;"), "{html}");
    assert!(html.contains("click"));
}

#[test]
fn a_slug_that_climbs_out_is_refused() {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("site");
    for (i, slug) in ["../../../escaped", "..", "a/b", "C:\\\\x", "..\\\\..\\\\x"]
        .iter()
        .enumerate()
    {
        write(
            &root,
            &format!("content/p{i}.md"),
            format!("---\nslug: \"{slug}\"\n---\nText\n"),
        );
    }
    let built = build(&root);
    let unsafe_paths: Vec<_> = built
        .diagnostics
        .iter()
        .filter(|d| d.kind == Kind::UnsafePath)
        .collect();
    assert_eq!(unsafe_paths.len(), 5, "{:#?}", built.diagnostics);
    assert_eq!(
        (
            unsafe_paths[0].file.as_str(),
            unsafe_paths[0].line,
            unsafe_paths[0].column
        ),
        ("content/p0.md", 2, 1)
    );
    // Nothing is written anywhere by a failed build; and every output path
    // of the in-memory set stays inside the output folder.
    for file in &built.files {
        assert!(
            cairn::emit::is_safe_output_path(&file.path),
            "{}",
            file.path
        );
    }
}

#[test]
fn two_pages_at_one_url_are_an_error_naming_both() {
    let site = site_with(&[
        ("content/a b.md", b"# One\n"),
        ("content/a-b.md", b"# Two\n"),
    ]);
    let built = build(site.path());
    let dup: Vec<_> = built
        .diagnostics
        .iter()
        .filter(|d| d.kind == Kind::DuplicateUrl)
        .collect();
    assert_eq!(dup.len(), 1, "{dup:#?}");
    assert!(
        dup[0].message.contains("content/a b.md") && dup[0].message.contains("content/a-b.md"),
        "{}",
        dup[0].message
    );
    assert!(dup[0].message.contains("/a-b/"));
}

#[test]
fn a_page_and_a_folder_at_one_url_are_an_error() {
    let site = site_with(&[
        ("content/guides.md", b"# Guides page\n"),
        ("content/guides/a.md", b"# A\n"),
    ]);
    let built = build(site.path());
    assert!(
        built
            .diagnostics
            .iter()
            .any(|d| d.kind == Kind::DuplicateUrl && d.file == "content/guides.md"),
        "{:#?}",
        built.diagnostics
    );
}

#[test]
fn invalid_utf8_is_an_error_naming_the_file_and_line() {
    let site = site_with(&[
        ("content/bad.md", b"# Title\n\nok line\nbad \xff\xfe byte\n"),
        ("content/good.md", b"# Good\n"),
    ]);
    let built = build(site.path());
    let errors: Vec<_> = built.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].kind, Kind::Encoding);
    assert_eq!(
        (errors[0].file.as_str(), errors[0].line, errors[0].column),
        ("content/bad.md", 4, 5)
    );
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_skipped_with_a_warning() {
    let site = site_with(&[("content/a.md", b"# A\n"), ("content/sub/b.md", b"# B\n")]);
    std::os::unix::fs::symlink(
        site.path().join("content"),
        site.path().join("content/sub/loop"),
    )
    .unwrap();
    let built = build(site.path());
    assert!(!built.has_errors(), "{:#?}", built.diagnostics);
    assert_eq!(built.pages, 2);
    assert!(
        built
            .diagnostics
            .iter()
            .any(|d| !d.is_error() && d.file.starts_with("content/sub/loop")),
        "{:#?}",
        built.diagnostics
    );
}

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_root_is_skipped_with_a_warning() {
    let outside = site_with(&[("secret.md", b"# Secret\n"), ("secret.txt", b"password")]);
    let site = site_with(&[("content/a.md", b"# A\n")]);
    std::os::unix::fs::symlink(outside.path(), site.path().join("content/elsewhere")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        site.path().join("content/file.txt"),
    )
    .unwrap();
    let built = build(site.path());
    assert!(!built.has_errors());
    assert_eq!(built.pages, 1);
    assert!(
        paths(&built)
            .iter()
            .all(|p| !p.contains("secret") && !p.contains("file.txt")),
        "{:?}",
        paths(&built)
    );
    let warned: Vec<_> = built.diagnostics.iter().map(|d| d.file.as_str()).collect();
    assert_eq!(warned, ["content/elsewhere", "content/file.txt"]);
}

#[test]
fn a_yaml_alias_bomb_fails_fast_with_an_error() {
    let mut yaml = String::from(
        "---\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let mut prev = 'a';
    for n in 'b'..='j' {
        yaml.push_str(&format!(
            "{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = n;
    }
    yaml.push_str("---\nBody\n");
    let site = site_with(&[("content/bomb.md", yaml.as_bytes())]);
    let built = build(site.path());
    let errors: Vec<_> = built.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, Kind::FrontMatter);
    assert_eq!(errors[0].file, "content/bomb.md");
}

#[test]
fn a_failed_build_keeps_the_previous_output_byte_for_byte() {
    let site = copy_fixture("basic");
    let out = site.path().join("public");
    let code = cairn::cli::run(["cairn", "--root", &site.path().to_string_lossy(), "build"]);
    assert_eq!(code, 0);
    let before = read_tree(&out);
    assert!(before.len() > 5);
    write(
        site.path(),
        "content/guides/first-steps.md",
        "---\ntitle: [broken\n---\n",
    );
    write(site.path(), "content/new-page.md", "# New\n");
    let code = cairn::cli::run(["cairn", "--root", &site.path().to_string_lossy(), "build"]);
    assert_eq!(code, 1);
    assert_eq!(read_tree(&out), before);
    assert!(!site.path().join(".public.cairn-staging").exists());
}

#[test]
fn an_unrelated_output_folder_is_never_replaced() {
    let site = site_with(&[("content/a.md", b"# A\n")]);
    let precious = site.path().join("precious");
    write(&precious, "thesis.txt", "years of work");
    let code = cairn::cli::run([
        "cairn",
        "--root",
        &site.path().to_string_lossy(),
        "build",
        "--output",
        &precious.to_string_lossy(),
    ]);
    assert_eq!(code, 1);
    assert_eq!(
        std::fs::read_to_string(precious.join("thesis.txt")).unwrap(),
        "years of work"
    );
    // Nor the site root itself.
    let code = cairn::cli::run([
        "cairn",
        "--root",
        &site.path().to_string_lossy(),
        "build",
        "--output",
        &site.path().to_string_lossy(),
    ]);
    assert_eq!(code, 1);
    assert!(site.path().join("content/a.md").is_file());
}

#[test]
fn a_very_large_page_builds() {
    let paragraph = "Lorem ipsum *dolor* sit amet, [consectetur](other.md) adipiscing elit, sed do eiusmod tempor.\n\n";
    let body = paragraph.repeat(40 * 1024 * 1024 / paragraph.len());
    let site = site_with(&[(
        "content/huge.md",
        format!("---\ntitle: Huge\n---\n{body}").as_bytes(),
    )]);
    let built = build_ok(&BuildOptions::new(site.path()));
    assert!(built.file("huge/index.html").unwrap().len() > body.len());
}

#[test]
fn very_deep_nesting_builds() {
    let quotes = ">".repeat(20_000) + " deep quote\n\n";
    let mut lists = String::new();
    for depth in 0..2_000 {
        lists.push_str(&"  ".repeat(depth));
        lists.push_str("- item\n");
    }
    let emphasis = "*".repeat(10_000) + "x" + &"*".repeat(10_000) + "\n\n";
    let brackets = "[".repeat(10_000) + "x" + &"]".repeat(10_000) + "\n\n";
    let html = "<div>".repeat(5_000) + "deep html" + &"</div>".repeat(5_000) + "\n";
    let page = format!("# Deep\n\n{quotes}{lists}\n{emphasis}{brackets}{html}");
    let site = site_with(&[("content/deep.md", page.as_bytes())]);
    let built = build_ok(&BuildOptions::new(site.path()));
    let out = text(&built, "deep/index.html");
    assert!(out.contains("deep quote") && out.contains("deep html"));
}
