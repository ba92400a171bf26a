"""Numbers as a brief shows them: the value, the text a reader sees, and where it came from.

Every number in a key finding is a :class:`Number`; the HTML writes it as
``<data value="..." data-key="...">text</data>`` so a reader (or a test) can trace it to the
result file it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MINUS = "\u2212"


@dataclass(frozen=True)
class Number:
    """A value (full precision), its display text and its source (file and variable)."""

    key: str
    value: float
    text: str
    source: str


@dataclass(frozen=True)
class Finding:
    """A sentence filled from results: ``template`` holds ``{name}`` fields, one per number."""

    stage: str
    key: str
    template: str
    numbers: dict[str, Number] = field(default_factory=dict)
    #: "finding"; "assumption" (a sentence that restates an input, listed apart from the results
    #: with its ``basis``); "warning" (shown in the status box too); "problem" (the brief is
    #: incomplete: status box, and `gridmodel brief` exits non-zero)
    level: str = "finding"
    #: where an assumption comes from (the source of the input it restates)
    basis: str = ""

    def text(self) -> str:
        """The sentence as plain text."""
        return self.template.format(**{k: n.text for k, n in self.numbers.items()})


def _signed(text: str, value: float, signed: bool) -> str:
    if value < 0 and text.strip("0.,") != "":
        return f"{MINUS}{text}"
    return f"+{text}" if signed and value > 0 else text


def grouped(value: float, decimals: int = 0) -> str:
    """``1,234.5`` with ``decimals`` decimals (thousands grouped)."""
    return f"{abs(value):,.{decimals}f}"


def money(key: str, value: float, source: str, decimals: int = 2, signed: bool = False) -> Number:
    """Dollars: ``$1.25``, ``−$0.24``, ``+$1.25`` (``signed``)."""
    text = f"${grouped(value, decimals)}"
    return Number(key, float(value), _signed(text, value, signed), source)


def musd(key: str, usd: float, source: str) -> Number:
    """Millions of dollars from a value in dollars: ``$122.5 million``."""
    text = f"${grouped(usd / 1e6, 1)} million"
    return Number(key, float(usd), _signed(text, usd, False), source)


def quantity(key: str, value: float, unit: str, source: str, decimals: int = 0) -> Number:
    """A value with its unit: ``1,200 MW``, ``60.13 Hz`` (no unit: the bare number)."""
    text = grouped(value, decimals) + (f" {unit}" if unit else "")
    return Number(key, float(value), _signed(text, value, False), source)


def count(key: str, value: int, source: str) -> Number:
    """A whole number: ``25``, ``6,020``."""
    return Number(key, float(value), f"{int(value):,d}", source)


def sentence(
    stage: str, key: str, *parts: str | Number, level: str = "finding", basis: str = ""
) -> Finding:
    """A :class:`Finding` from text and numbers in reading order."""
    template, numbers = [], {}
    for part in parts:
        if isinstance(part, Number):
            name = f"n{len(numbers)}"
            numbers[name] = part
            template.append("{" + name + "}")
        else:
            template.append(str(part).replace("{", "{{").replace("}", "}}"))
    return Finding(stage, key, "".join(template), numbers, level, basis)
