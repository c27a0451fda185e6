"""The typed recipe: one object, loaded from YAML, that configures a whole run.

Validation is pydantic's (``extra="forbid"``), so an unknown key, a wrong type or a missing field is
reported with its dotted location and the recipe file. Paths are resolved once, at load time:
relative to the recipe file, with two placeholders that let a recipe point at data every install has:

* ``{cache}``      the user cache folder (``$MATHCORPUS_CACHE`` or ``~/.cache/mathcorpus``);
* ``{cwd}``        the current working folder (where the command runs);
* ``{pkg:NAME}``   the folder of the installed Python package NAME (e.g. ``{pkg:numpy}``, ``{pkg:email}``).

Remote URLs (``gs://``, ``s3://``, ...) are left untouched.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class RecipeError(ValueError):
    """A recipe problem the user can fix; the message names the file and the key."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


DocKind = Literal["code", "paper", "web", "text"]


class LatexSpec(_Model):
    """How LaTeX papers become text (``kind: arxiv``; the steps are in ``sources/latex.py``)."""

    expand_macros: bool = True  # the paper's own \newcommand / \def / \DeclareMathOperator
    drop_preamble: bool = True  # everything before the first \section (RedPajama / Proof-Pile-2)
    keep_abstract: bool = False  # keep the abstract although it comes before the first section
    max_input_depth: int = Field(16, ge=1)  # nested \input levels followed


RowField = Literal["url", "repo", "license", "path", "language"]


class SourceSpec(_Model):
    kind: Literal["files", "git", "jsonl", "parquet", "arxiv", "hf"]
    # files: a folder; jsonl: a file / glob (.jsonl, .jsonl.zst, .jsonl.gz); parquet: a file / glob;
    # git: a repository (bare or not), read at `git_ref` from its object store (nothing checked out);
    # arxiv: a folder of papers (each subfolder or archive is one paper) or archive file(s) / glob;
    # hf: a `save_to_disk` folder, data files (.parquet/.json/.jsonl/.arrow/.csv, globs), or a
    #     dataset name or local dataset repository loaded with `datasets.load_dataset`
    path: str
    name: str | None = None  # defaults to "<kind><index>"
    include: list[str] = Field(default_factory=list)  # glob patterns on the relative path (files)
    exclude: list[str] = Field(default_factory=list)
    text_field: str = "text"
    id_field: str | None = None
    # Row sources (jsonl, parquet, hf): which column fills a Document field, when it is not one of
    # the usual names (url; repo/repo_name/max_stars_repo_name; license; path; lang/language).
    fields: dict[RowField, str] = Field(default_factory=dict)
    # Row sources: a column with the document's date (ISO 8601 text, or seconds since 1970), kept as
    # meta["date"] for dedup's `keep: most_recent` (arXiv papers get theirs from the arXiv id).
    date_field: str | None = None
    language: str | None = None  # override detection for every document of this source
    git_ref: str | None = None  # git: branch, tag or commit (default HEAD)
    repo: str | None = None  # files/git: the repository name on every document (git: default folder name)
    license: str | None = None  # files/git: the license on every document, when the recipe knows it
    doc_kind: DocKind | None = None  # override code/paper/web/text
    max_file_bytes: int = 1 << 20 << 4  # 16 MiB: larger files are rejected unread ("too_large")
    max_line_bytes: int = 1 << 20 << 6  # 64 MiB: a longer JSONL line is rejected ("line_too_long")
    # Uncompressed JSONL files larger than this are read in byte ranges of this size by many workers
    # (rows are then named by byte offset, "file.jsonl@123", not line number); 0 never splits.
    split_bytes: int = Field(1 << 20 << 7, ge=0)  # 128 MiB
    # files: .tar(.gz/.bz2/.xz/.zst), .tgz, .zip and single .gz files are read as containers of
    # documents, in memory, never extracted; at most max_inflated_bytes are inflated per archive.
    archives: bool = True
    # files: UTF-8 first (UTF-16 with a BOM), then these fallbacks in order, each accepted only when
    # the decoded text has no control characters; [utf-8] alone rejects anything else.
    encodings: list[str] = Field(default_factory=lambda: ["utf-8", "cp1252"])
    max_inflated_bytes: int = 1 << 30 << 2  # 4 GiB
    latex: LatexSpec = Field(default_factory=LatexSpec)  # arxiv
    # hf: the split and configuration to load, and whether to stream a dataset loaded by name or
    # repository (default: yes, nothing is copied whole). Work units are the dataset's shards (files).
    hf_split: str = "train"
    hf_config: str | None = None
    streaming: bool | None = None


