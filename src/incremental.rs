//! Rebuilding after an edit: the same pipeline as [`build`](crate::build),
//! fed by a [`Cache`] of what the last build read and made, so that an edit
//! re-reads, re-parses and re-renders only what it reaches.
//!
//! A rebuild's output is held to one rule above all: it equals, byte for
//! byte, what a full build of the same input gives (tested in
//! `tests/integration/incremental.rs`).

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::build::{self, Built};
use crate::config::BuildOptions;

/// What changed since the last build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changes {
    /// These paths (absolute) were created, written, removed or renamed.
    Paths(BTreeSet<PathBuf>),
    /// Anything may have changed: read everything again.
    Everything,
}

/// A site built once and kept up to date by rebuilds.
pub struct Builder {
    options: BuildOptions,
    cache: build::Cache,
}

impl Builder {
    pub fn new(options: BuildOptions) -> Self {
        Self {
            options,
            cache: build::Cache::for_rebuilds(),
        }
    }

    pub fn options(&self) -> &BuildOptions {
        &self.options
    }

    /// Whether the last build only mended the one before: the files written
    /// were pages whose words and links alone changed (see `build`'s fast
    /// lane).
    pub fn mended(&self) -> bool {
        self.cache.mended()
    }

    /// Builds the site; every call after the first reuses what `changes`
    /// did not touch.
    pub fn build(&mut self, changes: &Changes) -> Built {
        build::build_cached(&self.options, &mut self.cache, changes)
    }
}
