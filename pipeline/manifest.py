"""The run's summaries: the contamination report, the accounting check and the manifest, all made from
small records (counts, hits, shard infos) on one worker."""

from __future__ import annotations

import json
from collections import defaultdict

from mathcorpus import __version__, storage


def _hit_key(h: dict) -> tuple:
    return (
        h["doc_id"],
        h["benchmark"],
        h.get("split") or "",
        h["item"],
        h.get("field") or "",
        h.get("kind") or "",
        h.get("declaration") or "",
    )


def item_summaries(hits: list[dict]) -> list[dict]:
    """Per benchmark item: which documents share text with it, how much, the longest shared span."""
    items: dict[tuple, dict] = {}
    for h in sorted(hits, key=_hit_key):
        key = (h["benchmark"], h.get("split") or "", h["item"])
        s = items.setdefault(
            key,
            {
                "benchmark": key[0],
                "split": key[1],
                "item": key[2],
                "documents": [],
                "fields": [],
                "matching_ngrams": 0,
                "longest_span_words": 0,
                "long_overlap_documents": 0,
                "theorem_cuts": 0,
            },
        )
        if h["doc_id"] not in s["documents"]:
            s["documents"].append(h["doc_id"])
        if h.get("kind") == "theorem":
            s["theorem_cuts"] += 1
            continue
        if h.get("field") and h["field"] not in s["fields"]:
            s["fields"].append(h["field"])
        s["matching_ngrams"] += h.get("matching_ngrams", 0)
        s["longest_span_words"] = max(s["longest_span_words"], h.get("longest_span_words", 0))
        s["long_overlap_documents"] += 1 if h.get("long_overlap") else 0
    out = []
    for key in sorted(items):
        s = items[key]
        s["num_documents"] = len(s["documents"])
        s["documents"] = s["documents"][:100]
        s["fields"] = sorted(s["fields"])
        out.append(s)
    return out


def write_report(out_dir: str, hits: list[dict]) -> None:
    """reports/contamination.jsonl (one line per hit) and contamination_items.jsonl (per item)."""
    for name, rows in (
        ("contamination.jsonl", sorted(hits, key=_hit_key)),
        ("contamination_items.jsonl", item_summaries(hits)),
    ):
        lines = [json.dumps(r, sort_keys=True, ensure_ascii=False) for r in rows]
        storage.write_bytes_atomic(
            storage.join(out_dir, "reports", name), "".join(line + "\n" for line in lines).encode("utf-8")
        )


def contamination_summary(hits: list[dict]) -> dict:
    """The manifest's view: hits, documents and items per benchmark, per benchmark split, per source."""

    def block(selected: list[dict]) -> dict:
        return {
            "hits": len(selected),
            "documents": len({h["doc_id"] for h in selected}),
            "items": len({(h["benchmark"], h.get("split"), h["item"]) for h in selected}),
            "long_overlaps": sum(1 for h in selected if h.get("long_overlap")),
            "theorem_cuts": sum(1 for h in selected if h.get("kind") == "theorem"),
        }

    def grouped(key) -> dict:
        groups: dict[str, list] = defaultdict(list)
        for h in hits:
            groups[key(h)].append(h)
        return {k: block(v) for k, v in sorted(groups.items())}

    actions: dict[str, int] = defaultdict(int)
    for h in hits:
        actions[h.get("action") or "reported"] += 1
    return {
        **block(hits),
        "actions": dict(sorted(actions.items())),
        "by_benchmark": grouped(lambda h: h["benchmark"]),
        "by_split": grouped(lambda h: f"{h['benchmark']}/{h.get('split') or ''}"),
        "by_source": grouped(lambda h: h["source"]),
    }


class AccountingError(RuntimeError):
    """Input documents do not add up to kept + dropped: something was lost."""


def summarize_counts(
    inputs: list[tuple[str, int]], kept: list[tuple[str, int]], dropped: list[tuple[tuple[str, str], int]]
) -> dict:
    """Counts per source and in total; raises AccountingError unless input == kept + dropped."""
    by_source: dict[str, dict] = defaultdict(lambda: {"input": 0, "kept": 0, "dropped": {}})
    for source, n in inputs:
        by_source[source]["input"] += n
    for source, n in kept:
        by_source[source]["kept"] += n
    for (source, reason), n in dropped:
        by_source[source]["dropped"][reason] = by_source[source]["dropped"].get(reason, 0) + n
    problems = []
    totals = {"input": 0, "kept": 0, "dropped": defaultdict(int)}
    for source in sorted(by_source):
        c = by_source[source]
        c["dropped"] = dict(sorted(c["dropped"].items()))
        if c["input"] != c["kept"] + sum(c["dropped"].values()):
            problems.append(f"{source}: input {c['input']} != kept {c['kept']} + dropped {sum(c['dropped'].values())}")
        totals["input"] += c["input"]
        totals["kept"] += c["kept"]
        for reason, n in c["dropped"].items():
            totals["dropped"][reason] += n
    if problems:
        raise AccountingError("documents unaccounted for: " + "; ".join(problems))
    return {
        "input": totals["input"],
        "kept": totals["kept"],
        "dropped": dict(sorted(totals["dropped"].items())),
        "by_source": {s: by_source[s] for s in sorted(by_source)},
    }


def _number_summary(per_shard: list[dict]) -> dict | None:
    """xval: count, mean, std, min and max of the [NUM] values over all shards (for rescaling)."""
    if not per_shard:
        return None
    count = sum(s["count"] for s in per_shard)
    if not count:
        return {"count": 0, "mean": None, "std": None, "min": None, "max": None}
    mean = sum(s["sum"] for s in per_shard) / count
    var = max(0.0, sum(s["sum_squares"] for s in per_shard) / count - mean * mean)
    return {
        "count": count,
        "mean": mean,
        "std": var**0.5,
        "min": min(s["min"] for s in per_shard if s["count"]),
        "max": max(s["max"] for s in per_shard if s["count"]),
    }


