//! The command line: parses arguments, runs a command, prints its
//! diagnostics and turns the outcome into an exit code (0 ok, 1 errors in
//! the site, 2 bad usage).

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, Parser, Subcommand};

use crate::build::{Built, build, build_into};
use crate::config::BuildOptions;
use crate::diagnostic::{self, Diagnostic};
use crate::{emit, scaffold};

/// Exit code: everything went well.
pub const OK: u8 = 0;
/// Exit code: the site has errors (or warnings, under `--strict`).
pub const SITE_ERRORS: u8 = 1;
/// Exit code: the command line was wrong.
pub const USAGE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "cairn",
    version,
    about = "Build a static, cross-linked, verifiable archive from a folder of Markdown"
)]
struct Cli {
    /// The site root: the folder holding cairn.toml and content/ [default: .]
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build the archive into public/ (or --output)
    Build(BuildArgs),
    /// Run every check a build runs, write nothing; fail on any problem
    Check(CheckArgs),
    /// Serve the site with live reload, rebuilding on every save
    #[cfg(feature = "serve")]
    Serve(ServeArgs),
    /// Check an archive against its B3SUMS and manifest
    Verify {
        /// The archive's folder [default: public/ under the root]
        dir: Option<PathBuf>,
        /// The root hash the archive must have (as its community published it)
        #[arg(long, value_name = "HEX")]
        root: Option<String>,
        /// Print the report as JSON on stdout
        #[arg(long)]
        json: bool,
    },
    /// Start a new archive in DIR (default: the current folder)
    Init {
        /// Where to create the archive
        dir: Option<PathBuf>,
    },
    /// Start a new page with its front matter filled in
    New {
        #[command(flatten)]
        site: SiteArg,
        /// The page to create, e.g. content/guides/first-steps.md
        path: PathBuf,
        /// The page's title [default: from the file name]
        #[arg(long)]
        title: Option<String>,
    },
}

/// `--root`, accepted after the command too (`cairn build --root DIR`).
/// `verify` has none: its `--root` is the root hash it checks against.
#[derive(Debug, Args)]
struct SiteArg {
    /// The site root: the folder holding cairn.toml and content/ [default: .]
    #[arg(long = "root", value_name = "DIR")]
    root: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct BuildArgs {
    #[command(flatten)]
    site: SiteArg,
    /// Where to write the archive [default: public/ under the root]
    #[arg(long, short, value_name = "DIR")]
    output: Option<PathBuf>,
    /// The folder of Markdown pages, relative to the root [default: content]
    #[arg(long, value_name = "DIR")]
    content: Option<PathBuf>,
    /// Also build pages marked `draft: true`
    #[arg(long)]
    drafts: bool,
    /// Make every link relative (works under any sub-path and from file://)
    #[arg(long)]
    relative: bool,
    /// Fail on warnings too
    #[arg(long)]
    strict: bool,
}

#[cfg(feature = "serve")]
#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    site: SiteArg,
    /// The port to listen on; 0 for any free port
    #[arg(long, short, default_value_t = crate::serve::DEFAULT_PORT)]
    port: u16,
    /// The address to listen on (only this machine by default)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    /// The folder of Markdown pages, relative to the root [default: content]
    #[arg(long, value_name = "DIR")]
    content: Option<PathBuf>,
    /// Also serve pages marked `draft: true`
    #[arg(long)]
    drafts: bool,
    /// Open the site in the default browser
    #[arg(long)]
    open: bool,
}

#[derive(Debug, Args)]
struct CheckArgs {
    #[command(flatten)]
    site: SiteArg,
    /// The folder of Markdown pages, relative to the root [default: content]
    #[arg(long, value_name = "DIR")]
    content: Option<PathBuf>,
    /// Also check pages marked `draft: true`
    #[arg(long)]
    drafts: bool,
    /// Print the report as JSON on stdout
    #[arg(long)]
    json: bool,
}

/// The `cairn check --json` report.
#[derive(serde::Serialize)]
struct CheckReport<'a> {
    errors: Vec<&'a Diagnostic>,
    warnings: Vec<&'a Diagnostic>,
}

/// Runs the command line `args` (the first is the program name) and
/// returns the exit code.
pub fn run<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() { USAGE } else { OK };
        }
    };
    let given = cli.root;
    let root_of = |site: &SiteArg| {
        site.root
            .clone()
            .or_else(|| given.clone())
            .unwrap_or_else(|| PathBuf::from("."))
    };
    let root = given.clone().unwrap_or_else(|| PathBuf::from("."));
    match cli.command {
        Command::Build(args) => run_build(&root_of(&args.site), &args),
        Command::Check(args) => run_check(&root_of(&args.site), &args),
        #[cfg(feature = "serve")]
        Command::Serve(args) => run_serve(&root_of(&args.site), &args),
        Command::Verify {
            dir,
            root: expected,
            json,
        } => run_verify(
            &dir.unwrap_or_else(|| root.join("public")),
            expected.as_deref(),
            json,
        ),
        Command::Init { dir } => finish(scaffold::init(&dir.unwrap_or_else(|| root.clone()))),
        Command::New { site, path, title } => {
            let root = root_of(&site);
            let path = if path.is_absolute() {
                path
            } else {
                root.join(path)
            };
            finish(scaffold::new_page(&path, title.as_deref()))
        }
    }
}

/// Prints the result of a scaffolding command.
fn finish(result: Result<Vec<PathBuf>, String>) -> u8 {
    match result {
        Ok(created) => {
            for path in created {
                println!("created {}", path.display());
            }
            OK
        }
        Err(message) => {
            eprintln!("error: {message}");
            SITE_ERRORS
        }
    }
}

