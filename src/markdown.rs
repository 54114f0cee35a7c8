//! Markdown to HTML: CommonMark with GFM tables, footnotes, strikethrough
//! and task lists, smart punctuation, heading attributes, heading ids by the
//! one slug rule, build-time highlighting, and sanitised raw HTML.
//!
//! The work is one pass over pulldown-cmark's events, kept in a flat list and
//! rewritten in place (no recursion, so deeply nested quotes and lists cannot
//! exhaust the stack).

use foldhash::{HashMap, HashMapExt};

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
    /// Index into `events` of each of those links' end.
    link_ends: Vec<usize>,
    links: Vec<LinkRef>,
    headings: Vec<Heading>,
    title: Option<String>,
    has_raw_html: bool,
}

/// Links inside links (a linked image, an autolink in a wiki link's text)
/// are followed this deep; deeper ones are written as their text. A page
/// of fifty thousand nested images is then read in linear time.
const MAX_LINK_DEPTH: usize = 32;

/// Matches every link and image start with its end in one pass, and drops
/// the tags of links nested deeper than [`MAX_LINK_DEPTH`].
fn match_links(events: &mut [Option<Event<'_>>]) -> Vec<usize> {
    let mut link_end = vec![usize::MAX; events.len()];
    let mut open: Vec<usize> = Vec::new();
    for k in 0..events.len() {
        match &events[k] {
            Some(Event::Start(Tag::Link { .. } | Tag::Image { .. })) => open.push(k),
            Some(Event::End(TagEnd::Link | TagEnd::Image)) => {
                if let Some(start) = open.pop() {
                    if open.len() >= MAX_LINK_DEPTH {
                        events[start] = None;
                        events[k] = None;
                    } else {
                        link_end[start] = k;
                    }
                }
            }
            _ => {}
        }
    }
    link_end
}

fn analyze<'a>(
    body: &'a str,
    config: &MarkdownConfig,
    take_title: bool,
    code_html: bool,
    contexts: bool,
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
    let link_end = match_links(&mut events);
    // The end of the link starting at `start` (`start` itself if it has
    // none).
    let end_of = |start: usize| match link_end.get(start) {
        Some(&end) if end != usize::MAX => end,
        _ => start,
    };
    let mut analysis = Analysis {
        events,
        link_events: Vec::new(),
        link_ends: Vec::new(),
        links: Vec::new(),
        headings: Vec::new(),
        title: None,
        has_raw_html: false,
    };
    let events = &mut analysis.events;
    let mut seen_ids: HashMap<String, usize> = HashMap::new();
    // Blocks whose text gives links their context: (the event that opens
    // the block, the links in it). Their text is put together when they
    // end, and only for blocks with links (most have none). Rendering
    // needs no contexts (the scan found them): no blocks.
    let mut blocks: Vec<(usize, Vec<usize>)> = Vec::new();

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
                    blocks.push((i, Vec::new()));
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
                    blocks.push((i, Vec::new()));
                }
                i += 1;
            }
            Some(Event::End(
                TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell | TagEnd::Heading(_),
            )) => {
                if let Some((start, links)) = blocks.pop()
                    && !links.is_empty()
                {
                    let starts: Vec<usize> =
                        links.iter().map(|&l| analysis.link_events[l]).collect();
                    let (text, at) = block_text(&events[start + 1..i], start + 1, &starts);
                    for (link, at) in links.into_iter().zip(at) {
                        analysis.links[link].context = sentence_around(&text, at);
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
                let end = end_of(i);
                let text = plain_text(&events[(i + 1).min(end)..end]);
                if let Some((_, block_links)) = blocks.last_mut() {
                    block_links.push(analysis.links.len());
                }
                analysis.links.push(LinkRef {
                    kind,
                    dest,
                    text,
                    offset: offsets[i],
                    context: String::new(),
                });
                analysis.link_events.push(i);
                analysis.link_ends.push(end);
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

/// The text of a block whose events (after its start, up to its end) are
/// `events`, the first of them at index `first`, and where in it each link
/// starting at an index of `starts` (ascending, all of the block's own) is.
/// A block's own text and code count; a block inside it (a list item's
/// nested list) has its own text, and leaves a space in its parent's.
fn block_text(
    events: &[Option<Event<'_>>],
    first: usize,
    starts: &[usize],
) -> (String, Vec<usize>) {
    let mut text = String::new();
    let mut at = Vec::with_capacity(starts.len());
    let mut starts = starts.iter().peekable();
    let mut depth = 0usize;
    for (k, event) in events.iter().enumerate() {
        if starts.peek() == Some(&&(first + k)) {
            at.push(text.len());
            starts.next();
        }
        match event {
            Some(Event::Start(
                Tag::Paragraph | Tag::Item | Tag::TableCell | Tag::Heading { .. },
            )) => depth += 1,
            Some(Event::End(
                TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell | TagEnd::Heading(_),
            )) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    text.push(' ');
                }
            }
            Some(Event::Text(t) | Event::Code(t)) if depth == 0 => text.push_str(t),
            Some(Event::SoftBreak | Event::HardBreak) if depth == 0 => text.push(' '),
            _ => {}
        }
    }
    (text, at)
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
    let analysis = analyze(body, config, take_title, false, true);
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
        link_ends,
        links,
        headings,
        title,
        has_raw_html,
    } = analyze(body, config, take_title, true, false);

    for (n, &i) in link_events.iter().enumerate() {
        let link = &links[n];
        // Gone with an enclosing link rewritten whole.
        if events[i].is_none() {
            continue;
        }
        let end = link_ends[n];
        match action(n, link, rewrite) {
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

/// What to print for link `n`: what `rewrite` says, unless its URL is not
/// safe (then nothing, for an image, or `#`).
fn action(n: usize, link: &LinkRef, rewrite: &dyn Fn(usize, &LinkRef) -> Rewrite) -> Rewrite {
    if is_safe_url(&link.dest) {
        rewrite(n, link)
    } else if matches!(link.kind, LinkKind::Image | LinkKind::Embed) {
        Rewrite::Href(String::new())
    } else {
        Rewrite::Href("#".to_owned())
    }
}

/// A body rendered once, when it is scanned, as if every link were kept,
/// with where each link's pieces lie in the HTML: [`fill`] then writes the
/// links as they resolved without parsing the body again. Byte for byte
/// what [`render`] gives (a test holds them to it); where that could not be
/// shown for a page, it has no `Prepared` and is rendered the long way.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    html: String,
    cuts: Vec<Cut>,
    has_raw_html: bool,
}

impl Prepared {
    /// Bytes held.
    pub fn size(&self) -> usize {
        self.html.capacity() + self.cuts.capacity() * std::mem::size_of::<Cut>()
    }
}

/// At most this many bytes of prepared bodies are held at once, in the
/// whole process: enough for an archive of some twelve thousand pages of
/// a thousand words (the benchmark corpus of 10,000 needs 106 MiB); past
/// it pages are parsed again when they render, so a larger archive's
/// memory still grows by its sources and metadata alone.
pub const PREPARED_BUDGET: usize = 128 << 20;

static PREPARED_HELD: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Bytes of prepared bodies held now, in the whole process.
pub fn prepared_held() -> usize {
    PREPARED_HELD.load(std::sync::atomic::Ordering::Relaxed)
}

/// Prepared bodies counted against [`PREPARED_BUDGET`] for as long as they
/// live.
#[derive(Debug)]
pub struct Held(Prepared);

impl Held {
    /// `prepared`, if the budget has room for it.
    pub fn new(prepared: Prepared) -> Option<Self> {
        use std::sync::atomic::Ordering;
        let size = prepared.size();
        let before = PREPARED_HELD.fetch_add(size, Ordering::Relaxed);
        if before + size > PREPARED_BUDGET {
            PREPARED_HELD.fetch_sub(size, Ordering::Relaxed);
            return None;
        }
        Some(Self(prepared))
    }
}

impl std::ops::Deref for Held {
    type Target = Prepared;
    fn deref(&self) -> &Prepared {
        &self.0
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        PREPARED_HELD.fetch_sub(self.0.size(), std::sync::atomic::Ordering::Relaxed);
    }
}

/// Where one link lies in a [`Prepared`] body.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Cut {
    /// The start tag of a link; the whole `<img …/>` of an image.
    open: (usize, usize),
    /// Where its URL ends: `open.0` up to here is `<a href="URL` or
    /// `<img src="URL`.
    url_end: usize,
    /// A link's `</a>`; empty (at `open.1`) for an image.
    close: (usize, usize),
    link_type: LinkType,
    is_image: bool,
}

/// `<a href="URL` or `<img src="URL` as pulldown-cmark writes it.
fn tag_prefix(link_type: LinkType, is_image: bool, dest: &str) -> String {
    let tag = Tag::Link {
        link_type,
        dest_url: CowStr::Borrowed(dest),
        title: CowStr::Borrowed(""),
        id: CowStr::Borrowed(""),
    };
    let tag = if is_image { with_image(tag) } else { tag };
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, std::iter::once(Event::Start(tag)));
    // A lone start writes `<a href="URL">` or `<img src="URL" alt="" />`.
    let suffix = if is_image {
        "\" alt=\"\" />".len()
    } else {
        "\">".len()
    };
    html.truncate(html.len().saturating_sub(suffix));
    html
}

fn with_image(tag: Tag<'_>) -> Tag<'_> {
    match tag {
        Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        } => Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        },
        other => other,
    }
}

