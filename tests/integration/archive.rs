//! The archive's seal: B3SUMS, the root hash, reproducibility, `cairn verify`.

use assert_cmd::Command;
use predicates::prelude::*;

use crate::support::*;

fn cairn() -> Command {
    let mut cmd = Command::cargo_bin("cairn").unwrap();
    cmd.env("CI", "true");
    cmd
}

/// Builds `root` into `out` with the real binary and returns the root hash
/// from its last line.
fn build_to(root: &std::path::Path, out: &std::path::Path, threads: &str) -> String {
    let output = cairn()
        .env("RAYON_NUM_THREADS", threads)
        .arg("build")
        .arg("--root")
        .arg(root)
        .arg("--output")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let last = stdout.lines().last().unwrap();
    assert!(last.starts_with("Root hash: "), "{stdout}");
    last["Root hash: ".len()..].to_owned()
}

#[test]
fn two_builds_in_two_places_with_other_thread_counts_have_one_root() {
    let a = copy_fixture("links");
    let b = copy_fixture("links");
    let root_a = build_to(a.path(), &a.path().join("public"), "1");
    let root_b = build_to(b.path(), &b.path().join("elsewhere/out"), "8");
    assert_eq!(root_a, root_b);
    assert_eq!(
        read_tree(&a.path().join("public")),
        read_tree(&b.path().join("elsewhere/out"))
    );
    assert_eq!(root_a.len(), 64);
}

#[test]
fn b3sums_lists_every_file_but_itself_with_its_blake3() {
    let site = copy_fixture("basic");
    let out = site.path().join("public");
    let root = build_to(site.path(), &out, "2");
    let tree = read_tree(&out);
    let sums = String::from_utf8(tree["B3SUMS"].clone()).unwrap();
    assert_eq!(root, blake3::hash(sums.as_bytes()).to_hex().as_str());
    let listed: Vec<(&str, &str)> = sums.lines().map(|l| (&l[..64], &l[66..])).collect();
    for line in sums.lines() {
        assert_eq!(&line[64..66], "  ", "{line}");
    }
    let paths: Vec<&str> = listed.iter().map(|(_, p)| *p).collect();
    let mut expected: Vec<&str> = tree
        .keys()
        .map(String::as_str)
        .filter(|p| *p != "B3SUMS")
        .collect();
    expected.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(paths, expected, "every file but B3SUMS, sorted by bytes");
    assert!(paths.contains(&"cairn-manifest.json"));
    for (hash, path) in listed {
        assert_eq!(hash, blake3::hash(&tree[path]).to_hex().as_str(), "{path}");
    }
    // The raw Markdown beside each page is its source, byte for byte.
    assert_eq!(
        tree["guides/first-steps/index.md"],
        std::fs::read(site.path().join("content/guides/first-steps.md")).unwrap()
    );
}

#[test]
fn verify_passes_untouched_output_and_names_every_change() {
    let site = copy_fixture("basic");
    let out = site.path().join("public");
    let root = build_to(site.path(), &out, "2");
    // A copy anywhere verifies with nothing but the folder.
    let mirror = tempfile::tempdir().unwrap();
    for (path, bytes) in read_tree(&out) {
        write(mirror.path(), &path, bytes);
    }
    cairn()
        .arg("verify")
        .arg(mirror.path())
        .args(["--root", &root])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("Root hash: {root}")));
    cairn()
        .arg("verify")
        .arg(mirror.path())
        .args(["--root", &"0".repeat(64)])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("root hash differs"));

    write(mirror.path(), "guides/index.html", "<p>defaced</p>");
    std::fs::remove_file(mirror.path().join("robots.txt")).unwrap();
    write(mirror.path(), "guides/extra.html", "added");
    let output = cairn()
        .arg("verify")
        .arg(mirror.path())
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["changed"], serde_json::json!(["guides/index.html"]));
    assert_eq!(report["missing"], serde_json::json!(["robots.txt"]));
    assert_eq!(report["extra"], serde_json::json!(["guides/extra.html"]));
    assert_eq!(
        report["problems"],
        serde_json::json!([
            "cairn-manifest.json: output_blake3 of /guides/ does not match `guides/index.html`"
        ])
    );
    assert_eq!(report["root"], root.as_str(), "B3SUMS itself is untouched");
}

#[test]
fn verify_without_b3sums_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    cairn()
        .arg("verify")
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot read"));
}

/// The JSON-LD of a page.
fn json_ld(html: &str) -> serde_json::Value {
    let start = html
        .find("<script type=\"application/ld+json\">")
        .expect("JSON-LD")
        + 35;
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap_or_else(|e| panic!("{e}: {}", &html[start..end]))
}

