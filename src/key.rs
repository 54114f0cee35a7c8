//! Keys for memoized work: everything an output is made from, written into
//! one buffer and hashed once with BLAKE3. Two keys are equal only if the
//! inputs fed were (lengths go in before contents, so no two sequences of
//! inputs are written alike).

/// The key of work that no later build will look up (a one-off build's):
/// computing a real key costs a hash of everything the work reads.
pub const UNKEYED: blake3::Hash = blake3::Hash::from_bytes([0; 32]);

/// A key of everything one rendering reads, fed piece by piece into a
/// buffer and hashed once (BLAKE3 is fast on a kilobyte, slow on a
/// thousand calls of a few bytes).
pub struct KeyHasher(pub Vec<u8>);

impl KeyHasher {
    pub fn new(global: &blake3::Hash) -> Self {
        let mut buffer = Vec::with_capacity(1024);
        buffer.extend_from_slice(global.as_bytes());
        Self(buffer)
    }

    /// A string, length first, so that no two sequences hash alike.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.number(text.len());
        self.0.extend_from_slice(text.as_bytes());
        self
    }

    pub fn number(&mut self, n: usize) -> &mut Self {
        self.0.extend_from_slice(&(n as u64).to_le_bytes());
        self
    }

    pub fn date(&mut self, date: Option<jiff::civil::Date>) -> &mut Self {
        match date {
            Some(d) => self
                .number((d.year() as usize) << 16 | (d.month() as usize) << 8 | d.day() as usize),
            None => self.number(usize::MAX),
        }
    }

    pub fn debug(&mut self, value: &impl std::fmt::Debug) -> &mut Self {
        self.text(&format!("{value:?}"))
    }

    pub fn finish(&self) -> blake3::Hash {
        blake3::hash(&self.0)
    }
}
