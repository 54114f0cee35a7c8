//! The real `cairn` binary: exit codes, scaffolding and error output.

use assert_cmd::Command;
use predicates::prelude::*;

use crate::support::*;

fn cairn() -> Command {
    let mut cmd = Command::cargo_bin("cairn").expect("binary");
    cmd.env("CI", "true").env_remove("NO_COLOR");
    cmd
}

#[test]
fn build_writes_the_output_and_prints_a_summary() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("site");
    cairn()
        .args(["build", "--root"])
        .arg(fixture("basic"))
        .arg("--output")
        .arg(&target)
        .assert()
        .success()
        .stdout(predicate::str::contains("Built 8 pages (33 files)"));
    assert!(target.join("guides/first-steps/index.html").is_file());
    assert!(target.join("cairn-manifest.json").is_file());
}

#[test]
fn bad_usage_exits_2() {
    cairn().arg("frobnicate").assert().code(2);
    cairn().args(["build", "--no-such-flag"]).assert().code(2);
    cairn()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::contains("cairn"));
}

#[test]
fn init_then_build() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("archive");
    cairn()
        .arg("init")
        .arg(&site)
        .assert()
        .success()
        .stdout(predicate::str::contains("cairn.toml"));
    cairn()
        .arg("--root")
        .arg(&site)
        .arg("build")
        .assert()
        .success();
    let home = std::fs::read_to_string(site.join("public/index.html")).unwrap();
    assert!(home.contains("My archive"));
    assert!(site.join("public/guides/first-steps/index.html").is_file());
    // A second init refuses to touch the archive.
    cairn()
        .arg("init")
        .arg(&site)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already holds a cairn.toml"));
}

#[test]
fn new_fills_in_the_front_matter() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path();
    cairn().arg("init").arg(site).assert().success();
    cairn()
        .arg("--root")
        .arg(site)
        .args(["new", "content/guides/tuning-the-gears.md"])
        .env("GIT_CONFIG_GLOBAL", site.join("gitconfig"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .assert()
        .success();
    let text = std::fs::read_to_string(site.join("content/guides/tuning-the-gears.md")).unwrap();
    assert!(
        text.starts_with("---\ntitle: \"Tuning the gears\"\n"),
        "{text}"
    );
    let today = jiff::ZonedDateTime::now().date().to_string();
    assert!(text.contains(&format!("date: {today}\n")), "{text}");
    let id_line = text.lines().find(|l| l.starts_with("id: ")).expect("an id");
    assert_eq!(id_line.len(), "id: ".len() + 12);
    // With a git user name, it becomes the author.
    std::fs::write(site.join("gitconfig"), "[user]\n\tname = Erin Gray\n").unwrap();
    cairn()
        .arg("--root")
        .arg(site)
        .args(["new", "content/second.md"])
        .env("GIT_CONFIG_GLOBAL", site.join("gitconfig"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .assert()
        .success();
    let text = std::fs::read_to_string(site.join("content/second.md")).unwrap();
    assert!(text.contains("authors:\n  - \"Erin Gray\"\n"), "{text}");
    // Both pages build, and an existing page is never overwritten.
    cairn()
        .arg("--root")
        .arg(site)
        .arg("build")
        .assert()
        .success();
    cairn()
        .arg("--root")
        .arg(site)
        .args(["new", "content/second.md"])
        .assert()
        .code(1);
}

#[test]
fn bad_yaml_is_reported_at_its_line_and_column_in_the_file() {
    let site = tempfile::tempdir().unwrap();
    write(
        site.path(),
        "content/bad.md",
        "---\ntitle: Fine\ndate: someday\n---\nBody\n",
    );
    cairn()
        .arg("--root")
        .arg(site.path())
        .arg("build")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("error[front-matter]"))
        .stderr(predicate::str::contains("content/bad.md:3:7"))
        .stderr(predicate::str::contains("3 | date: someday"))
        .stderr(predicate::str::contains("|       ^"));
}

#[test]
fn bad_toml_is_reported_at_its_line_and_column_in_the_file() {
    let site = tempfile::tempdir().unwrap();
    write(
        site.path(),
        "content/bad.md",
        "+++\ntitle = \"Fine\"\n\nweight = \"heavy\"\n+++\nBody\n",
    );
    cairn()
        .arg("--root")
        .arg(site.path())
        .arg("build")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("content/bad.md:4:10"))
        .stderr(predicate::str::contains("4 | weight = \"heavy\""));
}

#[test]
fn bad_config_is_reported_at_its_line() {
    let site = tempfile::tempdir().unwrap();
    write(
        site.path(),
        "cairn.toml",
        "title = \"x\"\ncolour = \"blue\"\n",
    );
    write(site.path(), "content/a.md", "# A\n");
    cairn()
        .arg("--root")
        .arg(site.path())
        .arg("build")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("error[config]"))
        .stderr(predicate::str::contains("cairn.toml:2:1"));
}

#[test]
fn every_problem_is_reported_at_once() {
    let site = tempfile::tempdir().unwrap();
    write(
        site.path(),
        "content/one.md",
        "---\ntitle: [unclosed\n---\n",
    );
    write(site.path(), "content/two.md", "+++\ntitle = \n+++\n");
    write(site.path(), "content/fine.md", "# Fine\n");
    cairn()
        .arg("--root")
        .arg(site.path())
        .arg("build")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("content/one.md:"))
        .stderr(predicate::str::contains("content/two.md:2:"))
        .stderr(predicate::str::contains("2 errors"));
    assert!(
        !site.path().join("public").exists(),
        "a failed build writes nothing"
    );
}

#[test]
fn an_obsidian_vault_builds_with_content_dot() {
    let vault = tempfile::tempdir().unwrap();
    write(vault.path(), "Daily Note.md", "# Daily note\n\nText.\n");
    write(vault.path(), "projects/Plan.md", "# Plan\n");
    write(vault.path(), ".obsidian/app.json", "{}");
    write(vault.path(), "templates/page.html", "{{ page.title }}\n");
    cairn()
        .arg("--root")
        .arg(vault.path())
        .args(["build", "--content", "."])
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(vault.path().join("public/daily-note/index.html")).unwrap(),
        "Daily note\n"
    );
    assert!(
        vault
            .path()
            .join("public/projects/plan/index.html")
            .is_file()
    );
    assert!(!vault.path().join("public/.obsidian").exists());
    // Building again does not pick up the previous output as content.
    cairn()
        .arg("--root")
        .arg(vault.path())
        .args(["build", "--content", "."])
        .assert()
        .success()
        .stdout(predicate::str::contains("Built 2 pages"));
}

#[test]
fn strict_fails_on_warnings() {
    let site = tempfile::tempdir().unwrap();
    write(site.path(), "content/a.md", "# A\n");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(
            site.path().join("content"),
            site.path().join("content/loop"),
        )
        .unwrap();
        cairn()
            .arg("--root")
            .arg(site.path())
            .arg("build")
            .assert()
            .success()
            .stderr(predicate::str::contains("warning"));
        cairn()
            .arg("--root")
            .arg(site.path())
            .args(["build", "--strict"])
            .assert()
            .code(1);
    }
}
