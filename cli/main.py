"""The `mathcorpus` command: one verb per user task; each is a thin layer over the library."""

from __future__ import annotations

import io
import json
import logging
import os
import random
import sys
import time
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.panel import Panel
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

# Beam logs an irrelevant "apitools not found" warning at import; users see our errors, not its noise.
logging.basicConfig(level=logging.ERROR)

app = typer.Typer(
    help="Build math pretraining corpora: sources -> filters -> dedup -> decontamination -> token shards.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


def _fail(message: str, code: int = 2) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def _out(out: str) -> str:
    """An output folder argument: local paths made absolute, gs:// and other URLs as they are."""
    from mathcorpus import storage

    return out if storage.is_remote(out) else os.path.abspath(out)


def _read_manifest(out: str) -> dict:
    from mathcorpus import storage

    path = storage.join(out, "manifest.json")
    if not storage.exists(path):
        _fail(f"{out} holds no finished run (no manifest.json)")
    return json.loads(storage.read_bytes(path).decode("utf-8"))


def _summary_table(manifest: dict, out: str, seconds: float | None) -> Table:
    counts, tokens = manifest["counts"], manifest["tokens"]
    table = Table(title=f"mathcorpus run: {manifest['name']}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("documents read", f"{counts['input']:,}")
    table.add_row("kept", f"{counts['kept']:,}")
    for reason, n in counts["dropped"].items():
        table.add_row(f"  dropped: {reason}", f"{n:,}")
    for source, c in counts["by_source"].items():  # the invariant, per source, as checked by the run
        dropped = sum(c["dropped"].values())
        table.add_row(f"  {source}: input = kept + dropped", f"{c['input']:,} = {c['kept']:,} + {dropped:,}")
    table.add_row("tokens (in shards)", f"{tokens['total']:,}")
    table.add_row("shards written", f"{len(manifest['shards']):,}")
    table.add_row("contamination hits", f"{manifest['contamination']['hits']:,}")
    if seconds is not None:
        table.add_row("time", f"{seconds:.1f} s")
    table.add_row("output", out)
    return table


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run(
    ctx: typer.Context,
    recipe: Optional[Path] = typer.Argument(None, help="Recipe YAML (default: the bundled demo)."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Output folder (overrides the recipe's)."),
    force: bool = typer.Option(False, "--force", help="Redo a run whose output folder is already finished."),
):
    """Run a recipe (default: the bundled demo). Extra arguments go to Beam, e.g. --direct_num_workers=2."""
    from mathcorpus.filters.classifier import ClassifierError
    from mathcorpus.pipeline.build import OutputExists, run_recipe
    from mathcorpus.pipeline.tokenize.encode import TokenizerError
    from mathcorpus.recipe import RecipeError, bundled_recipe, load_recipe

    beam_args = list(ctx.args)
    if recipe is not None and str(recipe).startswith("-"):  # `mathcorpus run -- --beam_option=...`
        beam_args, recipe = [str(recipe)] + beam_args, None
    try:
        parsed = load_recipe(recipe or bundled_recipe("demo"))
    except RecipeError as err:
        _fail(str(err))
    out = _out(output) if output else parsed.output
    started = time.time()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err_console, transient=True
    ) as progress:
        task = progress.add_task(f"{parsed.name}: starting", total=None)
        status = lambda msg: progress.update(task, description=f"{parsed.name}: {msg}")  # noqa: E731
        try:
            manifest = run_recipe(parsed, out, beam_args=beam_args, force=force, status=status)
        except OutputExists as err:
            progress.stop()
            err_console.print(f"[yellow]{err}[/]; showing that run.")
            manifest, started = _read_manifest(out), None
        except (RecipeError, ClassifierError, TokenizerError, FileNotFoundError) as err:
            progress.stop()
            _fail(str(err))
    console.print(_summary_table(manifest, out, None if started is None else time.time() - started))


def _shard_counts(out: str, manifest: dict) -> tuple[int, int]:
    """Tokens and rows recounted from the shard files themselves."""
    from mathcorpus import storage
    from mathcorpus.shards import read_table as read_shard
    from mathcorpus.shards import token_count

    tokens = rows = 0
    for s in manifest["shards"]:
        table = read_shard(storage.join(out, s["path"]))
        tokens += token_count(table)
        rows += table.num_rows
    return tokens, rows


def stats_summary(out: str, manifest: dict) -> dict:
    """What `stats` shows, as plain data (also the --json output)."""
    tokens, rows = _shard_counts(out, manifest)
    t = manifest["tokens"]
    tok = manifest.get("tokenizer") or {}
    return {
        "output": str(out),
        "name": manifest["name"],
        "tokens": tokens,
        "rows": rows,
        "shards": len(manifest["shards"]),
        "manifest_tokens": t["total"],
        "document_tokens": t["document_tokens"],
        "padding_tokens": t["padding"],
        "dropped_tail_tokens": t["dropped_tail"],
        "dtype": tok.get("dtype"),
        "packing": tok.get("packing"),
        "numbers": tok.get("numbers"),
        "seq_len": tok.get("seq_len"),
        "documents": {
            "input": manifest["counts"]["input"],
            "kept": manifest["counts"]["kept"],
            "dropped": manifest["counts"]["dropped"],
        },
        "by_source": {
            src: {
                "input_documents": c["input"],
                "kept_documents": c["kept"],
                "tokens": t["by_source"].get(src, 0),
                "languages": t.get("by_source_language", {}).get(src, {}),
            }
            for src, c in manifest["counts"]["by_source"].items()
        },
        "by_language": {
            lang: {"documents": t.get("documents_by_language", {}).get(lang, 0), "tokens": n}
            for lang, n in t["by_language"].items()
        },
        **({"num_values": manifest["numbers"]} if "numbers" in manifest else {}),
        "languages": manifest.get("languages", {}),
    }


@app.command()
def stats(
    out: str = typer.Argument(..., help="Output folder of a run (a local path or a gs://... URL)."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
):
    """Tokens, rows and documents by source and language, recounted from the shards."""
    manifest = _read_manifest(out)
    summary = stats_summary(out, manifest)
    if as_json:
        print(json.dumps(summary, indent=2, sort_keys=True))
    else:
        title = (
            f"{out}: {summary['tokens']:,} tokens in {summary['rows']:,} rows, {summary['shards']} shards"
            f" ({summary['dtype']}, {summary['packing']}, numbers: {summary['numbers']})"
        )
        table = Table(title=title, title_justify="left")
        for col in ("source", "input docs", "kept docs", "tokens"):
            table.add_column(col, justify="left" if col == "source" else "right")
        for source, c in summary["by_source"].items():
            table.add_row(source, f"{c['input_documents']:,}", f"{c['kept_documents']:,}", f"{c['tokens']:,}")
        console.print(table)
        langs = Table(title="by language", title_justify="left")
        for col in ("language", "documents", "tokens"):
            langs.add_column(col, justify="left" if col == "language" else "right")
        for language, c in sorted(summary["by_language"].items(), key=lambda kv: -kv[1]["tokens"]):
            langs.add_row(language, f"{c['documents']:,}", f"{c['tokens']:,}")
        console.print(langs)
        if summary["languages"]:
            counted = any("tokens" in c["seen"] for c in summary["languages"].values())
            rules = Table(
                title=f"language stage: files{' (tokens)' if counted else ''} seen, kept and dropped by rule",
                title_justify="left",
            )
            for col in ("language", "analysis", "seen", "kept", "dropped by rule"):
                rules.add_column(col, justify="right" if col in ("seen", "kept") else "left")

            def files_tokens(d):  # "12 (3,400 tokens)" when the dropped files' tokens were counted
                return f"{d['files']:,}" + (f" ({d['tokens']:,} tokens)" if "tokens" in d else "")

            for language, c in summary["languages"].items():
                dropped = ", ".join(f"{reason} {files_tokens(d)}" for reason, d in c["dropped"].items())
                rules.add_row(
                    language,
                    "/".join(c["analysis"]) or "-",
                    files_tokens(c["seen"]),
                    files_tokens(c["kept"]),
                    dropped or "-",
                )
            console.print(rules)
        console.print(
            f"document tokens {summary['document_tokens']:,} + padding {summary['padding_tokens']:,} "
            f"- dropped tail {summary['dropped_tail_tokens']:,} = {summary['manifest_tokens']:,} "
            "in shards"
        )
        if "num_values" in summary:
            nv = summary["num_values"]
            console.print(
                f"[NUM] values: {nv['count']:,} numbers, mean {nv['mean']}, std {nv['std']}, "
                f"min {nv['min']}, max {nv['max']}",
                highlight=False,
            )
    if summary["tokens"] != summary["manifest_tokens"]:
        _fail(f"shards hold {summary['tokens']:,} tokens but the manifest says {summary['manifest_tokens']:,}", code=1)


def _document_index(out: str) -> dict[str, tuple[str, str]]:
    """id -> (source, language) of the kept documents (the documents/ table, two columns read)."""
    import pyarrow.parquet as pq

    index = {}
    from mathcorpus import storage

    for path in storage.expand_patterns([storage.join(out, "documents", "*.parquet")]):
        table = pq.read_table(io.BytesIO(storage.read_bytes(path)), columns=["id", "source", "language"])
        for doc_id, source, language in zip(*(table.column(c).to_pylist() for c in ("id", "source", "language"))):
            index[doc_id] = (source, language or "unknown")
    return index


def decode_row(tokenizer, ids: list[int], values: list[float] | None, num_id: int | None) -> str:
    """The row's text; in xval rows every [NUM] shows its value inline, as [NUM=2.5]."""
    if values is None or num_id is None:
        return tokenizer.decode(ids, skip_special_tokens=False)
    parts, chunk = [], []
    for token, value in zip(ids, values):
        if token == num_id:
            parts.append(tokenizer.decode(chunk, skip_special_tokens=False))
            parts.append(f"[NUM={value:g}]")
            chunk = []
        else:
            chunk.append(token)
    parts.append(tokenizer.decode(chunk, skip_special_tokens=False))
    return "".join(parts)


@app.command()
def sample(
    out: str = typer.Argument(..., help="Output folder of a run (a local path or a gs://... URL)."),
    n: int = typer.Option(3, "-n", help="How many rows to show."),
    source: Optional[str] = typer.Option(None, "--source", help="Only rows with tokens of this source."),
    language: Optional[str] = typer.Option(None, "--language", help="Only rows with this language."),
    seed: int = typer.Option(0, help="Seed for picking rows."),
    chars: int = typer.Option(1200, help="Show at most this many characters per row."),
):
    """Decoded sample rows from the shards, with the documents they come from (code highlighted)."""
    from rich.syntax import Syntax

    from mathcorpus import storage
    from mathcorpus.pipeline.tokenize.encode import Encoder, TokenizerError, load_tokenizer
    from mathcorpus.shards import read_table as read_shard

    manifest = _read_manifest(out)
    if not manifest["shards"]:
        _fail("this run wrote no shards")
    info = manifest["tokenizer"]
    try:  # the same policy as the run: the [NUM] token exists even if the run added it
        encoder = Encoder(
            load_tokenizer(info["path"]),
            numbers=info.get("numbers") or "default",
            add_eos=False,
            num_token=info.get("num_token") or "[NUM]",
        )
    except TokenizerError as err:
        _fail(str(err))
    index = _document_index(out)
    known_sources = {s for s, _ in index.values()}
    known_languages = {lang for _, lang in index.values()}
    if source is not None and source not in known_sources:
        _fail(f"no kept document has source {source!r}; sources: {', '.join(sorted(known_sources))}")
    if language is not None and language not in known_languages:
        _fail(f"no kept document has language {language!r}; languages: {', '.join(sorted(known_languages))}")

    def wanted(doc_id: str) -> bool:
        src, lang = index.get(doc_id, (None, None))
        return (source is None or src == source) and (language is None or lang == language)

    rng = random.Random(seed)
    shards = list(manifest["shards"])
    rng.shuffle(shards)
    shown = 0
    for shard in shards:
        if shown >= n:
            break
        table = read_shard(storage.join(out, shard["path"]))
        doc_ids = table.column("doc_ids").to_pylist()
        rows = [r for r, ids in enumerate(doc_ids) if any(wanted(d) for d in ids)]
        for row in rng.sample(rows, min(len(rows), n - shown)):
            ids = table.column("input_ids")[row].as_py()
            values = table.column("num_values")[row].as_py() if "num_values" in table.column_names else None
            text = decode_row(encoder.tokenizer, ids, values, encoder.num_id)
            text = text if len(text) <= chars else text[:chars] + " …"
            langs = {index.get(d, (None, "unknown"))[1] for d in doc_ids[row]}
            subtitle = ", ".join(f"{d} ({'/'.join(index.get(d, ('?', '?')))})" for d in doc_ids[row])[:200]
            lang = langs.pop() if len(langs) == 1 else None
            body = (
                Syntax(text, lang, word_wrap=True, theme="ansi_dark")
                if lang and lang not in ("natural", "unknown", "markdown", "text")
                else text
            )
            console.print(Panel(body, title=f"{shard['path']} row {row}", subtitle=subtitle, highlight=False))
            shown += 1
    if not shown:
        _fail("no row matches the filters")


@app.command()
def verify(out: str = typer.Argument(..., help="Output folder of a run (a local path or a gs://... URL).")):
    """Re-hash and recount every shard against manifest.json; exit 1 on any mismatch."""
    from mathcorpus import storage
    from mathcorpus.shards import read_table as read_shard
    from mathcorpus.shards import token_count
    from mathcorpus.storage import sha256_of

    manifest = _read_manifest(out)
    problems = []
    for s in manifest["shards"]:
        path = storage.join(out, s["path"])
        if not storage.exists(path):
            problems.append(f"{s['path']}: missing")
            continue
        digest, size = sha256_of(str(path))
        if digest != s["sha256"] or size != s["bytes"]:
            problems.append(f"{s['path']}: sha256/size mismatch")
            continue
        try:
            table = read_shard(str(path))
        except Exception as err:  # noqa: BLE001 - a shard that does not parse is a finding, not a crash
            problems.append(f"{s['path']}: not a readable Arrow file ({err})")
            continue
        tokens = token_count(table)
        if table.num_rows != s["rows"] or tokens != s["tokens"]:
            problems.append(
                f"{s['path']}: {table.num_rows} rows / {tokens} tokens, manifest says {s['rows']} / {s['tokens']}"
            )
        dtype = (manifest.get("tokenizer") or {}).get("dtype")
        if dtype and str(table.schema.field("input_ids").type.value_type) != dtype:
            problems.append(
                f"{s['path']}: input_ids are {table.schema.field('input_ids').type.value_type}, manifest says {dtype}"
            )
    listed = {s["path"] for s in manifest["shards"]}
    written = storage.expand_patterns([storage.join(out, "shards", "*.arrow")])
    extra = sorted(rel for rel in (f"shards/{p.rsplit('/', 1)[-1]}" for p in written) if rel not in listed)
    problems += [f"{p}: not in the manifest" for p in extra]
    for p in problems:
        err_console.print(f"[red]FAIL[/] {p}")
    if problems:
        raise typer.Exit(1)
    console.print(f"[green]OK[/] {len(manifest['shards'])} shards, {manifest['tokens']['total']:,} tokens verified")


@app.command()
def contamination(
    out: str = typer.Argument(..., help="Output folder of a run (a local path or a gs://... URL)."),
    items: int = typer.Option(10, "--items", help="Show this many most-hit benchmark items."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
):
    """Benchmark overlap found by the decontamination stage: per benchmark split, per source, top items."""
    from mathcorpus import storage

    manifest = _read_manifest(out)
    summary = manifest.get("contamination") or {}
    report = storage.join(out, "reports", "contamination_items.jsonl")
    top = (
        [json.loads(line) for line in storage.read_bytes(report).decode("utf-8").splitlines()]
        if storage.exists(report)
        else []
    )
    top = sorted(top, key=lambda r: (-r["num_documents"], -r["longest_span_words"], r["benchmark"], r["item"]))
    if as_json:
        print(json.dumps({**summary, "top_items": top[:items]}, indent=2, sort_keys=True))
        return
    mode = ((manifest.get("recipe") or {}).get("decontaminate") or {}).get("mode", "-")
    console.print(
        f"{out}: {summary.get('hits', 0):,} hits in {summary.get('documents', 0):,} documents, "
        f"{summary.get('items', 0):,} benchmark items (mode: {mode})",
        highlight=False,
    )
    for title, key in (("by benchmark split", "by_split"), ("by source", "by_source")):
        table = Table(title=title, title_justify="left")
        for col in (title.split()[-1], "hits", "documents", "items", "long overlaps", "theorem cuts"):
            table.add_column(col, justify="left" if col == title.split()[-1] else "right")
        for name, b in (summary.get(key) or {}).items():
            table.add_row(
                name,
                f"{b['hits']:,}",
                f"{b['documents']:,}",
                f"{b['items']:,}",
                f"{b['long_overlaps']:,}",
                f"{b['theorem_cuts']:,}",
            )
        console.print(table)
    if top:
        table = Table(title=f"top {min(items, len(top))} items", title_justify="left")
        for col in ("benchmark/split", "item", "documents", "longest span (words)", "fields", "first documents"):
            table.add_column(col, justify="right" if col in ("documents", "longest span (words)") else "left")
        for r in top[:items]:
            table.add_row(
                f"{r['benchmark']}/{r['split']}",
                r["item"],
                f"{r['num_documents']:,}",
                f"{r['longest_span_words']:,}",
                ", ".join(r["fields"]) or "theorem",
                ", ".join(r["documents"][:3]),
            )
        console.print(table)


@app.command("train-classifier")
def train_classifier_cmd(
    labeled: Optional[Path] = typer.Argument(None, help="JSONL rows with 'text' and 'label' (1 = math, 0 = not)."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the fastText model (.bin)."),
    bootstrap: List[Path] = typer.Option(
        [],
        "--bootstrap",
        "-b",
        help="Unlabeled text to learn from without labels (JSONL with 'text', or text/LaTeX/markdown "
        "files; repeatable, globs allowed): rules seed labels, the model relabels and retrains.",
    ),
    rounds: int = typer.Option(2, help="Bootstrap rounds (1 = rules only; 2+ = relabel with the model)."),
    text_field: str = typer.Option("text", "--text-field", help="Text field of unlabeled JSONL rows."),
    epoch: int = typer.Option(25),
    lr: float = typer.Option(0.5),
    word_ngrams: int = typer.Option(2, "--word-ngrams"),
):
    """Train the fastText math classifier: from labeled JSONL, from unlabeled text (--bootstrap), or both
    (labeled examples stay in every round; the unlabeled text adapts the model to its kind of source)."""
    from mathcorpus import storage
    from mathcorpus.filters.classifier import (
        ClassifierError,
        read_labeled_jsonl,
        read_texts,
        train_bootstrap,
        train_classifier,
    )

    if labeled is None and not bootstrap:
        _fail("give labeled JSONL, --bootstrap unlabeled text, or both")
    try:
        examples = read_labeled_jsonl(str(labeled)) if labeled is not None else []
        kw = dict(epoch=epoch, lr=lr, word_ngrams=word_ngrams)
        if not bootstrap:
            counts = train_classifier(examples, str(output.resolve()), **kw)
            console.print(f"trained on {counts['math']:,} math and {counts['other']:,} other examples -> {output}")
            return
        paths = storage.expand_patterns([str(p) for p in bootstrap])
        if not paths:
            _fail("no file matched --bootstrap")
        texts = [t for p in paths for t in read_texts(p, text_field)]
        for h in train_bootstrap(texts, str(output.resolve()), rounds=rounds, labeled=examples, **kw):
            console.print(
                f"round {h['round']}: trained on {h['math']:,} math and {h['other']:,} other examples "
                f"({h['pseudo_labeled']:,} of {len(texts):,} unlabeled texts labeled)"
            )
        console.print(f"model -> {output}")
    except (ClassifierError, FileNotFoundError, OSError) as err:
        _fail(str(err))


@app.command("eval-classifier")
def eval_classifier_cmd(
    model: str = typer.Argument(..., help="A fastText model (.bin) written by train-classifier."),
    labeled: Path = typer.Argument(..., help="Held-out JSONL rows with 'text' and 'label'."),
    threshold: float = typer.Option(0.5, help="math_score at or above which a text counts as math."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (precision, recall, f1, auc, histogram)."),
):
    """Precision, recall, F1 and ROC AUC of a math classifier on labeled data, and its score histogram."""
    from mathcorpus.filters.classifier import (
        ClassifierError,
        evaluate,
        load_model,
        math_probabilities,
        read_labeled_jsonl,
    )

    try:
        examples = read_labeled_jsonl(str(labeled))
        scores = math_probabilities(load_model(model), [t for t, _ in examples])
        report = evaluate([label for _, label in examples], scores, threshold)
    except (ClassifierError, FileNotFoundError, OSError, ValueError) as err:
        _fail(str(err))
    if as_json:
        print(json.dumps(report, indent=2))
        return
    console.print(
        f"{report['examples']:,} examples ({report['math']:,} math, {report['other']:,} other), threshold {threshold}"
    )
    console.print(
        f"precision {report['precision']:.4f}  recall {report['recall']:.4f}  "
        f"F1 {report['f1']:.4f}  ROC AUC {report['auc']:.4f}"
    )
    table = Table(title="math_score histogram")
    for col in ("score", "math", "other"):
        table.add_column(col, justify="right")
    edges = report["histogram"]["edges"]
    for i, (m, o) in enumerate(zip(report["histogram"]["math"], report["histogram"]["other"])):
        table.add_row(f"{edges[i]:.1f}-{edges[i + 1]:.1f}", f"{m:,}", f"{o:,}")
    console.print(table)


@app.command("train-tokenizer")
def train_tokenizer_cmd(
    inputs: List[Path] = typer.Argument(..., help="Text files, folders or glob patterns to train on."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write tokenizer.json."),
    vocab_size: int = typer.Option(32000, "--vocab-size"),
    split_digits: bool = typer.Option(
        True, "--split-digits/--no-split-digits", help="Every digit its own token (as Llama does)."
    ),
):
    """Train a byte-level BPE tokenizer (a Hugging Face tokenizer.json)."""
    from mathcorpus import storage
    from mathcorpus.pipeline.tokenize.train import train_bpe

    paths = storage.expand_patterns([str(p) for p in inputs])
    if not paths:
        _fail("no input files matched")
    texts = (storage.read_bytes(p).decode("utf-8", "replace") for p in paths)
    tokenizer = train_bpe(texts, str(output.resolve()), vocab_size=vocab_size, split_digits=split_digits)
    console.print(f"trained on {len(paths):,} files: vocabulary {tokenizer.get_vocab_size():,} -> {output}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
