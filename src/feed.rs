//! Atom feeds (RFC 4287). A contributor's feed lists the pages they wrote
//! or helped with, newest first. Times come from the pages' dates, never
//! from the clock, so a feed is the same in every build of the same input.

use crate::contributors::{Contributor, People};
use crate::site::{Page, Site};

/// Escapes text for XML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot hold at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// A page's date for a feed: its `updated`, else its `date`.
fn page_date(page: &Page) -> Option<jiff::civil::Date> {
    page.updated.or(page.date)
}

fn timestamp(date: Option<jiff::civil::Date>) -> String {
    match date {
        Some(d) => format!("{d}T00:00:00Z"),
        None => "1970-01-01T00:00:00Z".to_owned(),
    }
}

/// An absolute IRI for a site path: under `base_url` when it is absolute,
/// else a `urn:` that still identifies the path for ever.
fn iri(site: &Site, path: &str) -> String {
    let base = site.config.base_url.trim_end_matches('/');
    if base.contains("://") {
        format!("{base}{path}")
    } else {
        format!("urn:cairn:{}", path.trim_matches('/'))
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
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n",
    );
    xml.push_str(&format!(
        "  <title>{} · {}</title>\n",
        escape(&c.name),
        escape(&site.config.title)
    ));
    xml.push_str(&format!("  <id>{}</id>\n", escape(&iri(site, &url))));
    xml.push_str(&format!("  <updated>{}</updated>\n", timestamp(newest)));
    xml.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        escape(&href(&url))
    ));
    xml.push_str(&format!(
        "  <link rel=\"self\" href=\"{}\"/>\n",
        escape(&href(&format!("{url}atom.xml")))
    ));
    xml.push_str(&format!(
        "  <author><name>{}</name></author>\n",
        escape(&c.name)
    ));
    xml.push_str(&format!(
        "  <generator>{}</generator>\n",
        crate::manifest::GENERATOR
    ));
    for (p, roles) in pages {
        let page = &site.pages[p];
        xml.push_str("  <entry>\n");
        xml.push_str(&format!("    <title>{}</title>\n", escape(&page.title)));
        xml.push_str(&format!("    <id>{}</id>\n", escape(&iri(site, &page.url))));
        xml.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            escape(&href(&page.url))
        ));
        xml.push_str(&format!(
            "    <updated>{}</updated>\n",
            timestamp(page_date(page))
        ));
        if let Some(date) = page.date {
            xml.push_str(&format!(
                "    <published>{}</published>\n",
                timestamp(Some(date))
            ));
        }
        for &a in &people.page_authors[p] {
            xml.push_str(&format!(
                "    <author><name>{}</name></author>\n",
                escape(&people.contributors[a].name)
            ));
        }
        for (h, _) in &people.page_contributors[p] {
            xml.push_str(&format!(
                "    <contributor><name>{}</name></contributor>\n",
                escape(&people.contributors[*h].name)
            ));
        }
        if !roles.is_empty() {
            xml.push_str(&format!(
                "    <category term=\"{}\"/>\n",
                escape(&roles.join(", "))
            ));
        }
        if let Some(description) = &page.front.description {
            xml.push_str(&format!("    <summary>{}</summary>\n", escape(description)));
        }
        xml.push_str("  </entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(escape("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&apos;");
    }
}
