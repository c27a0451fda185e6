"""fastText math classifier: one preprocessing function for training and scoring.

The model is a supervised fastText model with labels ``__label__math`` and ``__label__other``; the
probability of ``math`` is stored on every document as ``scores["math_score"]``. Training runs with a
single thread and a fixed seed so that the same data gives the same model (and the same scores).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import Iterable, Sequence

import numpy as np

from mathcorpus import storage
from mathcorpus.document import Document, Rejection, Verdict
from mathcorpus.filters import Filter
from mathcorpus.recipe import ClassifierSpec

MATH_LABEL, OTHER_LABEL = "__label__math", "__label__other"
PREPROCESS_VERSION = 3  # part of a cached model's fingerprint: changing `preprocess` retrains it
MAX_CHARS = 8192  # only the head of a document is classified: long files cost no more than short ones
MODEL_DIM, MODEL_BUCKET = (
    16,
    200_000,
)  # the trained model's size (see train_classifier); in a cached model's fingerprint

# What fastText sees of a text. Math marks become tokens of their own ("x^2=4" reads "x ^ 0 = 0", a
# backslash starts a token so "\frac{a}" reads "\frac a", "a\u2264b" reads "a \u2264 b"), brackets and prose
# punctuation read as spaces, digits all read "0" (no particular number is learnt, only how long
# numbers are), ASCII letters are lower-cased, and five bucketed math densities lead the line.
# Scoring must cost little next to fastText itself (the bare model spends ~40 us on a 2 KB text), so
# the spacing is done by C-level str/bytes methods on a whole batch at once (one call per symbol per
# batch), and the densities are counted with NumPy over the whole batch (`_densities`): no regex, no
# Python loop over tokens.
_SPACED = tuple((bytes([c]), b" " + bytes([c]) + b" ") for c in b"$^_=+-*/<>|") + ((b"\\", b" \\"),)
_UNICODE_SPACED = (
    "\u00b1\u00d7\u00f7\u2211\u220f\u222b\u2202\u2207\u221a\u221e\u2264\u2265\u2260\u2248\u2261\u2208\u2209"
    "\u2282\u2286\u222a\u2229\u2200\u2203\u2192\u21a6\u21d2\u21d4\u2218\u2297\u2295"
)
_AS_SPACE = b"{}()[],.;:!?'\"\t\n\v\f\r"
_BYTE_MAP = bytes.maketrans(b"123456789" + _AS_SPACE, b"0" * 9 + b" " * len(_AS_SPACE))
_SIGNS = b"=+^<>|"
_WORDS_HEAD = 768  # bytes of a document whose tokens are looked up in MATH_WORDS


# Words that mark mathematical writing in any medium (papers, forums, textbooks, problem sets).
MATH_WORDS = frozenset(
    """
