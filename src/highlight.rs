//! Build-time syntax highlighting of fenced code with giallo (TextMate
//! grammars, the same output as VS Code).
//!
//! The output carries classes, not inline styles, so the theme's CSS decides
//! the colours; [`stylesheet`] gives that CSS for a light and a dark theme,
//! switched by `prefers-color-scheme`.
//!
//! The grammars (some 40 MB once loaded, 60 ms of one core to load) are
//! kept in a pool of registries. A build starts loading the first on a
//! thread of its own as soon as it reads a page with a code fence
//! ([`preload`]), so that the load runs beside the reading of the files
//! and not in the way of the first page with code. A thread that wants a
//! registry while every loaded one is in another thread's hands loads one
//! more: giallo guards each compiled set of patterns with a lock for the
//! length of a search, so threads sharing one registry would take turns on
//! every line, while a registry in one thread's hands at a time runs free.
//! An archive whose code repeats loads one registry; one whose code is all
//! different, one a thread.
//!
//! Highlighting is the dearest thing a page can ask for (tens of
//! microseconds a line: TextMate grammars are sets of regular expressions
//! tried at every position). Its output depends on the language and the
//! code alone, so each distinct block is highlighted once a process and
//! the HTML kept, by the BLAKE3 of both: a snippet repeated across an
//! archive (an install command, a config file), and every block of a page
//! re-rendered while serving, costs a lookup. A block another thread is
//! highlighting is waited for, not highlighted twice.

use foldhash::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

use giallo::{HighlightOptions, HtmlRenderer, Registry, RenderOptions, ThemeVariant};

const LIGHT: &str = "github-light";
const DARK: &str = "github-dark";
const PREFIX: &str = "hl-";

fn load() -> Option<Registry> {
    let mut registry = Registry::builtin().ok()?;
    registry.link_grammars();
    Some(registry)
}

/// The loaded registries no thread is using, and how many there are.
#[derive(Default)]
struct Pool {
    /// With the number each was loaded under.
    idle: Vec<(usize, Registry)>,
    /// Registries loaded and not let go of, idle or in a thread's hands.
    loaded: usize,
    /// Loads under way.
    loading: usize,
    /// The bundled grammars could not be read: nothing is highlighted.
    failed: bool,
    /// Registries loaded so far, to number them.
    numbers: usize,
}

impl Pool {
    /// A number for a registry just loaded.
    fn numbered(&mut self) -> usize {
        self.numbers += 1;
        self.numbers
    }

    /// An idle registry, the one this thread used last if it is idle: a
    /// registry stays in the cache of the core that uses it.
    fn take(&mut self) -> Option<(usize, Registry)> {
        let last = LAST.get();
        match self.idle.iter().position(|(number, _)| *number == last) {
            Some(i) => Some(self.idle.swap_remove(i)),
            None => self.idle.pop(),
        }
    }
}

thread_local! {
    /// The number of the registry this thread used last.
    static LAST: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The pool, and the signal that a registry went back into it (or that
/// loading failed).
fn pool() -> &'static (Mutex<Pool>, Condvar) {
    static POOL: OnceLock<(Mutex<Pool>, Condvar)> = OnceLock::new();
    POOL.get_or_init(Default::default)
}

/// The pool, locked. A poisoned lock only means another thread panicked
/// while holding it: every change to the pool is a single assignment, so
/// it is still consistent.
fn lock_pool() -> MutexGuard<'static, Pool> {
    pool().0.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts loading the grammars on a thread of their own, unless a
/// registry is loaded or on its way already. A build calls it when it
/// first reads a page with a code fence.
pub fn preload() {
    let mut pool = lock_pool();
    if pool.loaded > 0 || pool.loading > 0 || pool.failed {
        return;
    }
    pool.loading += 1;
    drop(pool);
    let spawned = std::thread::Builder::new()
        .name("cairn-grammars".to_owned())
        .spawn(|| {
            // Into the pool as soon as it is loaded (`InHand` puts it back
            // and wakes the threads waiting for it).
            if let Some((number, registry)) = load_counted() {
                drop(InHand(number, Some(registry)));
            }
        });
    if spawned.is_err() {
        // No thread to be had: the first block loads the grammars instead.
        lock_pool().loading -= 1;
        self::pool().1.notify_all();
    }
}

/// Runs `f` with a registry of the pool's, loading one if every registry is
/// in use (or waiting for the first, if it is on its way). `None` when the
/// grammars cannot be loaded.
fn with_registry<R>(f: impl FnOnce(&Registry) -> R) -> Option<R> {
    let signal = &pool().1;
    let mut pool = lock_pool();
    let (number, registry) = loop {
        if let Some(taken) = pool.take() {
            drop(pool);
            break taken;
        }
        if pool.failed {
            return None;
        }
        if pool.loaded == 0 && pool.loading > 0 {
            // The first registry is on its way: a second would cost as
            // much as waiting for it.
            pool = signal.wait(pool).unwrap_or_else(|e| e.into_inner());
            continue;
        }
        pool.loading += 1;
        drop(pool);
        break load_counted()?;
    };
    let in_hand = InHand(number, Some(registry));
    let out = in_hand.1.as_ref().map(f);
    LAST.set(number);
    drop(in_hand);
    out
}

/// Loads a registry for a load already counted in `Pool::loading`, and
/// counts it loaded, numbered; or, if the grammars cannot be read, marks
/// the pool failed and wakes the threads waiting for it.
fn load_counted() -> Option<(usize, Registry)> {
    let mut loading = Loading(true);
    let registry = load();
    let mut pool = lock_pool();
    loading.0 = false;
    pool.loading -= 1;
    let Some(registry) = registry else {
        pool.failed = true;
        drop(pool);
        self::pool().1.notify_all();
        return None;
    };
    pool.loaded += 1;
    Some((pool.numbered(), registry))
}

/// A load under way (counted in `Pool::loading`) that has not finished:
/// should the load panic, the count comes down and waiting threads look
/// again rather than wait for ever.
struct Loading(bool);

impl Drop for Loading {
    fn drop(&mut self) {
        if self.0 {
            lock_pool().loading -= 1;
            pool().1.notify_all();
        }
    }
}

/// A registry in a thread's hands, put back in the pool when the thread is
/// done with it; after a panic while using it, dropped instead (its caches
/// may be half made), and a thread that wants one loads another.
struct InHand(usize, Option<Registry>);

impl Drop for InHand {
    fn drop(&mut self) {
        let mut slots = lock_pool();
        match self.1.take() {
            Some(registry) if !std::thread::panicking() => slots.idle.push((self.0, registry)),
            _ => slots.loaded -= 1,
        }
        drop(slots);
        pool().1.notify_all();
    }
}

/// Lets go of the registries no thread is using (some 40 MB each) when a
/// build will highlight nothing more, so that the memory serves what
/// follows. A block not seen before loads the grammars again. They are
/// freed on a thread of their own: a build need not wait for that.
pub fn release() {
    let mut pool = lock_pool();
    let idle = std::mem::take(&mut pool.idle);
    pool.loaded -= idle.len();
    drop(pool);
    if !idle.is_empty() {
        // (Should no thread be had, they are freed here instead.)
        let _ = std::thread::Builder::new().spawn(move || drop(idle));
    }
}

/// A block's highlighting: under way in some thread, or done (`None` for
/// a language the grammars do not know).
enum Slot {
    Pending,
    Done(Option<Arc<str>>),
}

/// Highlighted blocks by the BLAKE3 of language and code, with their total
/// size: emptied when it passes [`MEMO_BYTES`], so a long `serve` session
/// cannot grow it without bound.
#[derive(Default)]
struct Memo {
    slots: HashMap<blake3::Hash, Slot>,
    bytes: usize,
}

const MEMO_BYTES: usize = 64 << 20;

/// What an entry costs the memo beyond its HTML.
const SLOT_BYTES: usize = 64;

/// The memo, and the signal that a block's highlighting is done.
fn memo() -> &'static (Mutex<Memo>, Condvar) {
    static MEMO: OnceLock<(Mutex<Memo>, Condvar)> = OnceLock::new();
    MEMO.get_or_init(Default::default)
}

