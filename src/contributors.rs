//! Contributors: who wrote each page and who helped, each person known by
//! one id however their name was spelled.
//!
//! `contributors.yaml` maps ids to profiles (`name`, `aliases`, `url`,
//! `bio`, `avatar`). Every spelling in front matter (a name, a handle, an
//! email, in any case, with any surrounding space) resolves through the
//! profiles' ids, names and aliases to one id; a name with no profile gets
//! the slug of the name as its id. Lookups are hash-map hits.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Kind};
use crate::frontmatter::Person;
use crate::site::Site;
use crate::slug::{fold, slugify};

/// The file of profiles, at the site root.
pub const CONTRIBUTORS_FILE: &str = "contributors.yaml";

/// The machine-readable list of contributors, at the output root.
pub const JSON_FILE: &str = "contributors.json";

/// One person's profile from `contributors.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Profile {
    #[serde(skip)]
    pub id: String,
    pub name: Option<String>,
    pub aliases: Vec<String>,
    pub url: Option<String>,
    pub bio: Option<String>,
    pub avatar: Option<String>,
}

/// The profiles, and every spelling that names one of them.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    /// Sorted by id.
    pub profiles: Vec<Profile>,
    by_key: foldhash::HashMap<String, usize>,
}

impl Directory {
    /// Parses `contributors.yaml`. Problems (bad YAML, an id that is not a
    /// slug, two profiles claiming one alias) come back as diagnostics; the
    /// profiles that are fine are kept.
    pub fn parse(text: &str, file: &str) -> (Directory, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let options = serde_saphyr::options! {
            budget: serde_saphyr::budget! {
                max_aliases: 100,
                max_anchors: 100,
                max_depth: 32,
            },
            with_snippet: false,
        };
        let raw: BTreeMap<String, Profile> = if text.trim().is_empty() {
            BTreeMap::new()
        } else {
            match serde_saphyr::from_str_with_options(text, options) {
                Ok(raw) => raw,
                Err(err) => {
                    let (line, column) = err
                        .location()
                        .map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
                    let message = err.to_string();
                    let message = message.lines().next().unwrap_or(&message);
                    let message = match message.rfind(" at line ") {
                        Some(i) => &message[..i],
                        None => message,
                    };
                    diagnostics.push(
                        Diagnostic::error(
                            Kind::Contributors,
                            file,
                            format!("invalid contributors.yaml: {message}"),
                        )
                        .at(text, line, column),
                    );
                    return (Directory::default(), diagnostics);
                }
            }
        };
        let lines = profile_lines(text);
        let profile_line = |_: &str, id: &str| lines.get(id).copied().unwrap_or(0);
        let mut directory = Directory::default();
        for (id, mut profile) in raw {
            if slugify(&id) != id {
                diagnostics.push(
                    Diagnostic::error(
                        Kind::Contributors,
                        file,
                        format!("contributor id `{id}` is not a slug (it is part of a URL)"),
                    )
                    .at_offset(text, profile_line(text, &id))
                    .with_help(format!("write it as `{}`", slugify(&id))),
                );
                continue;
            }
            profile.id = id;
            directory.profiles.push(profile);
        }
        // Claims are made in file order, so a clash is reported at the later
        // profile's spelling.
        let mut file_order: Vec<usize> = (0..directory.profiles.len()).collect();
        file_order.sort_by_key(|&i| profile_line(text, &directory.profiles[i].id));
        for i in file_order {
            let profile = &directory.profiles[i];
            let mut keys = vec![fold(&profile.id)];
            keys.extend(profile.name.iter().map(|n| fold(n)));
            keys.extend(profile.aliases.iter().map(|a| fold(a)));
            for (n, k) in keys.into_iter().enumerate() {
                if k.is_empty() {
                    continue;
                }
                match directory.by_key.get(&k) {
                    Some(&other) if other != i => {
                        let other = &directory.profiles[other].id;
                        let spelled = if n == 0 { &profile.id } else { &k };
                        diagnostics.push(
                            Diagnostic::error(
                                Kind::Contributors,
                                file,
                                format!(
                                    "`{spelled}` names both `{other}` and `{}`; a spelling can mean only one person",
                                    profile.id
                                ),
                            )
                            .at_offset(text, find_line(text, spelled, profile_line(text, &profile.id))),
                        );
                    }
                    Some(_) => {}
                    None => {
                        directory.by_key.insert(k, i);
                    }
                }
            }
        }
        (directory, diagnostics)
    }

    /// The profile a person as written in front matter is, if any: by
    /// email, then name (against ids, names and aliases), then the slug of
    /// the name against ids.
    pub fn profile_of(&self, person: &Person) -> Option<usize> {
        let by = |text: &str| self.by_key.get(&fold(text)).copied();
        person
            .email
            .as_deref()
            .and_then(by)
            .or_else(|| by(&person.name))
            .or_else(|| by(&slugify(&person.name)))
    }

