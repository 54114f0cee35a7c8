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
