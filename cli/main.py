"""The `mathcorpus` command: one verb per user task; each is a thin layer over the library."""

from __future__ import annotations

import json
import logging
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
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
console = Console()
err_console = Console(stderr=True)


def _fail(message: str, code: int = 2) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def _read_manifest(out: Path) -> dict:
    path = out / "manifest.json"
    if not path.is_file():
        _fail(f"{out} holds no finished run (no manifest.json)")
    return json.loads(path.read_text(encoding="utf-8"))


def _summary_table(manifest: dict, out: str, seconds: float | None) -> Table:
    counts, tokens = manifest["counts"], manifest["tokens"]
    table = Table(title=f"mathcorpus run: {manifest['name']}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("documents read", f"{counts['input']:,}")
    table.add_row("kept", f"{counts['kept']:,}")
    for reason, n in counts["dropped"].items():
        table.add_row(f"  dropped: {reason}", f"{n:,}")
    table.add_row("tokens (in shards)", f"{tokens['total']:,}")
    table.add_row("shards written", f"{len(manifest['shards']):,}")
    table.add_row("contamination hits", f"{manifest['contamination']['hits']:,}")
    if seconds is not None:
        table.add_row("time", f"{seconds:.1f} s")
    table.add_row("output", out)
    return table


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run(ctx: typer.Context,
        recipe: Optional[Path] = typer.Argument(None, help="Recipe YAML (default: the bundled demo)."),
        output: Optional[Path] = typer.Option(None, "--output", "-o", help="Output folder (overrides the recipe's)."),
        force: bool = typer.Option(False, "--force", help="Redo a run whose output folder is already finished.")):
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
    out = str(output.resolve()) if output else parsed.output
    started = time.time()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True) as progress:
        task = progress.add_task(f"{parsed.name}: starting", total=None)
        status = lambda msg: progress.update(task, description=f"{parsed.name}: {msg}")  # noqa: E731
        try:
            manifest = run_recipe(parsed, out, beam_args=beam_args, force=force, status=status)
        except OutputExists as err:
            progress.stop()
            err_console.print(f"[yellow]{err}[/]; showing that run.")
            manifest, started = _read_manifest(Path(out)), None
        except (RecipeError, ClassifierError, TokenizerError, FileNotFoundError) as err:
            progress.stop()
            _fail(str(err))
    console.print(_summary_table(manifest, out, None if started is None else time.time() - started))


@app.command()
def stats(out: Path = typer.Argument(..., help="Output folder of a run.")):
    """Token and document counts by source and language, recounted from the shards."""
    from mathcorpus.shards import read_table as read_shard

    manifest = _read_manifest(out)
    counted = sum(sum(len(r) for r in read_shard(str(out / s["path"])).column("input_ids").to_pylist())
                  for s in manifest["shards"])
    tokens = manifest["tokens"]
    table = Table(title=f"{out}: {counted:,} tokens in {len(manifest['shards'])} shards", title_justify="left")
    for col in ("source", "input docs", "kept docs", "tokens"):
        table.add_column(col, justify="left" if col == "source" else "right")
    for source, c in manifest["counts"]["by_source"].items():
        table.add_row(source, f"{c['input']:,}", f"{c['kept']:,}", f"{tokens['by_source'].get(source, 0):,}")
    console.print(table)
    langs = Table(title="tokens by language", title_justify="left")
    langs.add_column("language")
    langs.add_column("tokens", justify="right")
    for language, n in sorted(tokens["by_language"].items(), key=lambda kv: -kv[1]):
        langs.add_row(language, f"{n:,}")
    console.print(langs)
    console.print(f"document tokens {tokens['document_tokens']:,} + padding {tokens['padding']:,} "
                  f"- dropped tail {tokens['dropped_tail']:,} = {tokens['total']:,} in shards")
    if counted != tokens["total"]:
        _fail(f"shards hold {counted:,} tokens but the manifest says {tokens['total']:,}", code=1)


