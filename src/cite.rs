//! What a page says about itself to machines and scholars: Schema.org
//! `CreativeWork` JSON-LD for its head, and a "cite this page" block in
//! BibTeX and plain text. Both carry the BLAKE3 of the page's source.

use serde::Serialize;

/// The facts both forms are made from.
pub struct Facts<'a> {
    pub title: &'a str,
    /// Absolute where `base_url` is, else the site path.
    pub url: String,
    pub site: &'a str,
    /// (name, URL of their page) of each author and contributor.
    pub authors: Vec<(&'a str, String)>,
    pub contributors: Vec<(&'a str, String)>,
    pub created: Option<String>,
    pub modified: Option<String>,
    pub license: Option<&'a str>,
    pub based_on: &'a [String],
    pub source_blake3: String,
}

/// The JSON-LD, made safe to sit inside `<script>`: `<` is written as
/// `\u003c`, so no name can close the script element.
pub fn json_ld(f: &Facts<'_>) -> String {
    fn people<'a>(list: &'a [(&str, String)]) -> Vec<JsonPerson<'a>> {
        list.iter()
            .map(|(name, url)| JsonPerson {
                kind: "Person",
                name,
                url,
            })
            .collect()
    }
    let doc = CreativeWork {
        context: "https://schema.org",
        kind: "CreativeWork",
        author: people(&f.authors),
        contributor: people(&f.contributors),
        date_created: f.created.as_deref(),
        date_modified: f.modified.as_deref(),
        identifier: Identifier {
            kind: "PropertyValue",
            property_id: "BLAKE3",
            value: &f.source_blake3,
        },
        is_based_on: f.based_on,
        is_part_of: WebSite {
            kind: "WebSite",
            name: f.site,
        },
        license: f.license.map(license_url),
        name: f.title,
        url: &f.url,
    };
    let text = serde_json::to_string(&doc).unwrap_or_default();
    if !text.contains(['<', '>', '&']) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c => out.push(c),
        }
    }
    out
}

/// Schema.org's `CreativeWork` as a page's head carries it. The fields are
/// in the order of their names, as a JSON map of them was always written.
#[derive(Serialize)]
struct CreativeWork<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@type")]
    kind: &'static str,
    author: Vec<JsonPerson<'a>>,
    contributor: Vec<JsonPerson<'a>>,
    #[serde(rename = "dateCreated", skip_serializing_if = "Option::is_none")]
    date_created: Option<&'a str>,
    #[serde(rename = "dateModified", skip_serializing_if = "Option::is_none")]
    date_modified: Option<&'a str>,
    identifier: Identifier<'a>,
    #[serde(rename = "isBasedOn", skip_serializing_if = "<[_]>::is_empty")]
    is_based_on: &'a [String],
    #[serde(rename = "isPartOf")]
    is_part_of: WebSite<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    license: Option<String>,
    name: &'a str,
    url: &'a str,
}

#[derive(Serialize)]
struct JsonPerson<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: &'a str,
    url: &'a str,
}

#[derive(Serialize)]
struct Identifier<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "propertyID")]
    property_id: &'static str,
    value: &'a str,
}

#[derive(Serialize)]
struct WebSite<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: &'a str,
}

/// The SPDX license page of an SPDX id; anything else as written.
fn license_url(id: &str) -> String {
    if id.contains("://") || id.contains(char::is_whitespace) {
        id.to_owned()
    } else {
        format!("https://spdx.org/licenses/{id}.html")
    }
}

/// `text` into `out` with BibTeX's special characters escaped and control
/// characters as spaces.
fn bib_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '{' | '}' | '\\' | '%' | '&' | '#' | '$' | '_' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
}

/// The BibTeX entry and the plain-text citation.
pub fn citation(f: &Facts<'_>) -> (String, String) {
    use std::fmt::Write as _;
    let date = f.created.as_deref().or(f.modified.as_deref());
    let year = date.and_then(|d| d.get(..4));
    let hash = &f.source_blake3;
    let mut bibtex = String::with_capacity(256 + f.title.len() + f.url.len());
    let _ = write!(
        bibtex,
        "@misc{{cairn-{},\n  title = {{",
        &hash[..12.min(hash.len())]
    );
    bib_into(&mut bibtex, f.title);
    bibtex.push_str("},\n");
    if !f.authors.is_empty() {
        bibtex.push_str("  author = {");
        for (n, (name, _)) in f.authors.iter().enumerate() {
            if n > 0 {
                bibtex.push_str(" and ");
            }
            bib_into(&mut bibtex, name);
        }
        bibtex.push_str("},\n");
    }
    if let Some(y) = year {
        let _ = writeln!(bibtex, "  year = {{{y}}},");
    }
    let _ = writeln!(bibtex, "  howpublished = {{\\url{{{}}}}},", f.url);
    bibtex.push_str("  note = {BLAKE3 ");
    bib_into(&mut bibtex, hash);
    if let Some(l) = f.license {
        bibtex.push_str("; license ");
        bib_into(&mut bibtex, l);
    }
    bibtex.push_str("}\n}");

    let mut text = String::with_capacity(128 + f.title.len() + f.url.len());
    for (n, (name, _)) in f.authors.iter().enumerate() {
        if n > 0 {
            text.push_str(", ");
        }
        text.push_str(name);
    }
    if !f.authors.is_empty() {
        text.push(' ');
    }
    if let Some(d) = date {
        let _ = write!(text, "({d}). ");
    } else if !f.authors.is_empty() {
        text.push_str("(n.d.). ");
    }
    let _ = write!(text, "{}. {}. {}. BLAKE3 {}.", f.title, f.site, f.url, hash);
    (bibtex, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn facts() -> Facts<'static> {
        Facts {
            title: "A </script><script>alert(1)</script> \"title\"",
            url: "https://example.org/a/".into(),
            site: "Site",
            authors: vec![(
                "Ana \"Q\" Lima",
                "https://example.org/contributors/ana/".into(),
            )],
            contributors: vec![],
            created: Some("2024-03-01".into()),
            modified: None,
            license: Some("CC-BY-4.0"),
            based_on: &[],
            source_blake3: "ab".repeat(32),
        }
    }

    #[test]
    fn json_ld_is_valid_json_that_cannot_close_its_script() {
        let text = json_ld(&facts());
        assert!(!text.contains("</script"));
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value["name"],
            "A </script><script>alert(1)</script> \"title\""
        );
        assert_eq!(value["author"][0]["name"], "Ana \"Q\" Lima");
        assert_eq!(value["identifier"]["value"], "ab".repeat(32));
        assert_eq!(value["license"], "https://spdx.org/licenses/CC-BY-4.0.html");
        // Keys in the order of their names, as a JSON map writes them.
        let keys = [
            "\"@context\"",
            "\"author\"",
            "\"contributor\"",
            "\"dateCreated\"",
            "\"identifier\"",
            "\"isPartOf\"",
            "\"license\"",
        ];
        let at: Vec<usize> = keys.iter().map(|k| text.find(k).unwrap()).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert!(!text.contains("dateModified") && !text.contains("isBasedOn"));
    }

    #[test]
    fn citations_carry_the_hash_and_date() {
        let (bibtex, text) = citation(&facts());
        assert!(bibtex.starts_with("@misc{cairn-abababababab,"));
        assert!(bibtex.contains("  year = {2024},\n"));
        assert!(bibtex.contains(&format!("BLAKE3 {}", "ab".repeat(32))));
        assert!(text.starts_with("Ana \"Q\" Lima (2024-03-01). A </script>"));
        assert!(text.ends_with(&format!("BLAKE3 {}.", "ab".repeat(32))));
    }
}