    /// The id, display name and profile (index into `profiles`) of a
    /// person as written.
    pub fn identify(&self, person: &Person) -> (String, String, Option<usize>) {
        match self.profile_of(person) {
            Some(i) => {
                let p = &self.profiles[i];
                let name = p
                    .name
                    .clone()
                    .unwrap_or_else(|| person.name.trim().to_owned());
                (p.id.clone(), name, Some(i))
            }
            None => (slugify(&person.name), person.name.trim().to_owned(), None),
        }
    }
}

/// The byte offset of the first line of `text` holding `needle` (ignoring
/// case) at or after byte `from`, for locating problems found after parsing.
fn find_line(text: &str, needle: &str, from: usize) -> usize {
    let lower = text.to_lowercase();
    if lower.len() != text.len() {
        return from;
    }
    match lower
        .get(from..)
        .and_then(|rest| rest.find(&needle.to_lowercase()))
    {
        Some(at) => text[..from + at].rfind('\n').map_or(0, |i| i + 1),
        None => from,
    }
}

/// The byte offset of the line where the profile `id` starts.
/// Where each profile starts: the offset of each line that opens a
/// top-level key (`ana-lima:`), by key, first one kept. One pass, so that
/// a directory of thousands of people is read in linear time.
fn profile_lines(text: &str) -> HashMap<&str, usize> {
    let mut lines = HashMap::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if !line.starts_with(char::is_whitespace)
            && let Some((key, _)) = line.split_once(':')
        {
            lines.entry(key.trim_end()).or_insert(offset);
        }
        offset += line.len();
    }
    lines
}

/// One person of the archive and what they did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contributor {
    pub id: String,
    pub name: String,
    /// Index into `Directory::profiles`, when they have a profile.
    pub profile: Option<usize>,
    /// Pages they wrote (indices into `Site::pages`, in source order).
    pub authored: Vec<usize>,
    /// Pages they helped with, and their roles there.
    pub contributed: Vec<(usize, Vec<String>)>,
    pub first: Option<jiff::civil::Date>,
    pub last: Option<jiff::civil::Date>,
}

/// Every contributor, and each page's people by id.
#[derive(Debug, Clone, Default)]
pub struct People {
    pub directory: Directory,
    /// Sorted by id.
    pub contributors: Vec<Contributor>,
    by_id: foldhash::HashMap<String, usize>,
    /// For each page, its authors (indices into `contributors`).
    pub page_authors: Vec<Vec<usize>>,
    /// For each page, its contributors and their roles (never one of its
    /// authors).
    pub page_contributors: Vec<Vec<(usize, Vec<String>)>>,
}

impl People {
    /// The contributor with this id.
    pub fn get(&self, id: &str) -> Option<&Contributor> {
        self.by_id.get(id).map(|&i| &self.contributors[i])
    }

    /// The URL of a contributor's page.
    pub fn url(id: &str) -> String {
        format!("/contributors/{id}/")
    }
}

/// A contributor of a page as written: id and role.
type Helper = (String, Option<String>);

/// Gathers who did what on every page of `site`.
pub fn gather(site: &Site, directory: Directory) -> People {
    // First pass: every id with its display name, in a stable order.
    let mut names: BTreeMap<String, (String, Option<usize>)> = BTreeMap::new();
    let mut page_people: Vec<(Vec<String>, Vec<Helper>)> = Vec::with_capacity(site.pages.len());
    for page in &site.pages {
        let mut authors: Vec<String> = Vec::new();
        for person in &page.front.authors {
            let (id, name, profile) = directory.identify(person);
            names.entry(id.clone()).or_insert((name, profile));
            if !authors.contains(&id) {
                authors.push(id);
            }
        }
        let mut helpers: Vec<Helper> = Vec::new();
        for person in page.front.contributors.iter().chain(&page.commit_authors) {
            let (id, name, profile) = directory.identify(person);
            if authors.contains(&id) {
                continue;
            }
            names.entry(id.clone()).or_insert((name, profile));
            helpers.push((id, person.role.clone()));
        }
        page_people.push((authors, helpers));
    }
    let mut people = People {
        contributors: names
            .into_iter()
            .map(|(id, (name, profile))| Contributor {
                id,
                name,
                profile,
                authored: Vec::new(),
                contributed: Vec::new(),
                first: None,
                last: None,
            })
            .collect(),
        ..People::default()
    };
    people.by_id = people
        .contributors
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.clone(), i))
        .collect();
    for (p, (authors, helpers)) in page_people.into_iter().enumerate() {
        let page = &site.pages[p];
        let dates = [page.date, page.updated];
        let mut author_ix = Vec::with_capacity(authors.len());
        for id in authors {
            let Some(&c) = people.by_id.get(&id) else {
                continue;
            };
            people.contributors[c].authored.push(p);
            note_dates(&mut people.contributors[c], &dates);
            author_ix.push(c);
        }
        // One entry per person, gathering their roles on the page.
        let mut roles: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
        let mut order = Vec::new();
        for (id, role) in helpers {
            let Some(&c) = people.by_id.get(&id) else {
                continue;
            };
            let entry = roles.entry(c).or_insert_with(|| {
                order.push(c);
                BTreeSet::new()
            });
            if let Some(role) = role {
                entry.insert(role);
            }
        }
        let mut helper_ix = Vec::with_capacity(order.len());
        for c in order {
            let list: Vec<String> = roles.remove(&c).unwrap_or_default().into_iter().collect();
            people.contributors[c].contributed.push((p, list.clone()));
            note_dates(&mut people.contributors[c], &dates);
            helper_ix.push((c, list));
        }
        people.page_authors.push(author_ix);
        people.page_contributors.push(helper_ix);
    }
    people.directory = directory;
    people
}

