"""Models a recipe needs but may not have yet: trained from the recipe's inputs and cached.

A recipe can name a tokenizer / classifier path together with ``train_if_missing``. When the file is
absent, or was built by us from inputs that have since changed (a fingerprint file next to it records
the input files, their hashes and the training parameters), it is trained here, before the pipeline
starts. A file the user provides (no fingerprint next to it) is always used as is.
"""

from __future__ import annotations

import hashlib
import json
from typing import Callable

from mathcorpus import storage
from mathcorpus.filters.classifier import (
    MODEL_BUCKET,
    MODEL_DIM,
    PREPROCESS_VERSION,
    examples_from_files,
    read_texts,
    train_bootstrap,
    train_classifier,
)
from mathcorpus.pipeline.tokenize.train import train_bpe
from mathcorpus.recipe import Recipe

Status = Callable[[str], None]


def _fingerprint(patterns: list[list[str]], params: dict) -> str:
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode())
    for group in patterns:
        for path in storage.expand_patterns(group):
            digest.update(path.encode())
            digest.update(hashlib.sha256(storage.read_bytes(path)).digest())
    return digest.hexdigest()


def _up_to_date(path: str, fingerprint: str) -> bool:
    stamp = path + ".fingerprint"
    if not storage.exists(path):
        return False
    if not storage.exists(stamp):
        return True  # provided by the user: never overwritten
    return storage.read_bytes(stamp).decode().strip() == fingerprint


def ensure_assets(recipe: Recipe, status: Status = lambda _: None) -> None:
    clf = recipe.filters.math_classifier
    if clf and clf.train_if_missing:
        boot = clf.train_if_missing
        params = {
            **boot.model_dump(),
            "preprocess_version": PREPROCESS_VERSION,  # a new one retrains
            "dim": MODEL_DIM,
            "bucket": MODEL_BUCKET,
        }
        fp = _fingerprint([boot.math, boot.other, boot.unlabeled], params)
        if not _up_to_date(clf.model, fp):
            status(f"training the math classifier -> {clf.model}")
            examples = examples_from_files(boot.math, boot.other) if boot.math else []
            kw = dict(epoch=boot.epoch, lr=boot.lr, word_ngrams=boot.word_ngrams)
            if boot.unlabeled:
                texts = [t for p in storage.expand_patterns(boot.unlabeled) for t in read_texts(p)]
                train_bootstrap(texts, clf.model, rounds=boot.rounds, labeled=examples, **kw)
            else:
                train_classifier(examples, clf.model, **kw)
            storage.write_bytes_atomic(clf.model + ".fingerprint", fp.encode())
    tok = recipe.tokenize
    if tok and tok.train_if_missing:
        spec = tok.train_if_missing
        fp = _fingerprint([spec.inputs], spec.model_dump())
        if not _up_to_date(tok.tokenizer, fp):
            status(f"training the BPE tokenizer -> {tok.tokenizer}")
            texts = (storage.read_bytes(p).decode("utf-8", "replace") for p in storage.expand_patterns(spec.inputs))
            train_bpe(texts, tok.tokenizer, vocab_size=spec.vocab_size)
            storage.write_bytes_atomic(tok.tokenizer + ".fingerprint", fp.encode())
