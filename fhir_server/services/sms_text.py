"""Vietnamese reminder texts that fit one SMS: 70 UCS-2 characters with diacritics, else 160 GSM-7
characters without them (as Vietnamese SMS usually are), shortening the place and vaccine if needed."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

# GSM 03.38 basic character set; the extension table's characters cost two septets.
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ ÆæßÉ!\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
UCS2_LIMIT, GSM7_LIMIT = 70, 160


@dataclass(frozen=True, slots=True)
class SmsText:
    text: str
    encoding: str  # "UCS-2" or "GSM-7"


def fold(text: str) -> str:
    """Vietnamese without diacritics: NFD, combining marks dropped, đ -> d."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def gsm7_length(text: str) -> int | None:
    """Septets the text takes in GSM-7, or None if a character is not in the alphabet."""
    length = 0
    for char in text:
        if char in _GSM_BASIC:
            length += 1
        elif char in _GSM_EXTENDED:
            length += 2
        else:
            return None
    return length


def fit_one_sms(text: str) -> SmsText | None:
    """As written when it fits 70 UCS-2 units (or is already GSM-7), else folded to GSM-7; None if
    even the folded text is longer than one SMS."""
    septets = gsm7_length(text)
    if septets is not None:
        return SmsText(text, "GSM-7") if septets <= GSM7_LIMIT else None
    if len(text.encode("utf-16-le")) // 2 <= UCS2_LIMIT:
        return SmsText(text, "UCS-2")
    folded = fold(text)
    septets = gsm7_length(folded)
    if septets is not None and septets <= GSM7_LIMIT:
        return SmsText(folded, "GSM-7")
    return None


def _shorten(value: str, length: int) -> str:
    return value if len(value) <= length else value[: max(length - 1, 1)].rstrip() + "."


def compose(template: str, **fields: str) -> SmsText:
    """`template` filled with `fields`; the longest fields are cut until the text fits one SMS."""
    limits = dict.fromkeys(fields, 60)
    while True:
        text = template.format(**{k: _shorten(v, limits[k]) for k, v in fields.items()})
        fitted = fit_one_sms(text)
        if fitted is not None:
            return fitted
        longest = max(limits, key=lambda k: min(len(fields[k]), limits[k]))
        if limits[longest] <= 8:
            return SmsText(fold(text)[:GSM7_LIMIT], "GSM-7")  # the template itself is too long
        limits[longest] = min(len(fields[longest]), limits[longest]) - 4


def appointment_text(child: str, vaccine: str, start: datetime, place: str) -> SmsText:
    return compose(
        "Nhắc lịch: bé {child} tiêm {vaccine} lúc {time} ngày {day} tại {place}.",
        child=child,
        vaccine=vaccine,
        time=start.strftime("%H:%M"),
        day=start.strftime("%d/%m"),
        place=place,
    )


def due_text(child: str, vaccine: str, due: date, place: str) -> SmsText:
    return compose(
        "Bé {child} đến lịch tiêm {vaccine} ngày {day}. Mời đưa bé đến {place}.",
        child=child,
        vaccine=vaccine,
        day=due.strftime("%d/%m/%Y"),
        place=place,
    )


def overdue_text(child: str, vaccine: str, since: date, place: str) -> SmsText:
    return compose(
        "Bé {child} đã quá hạn tiêm {vaccine} từ {day}. Mời đưa bé đến {place} sớm.",
        child=child,
        vaccine=vaccine,
        day=since.strftime("%d/%m/%Y"),
        place=place,
    )
