from __future__ import annotations

from datetime import date, datetime

from fhir_server.services.sms_text import appointment_text, fit_one_sms, fold, gsm7_length, overdue_text


def test_fold_drops_marks_and_d_stroke() -> None:
    assert fold("Nguyễn Đức Thảo đến") == "Nguyen Duc Thao den"


def test_short_vietnamese_keeps_its_diacritics_in_ucs2() -> None:
    fitted = fit_one_sms("Bé Đức tiêm MR ngày 01/12.")
    assert fitted is not None and fitted.encoding == "UCS-2" and "Đức" in fitted.text


def test_long_vietnamese_is_folded_into_one_gsm7_sms() -> None:
    text = appointment_text(
        "Minh Đức", "Sởi - Rubella", datetime(2026, 12, 1, 7, 30), "Trạm Y tế Phường Ba Đình"
    )
    assert text.encoding == "GSM-7"
    assert (
        text.text
        == "Nhac lich: be Minh Duc tiem Soi - Rubella luc 07:30 ngay 01/12 tai Tram Y te Phuong Ba Dinh."
    )


def test_very_long_fields_are_cut_to_fit() -> None:
    text = overdue_text(
        "Nguyễn Minh Đức Trường Giang", "Vắc xin viêm gan B " * 5, date(2026, 10, 1), "Trạm " * 30
    )
    septets = gsm7_length(text.text)
    assert septets is not None and septets <= 160
    assert "01/10/2026" in text.text and "Nguyen Minh Duc" in text.text


def test_gsm7_extension_characters_count_twice() -> None:
    assert gsm7_length("a{b") == 4
    assert gsm7_length("ệ") is None
