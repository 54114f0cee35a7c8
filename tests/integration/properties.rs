//! Properties over arbitrary input: the parsers and the renderer never
//! panic, and the slug rule always gives a safe, non-empty segment.

use cairn::config::MarkdownConfig;
use cairn::markdown::{self, Rewrite};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn slugs_are_never_empty_and_never_leave_their_folder(name in "\\PC{0,40}") {
        let slug = cairn::slug::slugify(&name);
        prop_assert!(!slug.is_empty());
        prop_assert!(!slug.contains(['/', '\\', ':', '.']));
        prop_assert!(cairn::emit::is_safe_output_path(&slug));
        prop_assert_eq!(cairn::slug::slugify(&slug), slug.clone(), "a slug is its own slug");
    }

    #[test]
    fn front_matter_never_panics(block in "(---|\\+\\+\\+)\n[\\PC\n]{0,200}\n(---|\\+\\+\\+)\n[\\PC\n]{0,40}") {
        if let Ok(split) = cairn::frontmatter::split(&block, "x.md") {
            let _ = cairn::frontmatter::parse(&split, &block, "x.md");
        }
    }

    #[test]
    fn markdown_never_panics_and_scan_matches_render(body in "[\\PC\n\\[\\]()!#*`<>|-]{0,300}") {
        let config = MarkdownConfig::default();
        let scan = markdown::scan(&body, &config, true);
        let seen = std::cell::Cell::new(0usize);
        let rewrite = |n: usize, _: &markdown::LinkRef| {
            seen.set(seen.get().max(n + 1));
            Rewrite::Labelled { href: format!("/{n}/"), text: "x".into() }
        };
        let _ = markdown::render(&body, &config, true, &rewrite);
        prop_assert_eq!(seen.get(), scan.links.len());
    }

    /// A body prepared at scan time and filled in gives what rendering it
    /// again gives, whatever each link turns into.
    #[test]
    fn a_prepared_body_fills_in_to_what_render_gives(
        body in "([\\PC\n\\[\\]()!#*`<>|-]|\\[\\[|\\]\\]|\\]\\(|!\\[|\\n- |\\n\\n|<a@b.c>|\\[\\^1\\]|\\| x \\|\\n){0,80}",
        choice in 0usize..6,
    ) {
        let config = MarkdownConfig::default();
        let (scan, prepared) = markdown::prepare(&body, &config, true);
        prop_assert_eq!(&scan, &markdown::scan(&body, &config, true));
        let rewrite = |n: usize, link: &markdown::LinkRef| match (choice + n) % 6 {
            0 => Rewrite::Keep,
            1 => Rewrite::Href(format!("/to/{n}/\"&")),
            2 => Rewrite::Labelled { href: format!("/{n}/"), text: link.text.clone() },
            3 => Rewrite::Unresolved,
            4 => Rewrite::Html("<div>embed</div>".into()),
            _ => Rewrite::Href(String::new()),
        };
        if let Some(prepared) = prepared
            && let Some(html) = markdown::fill(&prepared, &scan.links, &config, &rewrite)
        {
            prop_assert_eq!(html, markdown::render(&body, &config, true, &rewrite).html);
        }
    }
}