#[test]
fn every_page_carries_json_ld_with_its_people_and_hash() {
    let built = build_ok(&cairn::BuildOptions::new(fixture("people")));
    let manifest: serde_json::Value =
        serde_json::from_slice(built.file("cairn-manifest.json").unwrap()).unwrap();
    for page in manifest["pages"].as_array().unwrap() {
        let url = page["url"].as_str().unwrap();
        let html = text(&built, &format!("{}index.html", &url[1..]));
        let ld = json_ld(&html);
        assert_eq!(ld["@type"], "CreativeWork");
        assert_eq!(ld["identifier"]["value"], page["source_blake3"], "{url}");
        let authors: Vec<&str> = ld["author"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["url"].as_str().unwrap())
            .collect();
        let expected: Vec<String> = page["authors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| format!("/contributors/{}/", id.as_str().unwrap()))
            .collect();
        assert_eq!(authors, expected, "{url}");
    }
    let a = json_ld(&text(&built, "a/index.html"));
    assert_eq!(a["author"][0]["name"], "Erin Gray");
    assert_eq!(a["contributor"][1]["name"], "Zoë Quinn");
    assert_eq!(a["dateCreated"], "2024-01-01");
}

#[test]
fn json_ld_survives_hostile_names() {
    let site = tempfile::tempdir().unwrap();
    write(
        site.path(),
        "content/x.md",
        "---\ntitle: \"</script><script>alert(1)</script>\"\nauthors: [\"O\\\"Brien </script>\"]\n---\nText\n",
    );
    let built = build_ok(&cairn::BuildOptions::new(site.path()));
    let html = text(&built, "x/index.html");
    assert!(!html.contains("<script>alert(1)"), "{html}");
    let ld = json_ld(&html);
    assert_eq!(ld["name"], "</script><script>alert(1)</script>");
    assert_eq!(ld["author"][0]["name"], "O\"Brien </script>");
}

#[test]
fn pages_link_their_raw_source_and_offer_a_citation() {
    let built = build_ok(&cairn::BuildOptions::new(fixture("basic")));
    let html = text(&built, "guides/first-steps/index.html");
    let hash = blake3::hash(
        &std::fs::read(fixture("basic").join("content/guides/first-steps.md")).unwrap(),
    )
    .to_hex()
    .to_string();
    assert!(html.contains(&format!("<a href=\"/guides/first-steps/index.md\"><code>content/guides/first-steps.md</code></a>, BLAKE3 <code title=\"{hash}\">{}</code>", &hash[..12])), "{html}");
    assert!(html.contains(&format!("@misc{{cairn-{},\n  title = {{First Steps}},\n  author = {{Ana Lima and Bo Chen}},\n  year = {{2024}},", &hash[..12])), "{html}");
    assert!(html.contains("Ana Lima, Bo Chen (2024-03-01). First Steps. Fixture Archive."));
    assert!(html.contains(&format!("BLAKE3 {hash}.</p>")));
    assert!(html.contains("<p class=\"license\">License: CC-BY-4.0</p>"));
}

#[test]
fn the_stylesheet_is_fingerprinted_and_integrity_checked() {
    use base64::Engine as _;
    use sha2::Digest as _;
    let built = build_ok(&cairn::BuildOptions::new(fixture("basic")));
    let css = built
        .files
        .iter()
        .find(|f| f.path.starts_with("style.") && f.path.ends_with(".css"))
        .unwrap();
    assert_eq!(&css.path[6..16], &blake3::hash(&css.bytes).to_hex()[..10]);
    let integrity = format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(&css.bytes))
    );
    let html = text(&built, "index.html");
    assert!(
        html.contains(&format!(
            "<link rel=\"stylesheet\" href=\"/{}\" integrity=\"{integrity}\">",
            css.path
        )),
        "{html}"
    );
}

#[test]
fn llms_txt_lists_every_page_with_its_raw_markdown() {
    let built = build_ok(&cairn::BuildOptions::new(fixture("people")));
    let llms = text(&built, "llms.txt");
    assert!(llms.starts_with("# People Fixture\n"));
    assert!(
        llms.contains("- [Page A](/a/index.md): by Erin Gray\n"),
        "{llms}"
    );
    assert!(
        llms.contains("- [Page D](/d/index.md): by Kai Sato, Erin Gray\n"),
        "{llms}"
    );
}

#[test]
fn a_streamed_build_writes_what_an_in_memory_build_holds() {
    for fixture in ["basic", "links", "people"] {
        let site = copy_fixture(fixture);
        let out = site.path().join("public");
        let options = cairn::config::BuildOptions {
            output: out.clone(),
            ..cairn::config::BuildOptions::new(site.path())
        };
        let staging = cairn::emit::Staging::create(&out).unwrap();
        let streamed = cairn::build::build_into(&options, &staging);
        assert!(!streamed.has_errors(), "{:?}", streamed.diagnostics);
        // Pages went to the staging folder as they rendered: the build
        // holds their hashes, not their bytes.
        let html = streamed
            .files
            .iter()
            .filter(|f| f.path.ends_with(".html") && f.written.is_some())
            .count();
        assert!(html > 1, "{fixture}: no page was streamed");
        for file in streamed.files.iter().filter(|f| f.written.is_some()) {
            assert!(file.bytes.is_empty(), "{}", file.path);
        }
        staging.finish(&streamed.files).unwrap();

        let memory = build(site.path());
        let expected: std::collections::BTreeMap<String, Vec<u8>> = memory
            .files
            .iter()
            .map(|f| (f.path.to_string(), f.bytes.to_vec()))
            .collect();
        assert_eq!(read_tree(&out), expected, "{fixture}");
        assert_eq!(streamed.root, memory.root, "{fixture}");
        assert!(!emit_staging_left(&out), "{fixture}: staging folder left");
    }
}

#[test]
fn a_failed_streamed_build_removes_its_staging_and_keeps_the_old_output() {
    let site = copy_fixture("basic");
    let out = site.path().join("public");
    build_to(site.path(), &out, "2");
    let before = read_tree(&out);
    write(
        site.path(),
        "content/broken.md",
        "---\ntitle: [unclosed\n---\nbody\n",
    );
    cairn()
        .arg("build")
        .arg("--root")
        .arg(site.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains("content/broken.md:2:"));
    assert_eq!(read_tree(&out), before);
    assert!(!emit_staging_left(&out));
}

fn emit_staging_left(out: &std::path::Path) -> bool {
    cairn::emit::staging_path(out).exists()
}
