//! Markdown to HTML: CommonMark with GFM tables, footnotes, strikethrough
//! and task lists, smart punctuation, heading attributes, heading ids by the
//! one slug rule, build-time highlighting, and sanitised raw HTML.
//!
//! The work is one pass over pulldown-cmark's events, kept in a flat list and
//! rewritten in place (no recursion, so deeply nested quotes and lists cannot
//! exhaust the stack).

use std::collections::HashMap;

use pulldown_cmark::{
    CodeBlockKind, CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd,
};

use crate::config::MarkdownConfig;
use crate::slug::slugify;

/// One heading of a page, with the id its anchor uses.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub text: String,
}

/// How a link was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// `[text](dest)`
    Markdown,
    /// `![alt](dest)`
    Image,
    /// `[[dest]]` or `[[dest|label]]`
    Wiki { labelled: bool },
    /// `![[dest]]`
    Embed,
}

/// One link of a page, as written, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRef {
    pub kind: LinkKind,
    /// The destination as written (for wiki links, the raw target).
    pub dest: String,
    /// The link's visible text.
    pub text: String,
    /// Byte offset of the link in the body.
    pub offset: usize,
    /// The sentence around the link, as plain text.
    pub context: String,
}

/// What the headings and links of a page are, found before any page is
/// rendered (backlinks and anchors need every page's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    pub title: Option<String>,
    pub headings: Vec<Heading>,
    pub links: Vec<LinkRef>,
}

/// What to print for the `n`th link of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rewrite {
    /// Leave the link as written.
    Keep,
    /// Point it at this `href`.
    Href(String),
    /// Point it at this `href` and show `text` instead of the link's text.
    Labelled { href: String, text: String },
    /// A link to nothing: show its text, marked, with no link.
    Unresolved,
    /// Replace the whole link with this HTML (a note embed).
    Html(String),
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
        | Options::ENABLE_WIKILINKS
        | Options::ENABLE_GFM;
    if config.smart_punctuation {
        options |= Options::ENABLE_SMART_PUNCTUATION;
    }
    options
}

/// A body parsed once into a flat list of events, with heading ids given,
/// the leading title taken out, code blocks turned into HTML, and every link
/// recorded. Both [`scan`] and [`render`] start here, so the links they see
/// are the same, in the same order.
struct Analysis<'a> {
    events: Vec<Option<Event<'a>>>,
    /// Index into `events` of each link or image start, in document order.
    link_events: Vec<usize>,
    links: Vec<LinkRef>,
    headings: Vec<Heading>,
    title: Option<String>,
    has_raw_html: bool,
}

