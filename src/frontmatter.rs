//! Front matter: YAML between `---` lines or TOML between `+++` lines at the
//! top of a page, parsed into [`FrontMatter`].
//!
//! Migration names from Zola, Hugo and Jekyll are accepted (`author`,
//! `created`, `lastmod`, `summary`, `based_on`, `redirect_from`, …); any key
//! Cairn does not know lands in `extra`. Errors are located in the `.md` file
//! itself, not in the block: the block's first line is added back.
//!
//! YAML is parsed with a small budget (events, aliases, anchors, nesting), so
//! an alias bomb fails at once with an error instead of eating memory.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::diagnostic::{Diagnostic, Kind};

/// Which syntax a front-matter block was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Toml,
}

/// A page split into its front-matter block and its Markdown body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split<'a> {
    pub format: Option<Format>,
    /// The text between the fences (empty without front matter).
    pub block: &'a str,
    /// Byte offset of `block` in the file.
    pub block_offset: usize,
    /// The Markdown after the closing fence.
    pub body: &'a str,
    /// Byte offset of `body` in the file.
    pub body_offset: usize,
}

/// A person as written in `authors` or `contributors`.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Person {
    pub name: String,
    pub email: Option<String>,
    pub url: Option<String>,
    pub role: Option<String>,
}

/// The parsed front matter of one page. Every field is optional in the file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub authors: Vec<Person>,
    pub contributors: Vec<Person>,
    pub date: Option<jiff::civil::Date>,
    pub updated: Option<jiff::civil::Date>,
    pub license: Option<String>,
    pub source: Option<String>,
    pub derived_from: Vec<String>,
    pub tags: Vec<String>,
    pub categories: Vec<String>,
    pub topics: Vec<String>,
    pub aliases: Vec<String>,
    pub slug: Option<String>,
    pub id: Option<String>,
    pub draft: bool,
    pub description: Option<String>,
    pub weight: Option<i64>,
    pub template: Option<String>,
    /// `extra` and every unknown key, for templates.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Splits `text` into front matter and body. A block opened but never
/// closed is an error at the opening fence.
pub fn split<'a>(text: &'a str, file: &str) -> Result<Split<'a>, Diagnostic> {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let rest = &text[start..];
    let first_line_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
    let fence = rest[..first_line_end].trim_end();
    let format = match fence {
        "---" => Format::Yaml,
        "+++" => Format::Toml,
        _ => {
            return Ok(Split {
                format: None,
                block: "",
                block_offset: 0,
                body: rest,
                body_offset: start,
            });
        }
    };
    let block_offset = start + first_line_end;
    let mut pos = block_offset;
    while pos < text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
        let line = text[pos..line_end].trim_end();
        let closes = match format {
            Format::Yaml => line == "---" || line == "...",
            Format::Toml => line == "+++",
        };
        if closes {
            return Ok(Split {
                format: Some(format),
                block: &text[block_offset..pos],
                block_offset,
                body: &text[line_end..],
                body_offset: line_end,
            });
        }
        pos = line_end;
    }
    Err(Diagnostic::error(
        Kind::FrontMatter,
        file,
        format!("front matter opened with `{fence}` is never closed"),
    )
    .at(text, 1, 1)
    .with_help(format!("end the block with a line holding only `{fence}`")))
}

/// Parses the front matter of `split` (which came from `text`, the whole
/// file). A page without front matter gives the defaults.
pub fn parse(split: &Split<'_>, text: &str, file: &str) -> Result<FrontMatter, Diagnostic> {
    let raw = match split.format {
        None => return Ok(FrontMatter::default()),
        Some(Format::Yaml) => parse_yaml(split, text, file)?,
        Some(Format::Toml) => parse_toml(split, text, file)?,
    };
    Ok(raw.into_front_matter())
}

fn parse_yaml(split: &Split<'_>, text: &str, file: &str) -> Result<Raw, Diagnostic> {
    if split.block.trim().is_empty() {
        return Ok(Raw::default());
    }
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_events: 100_000,
            max_aliases: 100,
            max_anchors: 100,
            max_depth: 64,
            max_recorded_anchor_events: 10_000,
            max_recorded_anchor_bytes: 1 << 20,
        },
        with_snippet: false,
    };
    serde_saphyr::from_str_with_options::<Raw>(split.block, options).map_err(|err| {
        let (line, column) = err
            .location()
            .map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
        let block_line = crate::diagnostic::line_col(text, split.block_offset).0;
        let message = strip_location(&err.to_string());
        Diagnostic::error(
            Kind::FrontMatter,
            file,
            format!("invalid YAML front matter: {message}"),
        )
        .at(text, block_line + line.max(1) - 1, column)
    })
}

