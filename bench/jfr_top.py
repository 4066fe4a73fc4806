"""Summarises a JFR recording of the bench (``bench/run --jfr``): where Spark's task threads spend
their time, by top frame (self) and by method anywhere on the stack (inclusive).

Usage: ``.venv/bin/python bench/jfr_top.py bench/results/<stamp>.jfr [--top 25] [--threads REGEX]``

Java samples (``jdk.ExecutionSample``) are threads running Java code; native samples
(``jdk.NativeMethodSample``) are threads inside a native method, e.g. a TF session run or a
socket read. Both are counted, separately.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter

EVENTS = ("jdk.ExecutionSample", "jdk.NativeMethodSample")
FRAME = re.compile(r"^\s+(\S+?)\(.*\)\s+line:")
THREAD = re.compile(r'^\s+sampledThread = "(.*?)"')


def samples(path: str) -> tuple[str, str, list[str]]:
    """Yields (event, thread, frames top first) for each sample in the recording."""
    cmd = ["jfr", "print", "--stack-depth", "64", "--events", ",".join(EVENTS), path]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        event, thread, frames, in_stack = None, "", [], False
        for line in proc.stdout:
            stripped = line.strip()
            if stripped.endswith("{") and stripped.split()[0] in EVENTS:
                event, thread, frames, in_stack = stripped.split()[0], "", [], False
            elif event is None:
                continue
            elif m := THREAD.match(line):
                thread = m.group(1)
            elif stripped.startswith("stackTrace = ["):
                in_stack = True
            elif in_stack and (m := FRAME.match(line)):
                frames.append(m.group(1))
            elif in_stack and stripped == "]":
                in_stack = False
            elif stripped == "}":
                yield event, thread, frames
                event = None
        if proc.wait() != 0:
            raise SystemExit(f"jfr print failed on {path}")


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("recording")
    p.add_argument("--top", type=int, default=25)
    p.add_argument(
        "--threads",
        default=r"Executor task launch worker",
        help="regex on thread names (default: Spark's task threads)",
    )
    p.add_argument(
        "--within",
        default="",
        help="regex: count only stacks with a matching frame (e.g. io.sparkdl)",
    )
    args = p.parse_args(argv)
    wanted = re.compile(args.threads)
    within = re.compile(args.within) if args.within else None
    self_counts = {e: Counter() for e in EVENTS}
    incl_counts = {e: Counter() for e in EVENTS}
    totals = Counter()
    for event, thread, frames in samples(args.recording):
        if not wanted.search(thread) or not frames:
            continue
        if within and not any(within.search(f) for f in frames):
            continue
        totals[event] += 1
        self_counts[event][frames[0]] += 1
        for method in set(frames):
            incl_counts[event][method] += 1
    for event in EVENTS:
        total = totals[event]
        scope = f" with a frame matching /{args.within}/" if within else ""
        print(f"== {event}: {total} samples on threads matching /{args.threads}/{scope}")
        if not total:
            continue
        for title, counts in (
            ("self (top frame)", self_counts[event]),
            ("inclusive (anywhere on the stack)", incl_counts[event]),
        ):
            print(f"-- {title}")
            for method, n in counts.most_common(args.top):
                print(f"{100 * n / total:6.1f}%  {n:7d}  {method}")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
