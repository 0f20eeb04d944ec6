"""Builds a tiny but real Argos Translate package (.argosmodel) offline, for tests and benchmarks.

Real models come from the Argos package index, which needs internet. This package goes through
the same code path (install_from_path, argostranslate.translate, CTranslate2, SentencePiece,
MiniSBD sentence splitting) with: a SentencePiece model trained on a few hundred template
sentences, a one-layer CTranslate2 Transformer with seeded random weights (it translates into
short strings of English-like pieces: junk, but deterministic and fast), and a 1 KB ONNX sentence
splitter in the layout MiniSBD expects, so nothing is downloaded at translation time.

    python -m tests.tiny_argos OUT_DIR --from sv --version 1.0   # writes OUT_DIR/translate-sv_en-tiny-1.0.argosmodel
"""

from __future__ import annotations

import argparse
import json
import shutil
import string
import tempfile
import zipfile
from pathlib import Path

import numpy as np

NAMES = {"sv": "Swedish", "fi": "Finnish", "en": "English"}
TEMPLATES = {
    "sv": ["Kursen handlar om {}.", "Utbildningen ger kunskaper i {}.", "Grundkurs i {}", "Praktik inom {}"],
    "fi": ["Kurssi käsittelee {}.", "Koulutus antaa osaamista {}.", "Perusteet: {}", "Harjoittelu: {}"],
    "en": ["The course is about {}.", "The programme gives skills in {}.", "Introduction to {}", "Practice in {}"],
}
TOPICS = {
    "sv": ["batterier", "svetsning", "elteknik", "automation", "kemi", "återvinning", "vätgas", "gruvteknik"],
    "fi": ["akut", "hitsaus", "sähkötekniikka", "automaatio", "kemia", "kierrätys", "vety", "kaivostekniikka"],
    "en": [
        "batteries",
        "welding",
        "electrical engineering",
        "automation",
        "chemistry",
        "recycling",
        "hydrogen",
        "mining",
    ],
}
D_MODEL, FFN, HEADS, MAX_POSITIONS = 32, 64, 2, 512


def _sentences(lang: str) -> list[str]:
    return [t.format(topic) for t in TEMPLATES[lang] for topic in TOPICS[lang]]


def _train_sentencepiece(folder: Path, source: str) -> list[str]:
    import sentencepiece as spm

    corpus = (_sentences(source) + _sentences("en")) * 4
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus),
        model_prefix=str(folder / "sentencepiece"),
        vocab_size=120,
        hard_vocab_limit=False,
        character_coverage=1.0,
        model_type="unigram",
        minloglevel=2,
    )
    processor = spm.SentencePieceProcessor(model_file=str(folder / "sentencepiece.model"))
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())]


def _variables(vocab: list[str], seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    size = len(vocab)

    def weight(rows: int, cols: int) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) * 0.2).astype(np.float32)

    def norm(scope: str, v: dict) -> None:
        v[f"{scope}.weight"] = np.ones(D_MODEL, np.float32)
        v[f"{scope}.bias"] = np.zeros(D_MODEL, np.float32)

    def linear(scope: str, rows: int, cols: int, v: dict) -> None:
        v[f"{scope}.weight"] = weight(rows, cols)
        v[f"{scope}.bias"] = np.zeros(rows, np.float32)

    def attention(scope: str, v: dict) -> None:
        for part in ("linear_query", "linear_keys", "linear_values", "final_linear"):
            linear(f"{scope}.{part}", D_MODEL, D_MODEL, v)

    def ffn(scope: str, v: dict) -> None:
        norm(f"{scope}.layer_norm", v)
        linear(f"{scope}.w_1", FFN, D_MODEL, v)
        linear(f"{scope}.w_2", D_MODEL, FFN, v)

    position = np.arange(MAX_POSITIONS)[:, None]
    rates = np.exp(np.arange(0, D_MODEL, 2) * -(np.log(10000.0) / D_MODEL))
    pe = np.zeros((MAX_POSITIONS, D_MODEL), np.float32)
    pe[:, 0::2], pe[:, 1::2] = np.sin(position * rates), np.cos(position * rates)

    v: dict[str, np.ndarray] = {}
    for side in ("encoder", "decoder"):
        v[f"{side}.embeddings.make_embedding.emb_luts.0.weight"] = weight(size, D_MODEL)
        v[f"{side}.embeddings.make_embedding.pe.pe"] = pe[None]
        norm(f"{side}.layer_norm", v)
    attention("encoder.transformer.0.self_attn", v)
    norm("encoder.transformer.0.layer_norm", v)
    ffn("encoder.transformer.0.feed_forward", v)
    attention("decoder.transformer_layers.0.self_attn", v)
    norm("decoder.transformer_layers.0.layer_norm_1", v)
    attention("decoder.transformer_layers.0.context_attn", v)
    norm("decoder.transformer_layers.0.layer_norm_2", v)
    ffn("decoder.transformer_layers.0.feed_forward", v)
    linear("generator", size, D_MODEL, v)
    # Keep outputs short: a steady pull towards </s>, and no <unk>/<s>.
    v["generator.bias"][vocab.index("</s>")] = 3.0
    v["generator.bias"][vocab.index("<unk>")] = -20.0
    v["generator.bias"][vocab.index("<s>")] = -20.0
    return v


