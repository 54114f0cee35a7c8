//! Markdown to HTML: CommonMark with GFM tables, footnotes, strikethrough
//! and task lists, smart punctuation, heading attributes, heading ids by the
//! one slug rule, build-time highlighting, and sanitised raw HTML.
//!
//! The work is one pass over pulldown-cmark's events, kept in a flat list and
//! rewritten in place (no recursion, so deeply nested quotes and lists cannot
//! exhaust the stack).

use std::collections::HashMap;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::config::MarkdownConfig;
use crate::slug::slugify;

/// One heading of a page, with the id its anchor uses.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub text: String,
}

/// A page body rendered to HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    /// The text of a leading `# heading`, when the caller asked for it to be
    /// taken as the title (it is then left out of `html`).
    pub title: Option<String>,
    pub headings: Vec<Heading>,
}

/// The pulldown-cmark extensions Cairn enables.
pub fn parser_options(config: &MarkdownConfig) -> Options {
    let mut options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM;
    if config.smart_punctuation {
        options |= Options::ENABLE_SMART_PUNCTUATION;
    }
    options
}

/// Renders `body`. With `take_title`, a `# heading` that opens the body
/// becomes [`Rendered::title`] instead of being rendered. `rewrite_link`
/// maps a link or image destination as written to the `href` to print, or
/// `None` to keep it.
pub fn render(
    body: &str,
    config: &MarkdownConfig,
    take_title: bool,
    rewrite_link: &dyn Fn(&str) -> Option<String>,
) -> Rendered {
    let mut events: Vec<Option<Event<'_>>> = Parser::new_ext(body, parser_options(config))
        .map(Some)
        .collect();
    let mut headings = Vec::new();
    let mut seen_ids: HashMap<String, usize> = HashMap::new();
    let mut title = None;
    let mut has_raw_html = false;

    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            Some(Event::Start(Tag::Heading { .. })) => {
                let end = find_end(&events, i, |e| matches!(e, TagEnd::Heading(_)));
                let text = plain_text(&events[i + 1..end]);
                let Some(Event::Start(Tag::Heading {
                    level,
                    id,
                    classes,
                    attrs,
                })) = events[i].take()
                else {
                    unreachable!("matched a heading start above");
                };
                if take_title && i == 0 && level == HeadingLevel::H1 && title.is_none() {
                    title = Some(text);
                    events[i..=end].iter_mut().for_each(|e| *e = None);
                    i = end + 1;
                    continue;
                }
                let base = id.map_or_else(|| slugify(&text), |id| id.to_string());
                let id = unique_id(base, &mut seen_ids);
                headings.push(Heading {
                    level: level as u8,
                    id: id.clone(),
                    text,
                });
                events[i] = Some(Event::Start(Tag::Heading {
                    level,
                    id: Some(CowStr::from(id)),
                    classes,
                    attrs,
                }));
                i = end + 1;
            }
            Some(Event::Start(Tag::CodeBlock(kind))) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => info
                        .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
                        .next()
                        .unwrap_or("")
                        .to_owned(),
                    CodeBlockKind::Indented => String::new(),
                };
                let end = find_end(&events, i, |e| matches!(e, TagEnd::CodeBlock));
                let mut code = String::new();
                for event in events[i + 1..end].iter().flatten() {
                    if let Event::Text(t) = event {
                        code.push_str(t);
                    }
                }
                let html = code_block(&code, &lang, config.highlight_code);
                events[i] = Some(Event::Html(CowStr::from(html)));
                events[i + 1..=end].iter_mut().for_each(|e| *e = None);
                i = end + 1;
            }
            Some(Event::Start(Tag::Link { dest_url, .. }))
            | Some(Event::Start(Tag::Image { dest_url, .. })) => {
                let is_image = matches!(events[i], Some(Event::Start(Tag::Image { .. })));
                let replacement = if !is_safe_url(dest_url) {
                    Some(if is_image {
                        String::new()
                    } else {
                        "#".to_owned()
                    })
                } else {
                    rewrite_link(dest_url)
                };
                if let Some(new_url) = replacement {
                    let event = events[i].take();
                    events[i] = event.map(|e| with_destination(e, new_url));
                }
                i += 1;
            }
            Some(Event::Html(_)) | Some(Event::InlineHtml(_)) => {
                has_raw_html = true;
                i += 1;
            }
            _ => i += 1,
        }
    }

    let mut html = String::with_capacity(body.len() + body.len() / 4);
    pulldown_cmark::html::push_html(&mut html, events.into_iter().flatten());
    if has_raw_html && !config.unsafe_html {
        html = sanitize(&html);
    }
    Rendered {
        html,
        title,
        headings,
    }
}