/// What [`scan`] finds, and the body rendered once for [`fill`] (`None`
/// for a body whose links cannot be filled in later: a link inside an
/// image's text).
pub fn prepare(body: &str, config: &MarkdownConfig, take_title: bool) -> (Scan, Option<Prepared>) {
    let Analysis {
        events,
        link_events,
        link_ends,
        links,
        headings,
        title,
        has_raw_html,
    } = analyze(body, config, take_title, true, true);
    let prepared = cut(
        events,
        &link_events,
        &link_ends,
        &links,
        has_raw_html,
        body.len(),
    );
    (
        Scan {
            title,
            headings,
            links,
        },
        prepared,
    )
}

fn cut(
    events: Vec<Option<Event<'_>>>,
    link_events: &[usize],
    link_ends: &[usize],
    links: &[LinkRef],
    has_raw_html: bool,
    size: usize,
) -> Option<Prepared> {
    // Each link's end, its kind of tag and the start of its tag as
    // pulldown-cmark writes it, before the events are used up.
    let mut ends = Vec::with_capacity(link_events.len());
    let mut kinds = Vec::with_capacity(link_events.len());
    for (n, &i) in link_events.iter().enumerate() {
        let end = link_ends[n];
        let (link_type, is_image) = match &events[i] {
            Some(Event::Start(Tag::Link { link_type, .. })) => (*link_type, false),
            Some(Event::Start(Tag::Image { link_type, .. })) => (*link_type, true),
            _ => return None,
        };
        // A link inside an image's text is written into its `alt` by no
        // rule a cut can follow: the long way.
        let nested = is_image && link_events.get(n + 1).is_some_and(|&next| next < end);
        if end == i || nested {
            return None;
        }
        ends.push(end);
        kinds.push((
            link_type,
            is_image,
            tag_prefix(link_type, is_image, &links[n].dest),
        ));
    }
    // The output's length as each event is taken: everything before it
    // has been written by then.
    let written = std::cell::Cell::new(0usize);
    let mut at = vec![usize::MAX; events.len()];
    let mut out = Counting {
        // The HTML of the benchmark's prose is some 1.5 times its
        // Markdown: sized so that most bodies never grow (each growth
        // copies all of it).
        html: String::with_capacity(size + size / 2 + size / 8),
        written: &written,
    };
    let iter = events.into_iter().enumerate().filter_map(|(k, e)| {
        let e = e?;
        at[k] = written.get();
        Some(e)
    });
    pulldown_cmark::html::write_html_fmt(&mut out, iter).ok()?;
    let mut html = out.html;
    // Held until render: little spare capacity (shrinking copies it all,
    // so an eighth is let be; the budget counts what is held).
    if html.capacity() - html.len() > html.len() / 8 {
        html.shrink_to_fit();
    }
    let after = |k: usize| {
        at[k + 1..]
            .iter()
            .copied()
            .find(|&a| a != usize::MAX)
            .unwrap_or(html.len())
    };
    let mut cuts = Vec::with_capacity(link_events.len());
    for (n, &i) in link_events.iter().enumerate() {
        let end = ends[n];
        let (link_type, is_image, prefix) = &kinds[n];
        let start = at[i];
        if start == usize::MAX || at[end] == usize::MAX {
            return None;
        }
        let (open, close) = if *is_image {
            ((start, after(end)), (after(end), after(end)))
        } else {
            ((start, after(i)), (at[end], after(end)))
        };
        // The tag must start as pulldown-cmark writes it, or no cut.
        if html.get(start..start + prefix.len()) != Some(prefix.as_str())
            || open.1 < open.0
            || close.1 < close.0
        {
            return None;
        }
        cuts.push(Cut {
            open,
            url_end: start + prefix.len(),
            close,
            link_type: *link_type,
            is_image: *is_image,
        });
    }
    Some(Prepared {
        html,
        cuts,
        has_raw_html,
    })
}