fn analyze<'a>(
    body: &'a str,
    config: &MarkdownConfig,
    take_title: bool,
    code_html: bool,
) -> Analysis<'a> {
    // About one event for every ten bytes of prose: sized once, as
    // growing a list of events copies all of it.
    let capacity = body.len() / 8 + 16;
    let mut events = Vec::with_capacity(capacity);
    let mut offsets = Vec::with_capacity(capacity);
    for (event, range) in Parser::new_ext(body, parser_options(config)).into_offset_iter() {
        events.push(Some(event));
        offsets.push(range.start);
    }
    let mut analysis = Analysis {
        events,
        link_events: Vec::new(),
        links: Vec::new(),
        headings: Vec::new(),
        title: None,
        has_raw_html: false,
    };
    let events = &mut analysis.events;
    let mut seen_ids: HashMap<String, usize> = HashMap::new();
    // Blocks whose text gives links their context: (text so far, links in
    // it). Rendering needs no contexts (the scan found them): no blocks.
    let contexts = !code_html;
    let mut blocks: Vec<(String, Vec<(usize, usize)>)> = Vec::new();

    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            Some(Event::Start(Tag::Heading { .. })) => {
                let end = find_end(events, i, |e| matches!(e, TagEnd::Heading(_)));
                let text = plain_text(&events[(i + 1).min(end)..end]);
                let Some(Event::Start(Tag::Heading {
                    level,
                    id,
                    classes,
                    attrs,
                })) = events[i].take()
                else {
                    unreachable!("matched a heading start above");
                };
                if take_title && i == 0 && level == HeadingLevel::H1 && analysis.title.is_none() {
                    analysis.title = Some(text);
                    events[i..=end].iter_mut().for_each(|e| *e = None);
                    i = end + 1;
                    continue;
                }
                let base = id.map_or_else(|| slugify(&text), |id| id.to_string());
                let id = unique_id(base, &mut seen_ids);
                analysis.headings.push(Heading {
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
                if contexts {
                    blocks.push((String::new(), Vec::new()));
                }
                i += 1;
            }
            Some(Event::Start(Tag::CodeBlock(kind))) => {
                let end = find_end(events, i, |e| matches!(e, TagEnd::CodeBlock));
                if code_html {
                    let lang = match kind {
                        CodeBlockKind::Fenced(info) => info
                            .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
                            .next()
                            .unwrap_or("")
                            .to_owned(),
                        CodeBlockKind::Indented => String::new(),
                    };
                    let mut code = String::new();
                    for event in events[(i + 1).min(end)..end].iter().flatten() {
                        if let Event::Text(t) = event {
                            code.push_str(t);
                        }
                    }
                    let html = code_block(&code, &lang, config.highlight_code);
                    events[i] = Some(Event::Html(CowStr::from(html)));
                }
                events[i + 1..=end].iter_mut().for_each(|e| *e = None);
                i = end + 1;
            }
            Some(Event::Start(Tag::Paragraph | Tag::Item | Tag::TableCell)) => {
                if contexts {
                    blocks.push((String::new(), Vec::new()));
                }
                i += 1;
            }
            Some(Event::End(
                TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell | TagEnd::Heading(_),
            )) => {
                if let Some((text, links)) = blocks.pop() {
                    for (link, at) in links {
                        analysis.links[link].context = sentence_around(&text, at);
                    }
                    // A tight list item's text continues its parent's.
                    if let Some(parent) = blocks.last_mut() {
                        parent.0.push(' ');
                    }
                }
                i += 1;
            }
            Some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }))
            | Some(Event::Start(Tag::Image {
                link_type,
                dest_url,
                ..
            })) => {
                let is_image = matches!(events[i], Some(Event::Start(Tag::Image { .. })));
                let kind = match (link_type, is_image) {
                    (LinkType::WikiLink { .. }, true) => LinkKind::Embed,
                    (LinkType::WikiLink { has_pothole }, false) => LinkKind::Wiki {
                        labelled: *has_pothole,
                    },
                    (_, true) => LinkKind::Image,
                    (_, false) => LinkKind::Markdown,
                };
                let dest = dest_url.to_string();
                let end = find_end(events, i, |e| matches!(e, TagEnd::Link | TagEnd::Image));
                let text = plain_text(&events[(i + 1).min(end)..end]);
                if let Some((block_text, block_links)) = blocks.last_mut() {
                    block_links.push((analysis.links.len(), block_text.len()));
                }
                analysis.links.push(LinkRef {
                    kind,
                    dest,
                    text,
                    offset: offsets[i],
                    context: String::new(),
                });
                analysis.link_events.push(i);
                i += 1;
            }
            Some(Event::Text(t) | Event::Code(t)) => {
                if let Some((block_text, _)) = blocks.last_mut() {
                    block_text.push_str(t);
                }
                i += 1;
            }
            Some(Event::SoftBreak | Event::HardBreak) => {
                if let Some((block_text, _)) = blocks.last_mut() {
                    block_text.push(' ');
                }
                i += 1;
            }
            Some(Event::Html(_)) | Some(Event::InlineHtml(_)) => {
                analysis.has_raw_html = true;
                i += 1;
            }
            _ => i += 1,
        }
    }
    analysis
}

