"""Counts that the passes make as they go, summed per key over the run (one combiner).

A key is a tuple whose first item says what it counts; a value is a tuple of numbers added item by
item. Only these pairs (a few per source, language and reason) leave a work unit.
"""

from __future__ import annotations

from collections import defaultdict

STATS_TAG = "stats"  # the passes' output of (key, value) pairs
INPUT, KEPT, DROPPED = "input", "kept", "dropped"  # (source,) / (source,) / (source, reason): (documents,)
LANG_KEPT, LANG_DROPPED = "lang_kept", "lang_dropped"  # (language,) / (language, reason): (files, bytes)
ANALYSIS = "analysis"  # (language, method): (files,)
TOKENS = "tokens"  # (source, language): (documents, tokens)
DROPPED_TOKENS = "dropped_tokens"  # (language, reason): (files, tokens)
DEDUP = "dedup"  # (reason, source): (documents, bytes)


class Stats:
    def __init__(self):
        self._values: dict = defaultdict(lambda: None)

    def add(self, key: tuple, *values) -> None:
        old = self._values[key]
        self._values[key] = values if old is None else tuple(a + b for a, b in zip(old, values))

    def items(self) -> list:
        return sorted(self._values.items(), key=lambda kv: repr(kv[0]))


def add_tuples(values):
    """A combiner: tuples of numbers summed item by item."""
    total = None
    for v in values:
        total = v if total is None else tuple(a + b for a, b in zip(total, v))
    return total


def select(stats: list, kind: str) -> list:
    """[(key without its kind, value)] of one kind, from the summed (key, value) pairs."""
    return [
        (key[1:] if len(key) > 2 else key[1], value[0] if len(value) == 1 else value)
        for key, value in stats
        if key[0] == kind
    ]


def utf8_len(text: str | None) -> int:
    return len((text or "").encode("utf-8", "surrogatepass"))
