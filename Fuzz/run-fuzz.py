#!/usr/bin/env python3
"""Run the libFuzzer campaigns of `make fuzz` and `make fuzz-replay`.

  run-fuzz.py fuzz   --binary B [--targets a,b] [--seconds 600] [--jobs 2]
      each target for --seconds, --jobs at a time, under nice: the corpus it
      grows in Fuzz/work/<target>/corpus (seeded from Fuzz/corpus/<target>
      and, when present, Fuzz/seeds/<target>), its log Fuzz/work/<target>/fuzz.log,
      findings (crash-, leak-, timeout-, oom- files) in Fuzz/work/<target>/;
      then one table: execs, exec/s, cov, ft, corpus, peak RSS, findings
      (also written to Fuzz/work/summary.md). Exit 1 when anything was found.
  run-fuzz.py replay --binary B [--targets a,b]
      every committed input (Fuzz/corpus/<target>) once under the sanitizers.
  run-fuzz.py merge  --binary B [--targets a,b]
      -merge=1 of the committed corpus, the seeds and the campaign's corpus
      into a new committed corpus (the inputs that add coverage, smallest first).

The binary is conduit-fuzz built with -sanitize=fuzzer,address and
-D CONDUIT_LIBFUZZER (the Makefile's FUZZ_BUILD); the target is chosen by
CONDUIT_FUZZ_TARGET. Limits: -rss_limit_mb=2048 (and -malloc_limit_mb the
same), -timeout=10 per input, -max_len per target (FuzzTarget.maxInputLength).
"""
import argparse
import concurrent.futures
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
FUZZ = ROOT / "Fuzz"
# Mirrors FuzzTarget.maxInputLength (Sources/ConduitFuzzTargets/FuzzTarget.swift).
TARGETS = {
    "smtp": 32768, "mime": 32768, "dns": 4096, "spf": 8192, "dkim": 32768,
    "dmarc": 8192, "arc": 32768, "config": 8192, "api-json": 8192, "template": 8192,
}
LIMITS = ["-rss_limit_mb=2048", "-malloc_limit_mb=2048", "-timeout=10"]
# Targets that run async code (FuzzTarget.runBlocking: a Task the driver
# waits for). libFuzzer's per-input leak check counts mallocs and frees
# around each input, and the Task is freed on a pool thread just after the
# driver resumes: every input looked like a leak, each check stopped the
# process (4 exec/s instead of 30). Their leaks are checked at exit instead
# (LeakSanitizer, `make fuzz-replay` over the corpus).
NO_PER_INPUT_LEAK_CHECK = {"spf", "dkim", "dmarc", "arc", "template"}

FINDING = re.compile(r"(crash|leak|timeout|oom|slow-unit)-")


def leak_flags(target):
    return ["-detect_leaks=0"] if target in NO_PER_INPUT_LEAK_CHECK else []


def env_for(target):
    env = dict(os.environ, CONDUIT_FUZZ_TARGET=target)
    # Leaks are findings; a report names the allocation's stack.
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    # Leaks of a dependency that Conduit cannot fix (see the file).
    env.setdefault("LSAN_OPTIONS", f"suppressions={FUZZ / 'lsan.supp'}")
    return env


def dictionary(target):
    path = FUZZ / "dict" / f"{target}.dict"
    return [f"-dict={path}"] if path.is_file() else []


def fuzz_one(binary, target, seconds):
    work = FUZZ / "work" / target
    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    sources = [str(corpus), str(FUZZ / "corpus" / target)]
    if (FUZZ / "seeds" / target).is_dir():
        sources.append(str(FUZZ / "seeds" / target))
    log = work / "fuzz.log"
    command = ["nice", "-n", "10", binary, *sources, *LIMITS, f"-max_len={TARGETS[target]}",
               f"-max_total_time={seconds}", f"-artifact_prefix={work}/", "-print_final_stats=1", *dictionary(target),
               *leak_flags(target)]
    started = time.monotonic()
    with open(log, "w") as out:
        out.write(" ".join(command) + "\n")
        out.flush()
        status = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, env=env_for(target)).returncode
    return summarize(target, work, log, status, time.monotonic() - started)


