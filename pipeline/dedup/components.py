"""Connected components of the candidate edges without one worker holding them all.

Large-star / small-star (Kiveris et al., "Connected Components in MapReduce and Beyond", SoCC 2014):
nodes are documents keyed by their survivor rank, so a component's smallest node is its survivor.
Each round groups the edges by node (one shuffle of edges, never documents):

* large-star: a node ``u`` links every larger neighbour to ``m(u)``, the smallest of ``u`` and its
  neighbours;
* small-star: a node ``u`` links itself and its smaller neighbours to the smallest of them.

Both keep the components and shrink their diameter; alternated, every component becomes a star
around its smallest node in O(log^2 n) rounds (a handful for near-duplicate clusters, which are
small). Beam graphs have no loops, so ``rounds`` pairs are unrolled; a final large-star gives every
node its root. If a component was not yet a star, some nodes get a root that is not the smallest
node: the cluster then keeps more than one survivor (never a wrong merge), and the count of such
nodes is reported (``unconverged``) so that ``rounds`` can be raised.

Memory per worker: the edges of one node at a time (its neighbourhood); the shuffles carry
(node, node) pairs only. The plain functions below are the whole algorithm and are tested without
Beam; ``DistributedComponents`` wires them into rounds.
"""

from __future__ import annotations

from typing import Iterable, Iterator

import apache_beam as beam


def both_directions(edge: tuple) -> Iterator[tuple]:
    a, b = edge
    yield a, b
    yield b, a


def large_star(keyed: tuple) -> Iterator[tuple]:
    """(u, neighbours) -> edges (v, m) for every neighbour v > u, with m = min(u, neighbours)."""
    u, neighbours = keyed
    neighbours = set(neighbours)
    m = min(neighbours | {u})
    for v in neighbours:
        if v > u and v != m:
            yield (m, v)


def small_star(keyed: tuple) -> Iterator[tuple]:
    """(u, neighbours) -> edges (v, m) for v in {u} and its neighbours <= u, with m their minimum."""
    u, neighbours = keyed
    smaller = {v for v in neighbours if v <= u} | {u}
    m = min(smaller)
    for v in smaller:
        if v != m:
            yield (m, v)


def roots(keyed: tuple) -> Iterator[tuple]:
    """(u, neighbours) -> (u, smallest of u and its neighbours) for every node that is not the root."""
    u, neighbours = keyed
    m = min(set(neighbours) | {u})
    if m != u:
        yield u, m


def components_in_memory(edges: Iterable[tuple], rounds: int = 8) -> dict:
    """The same rounds without Beam (tests): node -> root for every non-root node."""
    edges = {tuple(e) for e in edges}

    def grouped(es):
        out: dict = {}
        for a, b in es:
            out.setdefault(a, set()).add(b)
            out.setdefault(b, set()).add(a)
        return out.items()

    for _ in range(rounds):
        edges = {e for k in grouped(edges) for e in large_star(k)}
        edges = {e for k in grouped(edges) for e in small_star(k)}
    return dict(r for k in grouped(edges) for r in roots(k))


class DistributedComponents(beam.PTransform):
    """Edges (rank-keyed node pairs) -> (node, root) for every node that is not its cluster's root,
    plus a ``unconverged`` count on the side output (nodes whose root is not a root itself)."""

    def __init__(self, rounds: int = 8):
        super().__init__()
        self._rounds = rounds

    def expand(self, edges):
        for i in range(self._rounds):
            edges = (
                edges
                | f"Large{i}Both" >> beam.FlatMap(both_directions)
                | f"Large{i}Group" >> beam.GroupByKey()
                | f"Large{i}" >> beam.FlatMap(large_star)
                | f"Large{i}Distinct" >> beam.Distinct()
                | f"Small{i}Both" >> beam.FlatMap(both_directions)
                | f"Small{i}Group" >> beam.GroupByKey()
                | f"Small{i}" >> beam.FlatMap(small_star)
                | f"Small{i}Distinct" >> beam.Distinct()
            )
        return (
            edges
            | "RootsBoth" >> beam.FlatMap(both_directions)
            | "RootsGroup" >> beam.GroupByKey()
            | "Roots" >> beam.FlatMap(roots)
        )


def unconverged(node_roots: Iterable[tuple]) -> int:
    """Nodes whose root has a root of its own: their component was not a star yet."""
    root_of = dict(node_roots)
    return sum(1 for root in root_of.values() if root in root_of)