class LanguageRuleSpec(_Model):
    """Keep rules for the files of one language (see filters/language/rules.py for the defaults)."""

    kinds: list[DocKind] = Field(default_factory=lambda: ["code"])  # document kinds the rule applies to
    max_bytes: int | None = None
    max_digit_fraction: float | None = None  # digits / non-whitespace characters
    max_mean_line_length: float | None = None
    min_alnum_fraction: float | None = None
    drop_vendored: bool = True  # node_modules/, vendor/, third_party/, *.min.js ...
    reject_patterns: dict[str, str] = Field(default_factory=dict)  # reason -> regex (multi-line)
    required: list[str] = Field(default_factory=list)  # regexes that must all match (comments removed)
    required_any: list[str] = Field(default_factory=list)  # ... at least one of which must match
    required_reason: str = "missing_required"
    # A file that misses `required` but imports a listed math library is kept all the same: the
    # structure and re-export files of a proof library (math-comp's all_algebra.v, ssrnum.v) state
    # no theorem of their own and are math. AlgebraicStack dropped them; we keep them.
    required_or_math_import: bool = False
    # Formal languages: a file with at least this many proved theorems (statements matching the first
    # `required` pattern, less the unfinished proofs matching `unfinished_proof`) is mathematics
    # whatever it imports (a proof assistant's standard library imports no listed math library); the
    # import and density rules judge the others (a program with one `rfl` lemma, re-export files).
    min_proved_theorems: int | None = None
    unfinished_proof: str | None = None
    math_imports: list[str] | None = None  # module names (prefix match on dotted names)
    math_includes: list[str] | None = None  # C/C++ include paths (prefix / file-name match)
    min_math_density: float | None = None  # keeps a file without a listed import
    incidental_imports: list[str] = Field(default_factory=list)  # web/CLI frameworks
    incidental_min_math_density: float = 0.03  # a listed import next to those needs this density
    # A file with no listed import and low density, whose imports are relative (`from .poly import`),
    # is kept when its package is math: at least this share of the package's files in the language
    # were kept on their own signal (None: no such rule). Package = top folder (within `repo`).
    relative_imports_in_math_package: float | None = 0.25


class LanguageFilterSpec(_Model):
    languages: list[str] | None = None  # keep only these languages (None keeps every language)
    max_parse_error_ratio: float = 0.02  # share of tree-sitter nodes that are ERROR/MISSING
    # Per-language keep rules: the preset (AlgebraicStack's rules and more) with `rules` merged over
    # it per language and field; `preset: none` applies only the rules given here.
    preset: Literal["algebraic_stack", "none"] = "algebraic_stack"
    rules: dict[str, LanguageRuleSpec] = Field(default_factory=dict)


class QualityRulesSpec(_Model):
    """Hygiene limits; a field left out keeps the value below it (the document kind's default)."""

    min_chars: int | None = None
    max_chars: int | None = None
    max_line_length: int | None = None  # longer lines mean minified or generated text; 0: no limit
    max_digit_fraction: float | None = None  # digits / non-whitespace chars (AlgebraicStack's numeric density)
    # Drop files whose head says a tool wrote them ("auto-generated", "generated by", "do not edit").
    drop_generated: bool | None = None


# Defaults per document kind: code hygiene for code files; papers and books are large, their
# paragraphs soft-wrapped into long lines, and "generated by" is mathematics there, not a banner;
# web pages and plain text keep their paragraphs on one line too.
QUALITY_DEFAULTS: dict[str, dict[str, Any]] = {
    "code": {
        "min_chars": 1,
        "max_chars": 1 << 20,
        "max_line_length": 1000,
        "max_digit_fraction": 0.5,
        "drop_generated": True,
    },
    "paper": {
        "min_chars": 1,
        "max_chars": 64 << 20,
        "max_line_length": 0,
        "max_digit_fraction": 0.5,
        "drop_generated": False,
    },
    "web": {
        "min_chars": 1,
        "max_chars": 8 << 20,
        "max_line_length": 0,
        "max_digit_fraction": 0.5,
        "drop_generated": False,
    },
    "text": {
        "min_chars": 1,
        "max_chars": 8 << 20,
        "max_line_length": 0,
        "max_digit_fraction": 0.5,
        "drop_generated": False,
    },
}