fn parse_toml(split: &Split<'_>, text: &str, file: &str) -> Result<Raw, Diagnostic> {
    toml::from_str::<Raw>(split.block).map_err(|err| {
        let message = err.message().trim().to_owned();
        let d = Diagnostic::error(
            Kind::FrontMatter,
            file,
            format!("invalid TOML front matter: {message}"),
        );
        match err.span() {
            Some(span) => d.at_offset(text, split.block_offset + span.start),
            None => d.at_offset(text, split.block_offset),
        }
    })
}

/// serde-saphyr appends " at line L, column C" (relative to the block) to its
/// messages; the diagnostic carries the position in the file instead.
fn strip_location(message: &str) -> String {
    let message = message.lines().next().unwrap_or(message);
    match message.rfind(" at line ") {
        Some(i) if message[i..].contains(", column ") => message[..i].to_owned(),
        _ => message.to_owned(),
    }
}

/// The front matter as written, before the migration names are merged.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Raw {
    title: Option<Text>,
    authors: Option<People>,
    author: Option<People>,
    contributors: Option<People>,
    editors: Option<People>,
    reviewers: Option<People>,
    #[serde(alias = "created")]
    date: Option<DateValue>,
    #[serde(alias = "lastmod", alias = "modified")]
    updated: Option<DateValue>,
    license: Option<Text>,
    source: Option<Text>,
    #[serde(alias = "based_on")]
    derived_from: Option<List>,
    tags: Option<List>,
    categories: Option<List>,
    topics: Option<List>,
    #[serde(alias = "redirect_from")]
    aliases: Option<List>,
    slug: Option<Text>,
    id: Option<Text>,
    draft: Option<bool>,
    #[serde(alias = "summary")]
    description: Option<Text>,
    weight: Option<i64>,
    template: Option<Text>,
    extra: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(flatten)]
    unknown: BTreeMap<String, serde_json::Value>,
}

impl Raw {
    fn into_front_matter(self) -> FrontMatter {
        let people = |lists: [Option<People>; 2], role: Option<&str>| -> Vec<Person> {
            lists
                .into_iter()
                .flatten()
                .flat_map(|p| p.0)
                .map(|mut p| {
                    if p.role.is_none() {
                        p.role = role.map(str::to_owned);
                    }
                    p
                })
                .collect()
        };
        let mut contributors = people([self.contributors, None], None);
        contributors.extend(people([self.editors, None], Some("editor")));
        contributors.extend(people([self.reviewers, None], Some("reviewer")));
        let mut extra = self.extra.unwrap_or_default();
        for (key, value) in self.unknown {
            extra
                .entry(key)
                .or_insert_with(|| toml_dates_to_strings(value));
        }
        let list = |l: Option<List>| l.map(|l| l.0).unwrap_or_default();
        FrontMatter {
            title: self.title.map(|t| t.0),
            authors: people([self.authors, self.author], None),
            contributors,
            date: self.date.map(|d| d.0),
            updated: self.updated.map(|d| d.0),
            license: self.license.map(|t| t.0),
            source: self.source.map(|t| t.0),
            derived_from: list(self.derived_from),
            tags: list(self.tags),
            categories: list(self.categories),
            topics: list(self.topics),
            aliases: list(self.aliases),
            slug: self.slug.map(|t| t.0),
            id: self.id.map(|t| t.0),
            draft: self.draft.unwrap_or(false),
            description: self.description.map(|t| t.0),
            weight: self.weight,
            template: self.template.map(|t| t.0),
            extra,
        }
    }
}

/// TOML dates reach serde as a one-key map; templates want the text.
fn toml_dates_to_strings(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            if map.len() == 1
                && let Some(Value::String(s)) = map.get(TOML_DATETIME_KEY)
            {
                return Value::String(s.clone());
            }
            Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, toml_dates_to_strings(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(toml_dates_to_strings).collect()),
        other => other,
    }
}

/// The key under which the `toml` crate hands a datetime to serde.
const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

