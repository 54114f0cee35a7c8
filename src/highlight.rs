//! Build-time syntax highlighting of fenced code with giallo (TextMate
//! grammars, the same output as VS Code).
//!
//! The output carries classes, not inline styles, so the theme's CSS decides
//! the colours; [`stylesheet`] gives that CSS for a light and a dark theme,
//! switched by `prefers-color-scheme`. The grammar registry is loaded once,
//! on the first code block of a build, and shared read-only by every thread.

use std::sync::OnceLock;

use giallo::{HighlightOptions, HtmlRenderer, Registry, RenderOptions, ThemeVariant};

const LIGHT: &str = "github-light";
const DARK: &str = "github-dark";
const PREFIX: &str = "hl-";

fn registry() -> Option<&'static Registry> {
    static REGISTRY: OnceLock<Option<Registry>> = OnceLock::new();
    REGISTRY
        .get_or_init(|| {
            let mut registry = Registry::builtin().ok()?;
            registry.link_grammars();
            Some(registry)
        })
        .as_ref()
}

/// Highlights `code` written in `lang`. `None` when the language is unknown
/// (or empty), so the caller prints plain, escaped code.
pub fn highlight(code: &str, lang: &str) -> Option<String> {
    let lang = lang.trim();
    if lang.is_empty() {
        return None;
    }
    let registry = registry()?;
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
}

/// The CSS for highlighted code: the light theme by default and the dark one
/// under `prefers-color-scheme: dark`.
pub fn stylesheet() -> String {
    let Some(registry) = registry() else {
        return String::new();
    };
    match registry.generate_dual_css(LIGHT, DARK, PREFIX) {
        Ok((light, dark)) => format!(
            "{}\n{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n",
            giallo::GIALLO_CSS
        ),
        Err(_) => String::new(),
    }
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
    fn unknown_language_is_none() {
        assert!(highlight("x", "no-such-language").is_none());
        assert!(highlight("x", "").is_none());
    }

    #[test]
    fn code_is_escaped() {
        let html = highlight("<script>alert(1)</script>\n", "html").unwrap();
        assert!(!html.contains("<script>"), "{html}");
    }
}
