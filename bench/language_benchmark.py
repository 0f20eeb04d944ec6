"""Language detection benchmark: accuracy and speed on the labelled set, beside plain langdetect.

    .venv/bin/python bench/language_benchmark.py [--samples ../shared/samples]

Prints, per length bucket (titles, descriptions) and per language: the share our detector gets
right, the share plain langdetect (all 55 profiles, seeded) gets right in the same run, and the
share the pipeline's effective language is right given what the source declared. Then throughput
on one core (titles/s, descriptions/s), every text detected once, no caching.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.language_set import from_samples, labelled_set, load_review  # noqa: E402
from translate.language import detector, plain_langdetect  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = Path(os.environ.get("AGGREGATOR_SAMPLES", Path(__file__).resolve().parents[2] / "shared" / "samples"))
    parser.add_argument("--samples", type=Path, default=default)
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()

    samples = labelled_set(args.samples)
    # what each text's source declared (before review), for the effective-language figure
    declared = {s.key: s.label for s in (from_samples(args.samples) if args.samples.is_dir() else [])}
    review = load_review()
    print(
        f"labelled set: {len(samples)} texts ({sum(s.origin == 'hard-case' for s in samples)} hard cases; "
        f"{len(review)} source labels corrected or excluded after review); samples: {args.samples}"
    )
    d = detector()

    timing: dict[str, float] = {}
    ours: dict[str, str] = {}
    for kind in ("title", "description"):
        texts = [s for s in samples if s.kind == kind]
        started = time.process_time()
        for s in texts:
            ours[s.key + kind] = d.detect(s.text).language
        timing[kind] = len(texts) / max(time.process_time() - started, 1e-9)

    rows: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    errors = []
    for s in samples:
        got = ours[s.key + s.kind]
        plain = plain_langdetect(s.text)
        verdict = d.judge(s.text, declared.get(s.key, s.label))
        effective = verdict.effective if verdict.effective else "und"
        for key in ((s.kind, s.label), (s.kind, "all")):
            row = rows[key]
            row[0] += 1
            row[1] += got == s.label
            row[2] += plain == s.label
            row[3] += effective == s.label
        if got != s.label:
            errors.append((s.kind, s.label, got, s.text[:100].replace("\n", " ")))

    print(f"\n{'bucket':12} {'lang':5} {'texts':>6} {'ours':>8} {'plain':>8} {'effective':>10}")
    for kind in ("title", "description"):
        for lang in sorted({l for k, l in rows if k == kind and l != "all"}) + ["all"]:
            n, ok, plain_ok, eff_ok, _ = rows[(kind, lang)]
            if n:
                print(
                    f"{kind:12} {lang:5} {n:6d} {100 * ok / n:7.2f}% {100 * plain_ok / n:7.2f}% "
                    f"{100 * eff_ok / n:9.2f}%"
                )
    print(
        f"\nthroughput (one core, CPU time): titles {timing['title']:.0f}/s, descriptions {timing['description']:.0f}/s"
    )
    print(
        "ours = this detector alone; plain = langdetect with all profiles; effective = the pipeline's rule "
        "(declared language unless the detection confidently disagrees)"
    )
    if args.show_errors:
        print("\nerrors (ours):")
        for kind, label, got, text in errors:
            print(f"  {kind:11} truth={label} got={got}  {text}")


if __name__ == "__main__":
    main()
