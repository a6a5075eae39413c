"""FHIRPath expressions for the `expression` of an OperationOutcome issue, built from JSON locations."""

from __future__ import annotations

from collections.abc import Iterable


def expression(root: str, parts: Iterable[str | int]) -> str:
    """`Immunization.note[0].text` for root "Immunization" and parts ("note", 0, "text")."""
    out = [root]
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        else:
            out.append(f".{part}")
    return "".join(out)


def related(a: str, b: str) -> bool:
    """True when one expression is the other or lies inside it (`X.note` and `X.note[0]`, `X.a.b`)."""
    if len(a) > len(b):
        a, b = b, a
    return b == a or (b.startswith(a) and b[len(a)] in ".[")