def summarize(target, work, log, status, elapsed):
    text = log.read_text(errors="replace")
    stats = dict(re.findall(r"^stat::(\w+):\s*(\d+)", text, re.M))
    progress = re.findall(r"^#(\d+)\s+\S+\s+cov: (\d+) ft: (\d+) corp: (\d+)/(\S+)", text, re.M)
    last = progress[-1] if progress else ("0", "0", "0", "0", "0b")
    findings = sorted(p.name for p in work.iterdir() if FINDING.match(p.name))
    return {
        "target": target, "status": status, "seconds": round(elapsed),
        "execs": int(stats.get("number_of_executed_units", last[0])),
        "execs_per_sec": int(stats.get("average_exec_per_sec", 0)),
        "cov": int(last[1]), "ft": int(last[2]), "corpus": f"{last[3]}/{last[4]}",
        "peak_rss_mb": int(stats.get("peak_rss_mb", 0)), "findings": findings,
    }


def table(rows):
    lines = ["| target | seconds | execs | exec/s | cov | ft | corpus (inputs/bytes) | peak RSS MB | findings |",
             "|---|---:|---:|---:|---:|---:|---|---:|---|"]
    for r in rows:
        found = ", ".join(r["findings"]) or ("none" if r["status"] == 0 else f"exit {r['status']}")
        lines.append(f"| {r['target']} | {r['seconds']} | {r['execs']:,} | {r['execs_per_sec']:,} | {r['cov']} | {r['ft']} | "
                     f"{r['corpus']} | {r['peak_rss_mb']} | {found} |")
    return "\n".join(lines)


def fuzz(args):
    rows = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(fuzz_one, args.binary, t, args.seconds): t for t in args.targets}
        for future in concurrent.futures.as_completed(futures):
            row = future.result()
            rows.append(row)
            print(f"{row['target']}: {row['execs']:,} execs in {row['seconds']} s, cov {row['cov']}, "
                  f"findings: {', '.join(row['findings']) or 'none'}", flush=True)
    rows.sort(key=lambda r: list(TARGETS).index(r["target"]))
    summary = table(rows)
    (FUZZ / "work").mkdir(exist_ok=True)
    (FUZZ / "work" / "summary.md").write_text(summary + "\n")
    print(summary)
    return 1 if any(r["findings"] or r["status"] != 0 for r in rows) else 0


def replay(args):
    failed = 0
    for target in args.targets:
        corpus = FUZZ / "corpus" / target
        count = len(list(corpus.iterdir()))
        started = time.monotonic()
        result = subprocess.run([args.binary, str(corpus), "-runs=0", *LIMITS, f"-max_len={TARGETS[target]}"],
                                env=env_for(target), capture_output=True, text=True, errors="replace")
        ok = result.returncode == 0
        failed += not ok
        print(f"{target}: {count} inputs, {'ok' if ok else 'FAILED'} ({time.monotonic() - started:.1f} s)")
        if not ok:
            print(result.stderr[-4000:])
    return 1 if failed else 0


def merge(args):
    for target in args.targets:
        committed = FUZZ / "corpus" / target
        merged = FUZZ / "work" / target / "merged"
        shutil.rmtree(merged, ignore_errors=True)
        merged.mkdir(parents=True)
        sources = [p for p in (committed, FUZZ / "seeds" / target, FUZZ / "work" / target / "corpus") if p.is_dir()]
        subprocess.run([args.binary, "-merge=1", str(merged), *map(str, sources), *LIMITS, f"-max_len={TARGETS[target]}"],
                       env=env_for(target), check=True, capture_output=True)
        # Findings' reproducers stay whether or not they add coverage now.
        reproducers = {p.name: p.read_bytes() for p in committed.glob("*") if FINDING.match(p.name)} if committed.is_dir() else {}
        shutil.rmtree(committed, ignore_errors=True)
        shutil.copytree(merged, committed)
        for name, data in reproducers.items():
            (committed / name).write_bytes(data)
        size = sum(p.stat().st_size for p in committed.iterdir())
        print(f"{target}: {len(list(committed.iterdir()))} inputs, {size:,} bytes")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["fuzz", "replay", "merge"])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    args.targets = [t for t in args.targets.split(",") if t]
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown:
        parser.error(f"unknown targets: {', '.join(unknown)} (known: {', '.join(TARGETS)})")
    return {"fuzz": fuzz, "replay": replay, "merge": merge}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
