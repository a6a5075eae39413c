"""Vietnamese-aware folding (DESIGN.md §6)."""

from __future__ import annotations

import unicodedata

import pytest

from fhir_server.search.normalize import fold, fold_by_decomposition


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Nguyễn Thị Thảo", "nguyen thi thao"),
        ("NGUYỄN THỊ THẢO", "nguyen thi thao"),
        ("Đặng", "dang"),
        ("đặng văn đức", "dang van duc"),
        ("Trần Quốc Toản", "tran quoc toan"),
        ("Phạm Ngọc Ánh", "pham ngoc anh"),
        ("Lê Hữu Ước", "le huu uoc"),
        ("Bùi Thị Ỷ", "bui thi y"),
        ("ắằẳẵặ ấầẩẫậ ếềểễệ ốồổỗộ ớờởỡợ ứừửữự ỳýỷỹỵ", "aaaaa aaaaa eeeee ooooo ooooo uuuuu yyyyy"),
        ("  Hoàng \t Văn\n  Thụ  ", "hoang van thu"),
        ("Peter James Chalmers", "peter james chalmers"),
        ("José Müller", "jose muller"),
        ("", ""),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_composed_and_decomposed_input_fold_alike() -> None:
    composed = "Nguyễn Thị Thảo"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert fold(decomposed) == fold(composed) == "nguyen thi thao"


def test_the_two_capital_d_with_stroke_look_alikes_fold_to_d() -> None:
    # U+0110 (Vietnamese Đ) and U+00D0 (Icelandic Eth) are easily confused in data entry.
    assert fold("\u0110\u1eb7ng") == fold("\u00d0\u1eb7ng") == "dang"


def test_fold_is_idempotent() -> None:
    for text in ("Nguyễn Thị Thảo", "Đặng", "ÀÁẢÃẠ  x"):
        assert fold(fold(text)) == fold(text)


def test_folding_keeps_words_apart_so_a_word_prefix_is_not_a_substring() -> None:
    # "uyen" is inside "nguyen" but is not the start of any word: prefix search must not find it.
    assert not fold("Nguyễn Thị Thảo").startswith("uyen")
    assert fold("Nguyễn").startswith(fold("NGUY"))


def test_the_fast_table_agrees_with_the_definition_for_every_character() -> None:
    for code_point in range(0x3000):
        char = chr(code_point)
        if unicodedata.category(char) != "Cs":  # lone surrogates are not text
            assert fold(char) == fold_by_decomposition(char), hex(code_point)
    for text in ("Nguyễn Thị Thảo", unicodedata.normalize("NFD", "Đặng Văn Hùng"), "Ὀδυσσεύς Łódź İstanbul"):
        assert fold(text) == fold_by_decomposition(text)