/// A scalar read as text: strings, and numbers or booleans written bare
/// (`id: 42`, `title: 2024`).
#[derive(Debug)]
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor).map(Text)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// A list of strings, or one string standing for a list of one.
#[derive(Debug)]
struct List(Vec<String>);

impl<'de> Deserialize<'de> for List {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Vec<String>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(vec![v.to_owned()])
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Vec::new())
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Vec::new())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Text>()? {
                    out.push(item.0);
                }
                Ok(out)
            }
        }
        d.deserialize_any(V).map(List)
    }
}

/// `authors`/`contributors`: a name, a `{name, email, url, role}` map, or a
/// list of either.
#[derive(Debug)]
struct People(Vec<Person>);

impl<'de> Deserialize<'de> for People {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Vec<Person>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a name, a map with `name`, or a list of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                person_from_name(v).map(|p| vec![p])
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Vec::new())
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Vec::new())
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                PersonVisitor.visit_map(map).map(|p| vec![p])
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(p) = seq.next_element::<PersonEntry>()? {
                    out.push(p.0);
                }
                Ok(out)
            }
        }
        d.deserialize_any(V).map(People)
    }
}

fn person_from_name<E: de::Error>(name: &str) -> Result<Person, E> {
    let name = name.trim();
    if name.is_empty() {
        return Err(E::custom("a person's name cannot be empty"));
    }
    Ok(Person {
        name: name.to_owned(),
        ..Person::default()
    })
}

struct PersonEntry(Person);

impl<'de> Deserialize<'de> for PersonEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PersonVisitor).map(PersonEntry)
    }
}

struct PersonVisitor;

impl<'de> Visitor<'de> for PersonVisitor {
    type Value = Person;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a name or a map with `name` (and optionally `email`, `url`, `role`)")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Person, E> {
        person_from_name(v)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Person, A::Error> {
        let mut person = Person::default();
        let mut has_name = false;
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value::<Text>()?.0;
            match key.as_str() {
                "name" => {
                    person.name = value.trim().to_owned();
                    has_name = !person.name.is_empty();
                }
                "email" => person.email = Some(value),
                "url" => person.url = Some(value),
                "role" => person.role = Some(value),
                other => {
                    return Err(de::Error::unknown_field(
                        other,
                        &["name", "email", "url", "role"],
                    ));
                }
            }
        }
        if !has_name {
            return Err(de::Error::missing_field("name"));
        }
        Ok(person)
    }
}

/// A date: `2024-03-01`, an RFC 3339 timestamp, or a TOML date or datetime.
/// Only the calendar date is kept.
#[derive(Debug)]
struct DateValue(jiff::civil::Date);

impl<'de> Deserialize<'de> for DateValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = jiff::civil::Date;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date like 2024-03-01 or an RFC 3339 timestamp")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                parse_date(v).ok_or_else(|| {
                    E::custom(format!(
                        "expected a date like 2024-03-01 or an RFC 3339 timestamp, found `{v}`"
                    ))
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                // The `toml` crate hands datetimes over as a one-key map.
                let Some(key) = map.next_key::<String>()? else {
                    return Err(de::Error::invalid_type(de::Unexpected::Map, &self));
                };
                if key != TOML_DATETIME_KEY {
                    return Err(de::Error::invalid_type(de::Unexpected::Map, &self));
                }
                let text = map.next_value::<String>()?;
                self.visit_str(&text)
            }
        }
        d.deserialize_any(V).map(DateValue)
    }
}

