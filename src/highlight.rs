//! Build-time syntax highlighting of fenced code with giallo (TextMate
//! grammars, the same output as VS Code).
//!
//! The output carries classes, not inline styles, so the theme's CSS decides
//! the colours; [`stylesheet`] gives that CSS for a light and a dark theme,
//! switched by `prefers-color-scheme`. The grammar registry is loaded once
//! by each thread, on its first code block (since the body is rendered
//! when it is parsed, that is during the parse stage).
//!
//! Highlighting is the dearest thing a page can ask for (tens of
//! microseconds a line: TextMate grammars are sets of regular expressions
//! tried at every position). Its output depends on the language and the
//! code alone, so each distinct block is highlighted once a process and
//! the HTML kept, by the BLAKE3 of both: a snippet repeated across an
//! archive (an install command, a config file), and every block of a page
//! re-rendered while serving, costs a lookup.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use giallo::{HighlightOptions, HtmlRenderer, Registry, RenderOptions, ThemeVariant};

const LIGHT: &str = "github-light";
const DARK: &str = "github-dark";
const PREFIX: &str = "hl-";

fn load() -> Option<Registry> {
    let mut registry = Registry::builtin().ok()?;
    registry.link_grammars();
    Some(registry)
}

/// This thread's copy of the registry. giallo guards each compiled set of
/// patterns with a lock for the length of a search, so threads sharing one
/// registry take turns on every line of a language they both highlight;
/// each thread searching its own copy runs free. (Each thread loads its
/// own: cloning a loaded registry costs nearly as much as loading one.)
fn with_registry<R>(f: impl FnOnce(&Registry) -> R) -> Option<R> {
    LOCAL.with_borrow_mut(|local| local.get_or_insert_with(load).as_ref().map(f))
}

thread_local! {
    /// This thread's registry: not loaded yet, loaded, or not loadable.
    static LOCAL: std::cell::RefCell<Option<Option<Registry>>> =
        const { std::cell::RefCell::new(None) };
}

/// Lets go of every rayon thread's registry (some 40 MB each) when a build
/// will highlight nothing more, so that the memory serves what follows. A
/// block not seen before loads the grammars again.
pub fn release() {
    rayon::broadcast(|_| {
        LOCAL.with(|local| {
            // (A thread in the middle of highlighting keeps its own.)
            if let Ok(mut local) = local.try_borrow_mut() {
                *local = None;
            }
        });
    });
}

/// Highlighted blocks by the BLAKE3 of language and code, with their total
/// size: emptied when it passes [`MEMO_BYTES`], so a long `serve` session
/// cannot grow it without bound.
type Memo = (HashMap<blake3::Hash, Arc<str>>, usize);

const MEMO_BYTES: usize = 64 << 20;

fn memo() -> &'static Mutex<Memo> {
    static MEMO: OnceLock<Mutex<Memo>> = OnceLock::new();
    MEMO.get_or_init(Mutex::default)
}

/// Highlights `code` written in `lang`. `None` when the language is unknown
/// (or empty), so the caller prints plain, escaped code.
pub fn highlight(code: &str, lang: &str) -> Option<Arc<str>> {
    let lang = lang.trim();
    if lang.is_empty() {
        return None;
    }
    let key = blake3::Hasher::new()
        .update(lang.as_bytes())
        .update(&[0])
        .update(code.as_bytes())
        .finalize();
    // A poisoned lock only means another thread panicked mid-insert: the
    // map is still a valid map.
    let lock = || memo().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(html) = lock().0.get(&key) {
        return Some(Arc::clone(html));
    }
    let html: Arc<str> = render(code, lang)?.into();
    let mut memo = lock();
    if memo.1 + html.len() > MEMO_BYTES {
        *memo = Memo::default();
    }
    memo.1 += html.len();
    memo.0.insert(key, Arc::clone(&html));
    Some(html)
}

fn render(code: &str, lang: &str) -> Option<String> {
    with_registry(|registry| {
        if !registry.contains_grammar(lang) {
            return None;
        }
        let options = HighlightOptions::new(
            lang,
            ThemeVariant::Dual {
                light: LIGHT,
                dark: DARK,
            },
        );
        let highlighted = registry.highlight(code, &options).ok()?;
        let renderer = HtmlRenderer {
            css_class_prefix: Some(PREFIX.to_owned()),
            ..HtmlRenderer::default()
        };
        Some(renderer.render(&highlighted, &RenderOptions::default()))
    })
    .flatten()
}

/// [`stylesheet`] as generated when giallo or the themes last changed,
/// shipped with the theme so that a build need not load the grammars to
/// print it (a test holds it to what giallo makes now).
pub const STYLESHEET: &str = include_str!("../themes/default/static/highlight.css");

/// The CSS for highlighted code: the light theme by default and the dark one
/// under `prefers-color-scheme: dark`.
pub fn stylesheet() -> String {
    with_registry(
        |registry| match registry.generate_dual_css(LIGHT, DARK, PREFIX) {
            Ok((light, dark)) => format!(
                "{}\n{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n",
                giallo::GIALLO_CSS
            ),
            Err(_) => String::new(),
        },
    )
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_language_gets_classes() {
        let html = highlight("fn main() {}\n", "rust").expect("rust is bundled");
        assert!(html.contains("class=\"hl-"), "{html}");
        assert!(!html.contains("style=\"color"), "{html}");
    }

    #[test]
    fn grammars_let_go_load_again_for_a_new_block() {
        assert!(highlight("let a = 1;\n", "rust").is_some());
        release();
        let html = highlight("let released = 2;\n", "rust").expect("loaded again");
        assert!(html.contains("class=\"hl-"), "{html}");
    }

    #[test]
    fn a_block_seen_before_is_the_same_html() {
        let a = highlight("let x = 1;\n", "rust").expect("rust is bundled");
        let b = highlight("let x = 1;\n", "rust").expect("rust is bundled");
        assert!(Arc::ptr_eq(&a, &b), "the second is taken from the memo");
        let other = highlight("let x = 1;\n", "python").expect("python is bundled");
        assert_ne!(a, other, "the language is part of the key");
        assert_eq!(*a, *render("let x = 1;\n", "rust").unwrap());
    }

    #[test]
    fn unknown_language_is_none() {
        assert!(highlight("x", "no-such-language").is_none());
        assert!(highlight("x", "").is_none());
    }

    /// `CAIRN_BLESS=1 cargo test` writes the shipped stylesheet anew after
    /// a giallo upgrade.
    #[test]
    fn the_shipped_stylesheet_is_giallos() {
        let now = stylesheet();
        assert!(now.contains(".hl-"), "{now}");
        if std::env::var_os("CAIRN_BLESS").is_some() {
            let path = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/themes/default/static/highlight.css"
            );
            std::fs::write(path, &now).unwrap();
        } else {
            assert!(
                STYLESHEET == now,
                "themes/default/static/highlight.css is stale: run `CAIRN_BLESS=1 cargo test`"
            );
        }
    }

    #[test]
    fn code_is_escaped() {
        let html = highlight("<script>alert(1)</script>\n", "html").unwrap();
        assert!(!html.contains("<script>"), "{html}");
    }
}