def dedup_summary(removed: list, clusters: list) -> dict:
    """Per dedup reason: removed documents and bytes per source, clusters (a survivor and the copies
    removed in its favour) and their size histogram. `removed`: ((reason, source), (documents,
    bytes)); `clusters`: (reason, {cluster size: clusters})."""
    histograms = dict(clusters)
    out = {}
    for reason in sorted({r for (r, _), _ in removed}):
        by_source = {src: {"documents": d, "bytes": b} for (r, src), (d, b) in sorted(removed) if r == reason}
        histogram = histograms.get(reason, {})
        out[reason] = {
            "removed": sum(v["documents"] for v in by_source.values()),
            "bytes_removed": sum(v["bytes"] for v in by_source.values()),
            "clusters": sum(histogram.values()),
            "cluster_sizes": {str(k): v for k, v in sorted(histogram.items())},
            "largest_cluster": max(histogram, default=0),
            "by_source": by_source,
        }
    return out


def language_summary(
    kept: list, dropped: list, analysis: list, token_counts: list, dropped_tokens: list | None = None
) -> dict:
    """Per language, the documents that reached the language stage: files and bytes seen, kept, and
    dropped by rule (any stage's reason); how the language was analysed (tree-sitter or lexical);
    tokens kept, and (`dropped_tokens` given: the dropped files were encoded to be counted) tokens
    seen and dropped by rule. `kept`: (language, (files, bytes)); `dropped`: ((language, reason),
    (files, bytes)); `analysis`: ((language, method), files); `dropped_tokens`: ((language, reason),
    (files, tokens))."""
    out: dict[str, dict] = defaultdict(
        lambda: {
            "seen": {"files": 0, "bytes": 0},
            "kept": {"files": 0, "bytes": 0},
            "dropped": {},
            "analysis": {},
            "tokens_kept": 0,
        }
    )
    for language, (files, nbytes) in kept:
        entry = out[language or "unknown"]
        entry["kept"] = {"files": files, "bytes": nbytes}
        entry["seen"]["files"] += files
        entry["seen"]["bytes"] += nbytes
    for (language, reason), (files, nbytes) in dropped:
        entry = out[language or "unknown"]
        entry["dropped"][reason] = {"files": files, "bytes": nbytes}
        entry["seen"]["files"] += files
        entry["seen"]["bytes"] += nbytes
    for (language, method), files in analysis:
        out[language or "unknown"]["analysis"][method] = files
    for (_, language), (_, n) in token_counts:
        if language in out:
            out[language]["tokens_kept"] += n
    if dropped_tokens is not None:
        for entry in out.values():
            entry["kept"]["tokens"] = entry["seen"]["tokens"] = entry["tokens_kept"]
            for counts in entry["dropped"].values():
                counts["tokens"] = 0
        for (language, reason), (_, n) in dropped_tokens:
            entry = out.get(language or "unknown")
            if entry is not None and reason in entry["dropped"]:
                entry["dropped"][reason]["tokens"] += n
                entry["seen"]["tokens"] += n
    return {
        lang: {**v, "dropped": dict(sorted(v["dropped"].items())), "analysis": dict(sorted(v["analysis"].items()))}
        for lang, v in sorted(out.items())
    }


def build_manifest(
    *,
    recipe: dict,
    counts: dict,
    tables: dict,
    tokenizer: dict | None,
    shards: list[dict],
    token_counts: list,
    hits: list[dict],
    duplicates: dict | None = None,
    languages: dict | None = None,
    quality_by_kind: dict | None = None,
) -> dict:
    shards = sorted((s for s in shards if s["path"]), key=lambda s: s["index"])
    by_source: dict[str, int] = defaultdict(int)
    by_language: dict[str, int] = defaultdict(int)
    docs_by_language: dict[str, int] = defaultdict(int)
    by_source_language: dict[str, dict] = defaultdict(dict)
    for (source, language), (docs, n) in token_counts:
        by_source[source] += n
        by_language[language] += n
        docs_by_language[language] += docs
        by_source_language[source][language] = {"documents": docs, "tokens": n}
    numbers = _number_summary([s["numbers"] for s in shards if "numbers" in s])
    return {
        "mathcorpus_version": __version__,
        "name": recipe["name"],
        "recipe": recipe,
        "counts": counts,
        "tables": tables,
        "tokenizer": tokenizer,
        "tokens": {
            "total": sum(s["tokens"] for s in shards),
            "document_tokens": sum(by_source.values()),
            "padding": sum(s.get("padding_tokens", 0) for s in shards),
            "dropped_tail": sum(s.get("dropped_tail_tokens", 0) for s in shards),
            "by_source": dict(sorted(by_source.items())),
            "by_language": dict(sorted(by_language.items())),
            "documents_by_language": dict(sorted(docs_by_language.items())),
            "by_source_language": {src: dict(sorted(v.items())) for src, v in sorted(by_source_language.items())},
        },
        **({"numbers": numbers} if numbers else {}),
        "shards": [{k: s[k] for k in ("path", "rows", "tokens", "bytes", "sha256")} for s in shards],
        "dedup": duplicates or {},
        "languages": languages or {},
        **({"quality_by_kind": quality_by_kind} if quality_by_kind else {}),
        "contamination": contamination_summary(hits),
    }


def write_manifest(out_dir: str, manifest: dict) -> None:
    data = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    storage.write_bytes_atomic(storage.join(out_dir, "manifest.json"), data.encode("utf-8"))
