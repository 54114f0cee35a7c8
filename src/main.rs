//! The `cairn` command: a shim over [`cairn::cli::run`].

use std::process::ExitCode;

// See the `mimalloc` feature in Cargo.toml for why.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ExitCode::from(cairn::cli::run(std::env::args_os()))
}
