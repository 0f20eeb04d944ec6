"""The argostranslate backend.

Models are Argos packages: installed from the Argos package index where there is internet, or
from a local ``.argosmodel`` file. ``argostranslate.translate`` loads torch, stanza and spaCy
(seconds, hundreds of MB), so it is imported only when a text is really translated; listing
installed models reads only the package folders.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from translate.base import TARGET, Translator


class ModelError(RuntimeError):
    """A model could not be found, fetched or installed; the message says what to do."""


@dataclass(frozen=True)
class InstalledModel:
    source: str
    target: str
    name: str
    version: str
    path: Path

    @property
    def model_id(self) -> str:
        return f"argos:{self.name}@{self.version}"


def configure(device: str | None = None) -> None:
    """Argos reads its settings at import: set them first. Device: cpu (default) or cuda."""
    device = device or os.environ.get("AGGREGATOR_TRANSLATE_DEVICE")
    if device:
        os.environ["ARGOS_DEVICE_TYPE"] = device


def installed_models() -> list[InstalledModel]:
    configure()
    import argostranslate.package as package

    out = []
    for pkg in package.get_installed_packages():
        if getattr(pkg, "type", "translate") != "translate":
            continue
        out.append(
            InstalledModel(
                pkg.from_code,
                pkg.to_code,
                Path(pkg.package_path).name,
                str(pkg.package_version),
                Path(pkg.package_path),
            )
        )
    return out


def install_from_file(path: str | Path) -> InstalledModel:
    configure()
    import argostranslate.package as package

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path} does not exist: download the .argosmodel file first")
    try:
        package.install_from_path(path)
    except Exception as exc:  # argostranslate raises bare Exception for a bad archive
        raise ModelError(f"{path} is not an Argos model package ({exc})") from exc
    import zipfile

    with zipfile.ZipFile(path) as archive:
        folder = archive.namelist()[0].split("/")[0]
    for model in installed_models():
        if model.path.name == folder:
            return model
    raise ModelError(f"{path} was unpacked but Argos does not list it as installed")


# The language pairs the crawl translates, and how long one index or package request may take.
SOURCE_LANGUAGES = ("sv", "fi")
INDEX_TIMEOUT = 30
# The model version of each pair the project installs from the index, so that every installation
# translates alike and a rebuilt database gives the same English: the versions the public Argos
# index lists for translate-sv_en and translate-fi_en. AGGREGATOR_MODEL_VERSIONS ("sv=1.9,fi=1.9")
# sets others, e.g. for a private index.
MODEL_VERSIONS = {"sv": "1.5", "fi": "1.5"}
MODEL_VERSIONS_ENV = "AGGREGATOR_MODEL_VERSIONS"


def pinned_version(source: str) -> str | None:
    """The version of the source->English model to install (MODEL_VERSIONS, or the setting)."""
    chosen = dict(MODEL_VERSIONS)
    for part in (os.environ.get(MODEL_VERSIONS_ENV) or "").split(","):
        lang, _, version = part.strip().partition("=")
        if lang and version:
            chosen[lang.strip()] = version.strip()
    return chosen.get(source)


def _fetch(url: str, progress: Callable[[int, int], None] | None = None) -> bytes:
    """GET ``url`` (an index or a package): the body, reporting (bytes so far, total) as it goes."""
    with urllib.request.urlopen(url, timeout=INDEX_TIMEOUT) as answer:
        total = int(answer.headers.get("Content-Length") or 0)
        chunks, received = [], 0
        while chunk := answer.read(1 << 16):
            chunks.append(chunk)
            received += len(chunk)
            if progress:
                progress(received, total)
    return b"".join(chunks)


def install_from_index(
    source: str, target: str = TARGET, progress: Callable[[int, int], None] | None = None
) -> InstalledModel:
    """Download and install the pair's package from the Argos package index named by Argos' own
    settings (``ARGOS_PACKAGE_INDEX``; the public index by default) into its package folder
    (``ARGOS_PACKAGES_DIR``): the pinned version (pinned_version) of a pair into English, the newest
    of other pairs. ``progress`` is called with (bytes so far, total) while the package downloads."""
    configure()
    import argostranslate.package as package
    import argostranslate.settings as settings

    try:
        index = json.loads(_fetch(settings.remote_package_index))
        Path(settings.local_package_index).write_bytes(json.dumps(index).encode("utf-8"))
        available = package.get_available_packages()
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"cannot reach the Argos package index at {settings.remote_package_index} ({exc.__class__.__name__}: "
            f"{exc}). "
            f"Offline? Download translate-{source}_{target}-*.argosmodel on a machine with internet and run "
            f"`aggregator models install --from-file PATH`."
        ) from exc
    matches = [
        p
        for p in available
        if p.from_code == source and p.to_code == target and getattr(p, "type", "translate") == "translate"
    ]
    if not matches:
        raise ModelError(f"the Argos package index has no {source}->{target} model")
    pinned = pinned_version(source) if target == TARGET else None
    if pinned is None:
        chosen = max(matches, key=lambda p: _version_key(str(p.package_version)))
    else:
        exact = [p for p in matches if str(p.package_version) == pinned]
        if not exact:
            listed = ", ".join(sorted({str(p.package_version) for p in matches}, key=_version_key))
            raise ModelError(
                f"the Argos package index lists {source}->{target} version(s) {listed}, not the version {pinned} this "
                f"project installs: set {MODEL_VERSIONS_ENV}={source}=VERSION to install another"
            )
        chosen = exact[0]
    errors = []
    for link in chosen.links:
        try:
            data = _fetch(link, progress)
        except OSError as exc:
            errors.append(f"{link}: {exc}")
            continue
        with tempfile.TemporaryDirectory(prefix="aggregator-model-") as folder:
            path = Path(folder) / f"translate-{source}_{target}.argosmodel"
            path.write_bytes(data)
            return install_from_file(path)
    raise ModelError(
        f"downloading the {source}->{target} model failed: {'; '.join(errors) or 'the index lists no link'}"
    )


def _version_key(version: str) -> tuple:
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


def ensure_models(
    languages: tuple[str, ...] = SOURCE_LANGUAGES,
    echo: Callable[[str], None] = print,
    progress_for: Callable[[str], Callable[[int, int], None]] | None = None,
) -> tuple[list[InstalledModel], str | None]:
    """Install every missing language->English model from the package index. Returns the models
    installed now (none when all were there: nothing is downloaded) and, when some could not be
    installed, one line of advice; never raises for a network or index failure."""
    have = {(m.source, m.target) for m in installed_models()}
    missing = [lang for lang in languages if (lang, TARGET) not in have]
    installed, problems = [], []
    for lang in missing:
        echo(f"Translation: installing the {lang}->{TARGET} model from the Argos package index")
        try:
            installed.append(install_from_index(lang, progress=progress_for(lang) if progress_for else None))
        except ModelError as exc:
            problems.append(str(exc))
            break  # the same index is unreachable for the next pair too
    advice = None
    if problems:
        advice = (
            f"Translation models not installed ({problems[0]}); English stays pending. Install them later with "
            f"`aggregator models install` (or `--from-file PATH`), then `aggregator translate`."
        )
    return installed, advice


class ArgosTranslator(Translator):
    def __init__(self, device: str | None = None) -> None:
        configure(device)
        self._models = {(m.source, m.target): m for m in installed_models()}
        self._translations: dict[tuple[str, str], object] = {}
        self._lock = threading.Lock()
        self.calls = 0  # texts sent to a model: the figure a cache makes zero on re-runs

    def refresh(self) -> None:
        self._models = {(m.source, m.target): m for m in installed_models()}
        self._translations.clear()

    def model_id(self, source: str, target: str = TARGET) -> str | None:
        model = self._models.get((source, target))
        return model.model_id if model else None

    def _translation(self, source: str, target: str):
        key = (source, target)
        if key not in self._translations:
            import argostranslate.translate as argos

            argos.get_installed_languages.cache_clear()
            languages = {lang.code: lang for lang in argos.get_installed_languages()}
            if source not in languages or target not in languages:
                raise ModelError(f"no installed Argos model translates {source}->{target}")
            translation = languages[source].get_translation(languages[target])
            if translation is None:
                raise ModelError(f"no installed Argos model translates {source}->{target}")
            self._translations[key] = translation
        return self._translations[key]

    def translate(self, texts: list[str], source: str, target: str = TARGET) -> list[str]:
        with self._lock:  # one CTranslate2 translator per pair
            translation = self._translation(source, target)
            self.calls += len(texts)
            packaged = getattr(translation, "underlying", translation)
            if not hasattr(packaged, "sentencizer") or not hasattr(packaged, "pkg"):
                # a pair through a pivot language, or another kind of translation: text by text
                return [translation.translate(text).strip() for text in texts]
            return [text.strip() for text in translate_batched(packaged, texts)]


def translate_batched(packaged, texts: list[str]) -> list[str]:
    """What ``translation.translate(text)`` gives for each text (argostranslate's
    ``PackageTranslation.hypotheses`` with one hypothesis, and ``apply_packaged_translation``),
    with the sentences of every text sent to the model in one ``translate_batch`` call instead of
    one call per paragraph: the model fills its batches (``settings.batch_size`` tokens) with
    many short titles at once."""
    import ctranslate2
    from argostranslate import settings
    from argostranslate.translate import ITranslation

    if packaged.translator is None:  # as PackageTranslation.hypotheses makes it
        packaged.translator = ctranslate2.Translator(
            str(packaged.pkg.package_path / "model"),
            device=settings.device,
            inter_threads=settings.inter_threads,
            intra_threads=settings.intra_threads,
            compute_type=settings.compute_type,
        )
    pkg = packaged.pkg
    tokens: list[list[str]] = []
    shapes: list[list[int]] = []  # per text, the number of sentences of each paragraph
    for text in texts:
        shape = []
        for paragraph in ITranslation.split_into_paragraphs(text):
            sentences = packaged.sentencizer.split_sentences(paragraph)
            tokens.extend(pkg.tokenizer.encode(sentence) for sentence in sentences)
            shape.append(len(sentences))
        shapes.append(shape)
    results = (
        packaged.translator.translate_batch(
            tokens,
            target_prefix=[[pkg.target_prefix]] * len(tokens) if pkg.target_prefix != "" else None,
            replace_unknowns=True,
            max_batch_size=settings.batch_size,
            batch_type="tokens",
            beam_size=max(1, settings.beam_size),
            num_hypotheses=1,
            length_penalty=0.2,
            return_scores=True,
        )
        if tokens
        else []
    )
    out, position = [], 0
    for shape in shapes:
        paragraphs = []
        for count in shape:
            value = pkg.tokenizer.decode(
                [token for result in results[position : position + count] for token in result.hypotheses[0]]
            )
            position += count
            if pkg.target_prefix != "" and value.startswith(pkg.target_prefix):
                value = value[len(pkg.target_prefix) :]
            if value.startswith(" "):
                value = value[1:]
            paragraphs.append(value)
        # CachedTranslation joins its paragraphs after an empty start and strips the newlines in front
        out.append(("\n" + "\n".join(paragraphs)).lstrip("\n"))
    return out
