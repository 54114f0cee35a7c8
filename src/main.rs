//! The `cairn` command: a shim over [`cairn::cli::run`].

use std::process::ExitCode;

// See the `mimalloc` feature in Cargo.toml for why.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // No transparent huge pages for this process, whatever the allocator
    // asks for. A build touches some 300 MB of fresh memory at 10,000
    // pages. Where a machine's free memory goes cold while idle (virtual
    // machines hand it back to their host), a fresh 2 MiB page cost five
    // times what 512 pages of 4 KiB did: a build after a 12-second pause
    // took 1.26-1.43 s with them and 1.11-1.14 s without; back to back,
    // 1.17 s with them and 1.10 s without (medians of 10). `serve`'s first
    // edits after its full build also waited on them (worst of 20: 84-105
    // ms with, 46-53 ms without).
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    ExitCode::from(cairn::cli::run(std::env::args_os()))
}
