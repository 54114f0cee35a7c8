//! The `cairn` command: a shim over [`cairn::cli::run`].

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(cairn::cli::run(std::env::args_os()))
}
