//! The one slug rule, used for URL segments, heading ids and (later)
//! wiki-link and contributor matching, so that a name always maps to the same
//! slug wherever it appears.
//!
//! The rule: normalise to NFC, transliterate to ASCII (`Café` → `cafe`,
//! `Ελληνικά` → `ellenika`), lowercase, keep ASCII letters and digits, turn
//! every other run of characters into one `-`, and trim `-` from both ends.
//! ASCII keeps URLs clean on every host, on `file://` and in a terminal. A
//! name that transliterates to nothing (emoji, symbols) falls back to its
//! lowercase Unicode letters and digits, and a name with none of those either
//! gets `x` and a short hash of the name, so the slug is never empty and
//! always stable.

use unicode_normalization::UnicodeNormalization;

/// `text` in Unicode NFC (ASCII, which is its own, is not copied).
pub fn nfc(text: &str) -> std::borrow::Cow<'_, str> {
    if text.is_ascii() {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.nfc().collect())
    }
}

/// The key a name is looked up by, so that spellings differing only in
/// case, Unicode normal form or surrounding space meet: trimmed, NFC,
/// lowercase.
pub fn fold(text: &str) -> String {
    let text = text.trim();
    if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        text.nfc().collect::<String>().to_lowercase()
    }
}

/// The slug of `text`. Never empty.
pub fn slugify(text: &str) -> String {
    // ASCII is its own NFC and its own transliteration.
    if text.is_ascii() {
        let slug = collapse_ascii(text);
        if !slug.is_empty() {
            return slug;
        }
    }
    let nfc: String = text.nfc().collect();
    let ascii = deunicode::deunicode_with_tofu(&nfc, "-");
    let slug = collapse(ascii.chars());
    if !slug.is_empty() {
        return slug;
    }
    let unicode = collapse(nfc.chars().flat_map(char::to_lowercase));
    if !unicode.is_empty() {
        return unicode;
    }
    let hash = blake3::hash(text.as_bytes()).to_hex();
    format!("x{}", &hash[..8])
}

/// [`collapse`] for ASCII text, a byte at a time.
fn collapse_ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut dash = false;
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(char::from(b.to_ascii_lowercase()));
        } else {
            dash = true;
        }
    }
    out
}

fn collapse(chars: impl Iterator<Item = char>) -> String {
    let mut out = String::with_capacity(chars.size_hint().0);
    let mut dash = false;
    for c in chars {
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(c.to_lowercase());
        } else {
            dash = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{collapse, collapse_ascii, slugify};

    #[test]
    fn the_ascii_collapse_is_the_unicode_one_on_ascii() {
        // Every pair of ASCII characters, and each in longer runs.
        for a in 0u8..128 {
            for b in 0u8..128 {
                let text = String::from_utf8(vec![a, b, b' ', a, b'-', b, b'Z']).unwrap();
                assert_eq!(collapse_ascii(&text), collapse(text.chars()), "{text:?}");
            }
        }
    }

    #[test]
    fn ascii_words() {
        assert_eq!(slugify("First Steps"), "first-steps");
        assert_eq!(slugify("  Hello,   World!  "), "hello-world");
        assert_eq!(slugify("first_steps.v2"), "first-steps-v2");
        assert_eq!(slugify("C++ & Rust"), "c-rust");
    }

    #[test]
    fn non_ascii_is_transliterated() {
        assert_eq!(slugify("Café Tours"), "cafe-tours");
        assert_eq!(slugify("Straße"), "strasse");
        assert_eq!(slugify("Ελληνικά"), "ellenika");
        // NFD input gives the same slug as NFC input.
        assert_eq!(slugify("Cafe\u{301}"), slugify("Café"));
    }

    #[test]
    fn never_empty_and_stable() {
        let a = slugify("🌲🌲");
        assert!(!a.is_empty());
        assert_eq!(a, slugify("🌲🌲"));
        assert!(!slugify("!!!").is_empty());
        assert!(!slugify("").is_empty());
    }

    #[test]
    fn no_path_characters_survive() {
        for s in ["../../etc/passwd", "a/b\\c", "C:\\Windows", "..", "."] {
            let slug = slugify(s);
            assert!(!slug.contains(['/', '\\', ':', '.']), "{s} gave {slug}");
        }
    }
}
