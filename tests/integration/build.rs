//! Fixture sites built end to end and checked exactly.

use cairn::BuildOptions;

use crate::support::*;

#[test]
fn basic_fixture_outputs_every_page_at_its_url() {
    let built = build_ok(&BuildOptions::new(fixture("basic")));
    // The stylesheet's name carries its hash: checked on its own below.
    let (styles, others): (Vec<&str>, Vec<&str>) = paths(&built)
        .into_iter()
        .partition(|p| p.starts_with("style."));
    assert_eq!(styles.len(), 1);
    assert!(
        styles[0].ends_with(".css") && styles[0].len() == "style.0123456789.css".len(),
        "{styles:?}"
    );
    assert_eq!(
        others,
        [
            "404.html",
            "B3SUMS",
            "cairn-manifest.json",
            "contributors.json",
            "contributors/ana-lima/atom.xml",
            "contributors/ana-lima/index.html",
            "contributors/bo-chen/atom.xml",
            "contributors/bo-chen/index.html",
            "contributors/cy-park/atom.xml",
            "contributors/cy-park/index.html",
            "contributors/dana-ruiz/atom.xml",
            "contributors/dana-ruiz/index.html",
            "contributors/index.html",
            "guides/advanced/deep-dive/index.html",
            "guides/advanced/deep-dive/index.md",
            "guides/advanced/index.html",
            "guides/advanced/index.md",
            "guides/cafe-tours/index.html",
            "guides/cafe-tours/index.md",
            "guides/custom-slug/index.html",
            "guides/custom-slug/index.md",
            "guides/first-steps/diagram.svg",
            "guides/first-steps/index.html",
            "guides/first-steps/index.md",
            "guides/index.html",
            "guides/index.md",
            "index.html",
            "index.md",
            "llms.txt",
            "notes/index.html",
            "notes/index.md",
            "robots.txt",
        ]
    );
    assert_eq!(built.pages, 8);
}

/// The text of the first `<h1>` of a page.
fn h1(html: &str) -> &str {
    let start = html.find("<h1>").expect("an h1") + 4;
    let end = html[start..].find("</h1>").expect("closed h1") + start;
    &html[start..end]
}

#[test]
fn titles_come_from_front_matter_heading_or_file_name() {
    let built = build_ok(&BuildOptions::new(fixture("basic")));
    for (path, title) in [
        ("index.html", "Fixture Archive"),
        ("guides/index.html", "Guides"),
        ("guides/first-steps/index.html", "First Steps"),
        ("guides/advanced/deep-dive/index.html", "Deep Dive"),
        ("guides/cafe-tours/index.html", "Café Tours"),
        ("notes/index.html", "Plain Notes"),
    ] {
        assert_eq!(h1(&text(&built, path)), title, "{path}");
    }
    // The heading that became the title is not repeated in the body.
    let notes = text(&built, "notes/index.html");
    assert_eq!(notes.matches("Plain Notes</h1>").count(), 1);
    assert!(notes.contains("<title>Plain Notes · Fixture Archive</title>"));
}

#[test]
fn sections_list_their_pages_and_subsections_in_order() {
    let built = build_ok(&BuildOptions::new(fixture("basic")));
    let guides = text(&built, "guides/index.html");
    let order: Vec<usize> = [
        "/guides/custom-slug/",
        "/guides/cafe-tours/",
        "/guides/first-steps/",
    ]
    .iter()
    .map(|url| {
        guides
            .find(&format!("href=\"{url}\""))
            .unwrap_or_else(|| panic!("{url} listed"))
    })
    .collect();
    // weight 0 first, then by title.
    assert!(order[0] < order[1] && order[1] < order[2], "{order:?}");
    assert!(guides.contains("href=\"/guides/advanced/\""));
    // Breadcrumbs lead back to the root.
    let deep = text(&built, "guides/advanced/deep-dive/index.html");
    let crumbs = &deep[deep.find("breadcrumbs").unwrap()..deep.find("</nav>\n<article").unwrap()];
    assert!(crumbs.contains("href=\"/\""), "{crumbs}");
    assert!(crumbs.contains("href=\"/guides/\""));
    assert!(crumbs.contains("href=\"/guides/advanced/\""));
}

#[test]
fn colocated_assets_and_static_files_are_copied_byte_for_byte() {
    let root = fixture("basic");
    let built = build_ok(&BuildOptions::new(&root));
    assert_eq!(
        built.file("guides/first-steps/diagram.svg").unwrap(),
        std::fs::read(root.join("content/guides/first-steps/diagram.svg")).unwrap()
    );
    assert_eq!(
        built.file("robots.txt").unwrap(),
        std::fs::read(root.join("static/robots.txt")).unwrap()
    );
    let page = text(&built, "guides/first-steps/index.html");
    assert!(
        page.contains("<img src=\"/guides/first-steps/diagram.svg\""),
        "{page}"
    );
}

