"""Translation throughput with the tiny test model: one text per model call against batches of
texts (titles and descriptions), and the speed-up of the translation cache.

    .venv/bin/python bench/translation_benchmark.py [--texts 400]

Builds the tiny sv->en Argos package (tests/tiny_argos.py) into a private Argos folder, then
translates course-like Swedish titles and descriptions through the real path (argostranslate,
CTranslate2, SentencePiece, MiniSBD), first with an empty cache, then again from the cache.
The tiny model is one layer wide: real models are far slower per text; the cache ratio is what
carries over.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
HOME = Path(tempfile.mkdtemp(prefix="aggregator-bench-argos-"))
atexit.register(shutil.rmtree, HOME, ignore_errors=True)
for name, sub in {
    "ARGOS_PACKAGES_DIR": "packages",
    "XDG_DATA_HOME": "data",
    "XDG_CACHE_HOME": "cache",
    "XDG_CONFIG_HOME": "config",
}.items():
    os.environ[name] = str(HOME / sub)

from store.files import open_db  # noqa: E402
from tests.tiny_argos import TEMPLATES, TOPICS, build_package  # noqa: E402
from translate.argos import ArgosTranslator, install_from_file  # noqa: E402
from translate.cache import TranslationCache  # noqa: E402
from translate.english import EnglishService  # noqa: E402


def corpus(n: int) -> list[str]:
    titles = [
        f"{t.format(topic)} {i}" for i in range(n) for t, topic in [(TEMPLATES["sv"][i % 4], TOPICS["sv"][i % 8])]
    ]
    return titles


def descriptions(titles: list[str], sentences: int = 6) -> list[str]:
    """Course-like descriptions: paragraphs of several sentences each."""
    out = []
    for i in range(0, len(titles) - sentences, sentences):
        part = titles[i : i + sentences]
        out.append(". ".join(part[:3]) + ".\n\n" + ". ".join(part[3:]) + ".")
    return out


def throughput(translator: ArgosTranslator, texts: list[str], batch: int) -> float:
    """Texts per second, ``batch`` texts per model call (1: one call per text)."""
    started = time.perf_counter()
    for i in range(0, len(texts), batch):
        translator.translate(texts[i : i + batch], "sv")
    return len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=400)
    args = parser.parse_args()
    started = time.perf_counter()
    install_from_file(build_package(HOME / "built", "sv", "1.0"))
    print(f"tiny model built and installed in {time.perf_counter() - started:.1f}s")
    texts = corpus(args.texts)
    db = open_db(HOME / "bench.db")
    service = EnglishService(ArgosTranslator(), TranslationCache(db))
    started = time.perf_counter()
    service.translate(texts[:1], "sv")  # load argostranslate, torch and the model once
    print(f"first call (imports + model load): {time.perf_counter() - started:.1f}s")
    texts = texts[1:]
    started = time.perf_counter()
    service.translate(texts, "sv")
    cold = time.perf_counter() - started
    calls = service.translator.calls
    started = time.perf_counter()
    service.translate(texts, "sv")
    warm = time.perf_counter() - started
    print(f"texts: {len(texts)} distinct course-like Swedish titles")
    print(f"model (cache empty): {len(texts) / cold:.0f} texts/s, {service.translator.calls - 1} model calls")
    print(f"cache hit:           {len(texts) / warm:.0f} texts/s, {service.translator.calls - calls} model calls")
    print(f"cache speed-up: {cold / warm:.0f}x")
    # model calls without the cache: one text per call (as an item's field alone), then batches
    translator = ArgosTranslator()
    long_texts = descriptions(corpus(args.texts * 3))
    translator.translate(texts[:2], "sv")  # loaded
    for label, material in (("titles", texts), ("descriptions", long_texts)):
        single = throughput(translator, material, 1)
        figures = ", ".join(f"batches of {b}: {throughput(translator, material, b):.0f}/s" for b in (8, 32, 128))
        print(f"{label} ({len(material)}): one per call {single:.0f}/s; {figures}")


if __name__ == "__main__":
    main()
