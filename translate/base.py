"""The translator interface every backend implements, and the methods English text can have."""

from __future__ import annotations

from abc import ABC, abstractmethod

# Where an English text came from (courses.title_en_method / description_en_method).
ORIGINAL = "original"  # the text itself is English (or language-neutral)
PROVIDER = "provider"  # English written by the provider, confirmed to be English
OFFICIAL = "official"  # an official code-list name (e.g. a qualification's English name)
MACHINE = "machine"  # machine-translated; the model is recorded beside it
PENDING = "pending"  # no model for the language yet; `aggregator translate` fills it in later
METHODS = (ORIGINAL, PROVIDER, OFFICIAL, MACHINE, PENDING)

TARGET = "en"


class Translator(ABC):
    """Translates plain text (no markup) from a source language into English."""

    @abstractmethod
    def model_id(self, source: str, target: str = TARGET) -> str | None:
        """Identifier of the model for the pair, including its version (e.g.
        ``argos:translate-sv_en@1.9``), or None when no model is installed for it."""

    @abstractmethod
    def translate(self, texts: list[str], source: str, target: str = TARGET) -> list[str]:
        """Translations of ``texts``, in order. Only called when ``model_id`` is not None."""
