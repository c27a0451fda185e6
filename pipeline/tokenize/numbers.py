"""The number grammar of the `xval` mode: which spans of text are numbers, and their values.

xVal (Golkar et al., 2023) replaces every number by one ``[NUM]`` token and carries the number's value
in a parallel float column. What counts as a number here, exactly:

- ASCII digits ``[0-9]+``, optionally with thousands separators in groups of exactly three:
  ``1,234,567``, LaTeX ``1{,}234`` and ``1\\,234`` (a list like ``1,2,3`` stays three numbers);
- an optional decimal part ``.digits`` (``3.14``; ``.5`` without a leading digit is not read);
- an optional exponent ``e``/``E`` with an optional sign and digits (``6.02e23``, ``1E-9``);
- an optional sign ``-``, ``+`` or Unicode minus ``−`` when it cannot be a binary operator: at the start
  of the text or after whitespace or one of ``( [ { = , : ; $ ^``. So ``x-1`` is ``x``, ``-`` and 1,
  while ``e^{-1}`` and ``f(-2)`` hold -1 and -2;
- never part of an identifier or a dotted sequence: digits right after a letter, digit, ``_`` or ``.``
  are not a number (``x2``, ``log10``, ``x_1``, ``H2O``, ``0x1F`` keep their digits as text), nor are
  digits followed by ``_`` or another digit group (``1_000`` stays text), nor versions and addresses
  (``1.2.3``, ``192.168.0.1``: a number may not be followed by ``.digit``);
- letters may follow a number (``2x`` is 2 then ``x``; ``3rd`` is 3 then ``rd``);
- ``\\times 10^{5}`` is not folded into one value: it reads as 10 and 5;
- a number whose value is not finite in float32 (beyond about ±3.4e38) stays text.

Values are stored unscaled as float32; the xVal paper rescales per dataset, which a trainer does at load
time from the manifest's statistics if it wants to.
"""

from __future__ import annotations

import re

import numpy as np

FLOAT32_MAX = float(np.finfo(np.float32).max)

NUMBER_RE = re.compile(
    r"""
    (?: (?<![^\s(\[{=,:;$^]) (?P<sign>[-+\u2212]) )?     # a sign only where it is not an operator
    (?<![\w.])                                            # not inside an identifier / dotted run
    (?!0[xXbBoO][0-9a-fA-F])                              # not a hex / binary / octal literal
    (?P<int> [0-9]{1,3}(?:(?:,|\{,\}|\\,)[0-9]{3})+(?![0-9]) | [0-9]+ )
    (?: \.(?P<frac>[0-9]+) )?
    (?: [eE](?P<exp>[-+]?[0-9]+) )?
    (?![0-9_])                                            # not 1_000, not a cut-off digit run
    (?!\.[0-9])                                           # not a version or an address
    """,
    re.VERBOSE,
)


def number_value(match: re.Match) -> float | None:
    """The value of a NUMBER_RE match, or None when it does not fit in float32."""
    digits = re.sub(r"\D", "", match.group("int"))
    sign = "-" if match.group("sign") in ("-", "\u2212") else ""
    literal = sign + digits
    if match.group("frac"):
        literal += "." + match.group("frac")
    if match.group("exp"):
        literal += "e" + match.group("exp")
    value = float(literal)
    return value if abs(value) <= FLOAT32_MAX else None


def split_numbers(text: str) -> tuple[list[str], list[float]]:
    """Text segments around the numbers, and the numbers' values: ``len(segments) == len(values) + 1``.

    ``segments[0] + N + segments[1] + N + ...`` is the text with each number replaced by a marker.
    """
    segments, values, last = [], [], 0
    for match in NUMBER_RE.finditer(text):
        value = number_value(match)
        if value is None:
            continue
        segments.append(text[last : match.start()])
        values.append(value)
        last = match.end()
    segments.append(text[last:])
    return segments, values