/// A `fmt::Write` into a string that tells how much it holds.
struct Counting<'c> {
    html: String,
    written: &'c std::cell::Cell<usize>,
}

impl std::fmt::Write for Counting<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.html.push_str(s);
        self.written.set(self.html.len());
        Ok(())
    }
}

/// The body of `prepared` with its links written as `rewrite` says:
/// what [`render`] gives for the same body, or `None` where a rewrite
/// cannot be made on the prepared HTML (the caller then renders).
pub fn fill(
    prepared: &Prepared,
    links: &[LinkRef],
    config: &MarkdownConfig,
    rewrite: &dyn Fn(usize, &LinkRef) -> Rewrite,
) -> Option<String> {
    let html = &prepared.html;
    // Replacements of ranges of the prepared HTML, in order.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for (n, cut) in prepared.cuts.iter().enumerate() {
        let link = links.get(n)?;
        match action(n, link, rewrite) {
            Rewrite::Keep => {}
            // The tag up to its URL anew; the rest (a title, an image's
            // `alt`) as it was.
            Rewrite::Href(href) => {
                let open = tag_prefix(cut.link_type, cut.is_image, &href);
                edits.push((cut.open.0, cut.url_end, open));
            }
            Rewrite::Labelled { href, text } if !cut.is_image => {
                let mut open = String::from("<a href=\"");
                escape_into(&mut open, &href);
                open.push_str("\">");
                escape_into(&mut open, &text);
                open.push_str("</a>");
                edits.push((cut.open.0, cut.close.1, open));
            }
            Rewrite::Unresolved if !cut.is_image => {
                let mut open =
                    String::from("<span class=\"broken-link\" title=\"No page or file named ");
                escape_into(&mut open, &link.dest);
                open.push_str("\">");
                edits.push((cut.open.0, cut.open.1, open));
                edits.push((cut.close.0, cut.close.1, "</span>".to_owned()));
            }
            // A block after it would be written without the newline the
            // prepared HTML has.
            Rewrite::Html(replacement) if !replacement.ends_with('\n') => {
                let end = if cut.is_image {
                    cut.open.1
                } else {
                    cut.close.1
                };
                edits.push((cut.open.0, end, replacement));
            }
            _ => return None,
        }
    }
    edits.sort_by_key(|(start, _, _)| *start);
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let mut cursor = 0;
    for (start, end, replacement) in &edits {
        // Inside a range already replaced (an image in a relabelled link).
        if *start < cursor {
            continue;
        }
        out.push_str(html.get(cursor..*start)?);
        out.push_str(replacement);
        cursor = *end;
    }
    out.push_str(html.get(cursor..)?);
    if prepared.has_raw_html && !config.unsafe_html {
        out = sanitize(&out);
    }
    Some(out)
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

