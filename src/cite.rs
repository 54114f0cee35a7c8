//! What a page says about itself to machines and scholars: Schema.org
//! `CreativeWork` JSON-LD for its head, and a "cite this page" block in
//! BibTeX and plain text. Both carry the BLAKE3 of the page's source.

use serde_json::{Value, json};

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
    let person =
        |(name, url): &(&str, String)| json!({"@type": "Person", "name": name, "url": url});
    let mut doc = json!({
        "@context": "https://schema.org",
        "@type": "CreativeWork",
        "name": f.title,
        "url": f.url,
        "isPartOf": {"@type": "WebSite", "name": f.site},
        "author": f.authors.iter().map(person).collect::<Vec<_>>(),
        "contributor": f.contributors.iter().map(person).collect::<Vec<_>>(),
        "identifier": {"@type": "PropertyValue", "propertyID": "BLAKE3", "value": f.source_blake3},
    });
    if let Value::Object(map) = &mut doc {
        if let Some(d) = &f.created {
            map.insert("dateCreated".into(), json!(d));
        }
        if let Some(d) = &f.modified {
            map.insert("dateModified".into(), json!(d));
        }
        if let Some(l) = f.license {
            map.insert("license".into(), json!(license_url(l)));
        }
        if !f.based_on.is_empty() {
            map.insert("isBasedOn".into(), json!(f.based_on));
        }
    }
    let text = serde_json::to_string(&doc).unwrap_or_default();
    text.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The SPDX license page of an SPDX id; anything else as written.
fn license_url(id: &str) -> String {
    if id.contains("://") || id.contains(char::is_whitespace) {
        id.to_owned()
    } else {
        format!("https://spdx.org/licenses/{id}.html")
    }
}

/// BibTeX braces and backslashes, escaped.
fn bib(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
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
    out
}

/// The BibTeX entry and the plain-text citation.
pub fn citation(f: &Facts<'_>) -> (String, String) {
    let year = f
        .created
        .as_deref()
        .or(f.modified.as_deref())
        .and_then(|d| d.get(..4));
    let names: Vec<&str> = f.authors.iter().map(|(n, _)| *n).collect();
    let key = format!(
        "cairn-{}",
        &f.source_blake3[..12.min(f.source_blake3.len())]
    );
    let mut bibtex = format!("@misc{{{key},\n  title = {{{}}},\n", bib(f.title));
    if !names.is_empty() {
        let authors: Vec<String> = names.iter().map(|n| bib(n)).collect();
        bibtex.push_str(&format!("  author = {{{}}},\n", authors.join(" and ")));
    }
    if let Some(y) = year {
        bibtex.push_str(&format!("  year = {{{y}}},\n"));
    }
    bibtex.push_str(&format!("  howpublished = {{\\url{{{}}}}},\n", f.url));
    let mut note = format!("BLAKE3 {}", f.source_blake3);
    if let Some(l) = f.license {
        note.push_str(&format!("; license {l}"));
    }
    bibtex.push_str(&format!("  note = {{{}}}\n}}", bib(&note)));

    let mut text = String::new();
    if !names.is_empty() {
        text.push_str(&names.join(", "));
        text.push(' ');
    }
    if let Some(d) = f.created.as_deref().or(f.modified.as_deref()) {
        text.push_str(&format!("({d}). "));
    } else if !names.is_empty() {
        text.push_str("(n.d.). ");
    }
    text.push_str(&format!(
        "{}. {}. {}. BLAKE3 {}.",
        f.title, f.site, f.url, f.source_blake3
    ));
    (bibtex, text)
}

#[cfg(test)]
mod tests {
    use super::*;

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