theorem theorems lemma lemmas proof proofs corollary proposition conjecture axiom axioms equation
equations integral integrals integrate derivative derivatives differentiable polynomial polynomials
matrix matrices eigenvalue eigenvalues eigenvector prime primes integer integers rational
irrational continuous converges convergence convergent topology topological manifold manifolds
subgroup subgroups homomorphism isomorphism isomorphic morphism morphisms functor functors
algebraic geometric probability variance expectation inequality triangle triangles angle angles
perimeter radius diameter quotient denominator numerator modulo divisible divisor divisors
factorial logarithm exponential sine cosine tangent sqrt hence therefore suppose let iff
implies satisfies arbitrary finite infinite countable bijection injective surjective
calculate compute simplify evaluate solve remainder percent total
""".split()
)
_MATH_WORDS_BYTES = frozenset(w.encode() for w in MATH_WORDS)


class ClassifierError(RuntimeError):
    pass


def _spaced_documents(texts: Sequence[str]) -> list[bytes]:
    """The head of each text as fastText reads it (see above), computed on the batch joined by NUL."""
    heads = [t[:MAX_CHARS] for t in texts]
    if any("\x00" in h for h in heads):  # a NUL inside a text reads as a space
        heads = [h.replace("\x00", " ") for h in heads]
    # the Unicode symbols are looked for in the texts that are not ASCII only (isascii is O(1) for a
    # str): a tenth of the texts of papers and web pages, where a search of the whole batch for
    # each of 30 symbols cost ~3 us a document
    non_ascii = [i for i, h in enumerate(heads) if not h.isascii()]
    if non_ascii:
        joined = "\x00".join([heads[i] for i in non_ascii])
        for symbol in _UNICODE_SPACED:
            if symbol in joined:
                joined = joined.replace(symbol, f" {symbol} ")
        if "\u00a0" in joined:
            joined = joined.replace("\u00a0", " ")
        for i, head in zip(non_ascii, joined.split("\x00")):
            heads[i] = head
    raw = "\x00".join(heads).encode("utf-8", "surrogatepass").lower()
    for symbol, spaced in _SPACED:
        if symbol in raw:
            raw = raw.replace(symbol, spaced)
    return raw.translate(_BYTE_MAP).split(b"\x00")


def _head_words(docs: Sequence[bytes]) -> tuple[list[int], list[int]]:
    """For each document, ``len(doc[:768].split())`` and how many of those tokens are MATH_WORDS,
    for the whole batch at once: splitting each head into ~140 bytes objects cost ~9 us a document
    (a third of the preprocessing), NumPy over the joined heads ~3 us. A token is a run of bytes
    between ASCII whitespace, as for ``bytes.split``; a token is a candidate word when a table hit by
    its length and first 8 bytes says so, and is then checked against the set itself (so the table
    only has to be free of misses, never of false hits)."""
    if not docs:
        return [], []
    heads = [d[:_WORDS_HEAD] for d in docs]
    joined = b" " + b" ".join(heads) + b" " * 8  # spaces around every head; 8 more for the last read
    in_token = np.frombuffer(joined.translate(_IN_TOKEN), dtype=np.bool_)
    edges = np.flatnonzero(in_token[1:] ^ in_token[:-1])  # starts and ends alternate: space at both ends
    starts, ends = edges[0::2] + 1, edges[1::2] + 1
    head_starts = np.cumsum([0] + [len(h) + 1 for h in heads])
    tokens = np.diff(np.searchsorted(starts, head_starts))
    lengths = ends - starts
    maybe = np.flatnonzero((lengths >= _SHORTEST_WORD) & (lengths <= _LONGEST_WORD))
    at, size = starts[maybe], lengths[maybe]
    # the 8 bytes from each candidate's start (an unaligned view: one read per token, no copies)
    first8 = np.ndarray(shape=(len(joined) - 7,), dtype="<u8", buffer=joined, strides=(1,))[at]
    hits = maybe[_WORD_TABLE[_word_slots(first8 & _FIRST_BYTES_MASKS[size], size)]]
    found = [s for s, e in zip(starts[hits].tolist(), ends[hits].tolist()) if joined[s:e] in _MATH_WORDS_BYTES]
    words = np.bincount(np.searchsorted(head_starts, found, "right") - 1, minlength=len(docs))
    return tokens.tolist(), words.tolist()


def _word_slots(first8: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """A slot in a 2^16 table per (first 8 bytes, length) of a token (multiplicative hashing)."""
    return ((first8 + lengths.astype(np.uint64)) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - 16)


def _math_word_table() -> np.ndarray:
    """True at the slot of every math word (`_word_slots`)."""
    words = sorted(_MATH_WORDS_BYTES)
    first8 = np.frombuffer(b"".join(w[:8].ljust(8, b"\0") for w in words), dtype="<u8")
    table = np.zeros(1 << 16, dtype=bool)
    table[_word_slots(first8, np.array([len(w) for w in words]))] = True
    return table


_WORD_TABLE = _math_word_table()
_SHORTEST_WORD, _LONGEST_WORD = min(map(len, _MATH_WORDS_BYTES)), max(map(len, _MATH_WORDS_BYTES))
# the low n bytes of a little-endian 8-byte read: a token of n < 8 bytes without what follows it
_FIRST_BYTES_MASKS = np.array([(1 << (8 * min(n, 8))) - 1 for n in range(_LONGEST_WORD + 1)], dtype=np.uint64)
_IN_TOKEN = bytes(c not in b" \t\n\r\x0b\x0c" for c in range(256))  # 0 where bytes.split() splits


def _densities(docs: Sequence[bytes]) -> np.ndarray:
    """Per token of each spaced document (one row each): LaTeX commands, math delimiters, operators
    and math symbols, math words (among the tokens of its first 768 bytes), and arithmetic.

    Counted with NumPy over the batch joined by NUL (no mark pattern matches across it): where
    the marks are, then how many fall in each document. Per document, ``bytes.count`` of each mark cost
    ~10 us (two-byte patterns are slow where backslashes are dense). The counts are those of the
    per-document definition (``tests/test_normalizers_fuzz.py`` compares them on random text)."""
    if not docs:
        return np.zeros((0, 5))
    head_tokens, head_words = (np.asarray(counts) for counts in _head_words(docs))
    joined = _PADDING + b"\x00".join(docs) + _PADDING  # reads 3 bytes either side of a mark stay inside
    buf = np.frombuffer(joined, dtype=np.uint8)
    sizes = np.array([len(d) for d in docs])
    bounds = np.cumsum(np.concatenate([[len(_PADDING)], sizes + 1]))  # each document's start, then the end

    def per_document(positions: np.ndarray) -> np.ndarray:
        return np.diff(np.searchsorted(positions, bounds))

    # one pass over the batch classifies each byte (bit flags), then only the marks are looked at
    classes = np.frombuffer(joined.translate(_MARK_CLASSES), dtype=np.uint8)
    marks = np.flatnonzero(classes != 0)  # a bool array: NumPy's nonzero on uint8 is 3x slower
    kinds = classes[marks]
    backslashes = marks[(kinds & _BACKSLASH_MARK) != 0]
    latex = per_document(backslashes)
    # $ and, once spaced, \( \) \[ \] \, \\ (a backslash before a non-letter)
    delimiters = per_document(marks[(kinds & _DOLLAR_MARK) != 0]) + per_document(
        backslashes[buf[backslashes + 1] == _SPACE]
    )
    signs = per_document(marks[(kinds & _SIGN_MARK) != 0])
    # arithmetic: "0 + 0", "00*0", "0 = 0" (spaced: "0  +  0") read as 0 <op> 0
    ops = marks[(kinds & _OPERATOR_MARK) != 0]
    ops = ops[(buf[ops - 1] == _SPACE) & (buf[ops + 1] == _SPACE)]
    single = ops[(buf[ops - 2] == _ZERO) & (buf[ops + 2] == _ZERO)]
    double = ops[
        (buf[ops - 2] == _SPACE) & (buf[ops + 2] == _SPACE) & (buf[ops - 3] == _ZERO) & (buf[ops + 3] == _ZERO)
    ]
    arithmetic = per_document(_not_overlapping(single, 4)) + per_document(_not_overlapping(double, 6))
    # tokens per byte as in the first 768 bytes (code has shorter tokens than prose)
    per_token = np.minimum(sizes, _WORDS_HEAD) / np.maximum(1, head_tokens * sizes)
    return np.column_stack(
        [
            latex * per_token,
            delimiters * per_token,
            signs * per_token,
            head_words / np.maximum(1, head_tokens),
            arithmetic * per_token,
        ]
    )


def _not_overlapping(found: np.ndarray, step: int) -> np.ndarray:
    """Of the sorted positions of a pattern whose matches overlap only when `step` apart ("0 + 0 + 0"
    holds two "0 + 0" sharing a 0), those ``bytes.count`` counts: left to right, skipping any match
    that overlaps the last one counted, i.e. every other match along a run `step` apart."""
    starts_run = np.diff(found, prepend=-step - 1) != step
    if starts_run.all():  # no overlaps (the usual case)
        return found
    index = np.arange(len(found))
    run_start = np.maximum.accumulate(np.where(starts_run, index, 0))
    return found[(index - run_start) % 2 == 0]


_PADDING = b"\x00" * 8
_SPACE, _ZERO = b" 0"
_SIGN_MARK, _OPERATOR_MARK, _BACKSLASH_MARK, _DOLLAR_MARK = 1, 2, 4, 8
# a \x01 of the text counts as an operator, as it did when operators were translated to \x01
_MARK_CLASSES = bytes(
    (_SIGN_MARK if c in _SIGNS else 0)
    | (_OPERATOR_MARK if c in b"+*/=\x01" else 0)
    | (_BACKSLASH_MARK if c == ord("\\") else 0)
    | (_DOLLAR_MARK if c == ord("$") else 0)
    for c in range(256)
)


_FEATURE_NAMES = ("latex", "delimiters", "signs", "words", "arithmetic")
_EDGES = (0.002, 0.01, 0.03, 0.08)


def math_features(text: str) -> dict[str, float]:
    """Densities per token of the math signals in the classified head of `text` (see `_densities`)."""
    return dict(zip(_FEATURE_NAMES, _densities(_spaced_documents([text]))[0].tolist()))


def _preprocessed_lines(texts: Sequence[str]) -> list[bytes]:
    """`preprocess_batch` as UTF-8 lines, each ending in a newline (what fastText's C++ reads)."""
    lines = []
    prefixes: dict[tuple[int, ...], bytes] = {}
    # spaced in slices of 64 texts (the joined slice stays in the CPU cache through the spacing
    # passes), counted in slices of 512 (NumPy's cost per call weighs less)
    for i in range(0, len(texts), 512):
        docs = [doc for j in range(i, min(i + 512, len(texts)), 64) for doc in _spaced_documents(texts[j : j + 64])]
        buckets = np.searchsorted(_EDGES, _densities(docs), side="right").tolist()  # as bisect_right
        for doc, bucket in zip(docs, buckets):
            if doc.isspace() or not doc:
                lines.append(b"\n")
                continue
            key = (*bucket, 1 + len(doc) // 320)  # the features repeat once per ~64 tokens of ~5 bytes
            prefix = prefixes.get(key)
            if prefix is None:
                one = " ".join(f"__{name}{level}" for name, level in zip(_FEATURE_NAMES, key))
                prefix = prefixes[key] = (" ".join([one] * key[-1]) + " ").encode()
            lines.append(prefix + doc + b"\n")
    return lines


def preprocess_batch(texts: Sequence[str]) -> list[str]:
    """The single line fastText sees for each text, at training and at scoring time: the lower-cased
    head of the text with math marks (``\\frac``, ``$``, ``^``, ``\u2211``) as tokens of their own,
    preceded by bucketed math-density features (medium-independent evidence), repeated (once per 64
    tokens) so that they weigh against a long text's words. Equal to ``[preprocess(t) for t in
    texts]``, faster."""
    return [line[:-1].decode("utf-8", "surrogatepass") for line in _preprocessed_lines(texts)]


def preprocess(text: str) -> str:
    """`preprocess_batch` of one text."""
    return preprocess_batch([text])[0]


def rule_score(text: str) -> float:
    """A score in [0, 1] from rules alone (no model): how strongly the text is marked as math. Seeds
    the bootstrap's labels (its high-precision ends only)."""
    f = math_features(text)
    return min(1.0, 4 * f["latex"] + 6 * f["delimiters"] + 0.5 * f["signs"] + 6 * f["words"] + 10 * f["arithmetic"])


def train_classifier(
    examples: Iterable[tuple[str, int]],
    out_path: str,
    *,
    epoch: int = 25,
    lr: float = 0.5,
    word_ngrams: int = 2,
    dim: int = MODEL_DIM,
    bucket: int = MODEL_BUCKET,
    seed: int = 0,
) -> dict:
    """Train on (text, label) pairs (label 1 = math, 0 = other) and write the model to `out_path`.

    `bucket` x `dim` floats hold the word n-gram embeddings: fastText's default (2M x 100) makes an
    800 MB file; 200k x 16 gives about 13 MB, small enough to stage to every worker and to stay
    closer to the CPU caches between batches (dim 32 scored the same AUC on the shared data, and
    ran at 0.55-0.62x bare prediction inside a pipeline against 0.66-0.68x at dim 16).
    """
    counts = {0: 0, 1: 0}
    with tempfile.TemporaryDirectory(prefix="mathcorpus-ft-") as tmp:
        train_file = os.path.join(tmp, "train.txt")
        with open(train_file, "w", encoding="utf-8") as fh:
            for text, label in examples:
                line = preprocess(text)
                if line:
                    counts[int(bool(label))] += 1
                    fh.write(f"{MATH_LABEL if label else OTHER_LABEL} {line}\n")
        if not counts[0] or not counts[1]:
            raise ClassifierError(f"training needs both labels; got {counts[1]} math and {counts[0]} other")
        params = dict(
            epoch=epoch,
            lr=lr,
            wordNgrams=word_ngrams,
            dim=dim,
            bucket=bucket,
            thread=1,
            seed=seed,
            verbose=0,
            minCount=1,
        )
        local = os.path.join(tmp, "model.bin")
        for _ in range(3):  # fastText can diverge ("Encountered NaN"): retry with a lower rate
            error = _train_isolated(train_file, params, local)
            if error is None:
                break
            params["lr"] /= 2
        else:
            raise ClassifierError(
                f"fastText training failed ({error}) down to lr={params['lr'] * 2}; use more / longer examples"
            )
        with open(local, "rb") as fh:
            storage.write_bytes_atomic(out_path, fh.read())
    return {"math": counts[1], "other": counts[0], "lr": params["lr"]}


def _fasttext_train(train_file: str, params: dict, out_file: str) -> str | None:
    import fasttext

    try:
        fasttext.train_supervised(train_file, **params).save_model(out_file)
    except RuntimeError as err:
        return str(err)
    return None


def _train_isolated(train_file: str, params: dict, out_file: str) -> str | None:
    """Train in a freshly spawned process: fastText's training was seen to diverge to NaN only inside
    long-lived processes that had loaded other native libraries; a clean process is reproducible."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_fasttext_train, (train_file, params, out_file))


def load_model(path: str):
    """Load a fastText model from any Beam filesystem path (copied to a local temp file if remote)."""
    import fasttext

    if not storage.is_remote(path):
        if not os.path.isfile(path):
            raise ClassifierError(f"fastText model not found: {path}")
        return fasttext.load_model(path)
    with tempfile.TemporaryDirectory(prefix="mathcorpus-ft-") as tmp:
        local = os.path.join(tmp, "model.bin")
        with storage.open_read(path) as src, open(local, "wb") as dst:
            shutil.copyfileobj(src, dst)
        return fasttext.load_model(local)


def math_probabilities(model, texts: Sequence[str]) -> list[float]:
    # the lines go to fastText's C++ as bytes: `model.predict` would take str lines, search each for
    # a newline, append one and encode it to UTF-8 again (a few microseconds a document)
    labels, probs = model.f.multilinePredict(_preprocessed_lines(texts), 2, 0.0, "strict")
    # fastText adds 1e-5 to each probability (1.00001 happens): normalize over the two labels, which
    # keeps the order of scores (clamping would tie every confident document at 1.0)
    scores = []
    for ls, ps in zip(labels, probs):
        values = ps.tolist()  # Python floats: cheaper per document than NumPy scalars
        total = sum(values)
        if total <= 0:
            scores.append(0.0)
        elif ls[0] == MATH_LABEL:
            scores.append(values[0] / total)
        else:
            scores.append(values[1] / total if len(values) > 1 else 0.0)
    return scores


def roc_auc(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Area under the ROC curve: the probability that a random math example outscores a random other
    one (ties count half), by the rank-sum formula."""
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if not n_pos or not n_neg:
        raise ClassifierError(f"AUC needs both labels; got {n_pos} math and {n_neg} other")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_s = s[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_s, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def evaluate(labels: Sequence[int], scores: Sequence[float], threshold: float = 0.5, bins: int = 10) -> dict:
    """Precision, recall, F1 (math = positive, at `threshold`), ROC AUC and score histograms."""
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    predicted = s >= threshold
    tp = int((predicted & y).sum())
    fp = int((predicted & ~y).sum())
    fn = int((~predicted & y).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    return {
        "examples": int(len(y)),
        "math": int(y.sum()),
        "other": int((~y).sum()),
        "threshold": threshold,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "auc": round(roc_auc(y, s), 4),
        "histogram": {
            "edges": [round(float(e), 2) for e in edges],
            "math": np.histogram(s[y], edges)[0].tolist(),
            "other": np.histogram(s[~y], edges)[0].tolist(),
        },
    }


BOOTSTRAP_MATH_AT, BOOTSTRAP_OTHER_AT, BOOTSTRAP_CONFIDENT = 0.6, 0.05, 0.9


def bootstrap_labels(
    texts: Sequence[str],
    *,
    scores: Sequence[float] | None = None,
    math_at: float = BOOTSTRAP_MATH_AT,
    other_at: float = BOOTSTRAP_OTHER_AT,
    confident: float = BOOTSTRAP_CONFIDENT,
) -> list[tuple[str, int]]:
    """Labels without annotation. From the rules alone (``rule_score``): at least `math_at` is math,
    at most `other_at` is not, the rest stays unlabeled. With a model's `scores` (a later round,
    DeepSeekMath-style iterative recall), the model's confident calls join the rules': math when
    score >= `confident` (recall beyond the rules), other when score <= 1 - `confident` and the rules
    do not say math."""
    examples = []
    for i, text in enumerate(texts):
        rule = rule_score(text)
        model = scores[i] if scores is not None else None
        if rule >= math_at or (model is not None and model >= confident):
            examples.append((text, 1))
        elif rule <= other_at or (model is not None and model <= 1 - confident and rule < math_at / 2):
            examples.append((text, 0))
    return examples


def train_bootstrap(
    texts: Sequence[str], out_path: str, *, rounds: int = 2, labeled: Sequence[tuple[str, int]] = (), **train_kw
) -> list[dict]:
    """Train from unlabeled `texts`, with or without some `labeled` examples (kept in every round).

    Round 1 trains on `labeled` when given (else on the rules' seed labels of `texts`); every later
    round labels `texts` from the rules and the previous model's confident scores and retrains on
    those plus `labeled`. This carries a model to a new kind of source (labeled papers, unlabeled
    web pages) without labelling it. Returns each round's label counts."""
    history = []
    scores = None
    for round_ in range(max(1, rounds)):
        pseudo = [] if (round_ == 0 and labeled) else bootstrap_labels(texts, scores=scores)
        counts = train_classifier(list(labeled) + pseudo, out_path, **train_kw)
        counts.update(
            round=round_ + 1,
            pseudo_labeled=len(pseudo),
            unlabeled=len(texts) - len(pseudo) if pseudo or not labeled else len(texts),
        )
        history.append(counts)
        if round_ + 1 < rounds:
            scores = math_probabilities(load_model(out_path), texts)
    return history


def read_texts(path: str, text_field: str = "text") -> list[str]:
    """Texts of an unlabeled JSONL file (one row per line), or of a text/LaTeX/markdown file (chunked)."""
    if path.endswith((".jsonl", ".jsonl.gz", ".jsonl.zst")):
        from mathcorpus.recipe import SourceSpec
        from mathcorpus.sources.jsonl import read_jsonl

        spec = SourceSpec(kind="jsonl", path=path, name="bootstrap", text_field=text_field)
        return [v.text for v in read_jsonl(path, spec) if isinstance(v, Document)]
    return chunk_text(storage.read_bytes(path).decode("utf-8", "replace"))


def read_labeled_jsonl(path: str) -> list[tuple[str, int]]:
    """Rows with `text` and `label` (1/0, true/false, or "math"/anything else)."""
    examples = []
    with storage.open_read(path) as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
                text, label = row["text"], row["label"]
            except (json.JSONDecodeError, KeyError, TypeError) as err:
                raise ClassifierError(f"{path}:{lineno}: need a JSON object with 'text' and 'label' ({err})")
            if isinstance(label, str):
                label = 1 if label.lower() in ("1", "math", "true", "yes") else 0
            examples.append((str(text), int(bool(label))))
    return examples


def chunk_text(text: str, max_chars: int = 4000) -> list[str]:
    """Consecutive pieces of about `max_chars`, cut at line ends: long files give many examples."""
    chunks, current, size = [], [], 0
    for line in text.splitlines(keepends=True):
        if size + len(line) > max_chars and current:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line)
    if current:
        chunks.append("".join(current))
    return chunks


def examples_from_files(math_patterns: list[str], other_patterns: list[str]) -> list[tuple[str, int]]:
    """Bootstrap labels from where files come from: every chunk of a file matched by `math_patterns`
    is math, every chunk of one matched by `other_patterns` is not."""
    examples = []
    for patterns, label in ((math_patterns, 1), (other_patterns, 0)):
        for path in storage.expand_patterns(patterns):
            text = storage.read_bytes(path).decode("utf-8", "replace")
            examples.extend((chunk, label) for chunk in chunk_text(text))
    return examples


class MathClassifier(Filter):
    stage = "classifier"
    reasons = ("low_math_score",)

    def __init__(self, spec: ClassifierSpec):
        self._spec = spec
        self._model = None

    def setup(self) -> None:
        self._model = load_model(self._spec.model)

    def threshold(self, kind: str) -> float:
        return self._spec.thresholds.get(kind, self._spec.threshold)

    def apply(self, doc: Document) -> Verdict:
        return self.apply_batch([doc])[0]

    def apply_batch(self, docs: Sequence[Document]) -> list[Verdict]:
        """One fastText call for many documents (the scan pass hands it whole batches)."""
        verdicts: list[Verdict] = []
        for doc, prob in zip(docs, math_probabilities(self._model, [d.text for d in docs])):
            score = round(prob, 6)
            doc = doc.with_score("math_score", score)
            threshold = self.threshold(doc.kind)
            verdicts.append(
                Rejection.of(doc, self.stage, "low_math_score", f"math_score {score:.3f} < {threshold}")
                if score < threshold
                else doc
            )
        return verdicts
