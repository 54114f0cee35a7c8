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
}