/// A link or image start event with another destination.
fn with_destination(event: Event<'_>, dest: String) -> Event<'_> {
    match event {
        Event::Start(Tag::Link {
            link_type,
            title,
            id,
            ..
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: CowStr::from(dest),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            title,
            id,
            ..
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: CowStr::from(dest),
            title,
            id,
        }),
        other => other,
    }
}

/// The text of a `# heading` that opens `body` (ATX or setext), if any:
/// the title of a page whose front matter has none.
pub fn leading_title(body: &str, config: &MarkdownConfig) -> Option<String> {
    let start = body.len() - body.trim_start_matches(['\n', '\r', ' ', '\t']).len();
    // Back up to the start of the first non-blank line (indentation counts).
    let line_start = body[..start].rfind('\n').map_or(0, |i| i + 1);
    let rest = &body[line_start..];
    let first_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
    let second_end = rest[first_end..]
        .find('\n')
        .map_or(rest.len(), |i| first_end + i + 1);
    // Only the first block matters: parse the first two lines at most.
    let head = &rest[..second_end];
    let mut parser = Parser::new_ext(head, parser_options(config));
    match parser.next() {
        Some(Event::Start(Tag::Heading {
            level: HeadingLevel::H1,
            ..
        })) => {}
        _ => return None,
    }
    let inner: Vec<Option<Event<'_>>> = parser
        .take_while(|e| !matches!(e, Event::End(TagEnd::Heading(_))))
        .map(Some)
        .collect();
    let text = plain_text(&inner);
    (!text.is_empty()).then_some(text)
}

/// The index of the end event matching the start at `start`. Headings and
/// code blocks do not nest, so the first matching end is the one.
fn find_end(events: &[Option<Event<'_>>], start: usize, is_end: impl Fn(&TagEnd) -> bool) -> usize {
    events[start + 1..]
        .iter()
        .position(|e| matches!(e, Some(Event::End(end)) if is_end(end)))
        .map_or(events.len() - 1, |p| start + 1 + p)
}

/// The visible text of a run of inline events.
fn plain_text(events: &[Option<Event<'_>>]) -> String {
    let mut text = String::new();
    for event in events.iter().flatten() {
        match event {
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                text.push_str(t)
            }
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            _ => {}
        }
    }
    text.trim().to_owned()
}

/// `base`, or `base-1`, `base-2`, … if it was already taken on this page.
fn unique_id(base: String, seen: &mut HashMap<String, usize>) -> String {
    let mut candidate = base.clone();
    loop {
        match seen.get_mut(&candidate) {
            None => {
                seen.insert(candidate.clone(), 0);
                return candidate;
            }
            Some(_) => {
                let n = seen.get_mut(&base).map_or(1, |n| {
                    *n += 1;
                    *n
                });
                candidate = format!("{base}-{n}");
            }
        }
    }
}

fn code_block(code: &str, lang: &str, highlight: bool) -> String {
    if highlight && let Some(html) = crate::highlight::highlight(code, lang) {
        return html;
    }
    let mut out = String::with_capacity(code.len() + 40);
    if lang.is_empty() {
        out.push_str("<pre><code>");
    } else {
        out.push_str("<pre><code class=\"language-");
        escape_into(&mut out, lang);
        out.push_str("\">");
    }
    escape_into(&mut out, code);
    out.push_str("</code></pre>\n");
    out
}

/// HTML-escapes `text` into `out`.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Whether a link or image URL may be kept: no `javascript:`, `vbscript:`,
/// `data:` or `file:` scheme, however it is cased or padded.
pub fn is_safe_url(url: &str) -> bool {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase();
    let scheme_end = cleaned.find(':');
    let path_start = cleaned.find(['/', '?', '#']);
    match (scheme_end, path_start) {
        (Some(colon), Some(slash)) if slash < colon => true,
        (Some(colon), _) => !matches!(
            &cleaned[..colon],
            "javascript" | "vbscript" | "data" | "file"
        ),
        (None, _) => true,
    }
}

/// Cleans rendered HTML that holds raw HTML from the author: an allow-list
/// of tags and attributes, with everything Cairn's own Markdown output uses.
fn sanitize(html: &str) -> String {
    let mut builder = ammonia::Builder::default();
    builder
        .add_generic_attributes(["id", "class"])
        .add_tags([
            "input",
            "span",
            "figure",
            "figcaption",
            "details",
            "summary",
        ])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tag_attributes("th", ["align", "style"])
        .add_tag_attributes("td", ["align", "style"])
        .add_tag_attributes("ol", ["start"])
        .link_rel(None)
        .id_prefix(None::<&str>);
    builder.clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(text: &str) -> String {
        render(text, &MarkdownConfig::default(), false, &|_| None).html
    }

    #[test]
    fn gfm_extensions() {
        assert!(md("| a | b |\n|---|---|\n| 1 | 2 |\n").contains("<table>"));
        assert!(md("~~gone~~").contains("<del>gone</del>"));
        assert!(md("- [x] done\n").contains("checkbox"));
        assert!(md("Note[^1].\n\n[^1]: Here.\n").contains("footnote"));
        assert!(md("\"quoted\" -- dash").contains('\u{201c}'));
    }

    #[test]
    fn heading_ids_are_unique_slugs() {
        let r = render(
            "## Install\n\n## Install\n\n## Café {#custom}\n",
            &MarkdownConfig::default(),
            false,
            &|_| None,
        );
        let ids: Vec<_> = r.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["install", "install-1", "custom"]);
        assert!(r.html.contains("<h2 id=\"install-1\">"), "{}", r.html);
    }

    #[test]
    fn leading_h1_becomes_title() {
        let r = render(
            "# The Title\n\nText.\n",
            &MarkdownConfig::default(),
            true,
            &|_| None,
        );
        assert_eq!(r.title.as_deref(), Some("The Title"));
        assert!(!r.html.contains("The Title"));
        let r = render(
            "Intro.\n\n# Later\n",
            &MarkdownConfig::default(),
            true,
            &|_| None,
        );
        assert_eq!(r.title, None);
    }

    #[test]
    fn scripts_and_handlers_are_removed() {
        let html = md(
            "<script>alert(1)</script>\n\n<p onclick=\"x()\">hi</p>\n\n<iframe src=\"https://e.org\"></iframe>\n\n<a href=\"javascript:alert(1)\">a</a>\n",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onclick"), "{html}");
        assert!(!html.contains("<iframe"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("hi"));
    }

    #[test]
    fn javascript_markdown_links_are_neutralised() {
        for src in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](<java script:alert(1)>)",
            "![i](data:text/html,<script>)",
        ] {
            let html = md(src);
            assert!(
                !html.to_ascii_lowercase().contains("script:"),
                "{src} gave {html}"
            );
            assert!(!html.contains("data:"), "{src} gave {html}");
        }
        assert!(md("[x](https://example.org/a:b)").contains("https://example.org/a:b"));
        assert!(md("[x](../a.md#b)").contains("../a.md#b"));
    }

    #[test]
    fn unsafe_html_opt_in_keeps_raw_html() {
        let config = MarkdownConfig {
            unsafe_html: true,
            ..MarkdownConfig::default()
        };
        let html = render("<div onclick=\"x()\">hi</div>\n", &config, false, &|_| None).html;
        assert!(html.contains("onclick"));
    }

    #[test]
    fn code_is_highlighted_with_classes() {
        let html = md("```rust\nlet x = 1;\n```\n");
        assert!(html.contains("hl-"), "{html}");
        let html = md("```nosuchlang\n<b>\n```\n");
        assert!(html.contains("language-nosuchlang"));
        assert!(html.contains("&lt;b&gt;"));
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let quotes = ">".repeat(50_000) + " deep\n";
        assert!(md(&quotes).contains("deep"));
        let mut lists = String::new();
        for depth in 0..5_000 {
            lists.push_str(&"  ".repeat(depth));
            lists.push_str("- item\n");
        }
        assert!(md(&lists).contains("item"));
    }
}
