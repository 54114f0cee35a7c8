//! The data model: a [`Site`] of [`Page`]s, [`Section`]s and [`Asset`]s.
//!
//! Plain data only. Stages are free functions that take what they read and
//! return what they make; nothing here does I/O or holds a lock.

use crate::config::Config;
use crate::frontmatter::FrontMatter;

/// A whole site, resolved: every page has its URL and section.
#[derive(Debug, Clone)]
pub struct Site {
    pub config: Config,
    /// Every page that is built (drafts only with `--drafts`), sorted by
    /// source path.
    pub pages: Vec<Page>,
    /// Every section, sorted by folder; index 0 is the root section.
    pub sections: Vec<Section>,
    /// Files copied as they are: co-located assets, then static files.
    pub assets: Vec<Asset>,
}

/// One Markdown page as parsed from its file: a function of the file and
/// the Markdown options alone, shared (not copied) from one build to the
/// next while the file is unchanged.
#[derive(Debug)]
pub struct Parsed {
    /// Source path relative to the site root, with `/`.
    pub source: String,
    /// Source path relative to the content folder, with `/`.
    pub rel: String,
    /// The whole source file (shared with the load that read it).
    pub text: std::sync::Arc<str>,
    /// BLAKE3 of the source file's bytes.
    pub hash: blake3::Hash,
    /// Byte offset of the Markdown body in `text`.
    pub body_offset: usize,
    pub front: FrontMatter,
    /// The title the file gives: front matter, else the leading heading,
    /// else the file name.
    pub title: String,
    /// The title is the body's leading `# heading`, which is then not
    /// rendered again.
    pub title_from_body: bool,
    /// The page's headings, with their ids.
    pub headings: Vec<crate::markdown::Heading>,
    /// The page's links as written, in document order.
    pub links: Vec<crate::markdown::LinkRef>,
    /// The body rendered when it was scanned, to have its links filled in
    /// at render (while the budget for them lasts; else the body is
    /// rendered again). A one-off build takes it out when the page renders,
    /// so that its memory serves the pages rendered after it.
    pub prepared: std::sync::Mutex<Option<crate::markdown::Held>>,
}

impl Parsed {
    /// The Markdown after the front matter.
    pub fn body(&self) -> &str {
        &self.text[self.body_offset..]
    }
}

/// One page of the site: its file as parsed, and what resolving the site
/// gave it. Reads of the parsed fields go through to [`Parsed`].
#[derive(Debug, Clone)]
pub struct Page {
    pub parsed: std::sync::Arc<Parsed>,
    /// The title shown: the parsed one, or the site's for a front page
    /// without one.
    pub title: String,
    /// `date` from the front matter, else from git (first commit).
    pub date: Option<jiff::civil::Date>,
    /// `updated` from the front matter, else from git (last commit).
    pub updated: Option<jiff::civil::Date>,
    /// Site-relative URL, starting and ending with `/`.
    pub url: String,
    /// The section this page belongs to (for a section's own page, that
    /// section).
    pub section: usize,
    /// This is a section's own page (`_index.md`, `index.md`, `README.md`).
    pub is_index: bool,
    /// Authors of the commits that touched the page (with
    /// `[provenance] git = true`), oldest first.
    pub commit_authors: Vec<crate::frontmatter::Person>,
}

impl Page {
    /// A page for `parsed`, not yet resolved.
    pub fn new(parsed: std::sync::Arc<Parsed>) -> Self {
        Self {
            title: parsed.title.clone(),
            date: parsed.front.date,
            updated: parsed.front.updated,
            url: String::new(),
            section: 0,
            is_index: false,
            commit_authors: Vec::new(),
            parsed,
        }
    }
}

impl std::ops::Deref for Page {
    type Target = Parsed;

    fn deref(&self) -> &Parsed {
        &self.parsed
    }
}

/// A folder of the content, with its own page if it has one.
#[derive(Debug, Clone)]
pub struct Section {
    /// Folder relative to the content folder, with `/`; empty for the root.
    pub dir: String,
    pub url: String,
    pub title: String,
    /// The section's own page (index into `Site::pages`).
    pub index_page: Option<usize>,
    /// The other pages of the folder, in listing order.
    pub pages: Vec<usize>,
    /// Sub-folders that are sections, sorted by title.
    pub subsections: Vec<usize>,
    pub parent: Option<usize>,
}

/// A file copied to the output as it is.
#[derive(Debug, Clone)]
pub struct Asset {
    /// Source path relative to the site root, with `/`.
    pub source: String,
    /// For a file in the content folder, its path there (with `/`), by
    /// which pages link to it.
    pub content_rel: Option<String>,
    /// Output path relative to the output folder, with `/`.
    pub path: String,
    pub bytes: std::sync::Arc<[u8]>,
}

impl Site {
    /// A page's license: its own, else the site's.
    pub fn license_of<'a>(&'a self, page: &'a Page) -> Option<&'a str> {
        page.front
            .license
            .as_deref()
            .or(self.config.license.as_deref())
    }

    /// The sections from the root down to `section`, inclusive.
    pub fn ancestry(&self, section: usize) -> Vec<usize> {
        let mut chain = vec![section];
        let mut current = section;
        while let Some(parent) = self.sections.get(current).and_then(|s| s.parent) {
            chain.push(parent);
            current = parent;
        }
        chain.reverse();
        chain
    }
}
