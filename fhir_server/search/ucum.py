"""UCUM units to a canonical form, so that quantity search compares `5500 ug` with `gt5.4 mg` (FHIR search
§3.1.1.4.6: with the UCUM system a server converts both sides to canonical units).

No well-kept UCUM library exists on PyPI, so this is a small parser of UCUM's grammar (products `.`,
quotients `/`, integer exponents, parentheses, `10*n` factors, `{annotations}`, metric prefixes) over a
table of the atoms a registry meets: mass, length, volume, time, amount of substance, pressure, energy,
enzyme and international units, percent, Celsius and Fahrenheit. A code with an atom not in the table is
not converted: it still matches its own system|code exactly.

Choices, each documented in docs/search.md:
- the canonical unit is a product of base units with exponents, sorted (`g.m-3` for mg/dL): two codes
  are comparable when they reduce to the same string;
- `mol` and `eq` are one base of their own (UCUM defines the mole as a count; keeping it apart changes
  nothing for codes a registry sends and keeps canonical values small); `[IU]` and `U` are bases too
  (arbitrary units compare only with themselves and their prefixed forms);
- `Cel` and `[degF]` carry an offset: converted to kelvin only when they stand alone (`Cel/h` is not
  converted, UCUM forbids multiplying special units);
- canonical values are rounded to 15 significant digits, so `5.5 mg` and `5500 ug` are equal floats.

Pure: no I/O. Results are cached per code.
"""

from __future__ import annotations

import re
from decimal import Decimal, localcontext
from functools import lru_cache
from typing import Final

UCUM_SYSTEM: Final = "http://unitsofmeasure.org"

Dims = tuple[tuple[str, int], ...]

_PREFIXES: Final[dict[str, Decimal]] = {
    "Y": Decimal("1e24"), "Z": Decimal("1e21"), "E": Decimal("1e18"), "P": Decimal("1e15"),
    "T": Decimal("1e12"), "G": Decimal("1e9"), "M": Decimal("1e6"), "k": Decimal("1e3"),
    "h": Decimal("1e2"), "da": Decimal("1e1"), "d": Decimal("1e-1"), "c": Decimal("1e-2"),
    "m": Decimal("1e-3"), "u": Decimal("1e-6"), "n": Decimal("1e-9"), "p": Decimal("1e-12"),
    "f": Decimal("1e-15"), "a": Decimal("1e-18"), "z": Decimal("1e-21"), "y": Decimal("1e-24"),
}  # fmt: skip

_PRESSURE: Final = (("g", 1), ("m", -1), ("s", -2))
_ENERGY: Final = (("g", 1), ("m", 2), ("s", -2))

# symbol -> (factor to the base units, base units with exponents, takes a metric prefix)
_ATOMS: Final[dict[str, tuple[Decimal, Dims, bool]]] = {
    "m": (Decimal(1), (("m", 1),), True),
    "s": (Decimal(1), (("s", 1),), True),
    "g": (Decimal(1), (("g", 1),), True),
    "K": (Decimal(1), (("K", 1),), True),
    "mol": (Decimal(1), (("mol", 1),), True),
    "eq": (Decimal(1), (("mol", 1),), True),
    "[IU]": (Decimal(1), (("[IU]", 1),), True),
    "[iU]": (Decimal(1), (("[IU]", 1),), True),
    "U": (Decimal(1), (("U", 1),), True),
    "L": (Decimal("1e-3"), (("m", 3),), True),
    "l": (Decimal("1e-3"), (("m", 3),), True),
    "t": (Decimal("1e6"), (("g", 1),), True),
    "Pa": (Decimal(1000), _PRESSURE, True),
    "bar": (Decimal("1e8"), _PRESSURE, True),
    "m[Hg]": (Decimal("133322000"), _PRESSURE, True),  # mm[Hg] = 133.322 Pa
    "J": (Decimal(1000), _ENERGY, True),
    "cal": (Decimal("4184"), _ENERGY, True),
    "min": (Decimal(60), (("s", 1),), False),
    "h": (Decimal(3600), (("s", 1),), False),
    "d": (Decimal(86400), (("s", 1),), False),
    "wk": (Decimal(604800), (("s", 1),), False),
    "mo": (Decimal(2629800), (("s", 1),), False),  # mean Julian month
    "a": (Decimal(31557600), (("s", 1),), False),  # Julian year
    "[lb_av]": (Decimal("453.59237"), (("g", 1),), False),
    "[oz_av]": (Decimal("28.349523125"), (("g", 1),), False),
    "[in_i]": (Decimal("0.0254"), (("m", 1),), False),
    "[ft_i]": (Decimal("0.3048"), (("m", 1),), False),
    "%": (Decimal("0.01"), (), False),
    "[ppm]": (Decimal("1e-6"), (), False),
}
# Special units with an offset: kelvin = (value + offset) * scale; only alone, never in a product.
_OFFSETS: Final[dict[str, tuple[Decimal, Decimal]]] = {
    "Cel": (Decimal("273.15"), Decimal(1)),
    "[degF]": (Decimal("459.67"), Decimal(5) / Decimal(9)),
}
_TOKEN: Final = re.compile(
    r"(?P<factor>10[*^][+-]?\d+|\d+)"
    r"|(?P<symbol>(?:\[[^\]]*\]|[A-Za-z%])+)(?P<exp>[+-]?\d+)?"
    r"|(?P<op>[./()])"
    r"|(?P<note>\{[^}]*\})"
)


