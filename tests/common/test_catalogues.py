"""The translation catalogues: every text of every message and portal page is translated,
in every language, and a translation keeps the placeholders of its English text."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from vault03_common import i18n

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [language for language in i18n.LANGUAGES if language != i18n.SOURCE_LANGUAGE]


@pytest.fixture(scope="module")
def source_texts(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The texts the code and templates mark today, extracted as `make messages` does."""
    pybabel = shutil.which("pybabel", path=str(Path(sys.executable).parent))
    assert pybabel, "pybabel (Babel) is not installed beside this Python"
    template = tmp_path_factory.mktemp("pot") / "vault03.pot"
    subprocess.run(
        [pybabel, "extract", "-F", "babel.cfg", "--no-location", "-o", str(template), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    with template.open("rb") as pot:
        return {str(message.id) for message in read_po(pot) if message.id}


def catalogue(language: str) -> Catalog:
    with i18n.catalogue_path(language).open("rb") as po:
        return read_po(po, locale=language)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_text_is_translated(language: str, source_texts: set[str]) -> None:
    assert len(source_texts) > 100
    entries = {str(message.id): message for message in catalogue(language) if message.id}
    missing = sorted(source_texts - set(entries))
    assert not missing, f"{language}: not in the catalogue (run `make messages`): {missing}"
    empty = sorted(text for text in source_texts if not entries[text].string)
    assert not empty, f"{language}: no translation for {empty}"
    fuzzy = sorted(text for text in source_texts if entries[text].fuzzy)
    assert not fuzzy, f"{language}: fuzzy (to review) {fuzzy}"
    stale = sorted(set(entries) - source_texts)
    assert not stale, f"{language}: no longer in the code (run `make messages`): {stale}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders(language: str) -> None:
    problems = [(message.id, errors) for message, errors in catalogue(language).check()]
    assert not problems


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_translation_is_used(language: str) -> None:
    assert i18n.translations(language).gettext("Access code") != "Access code"


def test_an_unsupported_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported language 'es'"):
        i18n.translations("es")