#[test]
fn relative_markdown_links_point_at_page_urls() {
    let built = build_ok(&BuildOptions::new(fixture("basic")));
    let page = text(&built, "guides/first-steps/index.html");
    assert!(page.contains("<a href=\"/notes/\">notes</a>"), "{page}");
    assert!(page.contains("<a href=\"/guides/advanced/deep-dive/#why\">deep dive</a>"));
    let home = text(&built, "index.html");
    assert!(home.contains("<a href=\"/guides/\">guides</a>"));
}

#[test]
fn relative_urls_work_from_any_depth() {
    let mut options = BuildOptions::new(fixture("basic"));
    options.relative_urls = Some(true);
    let built = build_ok(&options);
    let page = text(&built, "guides/first-steps/index.html");
    assert!(page.contains("href=\"../../style."), "{page}");
    assert!(page.contains("<a href=\"../../notes/index.html\">notes</a>"));
    assert!(page.contains("<img src=\"../../guides/first-steps/diagram.svg\""));
    let home = text(&built, "index.html");
    assert!(home.contains("href=\"style."));
}

#[test]
fn drafts_are_left_out_unless_asked_for() {
    let built = build_ok(&BuildOptions::new(fixture("basic")));
    assert!(built.file("unfinished/index.html").is_none());
    assert!(!text(&built, "cairn-manifest.json").contains("unfinished"));
    let mut options = BuildOptions::new(fixture("basic"));
    options.drafts = true;
    let built = build_ok(&options);
    assert!(text(&built, "unfinished/index.html").contains("Draft"));
}

#[test]
fn heading_ids_are_unique_slugs() {
    let built = build_ok(&BuildOptions::new(fixture("basic")));
    let page = text(&built, "guides/first-steps/index.html");
    assert!(page.contains("<h2 id=\"install\">Install</h2>"));
    assert!(page.contains("<h2 id=\"install-1\">Install</h2>"));
}

#[test]
fn manifest_matches_the_contract_and_the_sources() {
    let root = fixture("basic");
    let built = build_ok(&BuildOptions::new(&root));
    let manifest: serde_json::Value =
        serde_json::from_slice(built.file("cairn-manifest.json").unwrap()).unwrap();
    assert_valid("cairn-manifest.schema.json", &manifest);
    assert_eq!(
        manifest["generator"],
        format!("cairn {}", env!("CARGO_PKG_VERSION"))
    );
    let pages = manifest["pages"].as_array().unwrap();
    let sources: Vec<&str> = pages
        .iter()
        .map(|p| p["source"].as_str().unwrap())
        .collect();
    let mut sorted = sources.clone();
    sorted.sort_unstable();
    assert_eq!(sources, sorted, "sorted by source");
    assert_eq!(sources.len(), 8);
    for page in pages {
        let source = page["source"].as_str().unwrap();
        let bytes = std::fs::read(root.join(source)).unwrap();
        assert_eq!(
            page["source_blake3"],
            blake3::hash(&bytes).to_hex().as_str(),
            "{source}"
        );
        let url = page["url"].as_str().unwrap();
        let html = built.file(&format!("{}index.html", &url[1..])).unwrap();
        assert_eq!(
            page["output_blake3"],
            blake3::hash(html).to_hex().as_str(),
            "{source}"
        );
    }
    let first = pages
        .iter()
        .find(|p| p["source"] == "content/guides/first-steps.md")
        .unwrap();
    assert_eq!(first["url"], "/guides/first-steps/");
    assert_eq!(first["title"], "First Steps");
    assert_eq!(first["authors"], serde_json::json!(["ana-lima", "bo-chen"]));
    assert_eq!(first["contributors"], serde_json::json!(["cy-park"]));
    assert_eq!(first["date"], "2024-03-01");
    assert_eq!(first["updated"], "2024-04-02");
    assert_eq!(
        first["license"], "CC-BY-4.0",
        "falls back to the site's license"
    );
    assert_eq!(
        first["derived_from"],
        serde_json::json!(["https://example.org/original"])
    );
    let deep = pages
        .iter()
        .find(|p| p["source"] == "content/guides/advanced/deep-dive.md")
        .unwrap();
    assert_eq!(deep["license"], "MIT");
    assert_eq!(deep["date"], "2024-05-06");
    let notes = pages
        .iter()
        .find(|p| p["source"] == "content/notes.md")
        .unwrap();
    assert_eq!(notes["date"], serde_json::Value::Null);
    assert_eq!(notes["authors"], serde_json::json!([]));
}