@app.command()
def sample(out: Path = typer.Argument(..., help="Output folder of a run."),
           n: int = typer.Option(3, "-n", help="How many rows to show."),
           seed: int = typer.Option(0, help="Seed for picking rows."),
           chars: int = typer.Option(1200, help="Show at most this many characters per row.")):
    """Decoded sample rows from the shards, with the documents they come from."""
    from mathcorpus.pipeline.tokenize.encode import load_tokenizer
    from mathcorpus.shards import read_table as read_shard

    manifest = _read_manifest(out)
    if not manifest["shards"]:
        _fail("this run wrote no shards")
    tokenizer = load_tokenizer(manifest["tokenizer"]["path"])
    rng = random.Random(seed)
    for _ in range(n):
        shard = rng.choice(manifest["shards"])
        table = read_shard(str(out / shard["path"]))
        row = rng.randrange(table.num_rows)
        ids = table.column("input_ids")[row].as_py()
        text = tokenizer.decode(ids, skip_special_tokens=False)
        docs = ", ".join(table.column("doc_ids")[row].as_py())
        shown = text if len(text) <= chars else text[:chars] + " …"
        console.print(Panel(shown, title=f"{shard['path']} row {row}", subtitle=docs[:200], highlight=False))


@app.command()
def verify(out: Path = typer.Argument(..., help="Output folder of a run.")):
    """Re-hash and recount every shard against manifest.json; exit 1 on any mismatch."""
    from mathcorpus.shards import read_table as read_shard
    from mathcorpus.storage import sha256_of

    manifest = _read_manifest(out)
    problems = []
    for s in manifest["shards"]:
        path = out / s["path"]
        if not path.is_file():
            problems.append(f"{s['path']}: missing")
            continue
        digest, size = sha256_of(str(path))
        if digest != s["sha256"] or size != s["bytes"]:
            problems.append(f"{s['path']}: sha256/size mismatch")
            continue
        rows = read_shard(str(path)).num_rows
        if rows != s["rows"]:
            problems.append(f"{s['path']}: {rows} rows, manifest says {s['rows']}")
    listed = {s["path"] for s in manifest["shards"]}
    extra = sorted(f"shards/{p.name}" for p in (out / "shards").glob("*.arrow") if f"shards/{p.name}" not in listed) \
        if (out / "shards").is_dir() else []
    problems += [f"{p}: not in the manifest" for p in extra]
    for p in problems:
        err_console.print(f"[red]FAIL[/] {p}")
    if problems:
        raise typer.Exit(1)
    console.print(f"[green]OK[/] {len(manifest['shards'])} shards, {manifest['tokens']['total']:,} tokens verified")


@app.command("train-classifier")
def train_classifier_cmd(
        labeled: Path = typer.Argument(..., help="JSONL rows with 'text' and 'label' (1 = math, 0 = not)."),
        output: Path = typer.Option(..., "--output", "-o", help="Where to write the fastText model (.bin)."),
        epoch: int = typer.Option(25), lr: float = typer.Option(0.5),
        word_ngrams: int = typer.Option(2, "--word-ngrams")):
    """Train the fastText math classifier from labeled JSONL."""
    from mathcorpus.filters.classifier import ClassifierError, read_labeled_jsonl, train_classifier

    try:
        counts = train_classifier(read_labeled_jsonl(str(labeled)), str(output.resolve()), epoch=epoch, lr=lr,
                                  word_ngrams=word_ngrams)
    except (ClassifierError, FileNotFoundError, OSError) as err:
        _fail(str(err))
    console.print(f"trained on {counts['math']:,} math and {counts['other']:,} other examples -> {output}")


@app.command("train-tokenizer")
def train_tokenizer_cmd(
        inputs: List[Path] = typer.Argument(..., help="Text files, folders or glob patterns to train on."),
        output: Path = typer.Option(..., "--output", "-o", help="Where to write tokenizer.json."),
        vocab_size: int = typer.Option(32000, "--vocab-size"),
        split_digits: bool = typer.Option(True, "--split-digits/--no-split-digits",
                                          help="Every digit its own token (as Llama does).")):
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