class QualityFilterSpec(QualityRulesSpec):
    """Fields set here apply to every document kind; `kinds` overrides them per kind; anything left
    out is the kind's default (QUALITY_DEFAULTS)."""

    kinds: dict[DocKind, QualityRulesSpec] = Field(default_factory=dict)

    def rules_for(self, kind: str) -> QualityRulesSpec:
        """The limits that apply to documents of `kind`, every field filled."""
        values = dict(QUALITY_DEFAULTS.get(kind, QUALITY_DEFAULTS["text"]))
        for layer in (self, self.kinds.get(kind)):
            if layer is not None:
                values.update({k: getattr(layer, k) for k in layer.model_fields_set if k != "kinds"})
        return QualityRulesSpec(**values)

    def by_kind(self) -> dict[str, dict]:
        """Every kind's limits, as the manifest records them."""
        return {kind: self.rules_for(kind).model_dump() for kind in QUALITY_DEFAULTS}


class ClassifierBootstrapSpec(_Model):
    """Train the classifier from files when the model file is missing (demo: no labels needed):
    every chunk of a `math` file is math, of an `other` file is not; `unlabeled` files (text, LaTeX,
    markdown, or JSONL with a `text` field) are labeled by rules and the model (``rounds``)."""

    math: list[str] = Field(default_factory=list)  # glob patterns of math documents (label 1)
    other: list[str] = Field(default_factory=list)  # glob patterns of non-math documents (label 0)
    unlabeled: list[str] = Field(default_factory=list)  # glob patterns of unlabeled text
    rounds: int = Field(2, ge=1)
    epoch: int = 25
    lr: float = 0.5
    word_ngrams: int = 2

    @model_validator(mode="after")
    def _has_data(self) -> "ClassifierBootstrapSpec":
        if not self.unlabeled and not (self.math and self.other):
            raise ValueError("give `math` and `other` file patterns, or `unlabeled` ones, or both")
        return self


class ClassifierSpec(_Model):
    model: str
    threshold: float = 0.5
    thresholds: dict[DocKind, float] = Field(default_factory=dict)  # per document kind
    train_if_missing: ClassifierBootstrapSpec | None = None


class FiltersSpec(_Model):
    language: LanguageFilterSpec | None = None
    quality: QualityFilterSpec | None = None
    math_classifier: ClassifierSpec | None = None


