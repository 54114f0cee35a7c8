//! The archive's seal: `B3SUMS`, the BLAKE3 of every output file in
//! `b3sum`'s own format, and the root hash, the BLAKE3 of `B3SUMS` itself.
//!
//! `B3SUMS` lists every file but itself (the manifest included), sorted by
//! path bytes, so `b3sum --check B3SUMS` in the output folder verifies a
//! mirror with a standard tool. No listed file can hold the root hash (it
//! would hash itself), so the root lives outside the archive, as a git
//! commit id does: it is printed by every build and by `cairn verify`, and
//! it is what a community publishes for mirrors to be checked against.

use rayon::prelude::*;

use crate::render::Output;

/// The file name of the checksum list, at the output root.
pub const B3SUMS: &str = "B3SUMS";

/// One line of `B3SUMS`: 64 hex digits, two spaces, the path.
pub fn line(hash: &blake3::Hash, path: &str) -> String {
    format!("{}  {path}\n", hash.to_hex())
}

/// Hashes already known, by output path (a page's HTML was hashed for the
/// manifest, its raw Markdown when its source was read): not hashed again.
pub type Known = std::collections::HashMap<String, blake3::Hash>;

/// The files of the last seal with their hashes, sorted by path: a file
/// whose bytes are the very same (shared) bytes is not hashed again.
#[derive(Debug, Default)]
pub struct Memo {
    files: Vec<Sealed>,
}

/// A file of the last seal: its path, its shared bytes, their hash.
type Sealed = (std::sync::Arc<str>, std::sync::Arc<[u8]>, blake3::Hash);

impl Memo {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// The text of `B3SUMS` for `files` (sorted by path; `B3SUMS` itself is
/// skipped).
pub fn b3sums(files: &[Output], known: &Known) -> String {
    b3sums_cached(files, known, None)
}

fn b3sums_cached(files: &[Output], known: &Known, memo: Option<&mut Memo>) -> String {
    let previous: &[Sealed] = memo.as_ref().map_or(&[], |m| &m.files);
    let hashes: Vec<(blake3::Hash, &Output)> = files
        .par_iter()
        .filter(|f| &*f.path != B3SUMS)
        .map(|f| {
            let kept = previous
                .binary_search_by(|(path, _, _)| path.as_bytes().cmp(f.path.as_bytes()))
                .ok()
                .map(|i| &previous[i])
                .filter(|(_, bytes, _)| std::sync::Arc::ptr_eq(bytes, &f.bytes))
                .map(|(_, _, hash)| *hash);
            let hash = f
                .written
                .or(kept)
                .or_else(|| known.get(&*f.path).copied())
                .unwrap_or_else(|| blake3::hash(&f.bytes));
            (hash, f)
        })
        .collect();
    let mut text = String::with_capacity(hashes.len() * 100);
    for (hash, file) in &hashes {
        text.push_str(hash.to_hex().as_str());
        text.push_str("  ");
        text.push_str(&file.path);
        text.push('\n');
    }
    let Some(memo) = memo else {
        return text;
    };
    memo.files = hashes
        .into_iter()
        .map(|(hash, f)| (f.path.clone(), std::sync::Arc::clone(&f.bytes), hash))
        .collect();
    text
}

/// Where each path's hash starts in a `B3SUMS` text.
pub fn offsets(text: &[u8]) -> std::collections::HashMap<String, usize> {
    let mut offsets = std::collections::HashMap::new();
    let mut at = 0;
    for line in text.split(|&b| b == b'\n') {
        if line.len() > 66 {
            offsets.insert(String::from_utf8_lossy(&line[66..]).into_owned(), at);
        }
        at += line.len() + 1;
    }
    offsets
}

/// `text` (a `B3SUMS`) with the hashes of `changed` files written over
/// theirs, and its new root; `None` if a path is not listed.
pub fn patch(
    text: &[u8],
    offsets: &std::collections::HashMap<String, usize>,
    changed: &[(&str, blake3::Hash)],
) -> Option<(Vec<u8>, blake3::Hash)> {
    let mut out = text.to_vec();
    for (path, hash) in changed {
        let at = *offsets.get(*path)?;
        out.get_mut(at..at + 64)?
            .copy_from_slice(hash.to_hex().as_bytes());
    }
    let root = blake3::hash(&out);
    Some((out, root))
}

/// Adds `B3SUMS` to `files` (kept sorted by path) and returns the root hash.
pub fn seal(files: &mut Vec<Output>, known: &Known) -> blake3::Hash {
    seal_cached(files, known, None)
}

/// [`seal`], taking from `memo` the hash of every file that is the same
/// shared bytes as in the last seal, and leaving this seal's in it.
pub fn seal_cached(
    files: &mut Vec<Output>,
    known: &Known,
    memo: Option<&mut Memo>,
) -> blake3::Hash {
    files.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    files.retain(|f| &*f.path != B3SUMS);
    let text = b3sums_cached(files, known, memo);
    let root = blake3::hash(text.as_bytes());
    let at = files.partition_point(|f| f.path.as_bytes() < B3SUMS.as_bytes());
    files.insert(
        at,
        Output::new(B3SUMS.to_owned(), text.into_bytes(), B3SUMS.to_owned()),
    );
    root
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(path: &str, bytes: &[u8]) -> Output {
        Output::new(path.to_owned(), bytes, String::new())
    }

    #[test]
    fn lists_every_file_but_itself_sorted_by_bytes() {
        let mut files = vec![
            out("b.txt", b"b"),
            out("a/z.html", b"z"),
            out("Z.txt", b"Z"),
        ];
        let root = seal(&mut files, &Known::new());
        let sums = String::from_utf8(
            files
                .iter()
                .find(|f| &*f.path == B3SUMS)
                .unwrap()
                .bytes
                .to_vec(),
        )
        .unwrap();
        let paths: Vec<&str> = sums.lines().map(|l| &l[66..]).collect();
        assert_eq!(paths, ["Z.txt", "a/z.html", "b.txt"]);
        assert_eq!(&sums[..64], blake3::hash(b"Z").to_hex().as_str());
        assert_eq!(root, blake3::hash(sums.as_bytes()));
        // Sealing twice gives the same root.
        assert_eq!(seal(&mut files, &Known::new()), root);
    }
}
