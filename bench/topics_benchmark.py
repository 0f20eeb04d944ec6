"""Topic tagger: precision and recall per topic on hand-labelled real texts.

    .venv/bin/python bench/topics_benchmark.py [--samples ../shared/samples] [--set heldout|titles|both] [--show]

Two labelled sets, both from ../shared/samples (the texts stay there; the labels are keyed by a
hash of the text):
- held-out descriptions (bench/topics_heldout_labels.tsv): 225 descriptions labelled blind while
  the tagger was frozen; the measure of how the tagger does on texts it was not tuned on;
- development titles (bench/topics_labels.tsv): 186 titles the terms were refined on.
Each text's language is detected as in the pipeline, so each language's terms are matched as
they would be in a crawl.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.topics_set import HELDOUT, LABELS, candidates, labels  # noqa: E402
from pipelines.topics import TOPICS, tag_texts  # noqa: E402


def measure(name: str, texts, truth: dict[str, set[str]], show: bool) -> None:
    """Precision and recall per topic of the tagger on one labelled set, each text tagged as the
    pipeline tags that field in its detected language."""
    missing = [k for k in truth if k not in texts]
    if missing:
        print(f"warning: {len(missing)} labelled texts of {name} are not in these samples")
    tp, fp, fn = Counter(), Counter(), Counter()
    for key, wanted in truth.items():
        if key not in texts:
            continue
        text = texts[key]
        got = {t.topic for t in tag_texts({text.kind: (text.text, text.lang)})}
        for topic in got & wanted:
            tp[topic] += 1
        for topic in got - wanted:
            fp[topic] += 1
        for topic in wanted - got:
            fn[topic] += 1
        if show or got != wanted:
            marker = "  " if got == wanted else "!!"
            print(
                f"{marker} {key} truth={','.join(sorted(wanted)) or '-'} tagged={','.join(sorted(got)) or '-'}  "
                f"{text.text[:90]}"
            )
    n = sum(1 for k in truth if k in texts)
    print(
        f"\n{name}: {n} hand-labelled texts, {sum(1 for k in truth if k in texts and truth[k])} with at least one "
        f"topic\n"
    )
    print(f"{'topic':28} {'labelled':>8} {'tagged':>7} {'precision':>9} {'recall':>7}")
    for topic in TOPICS:
        labelled, tagged = tp[topic] + fn[topic], tp[topic] + fp[topic]
        precision = f"{tp[topic] / tagged:.2f}" if tagged else "-"
        recall = f"{tp[topic] / labelled:.2f}" if labelled else "-"
        print(f"{topic:28} {labelled:8d} {tagged:7d} {precision:>9} {recall:>7}")
    all_tp, all_fp, all_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    print(
        f"{'all topics (micro)':28} {all_tp + all_fn:8d} {all_tp + all_fp:7d} {all_tp / max(all_tp + all_fp, 1):9.2f} "
        f"{all_tp / max(all_tp + all_fn, 1):7.2f}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = Path(os.environ.get("AGGREGATOR_SAMPLES", Path(__file__).resolve().parents[2] / "shared" / "samples"))
    parser.add_argument("--samples", type=Path, default=default)
    parser.add_argument("--show", action="store_true", help="print every text with its labels and tags")
    parser.add_argument(
        "--set",
        choices=("heldout", "titles", "both"),
        default="both",
        help="held-out descriptions (labelled blind, tagger frozen), the development titles, or both",
    )
    args = parser.parse_args()
    if not args.samples.is_dir():
        sys.exit(f"samples not found at {args.samples}: pass --samples")
    texts = candidates(args.samples)
    if args.set in ("heldout", "both"):
        measure("held-out descriptions (bench/topics_heldout_labels.tsv)", texts, labels(HELDOUT), args.show)
    if args.set in ("titles", "both"):
        measure(
            "development titles (bench/topics_labels.tsv; the terms were refined on these)",
            texts,
            labels(LABELS),
            args.show,
        )


if __name__ == "__main__":
    main()