class MinHashSpec(_Model):
    num_perm: int = Field(128, ge=2)
    bands: int | None = None  # None: chosen from `threshold` (datasketch's optimal split)
    ngram: int = Field(5, ge=1)  # shingle length
    unit: Literal["word", "char"] = "word"  # shingles of words or of characters
    threshold: float = Field(0.8, gt=0, lt=1)  # target Jaccard similarity
    # When choosing bands from the threshold: 0.95 gives 16 x 8 at 128 permutations, P(candidate)
    # 0.95 at Jaccard 0.8 (datasketch's default 0.5 gives 9 x 13 and only 0.40).
    false_negative_weight: float = Field(0.95, gt=0, lt=1)
    # Which copy of a near-duplicate cluster survives: the first in input order (sources in recipe
    # order, then read order), the longest text, the highest math_score, or the latest meta["date"]
    # (see SourceSpec.date_field; undated copies rank last); ties: the first in input order.
    # Deterministic whatever the worker order. ("first_id" is the former name of "first".)
    keep: Literal["first", "first_id", "longest", "highest_math_score", "most_recent"] = "first"
    # verify: a candidate pair is kept only when the two whole signatures agree on at least
    # `verify_min_jaccard` of their positions (an estimate of their Jaccard; at 128 permutations its
    # standard error is about 0.035). Default threshold - 0.1: true 0.8 pairs stay, 0.6 ones go.
    verify: bool = True
    verify_min_jaccard: float | None = Field(None, gt=0, le=1)
    # verify_exact: the pair's true Jaccard of its two shingle sets (the 32-bit shingle hashes the
    # signatures are made from) instead of the signatures' estimate; default cutoff then `threshold`.
    # The joins then carry each candidate document's distinct shingles (~4 bytes per shingle).
    verify_exact: bool = False
    batch_size: int = Field(512, ge=1)  # documents per NumPy signature batch
    # threads computing a batch's signatures (NumPy releases the GIL): 2 made them 1.7x faster on 2
    # cores in the in-process DirectRunner; keep 1 where Beam runs a worker process per core already
    # (Dataflow, --direct_running_mode=multi_processing)
    threads: int = Field(1, ge=1, le=64)
    # shuffle groups: a batch's band hashes travel as one element per range of hash values (all bands
    # together), and signatures are verified in groups by id range; raise it for huge corpora
    hash_ranges: int = Field(16, ge=1)
    # Clusters from the candidate edges: union-find on one worker (fast; ~200 bytes per near-
    # duplicated document), or large-star/small-star rounds over the edges, joined back to the
    # documents by id (no worker holds all edges; for corpora whose duplicates outgrow one worker).
    components: Literal["single_worker", "distributed"] = "single_worker"
    component_rounds: int = Field(8, ge=1)  # distributed: large-star/small-star pairs unrolled

    def verify_cutoff(self) -> float | None:
        if not self.verify:
            return None
        if self.verify_min_jaccard is not None:
            return self.verify_min_jaccard
        return self.threshold if self.verify_exact else self.threshold - 0.1

    @model_validator(mode="after")
    def _bands_divide(self) -> "MinHashSpec":
        if self.bands is not None and (self.bands < 1 or self.num_perm % self.bands):
            raise ValueError(f"bands ({self.bands}) must divide num_perm ({self.num_perm})")
        return self


class LineDedupSpec(_Model):
    """Boilerplate lines (license headers, generated banners) repeated across many documents."""

    min_documents: int = Field(100, ge=2)  # a line in at least this many documents is boilerplate
    min_chars: int = Field(20, ge=1)  # shorter lines ("}", "end", blank) are never removed


ExactNormalization = Literal["text", "whitespace", "none"]  # see pipeline/dedup/exact.py


class DedupSpec(_Model):
    exact: bool = True
    # Exact dedup's normalization (pipeline/dedup/exact.py): "text" (NFC, lowercase, whitespace runs
    # collapsed), "whitespace" (the same, case kept) or "none" (the text as it is); per source name
    # in `normalize_by_source`. Copies are found across sources when their normalized texts are equal.
    normalize: ExactNormalization = "text"
    normalize_by_source: dict[str, ExactNormalization] = Field(default_factory=dict)
    minhash: MinHashSpec | None = None
    lines: LineDedupSpec | None = None  # runs first, so exact and near dedup see the cleaned text


class BenchmarkSpec(_Model):
    # A JSONL (.gz/.zst), JSON, Parquet or Arrow file, or a folder: a Hugging Face `save_to_disk`
    # dataset (Dataset or DatasetDict) or a folder of such files.
    path: str
    name: str | None = None  # default: the folder name (file stem when it is not a split name)
    # Fields whose text is indexed, each on its own (the report says which one matched). Default:
    # "text" when rows have it, else problem/solution/question/answer where present.
    fields: list[str] | None = None
    id_field: str | None = None  # default: id, idx, unique_id, problem_id, task_id, name; else the row number
    split: str | None = None  # a DatasetDict's split to read (default all); else a label for the report
    # Formal benchmarks (miniF2F, ProofNet ...) are matched by theorem: name and normalized statement.
    # Default: rows that have `statement_field` and no `fields` given.
    formal: bool | None = None
    statement_field: str = "formal_statement"
    name_field: str = "name"