def _write_ctranslate2(folder: Path, vocab: list[str], seed: int) -> None:
    from ctranslate2.converters.converter import Converter
    from ctranslate2.converters.opennmt_py import set_transformer_spec
    from ctranslate2.specs import transformer_spec

    spec = transformer_spec.TransformerSpec.from_config((1, 1), HEADS)
    set_transformer_spec(spec, _variables(vocab, seed))
    spec.register_source_vocabulary(vocab)
    spec.register_target_vocabulary(vocab)

    class TinyConverter(Converter):
        def _load(self):
            return spec

    TinyConverter().convert(str(folder / "model"), force=True)


def _write_sentence_splitter(folder: Path, lang: str) -> None:
    """A MiniSBD model: one Gather over a table of per-character labels (1 = token end,
    2 = sentence end after . ! ?), with the vocabulary and config in the ONNX metadata."""
    import onnx
    from onnx import TensorProto, helper

    units = ["<PAD>", "<UNK>"] + sorted(set(string.printable.strip() + " åäöÅÄÖüÜéÉšŠžŽ–"))
    labels = np.full((len(units), 5), -5.0, np.float32)
    labels[:, 1] = 5.0
    for mark in ".!?":
        labels[units.index(mark)] = [-5, -5, 5, -5, -5]
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "units"], ["logits"], axis=0)],
        "tiny_sbd",
        [
            helper.make_tensor_value_info("units", TensorProto.INT64, ["batch", "length"]),
            helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", "length", "features"]),
        ],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "length", 5])],
        [helper.make_tensor("table", TensorProto.FLOAT, labels.shape, labels.flatten().tolist())],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    vocab = {
        "lang": lang,
        "idx": 0,
        "cutoff": 0,
        "lower": False,
        "_id2unit": units,
        "_unit2id": {u: i for i, u in enumerate(units)},
    }
    for key, value in {
        "lang_code": lang,
        "config": json.dumps({"max_seqlen": 1000, "feat_funcs": []}),
        "vocab": json.dumps(vocab),
    }.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    (folder / "minisbd").mkdir()
    onnx.save(model, str(folder / "minisbd" / f"{lang}.onnx"))


def build_package(out_dir: str | Path, source: str = "sv", version: str = "1.0", seed: int = 7) -> Path:
    """Write ``translate-<source>_en-tiny-<version>.argosmodel`` into out_dir; returns its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"translate-{source}_en-tiny-{version}"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / name  # ONE top-level folder, as Argos expects
        folder.mkdir()
        vocab = _train_sentencepiece(folder, source)
        _write_ctranslate2(folder, vocab, seed + (0 if source == "sv" else 1))
        _write_sentence_splitter(folder, source)
        (folder / "metadata.json").write_text(
            json.dumps(
                {
                    "package_version": version,
                    "argos_version": "1.0",
                    "type": "translate",
                    "from_code": source,
                    "from_name": NAMES[source],
                    "to_code": "en",
                    "to_name": "English",
                    "links": [],
                    "package_name": f"{source}_en tiny test model",
                }
            ),
            "utf-8",
        )
        (folder / "README.md").write_text(
            "Tiny test package built by tests/tiny_argos.py: not a real translation model.\n", "utf-8"
        )
        target = out_dir / f"{name}.argosmodel"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(folder.rglob("*")):
                archive.write(file, file.relative_to(Path(tmp)))
    return target


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--from", dest="source", default="sv", choices=["sv", "fi"])
    parser.add_argument("--version", default="1.0")
    args = parser.parse_args()
    print(build_package(args.out_dir, args.source, args.version))


def write_package_index(folder: str | Path, packages: list[Path], server_url: str) -> Path:
    """An Argos package index like the public one (index.json with each package's metadata and a
    download link) listing ``packages``, copied into ``folder`` to be served at ``server_url``."""
    import json
    import zipfile

    folder = Path(folder)
    entries = []
    for package in packages:
        shutil.copy(package, folder / package.name)
        with zipfile.ZipFile(package) as archive:
            metadata_name = next(n for n in archive.namelist() if n.endswith("/metadata.json") and n.count("/") == 1)
            metadata = json.loads(archive.read(metadata_name))
        entries.append({**metadata, "links": [f"{server_url}/{package.name}"]})
    index = folder / "index.json"
    index.write_text(json.dumps(entries), "utf-8")
    return index