/// The memo, locked. A poisoned lock only means another thread panicked
/// mid-insert: the map is still a valid map.
fn lock_memo() -> MutexGuard<'static, Memo> {
    memo().0.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes a block's pending slot if its highlighting never finished (the
/// thread panicked), so that threads waiting for it do the work instead of
/// waiting for ever.
struct Claim(Option<blake3::Hash>);

impl Drop for Claim {
    fn drop(&mut self) {
        if let Some(key) = self.0.take() {
            let mut slots = lock_memo();
            if matches!(slots.slots.get(&key), Some(Slot::Pending)) {
                slots.slots.remove(&key);
            }
            drop(slots);
            memo().1.notify_all();
        }
    }
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
    let signal = &memo().1;
    let mut memo = lock_memo();
    loop {
        match memo.slots.get(&key) {
            Some(Slot::Done(html)) => return html.clone(),
            Some(Slot::Pending) => memo = signal.wait(memo).unwrap_or_else(|e| e.into_inner()),
            None => break,
        }
    }
    memo.slots.insert(key, Slot::Pending);
    drop(memo);
    let mut claim = Claim(Some(key));
    let html: Option<Arc<str>> = render(code, lang).map(Into::into);
    let size = SLOT_BYTES + html.as_deref().map_or(0, str::len);
    let mut memo = lock_memo();
    if memo.bytes + size > MEMO_BYTES {
        // (Blocks under way in other threads keep their slots.)
        memo.slots.retain(|_, slot| matches!(slot, Slot::Pending));
        memo.bytes = 0;
    }
    memo.bytes += size;
    memo.slots.insert(key, Slot::Done(html.clone()));
    claim.0 = None;
    drop(memo);
    signal.notify_all();
    html
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
    fn a_block_wanted_by_many_threads_at_once_is_highlighted_once() {
        let start = std::sync::Barrier::new(6);
        let code = "let wanted_at_once = [1, 2, 3];\n";
        let all: Vec<Arc<str>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..6)
                .map(|_| {
                    scope.spawn(|| {
                        start.wait();
                        highlight(code, "rust").expect("rust is bundled")
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for html in &all[1..] {
            assert!(Arc::ptr_eq(&all[0], html), "one highlighting, shared");
        }
    }

    #[test]
    fn a_preloaded_registry_serves_the_first_block() {
        preload();
        let html = highlight("let preloaded = true;\n", "rust").expect("rust is bundled");
        assert!(html.contains("class=\"hl-"), "{html}");
        // (How many registries there are is other tests' business too:
        // they load and let go of them in this process meanwhile.)
        assert!(!lock_pool().failed);
    }

    #[test]
    fn a_panic_with_a_registry_in_hand_leaves_the_pool_usable() {
        let result = std::panic::catch_unwind(|| with_registry(|_| panic!("in hand")));
        assert!(result.is_err());
        let html = highlight("let after_a_panic = 1;\n", "rust").expect("loaded again");
        assert!(html.contains("class=\"hl-"), "{html}");
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