/// The sentence of `text` that holds byte `at`, trimmed to a readable
/// length.
fn sentence_around(text: &str, at: usize) -> String {
    const MAX: usize = 240;
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let is_end = |b: &[u8], i: usize| {
        matches!(b[i], b'.' | b'!' | b'?') && b.get(i + 1).is_none_or(|c| c.is_ascii_whitespace())
    };
    let bytes = text.as_bytes();
    let mut start = 0;
    for i in (0..at).rev() {
        if is_end(bytes, i) {
            start = i + 1;
            break;
        }
    }
    let mut end = text.len();
    for i in at..bytes.len() {
        if is_end(bytes, i) {
            end = i + 1;
            break;
        }
    }
    let sentence = text[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if sentence.chars().count() <= MAX {
        return sentence;
    }
    let cut: String = sentence.chars().take(MAX).collect();
    format!("{}…", cut.trim_end())
}

/// The headings and links of `body`, without rendering it.
pub fn scan(body: &str, config: &MarkdownConfig, take_title: bool) -> Scan {
    let analysis = analyze(body, config, take_title, false);
    Scan {
        title: analysis.title,
        headings: analysis.headings,
        links: analysis.links,
    }
}

/// Renders `body`. With `take_title`, a `# heading` that opens the body
/// becomes [`Rendered::title`] instead of being rendered. `rewrite` says,
/// for the `n`th link of the page (in the order [`scan`] lists them), what
/// to print; `javascript:` and similar URLs are neutralised whatever it
/// says.
pub fn render(
    body: &str,
    config: &MarkdownConfig,
    take_title: bool,
    rewrite: &dyn Fn(usize, &LinkRef) -> Rewrite,
) -> Rendered {
    let Analysis {
        mut events,
        link_events,
        links,
        headings,
        title,
        has_raw_html,
    } = analyze(body, config, take_title, true);

    for (n, &i) in link_events.iter().enumerate() {
        let link = &links[n];
        let is_image = matches!(link.kind, LinkKind::Image | LinkKind::Embed);
        let end = find_end(&events, i, |e| matches!(e, TagEnd::Link | TagEnd::Image));
        let action = if is_safe_url(&link.dest) {
            rewrite(n, link)
        } else if is_image {
            Rewrite::Href(String::new())
        } else {
            Rewrite::Href("#".to_owned())
        };
        match action {
            Rewrite::Keep => {}
            Rewrite::Href(href) => {
                let event = events[i].take();
                events[i] = event.map(|e| with_destination(e, href));
            }
            Rewrite::Labelled { href, text } => {
                // Written as HTML, so the list of events keeps its length
                // (the indices of later links stay true).
                let mut open = String::from("<a href=\"");
                escape_into(&mut open, &href);
                open.push_str("\">");
                escape_into(&mut open, &text);
                events[i] = Some(Event::Html(CowStr::from(open)));
                events[(i + 1).min(end)..end]
                    .iter_mut()
                    .for_each(|e| *e = None);
                if end > i {
                    events[end] = Some(Event::Html(CowStr::Borrowed("</a>")));
                }
            }
            Rewrite::Unresolved => {
                let mut open =
                    String::from("<span class=\"broken-link\" title=\"No page or file named ");
                escape_into(&mut open, &link.dest);
                open.push_str("\">");
                events[i] = Some(Event::Html(CowStr::from(open)));
                if end > i {
                    events[end] = Some(Event::Html(CowStr::Borrowed("</span>")));
                }
            }
            Rewrite::Html(html) => {
                events[i] = Some(Event::Html(CowStr::from(html)));
                events[i + 1..=end].iter_mut().for_each(|e| *e = None);
            }
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

/// The index of the end event matching the start at `start`. Headings,
/// code blocks, links and images do not nest in themselves, so the first
/// matching end is the one. pulldown-cmark closes every tag it opens, even
/// at the end of malformed input, so an end is always found; should one not
/// be, the start itself is returned and the caller's ranges stay empty.
fn find_end(events: &[Option<Event<'_>>], start: usize, is_end: impl Fn(&TagEnd) -> bool) -> usize {
    events[start + 1..]
        .iter()
        .position(|e| matches!(e, Some(Event::End(end)) if is_end(end)))
        .map_or(start, |p| start + 1 + p)
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
        return html.to_string();
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
    escape_runs(text, |run| {
        out.push_str(run);
        Ok::<(), std::convert::Infallible>(())
    })
    .unwrap_or_else(|never| match never {});
}

/// HTML-escapes `text`, handing `emit` the runs that need no escaping and
/// the entities between them (`&`, `<`, `>`, `"` and `'` are ASCII, so a
/// byte scan never cuts a character).
pub fn escape_runs<E>(text: &str, mut emit: impl FnMut(&str) -> Result<(), E>) -> Result<(), E> {
    let mut start = 0;
    for (i, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        if start < i {
            emit(&text[start..i])?;
        }
        emit(entity)?;
        start = i + 1;
    }
    if start < text.len() {
        emit(&text[start..])?;
    }
    Ok(())
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
        render(text, &MarkdownConfig::default(), false, &|_, _| {
            Rewrite::Keep
        })
        .html
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
            &|_, _| Rewrite::Keep,
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
            &|_, _| Rewrite::Keep,
        );
        assert_eq!(r.title.as_deref(), Some("The Title"));
        assert!(!r.html.contains("The Title"));
        let r = render(
            "Intro.\n\n# Later\n",
            &MarkdownConfig::default(),
            true,
            &|_, _| Rewrite::Keep,
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
        let html = render(
            "<div onclick=\"x()\">hi</div>\n",
            &config,
            false,
            &|_, _| Rewrite::Keep,
        )
        .html;
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
    fn relabelling_keeps_every_later_link_in_place() {
        let body = "[[a]] [[]] [](empty.md) [[b|B]] ![[c.png]] [d](d.md)\n";
        let scan = scan(body, &MarkdownConfig::default(), false);
        let rewrite = |n: usize, link: &LinkRef| Rewrite::Labelled {
            href: format!("/{n}/"),
            text: format!("{}#{n}", link.dest),
        };
        let html = render(body, &MarkdownConfig::default(), false, &rewrite).html;
        for (n, link) in scan.links.iter().enumerate() {
            assert!(
                html.contains(&format!("<a href=\"/{n}/\">{}#{n}</a>", link.dest)),
                "{n} in {html}"
            );
        }
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