fn build_options(root: &Path, args: &BuildArgs) -> BuildOptions {
    let mut options = BuildOptions::new(root);
    if let Some(content) = &args.content {
        options.content = root.join(content);
    }
    if let Some(output) = &args.output {
        options.output = output.clone();
    }
    options.drafts = args.drafts;
    if args.relative {
        options.relative_urls = Some(true);
    }
    options
}

/// Whether to draw colours and progress: only for a person at a terminal.
fn interactive() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

fn run_build(root: &Path, args: &BuildArgs) -> u8 {
    let started = Instant::now();
    let mut options = build_options(root, args);
    let color = interactive() && std::env::var_os("NO_COLOR").is_none();
    let progress = interactive().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{msg:>9} [{bar:30}] {pos}/{len}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message("rendering");
        bar
    });
    options.progress = progress.clone();

    // Pages are written to the staging folder as they render; a build
    // that fails drops it, and the previous output stays as it was.
    let staging = emit::check_target(&options.output, &options.root, &options.content)
        .and_then(|()| emit::Staging::create(&options.output));
    let (built, staging, refused) = match staging {
        Ok(staging) => (build_into(&options, &staging), Some(staging), None),
        Err(d) => (build(&options), None, Some(d)),
    };
    if let Some(bar) = &progress {
        bar.set_message("writing");
    }
    let mut diagnostics = built.diagnostics.clone();
    diagnostics.extend(refused);
    let failed =
        diagnostics.iter().any(Diagnostic::is_error) || (args.strict && built.warnings() > 0);
    if !failed
        && let Some(staging) = staging
        && let Err(d) = staging.finish(&built.files)
    {
        diagnostics.push(d);
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    report(&diagnostics, color);
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let elapsed = started.elapsed().as_secs_f64();
    if errors > 0 || (args.strict && warnings > 0) {
        eprintln!(
            "Build failed: {errors} error{}, {warnings} warning{}; {} left as it was",
            plural(errors),
            plural(warnings),
            options.output.display()
        );
        return SITE_ERRORS;
    }
    summary(&built, warnings, elapsed, &options.output);
    OK
}

#[cfg(feature = "serve")]
fn run_serve(root: &Path, args: &ServeArgs) -> u8 {
    // Absolute, as the watcher reports paths, so that both name a file alike.
    let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    let root = root.as_path();
    let mut build = BuildOptions::new(root);
    if let Some(content) = &args.content {
        build.content = root.join(content);
    }
    build.drafts = args.drafts;
    let options = crate::serve::ServeOptions {
        build,
        bind: args.bind,
        port: args.port,
        open: args.open,
        color: interactive() && std::env::var_os("NO_COLOR").is_none(),
    };
    match crate::serve::serve(options) {
        Ok(()) => OK,
        Err(d) => {
            report(&[d], interactive());
            SITE_ERRORS
        }
    }
}

fn run_check(root: &Path, args: &CheckArgs) -> u8 {
    let mut options = BuildOptions::new(root);
    if let Some(content) = &args.content {
        options.content = root.join(content);
    }
    options.drafts = args.drafts;
    let built = build(&options);
    let (errors, warnings): (Vec<&Diagnostic>, Vec<&Diagnostic>) =
        built.diagnostics.iter().partition(|d| d.is_error());
    if args.json {
        let report = CheckReport {
            errors: errors.clone(),
            warnings: warnings.clone(),
        };
        let mut out = std::io::stdout().lock();
        let _ = serde_json::to_writer_pretty(&mut out, &report);
        let _ = writeln!(out);
    } else {
        let color = interactive() && std::env::var_os("NO_COLOR").is_none();
        report(&built.diagnostics, color);
        eprintln!(
            "Checked {} page{}: {} error{}, {} warning{}",
            built.pages,
            plural(built.pages),
            errors.len(),
            plural(errors.len()),
            warnings.len(),
            plural(warnings.len())
        );
    }
    if built.diagnostics.is_empty() {
        OK
    } else {
        SITE_ERRORS
    }
}

fn run_verify(dir: &Path, expected: Option<&str>, json: bool) -> u8 {
    let report = crate::verify::verify(dir, expected);
    if json {
        let mut out = std::io::stdout().lock();
        let _ = serde_json::to_writer_pretty(&mut out, &report);
        let _ = writeln!(out);
    } else {
        for (what, list) in [
            ("missing", &report.missing),
            ("changed", &report.changed),
            ("extra", &report.extra),
        ] {
            for path in list {
                eprintln!("{what}: {path}");
            }
        }
        for problem in &report.problems {
            eprintln!("error: {problem}");
        }
        if report.root_matches == Some(false) {
            eprintln!(
                "error: the root hash differs from --root {}",
                expected.unwrap_or("")
            );
        }
        let verdict = if report.ok() { "verified" } else { "FAILED" };
        println!(
            "{verdict}: {} ({} missing, {} changed, {} extra, {} other problems)",
            dir.display(),
            report.missing.len(),
            report.changed.len(),
            report.extra.len(),
            report.problems.len()
        );
        if let Some(root) = &report.root {
            println!("Root hash: {root}");
        }
    }
    if report.ok() { OK } else { SITE_ERRORS }
}

fn summary(built: &Built, warnings: usize, seconds: f64, output: &Path) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "Built {} page{} ({} files) into {} in {seconds:.2}s, {warnings} warning{}",
        built.pages,
        plural(built.pages),
        built.files.len(),
        output.display(),
        plural(warnings),
    );
    // Last, alone on its line: what a community publishes for mirrors.
    let _ = writeln!(out, "Root hash: {}", built.root.to_hex());
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Prints diagnostics to stderr, as rustc does.
fn report(diagnostics: &[Diagnostic], color: bool) {
    if diagnostics.is_empty() {
        return;
    }
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(diagnostic::render_all(diagnostics, color).as_bytes());
}
