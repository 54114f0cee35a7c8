//! Cairn turns a folder of community-written Markdown into a static,
//! cross-linked, verifiable knowledge archive.
//!
//! The library is the whole program; `main.rs` only calls [`cli::run`].
//! A build is a pipeline of stages over plain data (see ARCHITECTURE.md):
//! [`load`] → [`resolve`] (with [`frontmatter`]) → [`render`] (with
//! [`markdown`]) → [`emit`], driven by [`build`].

#![allow(
    clippy::result_large_err,
    reason = "a Diagnostic is the error of every stage: errors are rare and never on a hot path"
)]

pub mod archive;
pub mod build;
pub mod cite;
pub mod cli;
pub mod config;
pub mod contributors;
pub mod diagnostic;
pub mod emit;
pub mod feed;
pub mod frontmatter;
pub mod git;
pub mod highlight;
pub mod incremental;
pub mod key;
pub mod links;
pub mod load;
pub mod manifest;
pub mod markdown;
pub mod render;
pub mod resolve;
pub mod scaffold;
#[cfg(feature = "serve")]
pub mod serve;
pub mod site;
pub mod slug;
pub mod verify;

/// The most pages one task of a parallel page loop takes before the rest
/// of its share can be taken by an idle thread. Rayon splits a loop into
/// a few large shares and splits further only when a thread runs dry; the
/// last share was then unsplittable and one core sat idle for 7-43 ms at
/// the end of parsing while the other finished it. Thirty-two pages are a
/// few milliseconds of work: fine enough to even out the end, coarse
/// enough that splitting costs nothing measurable.
pub(crate) const PAGES_A_TASK: usize = 32;

pub use build::{Built, build};
pub use config::{BuildOptions, Config};