#[test]
fn same_bytes_whatever_the_thread_count() {
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let many = rayon::ThreadPoolBuilder::new()
        .num_threads(7)
        .build()
        .unwrap();
    let a = one.install(|| build_ok(&BuildOptions::new(fixture("basic"))));
    let b = many.install(|| build_ok(&BuildOptions::new(fixture("basic"))));
    assert_eq!(a.files, b.files);
}

#[test]
fn site_templates_override_the_theme() {
    let site = copy_fixture("basic");
    write(
        site.path(),
        "templates/page.html",
        "<p>custom {{ page.title }} by {{ page.authors | map(attribute='name') | join(', ') }}</p>\n",
    );
    let built = build_ok(&BuildOptions::new(site.path()));
    assert_eq!(
        text(&built, "guides/first-steps/index.html"),
        "<p>custom First Steps by Ana Lima, Bo Chen</p>\n"
    );
    // Sections still use the theme.
    assert!(text(&built, "guides/index.html").contains("<!doctype html>"));
}

#[test]
fn a_template_sees_the_page_as_a_map_and_the_globals_beside_it() {
    let site = copy_fixture("basic");
    write(
        site.path(),
        "templates/page.html",
        concat!(
            "{{ page | list | join(',') }}\n",
            "{{ page.title | tojson }} {{ page.nosuch is defined }} {{ page.draft }}\n",
            "{{ generator }} {{ url(page.url) }} {{ url is defined }}\n",
            "{% set generator = 'mine' %}{{ generator }}\n",
        ),
    );
    let built = build_ok(&BuildOptions::new(site.path()));
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        text(&built, "guides/first-steps/index.html"),
        format!(
            "title,url,content,description,authors,contributors,date,updated,tags,\
             categories,topics,license,source,source_url,derived_from,source_path,\
             source_hash,draft,extra,breadcrumbs,headings,backlinks,json_ld,\
             cite_bibtex,cite_text\n\
             \"First Steps\" False False\n\
             cairn {version} /guides/first-steps/ True\n\
             mine\n"
        )
    );
}

#[test]
fn nav_current_is_the_top_level_section_a_page_is_in() {
    let site = copy_fixture("basic");
    write(
        site.path(),
        "templates/page.html",
        "{{ nav_current }} {{ nav_current is none }} {{ nav | map(attribute='url') | join(',') }}\n",
    );
    let built = build_ok(&BuildOptions::new(site.path()));
    let nav = "/guides/";
    for page in [
        "guides/first-steps/index.html",
        "guides/advanced/deep-dive/index.html",
    ] {
        assert_eq!(
            text(&built, page),
            format!("/guides/ False {nav}\n"),
            "{page}"
        );
    }
    // A page of the root section is in no entry of the navigation.
    assert_eq!(
        text(&built, "notes/index.html"),
        format!("None True {nav}\n")
    );
}

#[test]
fn a_template_error_names_the_template_and_line() {
    let site = copy_fixture("basic");
    write(
        site.path(),
        "templates/page.html",
        "<p>fine</p>\n{{ page.title | nosuchfilter }}\n",
    );
    let built = build(site.path());
    let errors: Vec<_> = built.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "one error, not one per page: {errors:#?}");
    assert_eq!(errors[0].file, "templates/page.html");
    assert_eq!(errors[0].line, 2);
    assert!(
        errors[0].message.contains("nosuchfilter"),
        "{}",
        errors[0].message
    );
}

#[test]
fn default_theme_page_snapshot() {
    let built = build_ok(&BuildOptions::new(fixture("basic")));
    insta::assert_snapshot!(
        "page_first_steps",
        text(&built, "guides/first-steps/index.html")
    );
}

#[test]
fn default_theme_section_snapshot() {
    let built = build_ok(&BuildOptions::new(fixture("basic")));
    insta::assert_snapshot!("section_guides", text(&built, "guides/index.html"));
}

#[test]
fn demo_archive_builds_without_warnings() {
    let built = cairn::build(&BuildOptions::new(env!("CARGO_MANIFEST_DIR")));
    assert!(
        built.diagnostics.is_empty(),
        "{}",
        cairn::diagnostic::render_all(&built.diagnostics, false)
    );
    assert!(built.pages >= 12);
    assert!(
        built.file("history/2025-move/index.html").is_none(),
        "the draft is left out"
    );
}

#[test]
fn shipped_schemas_match_the_shared_contract() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas");
    if !shared.is_dir() {
        return; // Only a checkout beside the shared contract can compare.
    }
    for name in [
        "cairn-manifest.schema.json",
        "check-report.schema.json",
        "contributors.schema.json",
    ] {
        assert_eq!(
            std::fs::read(shared.join(name)).unwrap(),
            std::fs::read(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("schemas")
                    .join(name)
            )
            .unwrap(),
            "{name} differs from the shared contract"
        );
    }
}