/// Parses the date forms front matter accepts, keeping the calendar date as
/// written (a timestamp's offset does not move it to another day).
pub fn parse_date(text: &str) -> Option<jiff::civil::Date> {
    let text = text.trim();
    if let Ok(date) = text.parse::<jiff::civil::Date>() {
        return Some(date);
    }
    let leading = text.get(..10)?.parse::<jiff::civil::Date>().ok()?;
    if !matches!(text.as_bytes().get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let valid = text.parse::<jiff::Timestamp>().is_ok()
        || text.parse::<jiff::civil::DateTime>().is_ok()
        // `2024-03-01 10:00:00 +0100`, as Jekyll writes it.
        || text[11..]
            .split_whitespace()
            .next()
            .is_some_and(|time| time.parse::<jiff::civil::Time>().is_ok());
    valid.then_some(leading)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fm(text: &str) -> Result<FrontMatter, Diagnostic> {
        let s = split(text, "x.md")?;
        parse(&s, text, "x.md")
    }

    #[test]
    fn no_front_matter() {
        let s = split("# Hi\n", "x.md").unwrap();
        assert_eq!(s.format, None);
        assert_eq!(s.body, "# Hi\n");
        assert_eq!(fm("# Hi\n").unwrap(), FrontMatter::default());
    }

    #[test]
    fn yaml_with_migration_names() {
        let f = fm("---\ntitle: Hello\nauthor: Erin Gray\nreviewers: [Kai]\ncreated: 2024-03-01\nlastmod: 2024-04-02T10:00:00Z\nsummary: S\nbased_on: [a.md]\nredirect_from: [/old/]\ncolour: blue\n---\nbody\n").unwrap();
        assert_eq!(f.title.as_deref(), Some("Hello"));
        assert_eq!(f.authors[0].name, "Erin Gray");
        assert_eq!(f.contributors[0].name, "Kai");
        assert_eq!(f.contributors[0].role.as_deref(), Some("reviewer"));
        assert_eq!(f.date.unwrap().to_string(), "2024-03-01");
        assert_eq!(f.updated.unwrap().to_string(), "2024-04-02");
        assert_eq!(f.description.as_deref(), Some("S"));
        assert_eq!(f.derived_from, ["a.md"]);
        assert_eq!(f.aliases, ["/old/"]);
        assert_eq!(f.extra["colour"], "blue");
    }

    #[test]
    fn people_as_maps() {
        let f = fm("---\nauthors:\n  - name: Ana\n    email: ana@example.org\n  - Bo\ncontributors:\n  - {name: Cy, role: translator}\n---\n").unwrap();
        assert_eq!(f.authors.len(), 2);
        assert_eq!(f.authors[0].email.as_deref(), Some("ana@example.org"));
        assert_eq!(f.contributors[0].role.as_deref(), Some("translator"));
    }

    #[test]
    fn toml_front_matter() {
        let f = fm("+++\ntitle = \"T\"\ndate = 2024-05-06\ntags = [\"a\", \"b\"]\n[extra]\nx = 1\n+++\nbody").unwrap();
        assert_eq!(f.title.as_deref(), Some("T"));
        assert_eq!(f.date.unwrap().to_string(), "2024-05-06");
        assert_eq!(f.tags, ["a", "b"]);
        assert_eq!(f.extra["x"], 1);
    }

    #[test]
    fn yaml_error_is_located_in_the_file() {
        let err = fm("---\ntitle: ok\ntags: [a, b\n---\n").unwrap_err();
        assert!(err.line >= 3, "line {}", err.line);
        let err = fm("---\ntitle: ok\ndate: tomorrow\n---\n").unwrap_err();
        assert_eq!(err.line, 3, "{err:?}");
        assert!(err.message.contains("tomorrow"), "{}", err.message);
    }

    #[test]
    fn toml_error_is_located_in_the_file() {
        let err = fm("+++\ntitle = \"ok\"\nweight = \"heavy\"\n+++\n").unwrap_err();
        assert_eq!((err.line, err.column), (3, 10), "{err:?}");
    }

    #[test]
    fn unclosed_block() {
        let err = fm("---\ntitle: x\n").unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.message.contains("never closed"));
    }

    #[test]
    fn alias_bomb_fails_fast() {
        let mut yaml = String::from(
            "---\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let names = ["b", "c", "d", "e", "f", "g", "h", "i", "j"];
        let mut prev = "a";
        for n in names {
            yaml.push_str(&format!("{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
            prev = n;
        }
        yaml.push_str("---\n");
        let err = fm(&yaml).unwrap_err();
        assert_eq!(err.kind, Kind::FrontMatter);
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2024-03-01").unwrap().to_string(), "2024-03-01");
        assert_eq!(
            parse_date("2024-03-01T23:30:00-05:00").unwrap().to_string(),
            "2024-03-01"
        );
        assert_eq!(
            parse_date("2024-03-01T10:00:00").unwrap().to_string(),
            "2024-03-01"
        );
        assert_eq!(
            parse_date("2024-03-01 10:00:00 +0100").unwrap().to_string(),
            "2024-03-01"
        );
        assert!(parse_date("March").is_none());
        assert!(parse_date("2024-13-01").is_none());
    }
}