fn note_dates(contributor: &mut Contributor, dates: &[Option<jiff::civil::Date>]) {
    for date in dates.iter().flatten() {
        contributor.first = Some(contributor.first.map_or(*date, |d| d.min(*date)));
        contributor.last = Some(contributor.last.map_or(*date, |d| d.max(*date)));
    }
}

/// One entry of `contributors.json`.
#[derive(Debug, Serialize)]
pub struct ContributorJson<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub url: String,
    pub homepage: Option<&'a str>,
    pub authored: Vec<&'a str>,
    pub contributed: Vec<&'a str>,
    /// Page URL → roles on that page.
    pub roles: BTreeMap<&'a str, &'a [String]>,
    pub first: Option<String>,
    pub last: Option<String>,
}

/// `contributors.json`: every contributor, sorted by id.
pub fn to_json(site: &Site, people: &People) -> Vec<u8> {
    let list: Vec<ContributorJson<'_>> = people
        .contributors
        .iter()
        .map(|c| {
            let profile = c.profile.map(|p| &people.directory.profiles[p]);
            ContributorJson {
                id: &c.id,
                name: &c.name,
                url: People::url(&c.id),
                homepage: profile.and_then(|p| p.url.as_deref()),
                authored: c
                    .authored
                    .iter()
                    .map(|&p| site.pages[p].url.as_str())
                    .collect(),
                contributed: c
                    .contributed
                    .iter()
                    .map(|(p, _)| site.pages[*p].url.as_str())
                    .collect(),
                roles: c
                    .contributed
                    .iter()
                    .filter(|(_, roles)| !roles.is_empty())
                    .map(|(p, roles)| (site.pages[*p].url.as_str(), roles.as_slice()))
                    .collect(),
                first: c.first.map(|d| d.to_string()),
                last: c.last.map(|d| d.to_string()),
            }
        })
        .collect();
    let mut bytes = serde_json::to_vec_pretty(&list).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str, email: Option<&str>) -> Person {
        Person {
            name: name.to_owned(),
            email: email.map(str::to_owned),
            ..Person::default()
        }
    }

    #[test]
    fn spellings_resolve_to_one_id() {
        let (dir, diags) = Directory::parse(
            "erin-gray:\n  name: Erin Gray\n  aliases: [egray, Erin.Gray@Example.org, \"E. Gray\"]\n  url: https://erin.example.org\n",
            "contributors.yaml",
        );
        assert!(diags.is_empty(), "{diags:?}");
        for (name, email) in [
            ("Erin Gray", None),
            ("  erin gray ", None),
            ("EGRAY", None),
            ("e. gray", None),
            ("Someone", Some("erin.gray@example.org")),
            ("erin-gray", None),
        ] {
            assert_eq!(dir.identify(&person(name, email)).0, "erin-gray", "{name}");
        }
        assert_eq!(
            dir.identify(&person("Kai Sato", None)),
            ("kai-sato".to_owned(), "Kai Sato".to_owned(), None)
        );
        let (id, name, _) = dir.identify(&person("王小明", None));
        assert!(!id.is_empty() && name == "王小明");
    }

    #[test]
    fn a_shared_alias_is_an_error_naming_both() {
        let (_, diags) = Directory::parse(
            "ana:\n  name: Ana\n  aliases: [al]\nbo:\n  name: Bo\n  aliases: [AL]\n",
            "contributors.yaml",
        );
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(
            diags[0].message.contains("`ana`") && diags[0].message.contains("`bo`"),
            "{}",
            diags[0].message
        );
        assert_eq!(diags[0].line, 6);
    }

    #[test]
    fn bad_yaml_is_located() {
        let (_, diags) =
            Directory::parse("ana:\n  name: Ana\n  colour: red\n", "contributors.yaml");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].line, 3, "{diags:?}");
    }
}