class DecontaminateSpec(_Model):
    benchmarks: list[BenchmarkSpec]
    ngram: int = Field(13, ge=1)
    # drop: reject a document with a hit; mask: cut the overlapping spans (and matched theorems) and
    # keep the rest; report: change nothing. Every hit is reported in every mode.
    mode: Literal["drop", "mask", "report"] = "drop"
    min_matching_ngrams: int = Field(1, ge=1)  # distinct shared n-grams before an item counts as a hit
    long_overlap: int = Field(30, ge=1)  # report: a shared run of this many words is a long overlap (Llemma)
    # n-grams found in more benchmark items than this are template phrases, not evidence: not indexed
    max_items_per_ngram: int = Field(10, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _plain_paths(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("benchmarks"), list):
            data = {**data, "benchmarks": [{"path": b} if isinstance(b, str) else b for b in data["benchmarks"]]}
        return data


class TokenizerTrainSpec(_Model):
    """Train a BPE tokenizer from files when the tokenizer file is missing."""

    inputs: list[str]
    vocab_size: int = 8192


class TokenizeSpec(_Model):
    tokenizer: str  # a Hugging Face tokenizer.json
    seq_len: int = Field(2048, gt=0)
    shard_tokens: int = Field(50_000_000, gt=0, lt=2**31)  # packed: rounded down to a multiple of seq_len
    # packed: documents end to end in rows of exactly seq_len; unpacked: each document in its own
    # rows (a long one cut every seq_len tokens), no padding stored, rows of varying length.
    packing: Literal["packed", "unpacked"] = "packed"
    add_eos: bool = True
    eos_token: str | None = None  # default: the tokenizer's </s>, <|endoftext|> or [EOS]
    add_bos: bool = False
    bos_token: str | None = None  # default: the tokenizer's <s>, <|begin_of_text|>, <bos> or [BOS]
    # default: the tokenizer as is; split_digits: one token per digit; xval: numbers become one
    # num_token each with the value in a parallel float32 column `num_values` (tokenize/numbers.py).
    numbers: Literal["default", "split_digits", "xval"] = "default"
    num_token: str = "[NUM]"
    # auto: uint16 when every id fits (vocabulary <= 65,536), else int32; recorded in the manifest.
    dtype: Literal["auto", "int32", "uint16"] = "auto"
    final_row: Literal["pad", "drop"] = "pad"  # packed: what to do with the last, partial row
    batch_size: int = 256
    # The manifest's per-language table counts tokens seen and dropped by rule too: dropped files are
    # encoded only to be counted (off: tokens of kept files only, for a crawl that drops most of it).
    count_dropped: bool = True
    train_if_missing: TokenizerTrainSpec | None = None


class Recipe(_Model):
    name: str
    sources: list[SourceSpec] = Field(min_length=1)
    filters: FiltersSpec = FiltersSpec()
    dedup: DedupSpec | None = None
    decontaminate: DecontaminateSpec | None = None
    tokenize: TokenizeSpec | None = None
    output: str = "out"
    base_dir: str = "."  # folder relative paths were resolved against (set by load_recipe)
    recipe_file: str = "<recipe>"  # where the recipe came from, for error messages

    def check_inputs_exist(self) -> None:
        """Raise RecipeError naming the key of every model, tokenizer or benchmark file that is missing.

        Run after models marked `train_if_missing` were built; source paths are checked when their
        files are listed.
        """
        from mathcorpus import storage

        named = []
        if self.filters.math_classifier:
            named.append(("filters.math_classifier.model", self.filters.math_classifier.model))
        if self.decontaminate:
            named += [
                (f"decontaminate.benchmarks.{i}.path", b.path) for i, b in enumerate(self.decontaminate.benchmarks)
            ]
        if self.tokenize:
            named.append(("tokenize.tokenizer", self.tokenize.tokenizer))
        missing = [
            f"{self.recipe_file}: {key}: file not found: {path}" for key, path in named if not storage.exists(path)
        ]
        if missing:
            raise RecipeError("\n".join(missing))

    @model_validator(mode="after")
    def _unique_source_names(self) -> "Recipe":
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique, repeated: {dupes}")
        unknown = sorted(set(self.dedup.normalize_by_source) - set(names)) if self.dedup else []
        if unknown:
            raise ValueError(f"dedup.normalize_by_source names no source of this recipe: {unknown} (sources: {names})")
        return self

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"base_dir", "recipe_file"})


# --- loading -------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{(cache|cwd|pkg:[A-Za-z0-9_.]+)\}")


def cache_dir() -> str:
    return os.environ.get("MATHCORPUS_CACHE") or os.path.join(Path.home(), ".cache", "mathcorpus")


