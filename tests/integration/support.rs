//! Helpers shared by the integration tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cairn::{BuildOptions, Built};

/// The folder of a fixture site under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Copies a fixture into a fresh temporary folder, so a test may change it.
pub fn copy_fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&fixture(name), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Builds the site at `root` in memory with default options.
pub fn build(root: &Path) -> Built {
    cairn::build(&BuildOptions::new(root))
}

/// Builds and asserts the build had no errors.
pub fn build_ok(options: &BuildOptions) -> Built {
    let built = cairn::build(options);
    assert!(
        !built.has_errors(),
        "unexpected errors:\n{}",
        cairn::diagnostic::render_all(&built.diagnostics, false)
    );
    built
}

/// The output file at `path` as text.
pub fn text(built: &Built, path: &str) -> String {
    let bytes = built
        .file(path)
        .unwrap_or_else(|| panic!("no output file {path}; have {:?}", paths(built)));
    String::from_utf8(bytes.to_vec()).expect("utf-8 output")
}

pub fn paths(built: &Built) -> Vec<&str> {
    built.files.iter().map(|f| f.path.as_ref()).collect()
}

/// Every file under `dir`, relative path → bytes.
pub fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    read_tree_into(dir, dir, &mut out);
    out
}

fn read_tree_into(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let entry = entry.expect("entry");
        let path = entry.path();
        if entry.file_type().expect("type").is_dir() {
            read_tree_into(base, &path, out);
        } else {
            let rel = path
                .strip_prefix(base)
                .expect("prefix")
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(rel, std::fs::read(&path).expect("read"));
        }
    }
}

/// Writes `text` at `rel` under `root`, creating folders.
pub fn write(root: &Path, rel: &str, text: impl AsRef<[u8]>) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// A JSON Schema of the output contract, from `schemas/`.
pub fn schema(name: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(name);
    serde_json::from_slice(&std::fs::read(path).expect("schema")).expect("schema json")
}

/// Validates `instance` against the schema `name`, listing every error.
pub fn assert_valid(name: &str, instance: &serde_json::Value) {
    let schema = schema(name);
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}");
}
