//! Atom feeds (RFC 4287). A contributor's feed lists the pages they wrote
//! or helped with, newest first. Times come from the pages' dates, never
//! from the clock, so a feed is the same in every build of the same input.

use crate::contributors::{Contributor, People};
use crate::site::{Page, Site};

/// Escapes text for XML content and attribute values.
#[cfg(test)]
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// Writes `text` into `out` escaped for XML content and attribute values,
/// a run of plain text at a time.
fn escape_into(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest
        .bytes()
        .position(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'') || b < 0x20)
    {
        out.push_str(&rest[..at]);
        match rest.as_bytes()[at] {
            b'&' => out.push_str("&amp;"),
            b'<' => out.push_str("&lt;"),
            b'>' => out.push_str("&gt;"),
            b'"' => out.push_str("&quot;"),
            b'\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot hold at all are dropped.
            b @ (b'\t' | b'\n' | b'\r') => out.push(char::from(b)),
            _ => {}
        }
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

/// A page's date for a feed: its `updated`, else its `date`.
fn page_date(page: &Page) -> Option<jiff::civil::Date> {
    page.updated.or(page.date)
}

fn timestamp(out: &mut String, date: Option<jiff::civil::Date>) {
    use std::fmt::Write as _;
    match date {
        Some(d) => {
            let _ = write!(out, "{d}T00:00:00Z");
        }
        None => out.push_str("1970-01-01T00:00:00Z"),
    }
}

/// An absolute IRI for a site path, escaped into `out`: under `base_url`
/// when it is absolute, else a `urn:` that still identifies the path for
/// ever.
fn iri(out: &mut String, site: &Site, path: &str) {
    let base = site.config.base_url.trim_end_matches('/');
    if base.contains("://") {
        escape_into(out, base);
        escape_into(out, path);
    } else {
        out.push_str("urn:cairn:");
        escape_into(out, path.trim_matches('/'));
    }
}

/// The Atom feed of contributor `c`. `href` turns a site URL into a link.
pub fn contributor_feed(
    site: &Site,
    people: &People,
    c: &Contributor,
    href: &dyn Fn(&str) -> String,
) -> String {
    let mut pages: Vec<(usize, &[String])> = c.authored.iter().map(|&p| (p, &[][..])).collect();
    pages.extend(
        c.contributed
            .iter()
            .map(|(p, roles)| (*p, roles.as_slice())),
    );
    pages.sort_by(|a, b| {
        let (pa, pb) = (&site.pages[a.0], &site.pages[b.0]);
        page_date(pb).cmp(&page_date(pa)).then(pa.url.cmp(&pb.url))
    });
    let newest = pages
        .iter()
        .filter_map(|(p, _)| page_date(&site.pages[*p]))
        .max();
    let url = People::url(&c.id);
    let mut xml = String::with_capacity(1024 + pages.len() * 512);
    let x = &mut xml;
    x.push_str(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n",
    );
    x.push_str("  <title>");
    escape_into(x, &c.name);
    x.push_str(" · ");
    escape_into(x, &site.config.title);
    x.push_str("</title>\n  <id>");
    iri(x, site, &url);
    x.push_str("</id>\n  <updated>");
    timestamp(x, newest);
    x.push_str("</updated>\n  <link rel=\"alternate\" type=\"text/html\" href=\"");
    escape_into(x, &href(&url));
    x.push_str("\"/>\n  <link rel=\"self\" href=\"");
    escape_into(x, &href(&format!("{url}atom.xml")));
    x.push_str("\"/>\n  <author><name>");
    escape_into(x, &c.name);
    x.push_str("</name></author>\n  <generator>");
    x.push_str(crate::manifest::GENERATOR);
    x.push_str("</generator>\n");
    for (p, roles) in pages {
        let page = &site.pages[p];
        x.push_str("  <entry>\n    <title>");
        escape_into(x, &page.title);
        x.push_str("</title>\n    <id>");
        iri(x, site, &page.url);
        x.push_str("</id>\n    <link rel=\"alternate\" type=\"text/html\" href=\"");
        escape_into(x, &href(&page.url));
        x.push_str("\"/>\n    <updated>");
        timestamp(x, page_date(page));
        x.push_str("</updated>\n");
        if let Some(date) = page.date {
            x.push_str("    <published>");
            timestamp(x, Some(date));
            x.push_str("</published>\n");
        }
        for &a in &people.page_authors[p] {
            x.push_str("    <author><name>");
            escape_into(x, &people.contributors[a].name);
            x.push_str("</name></author>\n");
        }
        for (h, _) in &people.page_contributors[p] {
            x.push_str("    <contributor><name>");
            escape_into(x, &people.contributors[*h].name);
            x.push_str("</name></contributor>\n");
        }
        if !roles.is_empty() {
            x.push_str("    <category term=\"");
            escape_into(x, &roles.join(", "));
            x.push_str("\"/>\n");
        }
        if let Some(description) = &page.front.description {
            x.push_str("    <summary>");
            escape_into(x, description);
            x.push_str("</summary>\n");
        }
        x.push_str("  </entry>\n");
    }
    x.push_str("</feed>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(escape("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(escape("é\tà\r\nz"), "é\tà\r\nz");
    }
}