class _Term:
    __slots__ = ("dims", "factor")

    def __init__(self, factor: Decimal, dims: dict[str, int]) -> None:
        self.factor, self.dims = factor, dims

    def times(self, other: _Term, sign: int) -> _Term:
        dims = dict(self.dims)
        for base, exp in other.dims.items():
            dims[base] = dims.get(base, 0) + sign * exp
        factor = self.factor * other.factor if sign > 0 else self.factor / other.factor
        return _Term(factor, {b: e for b, e in dims.items() if e})


@lru_cache(maxsize=4096)
def canonical_unit(code: str) -> tuple[Decimal, Decimal, str] | None:
    """(offset, factor, canonical unit) of a UCUM code, canonical = (value + offset) * factor; None when the
    code is not valid UCUM or uses an atom outside the table."""
    if code in _OFFSETS:
        offset, scale = _OFFSETS[code]
        return offset, scale, "K"
    with localcontext() as ctx:
        ctx.prec = 40
        try:
            term = _parse(code)
        except ValueError:
            return None
    unit = ".".join(f"{b}{'' if e == 1 else e}" for b, e in sorted(term.dims.items())) or "1"
    return Decimal(0), term.factor, unit


def canonical(value: Decimal | float, code: str) -> tuple[float, str] | None:
    """The value in the code's canonical unit, rounded to 15 significant digits, and that unit."""
    found = canonical_unit(code)
    if found is None:
        return None
    offset, factor, unit = found
    with localcontext() as ctx:
        ctx.prec = 40
        number = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
        result = (number + offset) * factor
    return float(format(result, ".15g")), unit


def _parse(code: str) -> _Term:
    if not code or code != code.strip() or len(code) > 64:
        raise ValueError(code)
    tokens = _tokens(code)
    term, rest = _product(tokens)
    if rest:
        raise ValueError(code)
    return term


def _tokens(code: str) -> list[tuple[str, str, str | None]]:
    found: list[tuple[str, str, str | None]] = []
    position = 0
    while position < len(code):
        match = _TOKEN.match(code, position)
        if match is None:
            raise ValueError(code)
        kind = match.lastgroup if match.lastgroup != "exp" else "symbol"
        if match.group("symbol") is not None:
            found.append(("symbol", match.group("symbol"), match.group("exp")))
        elif kind is not None:
            found.append((kind, match.group(kind), None))
        position = match.end()
    return found


def _product(tokens: list[tuple[str, str, str | None]]) -> tuple[_Term, list[tuple[str, str, str | None]]]:
    """term := ['/'] component (('.' | '/') component)*"""
    term = _Term(Decimal(1), {})
    sign = 1
    if tokens and tokens[0] == ("op", "/", None):
        sign, tokens = -1, tokens[1:]
    component, tokens = _component(tokens)
    term = term.times(component, sign)
    while tokens and tokens[0][0] == "op" and tokens[0][1] in "./":
        sign = 1 if tokens[0][1] == "." else -1
        component, tokens = _component(tokens[1:])
        term = term.times(component, sign)
    return term, tokens


def _component(tokens: list[tuple[str, str, str | None]]) -> tuple[_Term, list[tuple[str, str, str | None]]]:
    if not tokens:
        raise ValueError("empty")
    kind, text, exp = tokens[0]
    rest = tokens[1:]
    if kind == "op" and text == "(":
        inner, rest = _product(rest)
        if not rest or rest[0] != ("op", ")", None):
            raise ValueError("unbalanced")
        return inner, rest[1:]
    if kind == "note":
        return _Term(Decimal(1), {}), rest
    if kind == "factor":
        value = Decimal(10) ** int(text[3:]) if text[:3] in ("10*", "10^") else Decimal(text)
        return _Term(value, {}), _skip_note(rest)
    if kind == "symbol":
        term = _atom(text)
        power = int(exp) if exp is not None else 1
        dims = {b: e * power for b, e in term.dims.items()}
        return _Term(term.factor**power, dims), _skip_note(rest)
    raise ValueError(text)


def _skip_note(tokens: list[tuple[str, str, str | None]]) -> list[tuple[str, str, str | None]]:
    return tokens[1:] if tokens and tokens[0][0] == "note" else tokens


def _atom(symbol: str) -> _Term:
    if symbol in _ATOMS:
        factor, dims, _ = _ATOMS[symbol]
        return _Term(factor, dict(dims))
    for size in (2, 1):
        prefix, atom = symbol[:size], symbol[size:]
        if prefix in _PREFIXES and atom in _ATOMS and _ATOMS[atom][2]:
            factor, dims, _ = _ATOMS[atom]
            return _Term(_PREFIXES[prefix] * factor, dict(dims))
    raise ValueError(symbol)