def _package_dir(name: str) -> str:
    spec = importlib.util.find_spec(name)
    if spec is None:
        raise RecipeError(f"{{pkg:{name}}}: no installed Python package named {name!r}")
    if spec.submodule_search_locations:
        return list(spec.submodule_search_locations)[0]
    return os.path.dirname(spec.origin or "")


def is_remote(path: str) -> bool:
    return "://" in path


def resolve_path(path: str, base_dir: str) -> str:
    """Expand placeholders and make `path` absolute relative to `base_dir` (remote URLs untouched)."""

    def expand(m: re.Match[str]) -> str:
        key = m.group(1)
        if key == "cache":
            return cache_dir()
        return os.getcwd() if key == "cwd" else _package_dir(key[4:])

    path = os.path.expanduser(_PLACEHOLDER.sub(expand, path))
    if is_remote(path) or os.path.isabs(path):
        return path
    return os.path.normpath(os.path.join(base_dir, path))


def _resolve_all(data: dict[str, Any], base_dir: str) -> dict[str, Any]:
    """Resolve every path-valued key of a raw recipe dict (before validation)."""
    r = lambda p: resolve_path(p, base_dir) if isinstance(p, str) else p  # noqa: E731
    data = dict(data)
    if isinstance(data.get("sources"), list):
        srcs = []
        for i, s in enumerate(data["sources"]):
            if isinstance(s, dict):
                s = {**s, "path": r(s.get("path"))}
                s.setdefault("name", f"{s.get('kind', 'source')}{i}")
            srcs.append(s)
        data["sources"] = srcs
    filters = data.get("filters")
    if isinstance(filters, dict) and isinstance(filters.get("math_classifier"), dict):
        clf = dict(filters["math_classifier"])
        clf["model"] = r(clf.get("model"))
        boot = clf.get("train_if_missing")
        if isinstance(boot, dict):
            clf["train_if_missing"] = {
                **boot,
                **{k: [r(p) for p in boot.get(k) or []] for k in ("math", "other", "unlabeled")},
            }
        data["filters"] = {**filters, "math_classifier": clf}
    dec = data.get("decontaminate")
    if isinstance(dec, dict) and isinstance(dec.get("benchmarks"), list):
        data["decontaminate"] = {
            **dec,
            "benchmarks": [
                r(b) if isinstance(b, str) else ({**b, "path": r(b.get("path"))} if isinstance(b, dict) else b)
                for b in dec["benchmarks"]
            ],
        }
    tok = data.get("tokenize")
    if isinstance(tok, dict):
        tok = {**tok, "tokenizer": r(tok.get("tokenizer"))}
        tr = tok.get("train_if_missing")
        if isinstance(tr, dict):
            tok["train_if_missing"] = {**tr, "inputs": [r(p) for p in tr.get("inputs") or []]}
        data["tokenize"] = tok
    if isinstance(data.get("output"), str):
        data["output"] = r(data["output"])
    return data


def _format_validation_error(err: ValidationError, where: str) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
        lines.append(f"{where}: {loc}: {msg}")
    return "\n".join(lines)


def recipe_from_dict(data: Any, base_dir: str = ".", where: str = "<recipe>") -> Recipe:
    if not isinstance(data, dict):
        raise RecipeError(f"{where}: a recipe must be a mapping, got {type(data).__name__}")
    base_dir = os.path.abspath(base_dir)
    try:
        return Recipe.model_validate({**_resolve_all(data, base_dir), "base_dir": base_dir, "recipe_file": where})
    except ValidationError as err:
        raise RecipeError(_format_validation_error(err, where)) from None


def load_recipe(path: str | os.PathLike[str]) -> Recipe:
    """Load and validate a YAML recipe; relative paths are relative to the recipe's folder."""
    path = Path(path)
    if not path.is_file():
        raise RecipeError(f"recipe file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))  # safe_load: no code from data
    except yaml.YAMLError as err:
        raise RecipeError(f"{path}: not valid YAML: {err}") from None
    return recipe_from_dict(data, base_dir=str(path.parent), where=str(path))


def bundled_recipe(name: str = "demo") -> Path:
    """Path of a recipe shipped inside the package (mathcorpus/manifests/NAME.yaml)."""
    return Path(__file__).resolve().parent / "manifests" / f"{name}.yaml"
