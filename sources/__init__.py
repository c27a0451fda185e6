"""Sources: one module per kind behind one interface, and the registry keyed on ``kind``.

A kind's module has three functions, all tested without Beam:

- ``read_units(spec) -> list``: the independent read units (files, byte ranges, row groups, papers,
  dataset shards), listed on the launcher when the graph is built; a missing input is a
  ``RecipeError`` naming the source;
- ``read_unit(unit, spec) -> Iterator[Document | Rejection]``: the unit's documents, and a
  ``Rejection`` with a reason for whatever cannot be read, so every input is accounted for;
- ``input_bytes(spec) -> int``: about how many bytes the source holds, from listings only.

Adding a kind: a module with those functions, its name in ``SourceSpec.kind`` (recipe.py) and one
line in ``KINDS`` below.
"""

from __future__ import annotations

from types import ModuleType
from typing import Iterator

from mathcorpus.document import Verdict
from mathcorpus.recipe import RecipeError, SourceSpec
from mathcorpus.sources import arxiv, files, git, hf, jsonl, parquet

KINDS: dict[str, ModuleType] = {
    "files": files,
    "git": git,
    "jsonl": jsonl,
    "parquet": parquet,
    "arxiv": arxiv,
    "hf": hf,
}


def kind_of(spec: SourceSpec) -> ModuleType:
    try:
        return KINDS[spec.kind]
    except KeyError:
        raise RecipeError(f"source {spec.name!r}: unknown kind {spec.kind!r} (known: {', '.join(KINDS)})") from None


def read_units(spec: SourceSpec) -> list:
    return kind_of(spec).read_units(spec)


def read_unit(unit, spec: SourceSpec) -> Iterator[Verdict]:
    yield from kind_of(spec).read_unit(unit, spec)


def input_bytes(spec: SourceSpec) -> int:
    return kind_of(spec).input_bytes(spec)
