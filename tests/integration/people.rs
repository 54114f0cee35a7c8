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

/// Runs git in `dir` as `who` (name, email) at `date`.
fn git(dir: &std::path::Path, who: (&str, &str), date: &str, args: &[&str]) {
    let status = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", who.0)
        .env("GIT_AUTHOR_EMAIL", who.1)
        .env("GIT_COMMITTER_NAME", who.0)
        .env("GIT_COMMITTER_EMAIL", who.1)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", dir.join(".no-global-config"))
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

#[test]
fn git_history_gives_commit_authors_and_dates_following_renames() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let ana = ("Ana Lima", "ana@example.org");
    let bo = ("Bo", "Bo.Chen@Example.org");
    write(
        root,
        "cairn.toml",
        "title = \"Git\"\n[provenance]\ngit = true\n",
    );
    write(
        root,
        "contributors.yaml",
        "bo-chen:\n  name: Bo Chen\n  aliases: [bo.chen@example.org]\n",
    );
    write(
        root,
        "content/draft-name.md",
        "# Travel notes\n\nFirst words.\n",
    );
    write(
        root,
        "content/dated.md",
        "---\ntitle: Dated\nauthors: [Ana Lima]\ndate: 2020-05-05\n---\nText.\n",
    );
    git(root, ana, "2024-01-01T10:00:00Z", &["init", "-q"]);
    git(root, ana, "2024-01-01T10:00:00Z", &["add", "."]);
    git(
        root,
        ana,
        "2024-01-01T10:00:00Z",
        &["commit", "-q", "-m", "first"],
    );
    write(
        root,
        "content/draft-name.md",
        "# Travel notes\n\nFirst words.\n\nMore words from Bo.\n",
    );
    write(
        root,
        "content/dated.md",
        "---\ntitle: Dated\nauthors: [Ana Lima]\ndate: 2020-05-05\n---\nText, edited.\n",
    );
    git(
        root,
        bo,
        "2024-02-01T10:00:00Z",
        &["commit", "-q", "-am", "edit"],
    );
    git(
        root,
        ana,
        "2024-03-01T10:00:00Z",
        &["mv", "content/draft-name.md", "content/travel.md"],
    );
    git(
        root,
        ana,
        "2024-03-01T10:00:00Z",
        &["commit", "-q", "-m", "rename"],
    );

    let built = build_ok(&BuildOptions::new(root));
    assert!(built.diagnostics.is_empty(), "{:#?}", built.diagnostics);
    let manifest: serde_json::Value =
        serde_json::from_slice(built.file("cairn-manifest.json").unwrap()).unwrap();
    let travel = manifest["pages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["source"] == "content/travel.md")
        .unwrap();
    assert_eq!(
        travel["date"], "2024-01-01",
        "created: the first commit, before the rename"
    );
    assert_eq!(travel["updated"], "2024-03-01");
    assert_eq!(travel["authors"], json!([]));
    assert_eq!(travel["contributors"], json!(["ana-lima", "bo-chen"]));
    let dated = manifest["pages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["source"] == "content/dated.md")
        .unwrap();
    assert_eq!(dated["date"], "2020-05-05", "front matter wins");
    assert_eq!(dated["updated"], "2024-02-01");
    assert_eq!(dated["authors"], json!(["ana-lima"]));
    assert_eq!(
        dated["contributors"],
        json!(["bo-chen"]),
        "an author is not also a commit contributor"
    );
    let list: serde_json::Value =
        serde_json::from_slice(built.file("contributors.json").unwrap()).unwrap();
    let bo = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "bo-chen")
        .unwrap();
    assert_eq!(
        bo["name"], "Bo Chen",
        "the email maps the committer to the profile"
    );
    assert_eq!(
        bo["roles"],
        json!({"/dated/": ["commit"], "/travel/": ["commit"]})
    );
}

#[test]
fn git_provenance_outside_a_repository_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "cairn.toml", "[provenance]\ngit = true\n");
    write(
        dir.path(),
        "content/a.md",
        "---\ndate: 2024-01-01\n---\n# A\n",
    );
    let built = build(dir.path());
    assert!(!built.has_errors());
    assert_eq!(built.warnings(), 1, "{:#?}", built.diagnostics);
    assert!(
        built.diagnostics[0]
            .message
            .contains("not in a git repository")
    );
}

#[test]
fn contributor_page_and_index_snapshots() {
    let built = build_ok(&BuildOptions::new(fixture("people")));
    insta::assert_snapshot!(
        "contributor_erin_gray",
        text(&built, "contributors/erin-gray/index.html")
    );
    insta::assert_snapshot!(
        "contributor_kai_sato",
        text(&built, "contributors/kai-sato/index.html")
    );
    insta::assert_snapshot!(
        "contributors_index",
        text(&built, "contributors/index.html")
    );
}

#[test]
fn git_provenance_in_a_shallow_clone_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let origin = dir.path().join("origin");
    let who = ("Ana Lima", "ana@example.org");
    write(&origin, "cairn.toml", "[provenance]\ngit = true\n");
    write(&origin, "content/a.md", "# A\n");
    git(&origin, who, "2024-01-01T10:00:00Z", &["init", "-q"]);
    git(&origin, who, "2024-01-01T10:00:00Z", &["add", "."]);
    git(
        &origin,
        who,
        "2024-01-01T10:00:00Z",
        &["commit", "-q", "-m", "one"],
    );
    write(&origin, "content/a.md", "# A\n\nMore.\n");
    git(
        &origin,
        who,
        "2024-02-01T10:00:00Z",
        &["commit", "-q", "-am", "two"],
    );
    let url = format!("file://{}", origin.display());
    git(
        dir.path(),
        who,
        "2024-02-01T10:00:00Z",
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    );
    let built = build(&dir.path().join("shallow"));
    assert!(!built.has_errors());
    assert_eq!(built.warnings(), 1, "{:#?}", built.diagnostics);
    assert!(built.diagnostics[0].message.contains("shallow clone"));
    // It still reads the commits it has.
    let manifest: serde_json::Value =
        serde_json::from_slice(built.file("cairn-manifest.json").unwrap()).unwrap();
    assert_eq!(manifest["pages"][0]["updated"], "2024-02-01");
}
