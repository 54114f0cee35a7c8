//! One integration-test binary (it links once): fixture sites built end to
//! end and checked exactly, the real `cairn` binary, and hostile input.

mod archive;
mod build;
mod cli;
mod hostile;
mod incremental;
mod links;
mod people;
mod properties;
#[cfg(feature = "serve")]
mod serve;
mod support;