/// The index of the end event matching the start at `start`. Headings and
/// code blocks do not nest in themselves, so the first matching end is the
/// one. pulldown-cmark closes every tag it opens, even at the end of
/// malformed input, so an end is always found; should one not be, the
/// start itself is returned and the caller's ranges stay empty.
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
    // One look-up a byte to pass over the many that need nothing (every
    // title, name and line of a citation on every page comes here).
    const SPECIAL: [bool; 256] = {
        let mut table = [false; 256];
        let mut i = 0;
        while i < 5 {
            table[b"&<>\"'"[i] as usize] = true;
            i += 1;
        }
        table
    };
    let mut start = 0;
    for (i, byte) in text.bytes().enumerate() {
        if !SPECIAL[byte as usize] {
            continue;
        }
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
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
    // The first sixteen characters that are not blanks or controls (which
    // browsers skip in a scheme), lowercased; held on the stack, as every
    // link of every page comes here.
    let mut head = ['\0'; 16];
    let mut len = 0;
    for c in url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .take(head.len())
    {
        head[len] = c.to_ascii_lowercase();
        len += 1;
    }
    let head = &head[..len];
    let scheme_end = head.iter().position(|&c| c == ':');
    let path_start = head.iter().position(|c| matches!(c, '/' | '?' | '#'));
    match (scheme_end, path_start) {
        (Some(colon), Some(slash)) if slash < colon => true,
        (Some(colon), _) => !["javascript", "vbscript", "data", "file"]
            .iter()
            .any(|scheme| head[..colon].iter().copied().eq(scheme.chars())),
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

    #[test]
    fn a_links_context_is_its_sentence_in_its_own_block() {
        let body = "# Top [h](h.md)\n\nFirst one. Then *see* [a](a.md) here. Last.\n\n\
                    - item with [b](b.md)\n  - nested `code` [c](c.md) end\n- plain\n\n\
                    | x |\n|---|\n| cell [d](d.md) |\n";
        let scan = scan(body, &MarkdownConfig::default(), false);
        let contexts: Vec<(&str, &str)> = scan
            .links
            .iter()
            .map(|l| (l.dest.as_str(), l.context.as_str()))
            .collect();
        assert_eq!(
            contexts,
            [
                ("h.md", "Top h"),
                ("a.md", "Then see a here."),
                ("b.md", "item with b"),
                ("c.md", "nested code c end"),
                ("d.md", "cell d"),
            ]
        );
    }
    use super::*;

    fn md(text: &str) -> String {
        render(text, &MarkdownConfig::default(), false, &|_, _| {
            Rewrite::Keep
        })
        .html
    }

    /// Bodies with every kind of link in every place a link can be.
    const BODIES: &[&str] = &[
        "# Title\n\nA [link](a.md) and [[Wiki]] and [[wiki|label]].\n",
        "Para with [titled](b.md \"The title\") and <https://auto.example> and <me@example.org>.\n",
        "| a | b |\n|---|---|\n| [x](x.md) | ![img](i.png \"t\") |\n",
        "- item [one](one.md)\n  - nested [two](two.md)\n- [three](three.md)\n    - deeper\n",
        "Text[^1] with [a](a.md).\n\n[^1]: A note with [b](b.md).\n",
        "[![inner](in.png)](outer.md) and ![[embed]] and ![alt *em*](pic.png)\n",
        "Bad [js](javascript:alert(1)) and ![bad](data:x) [ok](#anchor)\n",
        "<div>raw <a href=\"x\">html</a></div>\n\nAnd [after](after.md) <b>inline</b>.\n",
        "## Heading with [link](h.md)\n\n```rust\nfn main() {}\n```\n\n> quote [q](q.md)\n",
        "Ends with a link [x](x.md)\n- list [y](y.md)\n\n    indented code\n",
        "No links at all.\n",
        "![alt [inner](in.md)](pic.png)\n",
        "[empty]() and [[]] and [[a#b]] and [x][ref]\n\n[ref]: r.md \"R\"\n",
    ];

    /// Every way a link can be rewritten, chosen by the link's number.
    fn rewrites(strategy: usize) -> impl Fn(usize, &LinkRef) -> Rewrite {
        move |n, link| match (strategy + n) % 6 {
            0 => Rewrite::Keep,
            1 => Rewrite::Href(format!("/to/{n}/?q=\"x\"&y")),
            2 => Rewrite::Labelled {
                href: format!("/l/{n}/"),
                text: format!("<Label> {}", link.text),
            },
            3 => Rewrite::Unresolved,
            4 => Rewrite::Html(format!("<div class=\"embed\">{n}</div>")),
            _ => Rewrite::Html("<aside>\nends with a newline\n</aside>\n".to_owned()),
        }
    }

    #[test]
    fn a_prepared_body_fills_in_to_what_render_gives() {
        let mut filled = 0;
        for config in [
            MarkdownConfig::default(),
            MarkdownConfig {
                unsafe_html: true,
                highlight_code: false,
                ..MarkdownConfig::default()
            },
        ] {
            for body in BODIES {
                for take_title in [false, true] {
                    let (scan, prepared) = prepare(body, &config, take_title);
                    assert_eq!(scan, super::scan(body, &config, take_title), "{body}");
                    for strategy in 0..6 {
                        let rewrite = rewrites(strategy);
                        let expected = render(body, &config, take_title, &rewrite).html;
                        if let Some(prepared) = &prepared
                            && let Some(html) = fill(prepared, &scan.links, &config, &rewrite)
                        {
                            assert_eq!(html, expected, "{body:?}, strategy {strategy}");
                            filled += 1;
                        }
                    }
                }
            }
        }
        // Most bodies and rewrites take the short way.
        assert!(filled > 100, "only {filled} filled");
    }

    /// The same over every page of the test sites and the book.
    #[test]
    fn every_fixture_page_fills_in_to_what_render_gives() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut pages = Vec::new();
        let mut folders = vec![root.join("tests/fixtures"), root.join("book/content")];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|e| e == "md") {
                    pages.push(std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        assert!(pages.len() > 30, "{}", pages.len());
        let config = MarkdownConfig::default();
        let mut filled = 0;
        for text in &pages {
            // The body after a front-matter block, if there is one.
            let body = text
                .strip_prefix("---\n")
                .and_then(|rest| rest.split_once("\n---\n").map(|(_, body)| body))
                .unwrap_or(text);
            let (scan, prepared) = prepare(body, &config, true);
            let Some(prepared) = prepared else { continue };
            for strategy in 0..6 {
                let rewrite = rewrites(strategy);
                if let Some(html) = fill(&prepared, &scan.links, &config, &rewrite) {
                    assert_eq!(html, render(body, &config, true, &rewrite).html, "{body}");
                    filled += 1;
                }
            }
        }
        assert!(filled > 60, "only {filled} filled");
    }

    /// Fifty thousand images nested in each other: followed
    /// [`MAX_LINK_DEPTH`] deep (each link's end is found in one pass, and
    /// its text read over at most that many levels), the rest written as
    /// text, so the page is read in linear time rather than hanging.
    #[test]
    fn deeply_nested_links_are_followed_only_so_deep() {
        let n = 50_000;
        let body = format!("{}a{}", "![".repeat(n), "](x)".repeat(n));
        let (scan, prepared) = prepare(&body, &MarkdownConfig::default(), false);
        assert_eq!(scan.links.len(), MAX_LINK_DEPTH);
        assert!(prepared.is_none(), "images in images are not prepared");
        let html = render(&body, &MarkdownConfig::default(), false, &|_, _| {
            Rewrite::Keep
        })
        .html;
        assert_eq!(html, "<p><img src=\"x\" alt=\"a\" /></p>\n");
    }

    #[test]
    fn a_link_in_an_images_text_is_not_prepared() {
        let (_, prepared) = prepare(
            "![alt [inner](in.md)](pic.png)\n",
            &MarkdownConfig::default(),
            false,
        );
        assert!(prepared.is_none());
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
    fn escaping_replaces_the_five_and_keeps_the_rest() {
        for text in [
            "",
            "plain",
            "<a href=\"x\">Tom & Jerry's</a>",
            "&&<<>>\"\"''",
            "é<ü>ñ — “quoted” 'single' 日本&語",
        ] {
            let mut out = String::new();
            escape_runs::<std::fmt::Error>(text, |run| {
                out.push_str(run);
                Ok(())
            })
            .unwrap();
            let expected = text
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
                .replace('\'', "&#39;");
            assert_eq!(out, expected);
        }
    }

    #[test]
    fn a_schemes_padding_case_and_controls_do_not_hide_it() {
        for bad in [
            "javascript:x",
            " JaVa\tScRiPt:x",
            "\u{0}java\nscript:x",
            "VBScript:x",
            "data:text/html,x",
            "FILE:///etc/passwd",
        ] {
            assert!(!is_safe_url(bad), "{bad:?}");
        }
        for good in [
            "https://example.org/a:b",
            "mailto:a@example.org",
            "/a/javascript:x",
            "?q=javascript:x",
            "#data:x",
            "notes.md",
            "",
            // The scheme is looked for in the first sixteen characters.
            "abcdefghijklmnopq:javascript",
        ] {
            assert!(is_safe_url(good), "{good:?}");
        }
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
