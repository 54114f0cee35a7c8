//! Contributors: every spelling resolves to one person, with pages and
//! `contributors.json` checked exactly.

use cairn::BuildOptions;
use cairn::diagnostic::Kind;
use serde_json::json;

use crate::support::*;

#[test]
fn contributors_json_is_exact() {
    let built = build_ok(&BuildOptions::new(fixture("people")));
    let list: serde_json::Value =
        serde_json::from_slice(built.file("contributors.json").unwrap()).unwrap();
    assert_valid("contributors.schema.json", &list);
    assert_eq!(
        list,
        json!([
            {
                "id": "erin-gray", "name": "Erin Gray", "url": "/contributors/erin-gray/",
                "homepage": "https://erin.example.org",
                "authored": ["/a/", "/b/", "/d/"], "contributed": [], "roles": {},
                "first": "2024-01-01", "last": "2025-02-02"
            },
            {
                "id": "kai-sato", "name": "Kai Sato", "url": "/contributors/kai-sato/", "homepage": null,
                "authored": ["/d/"], "contributed": ["/a/", "/b/"],
                "roles": {"/a/": ["reviewer"], "/b/": ["translator"]},
                "first": "2024-01-01", "last": "2025-02-02"
            },
            {
                "id": "wang-xiao-ming", "name": "王小明", "url": "/contributors/wang-xiao-ming/", "homepage": null,
                "authored": [], "contributed": ["/b/"], "roles": {"/b/": ["reviewer"]},
                "first": "2024-05-05", "last": "2024-05-05"
            },
            {
                "id": "zoe-quinn", "name": "Zoë Quinn", "url": "/contributors/zoe-quinn/", "homepage": null,
                "authored": [], "contributed": ["/a/", "/d/"], "roles": {"/a/": ["editor"], "/d/": ["translator"]},
                "first": "2024-01-01", "last": "2025-02-02"
            }
        ])
    );
}

#[test]
fn the_manifest_names_people_by_id() {
    let built = build_ok(&BuildOptions::new(fixture("people")));
    let manifest: serde_json::Value =
        serde_json::from_slice(built.file("cairn-manifest.json").unwrap()).unwrap();
    let a = &manifest["pages"][0];
    assert_eq!(a["source"], "content/a.md");
    // Two spellings of one author are one id; an author is not also a contributor.
    assert_eq!(a["authors"], json!(["erin-gray"]));
    assert_eq!(a["contributors"], json!(["kai-sato", "zoe-quinn"]));
}

#[test]
fn contributor_pages_show_profile_pages_coauthors_and_tags() {
    let built = build_ok(&BuildOptions::new(fixture("people")));
    let erin = text(&built, "contributors/erin-gray/index.html");
    assert!(erin.contains("<h1>Erin Gray</h1>"));
    assert!(erin.contains("Keeps the wheel-building notes."));
    assert!(erin.contains(r#"<a href="https://erin.example.org" rel="me">"#));
    assert!(erin.contains("Pages written (3)"));
    assert!(erin.contains(r#"<a href="/a/">Page A</a>"#));
    assert!(
        erin.contains(
            r#"Wrote with</h2>
    <p><a href="/contributors/kai-sato/">Kai Sato</a></p>"#
        ),
        "{erin}"
    );
    assert!(
        erin.contains(
            r#"<span class="tag">wheels (2)</span> <span class="tag">history (1)</span>"#
        ),
        "{erin}"
    );
    let kai = text(&built, "contributors/kai-sato/index.html");
    assert!(
        kai.contains(r#"<a href="/b/">Page B</a> <span class="role">(translator)</span>"#),
        "{kai}"
    );
    let index = text(&built, "contributors/index.html");
    let order: Vec<usize> = ["Erin Gray", "Kai Sato", "Zoë Quinn", "王小明"]
        .iter()
        .map(|n| {
            index
                .find(&format!(">{n}</a>"))
                .unwrap_or_else(|| panic!("{n}"))
        })
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "sorted by name: {order:?}"
    );
    // Bylines link people to their pages.
    let a = text(&built, "a/index.html");
    assert!(
        a.contains(r#"By <a class="person" href="/contributors/erin-gray/">Erin Gray</a></p>"#),
        "{a}"
    );
    assert!(a.contains(r#"<a class="person" href="/contributors/kai-sato/">Kai Sato</a> <span class="role">(reviewer)</span>"#));
}

#[test]
fn drafts_give_no_credit_unless_built() {
    let built = build_ok(&BuildOptions::new(fixture("people")));
    assert!(built.file("contributors/draft-person/index.html").is_none());
    let mut options = BuildOptions::new(fixture("people"));
    options.drafts = true;
    let built = build_ok(&options);
    assert!(text(&built, "contributors/draft-person/index.html").contains("Page C"));
}

#[test]
fn two_profiles_claiming_one_alias_is_an_error_naming_both() {
    let site = copy_fixture("people");
    write(
        site.path(),
        "contributors.yaml",
        "erin-gray:\n  name: Erin Gray\n  aliases: [eg]\nedgar:\n  name: Edgar\n  aliases: [EG]\n",
    );
    let built = build(site.path());
    let errors: Vec<_> = built.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(
        (errors[0].kind, errors[0].file.as_str(), errors[0].line),
        (Kind::Contributors, "contributors.yaml", 6)
    );
    assert!(errors[0].message.contains("erin-gray") && errors[0].message.contains("edgar"));
}

#[test]
fn a_bad_contributors_file_is_located() {
    let site = copy_fixture("people");
    write(
        site.path(),
        "contributors.yaml",
        "erin-gray:\n  name: Erin Gray\n  website: https://x\n",
    );
    let built = build(site.path());
    let errors: Vec<_> = built.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].file.as_str(), errors[0].line, errors[0].column),
        ("contributors.yaml", 3, 3)
    );
    write(
        site.path(),
        "contributors.yaml",
        "Erin Gray:\n  name: Erin Gray\n",
    );
    let built = build(site.path());
    assert!(
        built
            .diagnostics
            .iter()
            .any(|d| d.is_error() && d.message.contains("not a slug"))
    );
}

#[test]
fn each_contributor_has_an_atom_feed_of_their_pages_newest_first() {
    let built = build_ok(&BuildOptions::new(fixture("people")));
    let feed = text(&built, "contributors/erin-gray/atom.xml");
    assert!(feed.starts_with(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">"
    ));
    assert!(feed.contains("<updated>2025-02-02T00:00:00Z</updated>"));
    let titles: Vec<&str> = feed
        .match_indices("<title>")
        .skip(1)
        .map(|(i, _)| &feed[i + 7..i + 7 + feed[i + 7..].find('<').unwrap()])
        .collect();
    assert_eq!(titles, ["Page D", "Page B", "Page A"]);
    assert_eq!(
        feed.matches("<entry>").count(),
        feed.matches("</entry>").count()
    );
    let page = text(&built, "contributors/erin-gray/index.html");
    assert!(page.contains(r#"<link rel="alternate" type="application/atom+xml" title="Erin Gray" href="/contributors/erin-gray/atom.xml">"#), "{page}");
}
