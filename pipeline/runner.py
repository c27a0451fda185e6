"""What a remote runner (Dataflow, Flink, Spark ...) needs from a recipe before the pipeline starts.

Workers of a remote runner cannot see the launcher's disk. So, when the Beam options name a runner
that is not local:
- every source must already be on a shared filesystem (``gs://``, ``s3://`` ...): a local source path
  is an error that says so;
- the model, tokenizer and benchmark files the recipe names on local disk are copied ("staged") to
  ``<staging or temp location>/mathcorpus-assets/<sha256 prefix>/<name>`` and the recipe is rewritten
  to read them from there (content-addressed, so re-runs reuse the copies);
- on Dataflow, the workers must be able to install mathcorpus: one of ``--setup_file``,
  ``--extra_package``/``--extra_packages``, ``--requirements_file`` or ``--sdk_container_image``.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
from typing import Sequence

from apache_beam.options.pipeline_options import (
    GoogleCloudOptions,
    PipelineOptions,
    SetupOptions,
    StandardOptions,
    WorkerOptions,
)

from mathcorpus import storage
from mathcorpus.recipe import Recipe, RecipeError

LOCAL_RUNNERS = ("direct", "prism", "fnapi", "interactive", "switchingdirect")


def runner_name(beam_args: Sequence[str]) -> str | None:
    return PipelineOptions(list(beam_args)).view_as(StandardOptions).runner


DEFAULT_RUNNER = "FnApiRunner"


def with_default_runner(beam_args: Sequence[str]) -> list[str]:
    """The Beam arguments, with ``--runner=FnApiRunner`` when they name no runner. Beam's DirectRunner
    first tries the Prism runner (a Go binary it downloads): offline that fails after translating the
    whole pipeline (a fixed cost on every run), and online a run would go to another runner than
    offline. The FnApiRunner is where the DirectRunner ends up offline;
    ``--direct_running_mode`` and ``--direct_num_workers`` work the same. ``--runner=DirectRunner``
    still gives Beam's own choice."""
    return list(beam_args) if runner_name(beam_args) else [*beam_args, f"--runner={DEFAULT_RUNNER}"]


@contextlib.contextmanager
def data_sent_whole():
    """While the block runs, Beam's local runner sends each bundle's input to a worker process as one
    buffer on close instead of also flushing it every second from a timer thread.

    Why: in Beam 2.77 the runner's gRPC data streams (``--direct_running_mode=multi_processing`` and
    ``multi_threading``) are ``TimeBasedBufferingClosableOutputStream``s. Their timer thread flushes by
    copying the buffer, handing the copy to the send queue and then clearing the buffer, without
    holding off writers: bytes the runner writes between the copy and the clear are dropped. The
    runner writes a worker's share of a stage as several chunks (one per upstream output message,
    ~10 MB each), so a flush that lands between two writes loses a whole chunk: 10 batches of 512
    documents in our runs, or an empty side input. ``tests/e2e/test_portability.py`` shows the drop
    with Beam's class. The size-based stream Beam uses when the time limit is 0 has no timer (the
    runner never asks it to flush early), so nothing can be lost between copy and clear; a worker's
    share of one stage must then stay under gRPC's 2 GB message limit (use more workers)."""
    from apache_beam.runners.portability.fn_api_runner import worker_handlers

    before = worker_handlers.DATA_BUFFER_TIME_LIMIT_MS  # read when a run starts its gRPC server
    worker_handlers.DATA_BUFFER_TIME_LIMIT_MS = 0
    try:
        yield
    finally:
        worker_handlers.DATA_BUFFER_TIME_LIMIT_MS = before


def is_local_runner(runner: str | None) -> bool:
    return runner is None or any(name in runner.lower() for name in LOCAL_RUNNERS)


def _stage_file(local: str, staging: str) -> str:
    digest, _ = storage.sha256_of(local)
    target = storage.join(staging, "mathcorpus-assets", digest[:16], os.path.basename(local))
    if not storage.exists(target):
        storage.write_bytes_atomic(target, storage.read_bytes(local))
    return target


def _stage(path: str, staging: str) -> str:
    """A local file or folder copied under `staging`; remote paths are returned as they are."""
    if storage.is_remote(path):
        return path
    if os.path.isdir(path):
        digest = hashlib.sha256()
        files = sorted(p for p, _ in storage.walk_tree(path))
        for f in files:
            digest.update(os.path.relpath(f, path).encode())
            digest.update(storage.sha256_of(f)[0].encode())
        target = storage.join(staging, "mathcorpus-assets", digest.hexdigest()[:16], os.path.basename(path))
        for f in files:
            dest = storage.join(target, os.path.relpath(f, path).replace(os.sep, "/"))
            if not storage.exists(dest):
                storage.write_bytes_atomic(dest, storage.read_bytes(f))
        return target
    return _stage_file(path, staging)


def prepare_for_runner(recipe: Recipe, beam_args: Sequence[str]) -> Recipe:
    """The recipe as the runner's workers must see it (unchanged for local runners)."""
    options = PipelineOptions(list(beam_args))
    runner = options.view_as(StandardOptions).runner
    if is_local_runner(runner):
        return recipe
    where = recipe.recipe_file

    def on_launcher_disk(spec) -> bool:
        if storage.is_remote(spec.path):
            return False
        if spec.kind == "hf":  # a Hub dataset name is read by the workers from the Hub
            return os.path.exists(spec.path) or bool(glob.glob(spec.path))
        return True

    local_sources = [s.name for s in recipe.sources if on_launcher_disk(s)]
    if local_sources:
        raise RecipeError(
            f"{where}: sources.{local_sources[0]}: {runner} workers cannot read the launcher's "
            "disk; put the source on gs:// (or another shared filesystem) and name that path"
        )
    if "dataflow" in runner.lower():
        setup = options.view_as(SetupOptions)
        image = options.view_as(WorkerOptions).sdk_container_image
        if not (setup.setup_file or setup.extra_packages or setup.requirements_file or image):
            raise RecipeError(
                "DataflowRunner workers must install mathcorpus: pass --setup_file=./pyproject.toml "
                "(from a checkout), --extra_package=dist/mathcorpus-<version>-py3-none-any.whl "
                "or --sdk_container_image (see docs/dataflow.md)"
            )
    gcp = options.view_as(GoogleCloudOptions)
    staging = gcp.staging_location or gcp.temp_location
    clf, tok, dec = recipe.filters.math_classifier, recipe.tokenize, recipe.decontaminate
    local = {
        "filters.math_classifier.model": clf and not storage.is_remote(clf.model),
        "tokenize.tokenizer": tok and not storage.is_remote(tok.tokenizer),
        "decontaminate.benchmarks": dec and any(not storage.is_remote(b.path) for b in dec.benchmarks),
    }
    local = [key for key, is_local in local.items() if is_local]
    if not local:
        return recipe
    if not staging:
        raise RecipeError(
            f"{runner}: the local files of {', '.join(local)} must be staged for the workers: "
            "pass --temp_location=gs://... (or --staging_location)"
        )
    updates: dict = {}
    if "filters.math_classifier.model" in local:
        updates["filters"] = recipe.filters.model_copy(
            update={"math_classifier": clf.model_copy(update={"model": _stage(clf.model, staging)})}
        )
    if "tokenize.tokenizer" in local:
        updates["tokenize"] = tok.model_copy(update={"tokenizer": _stage(tok.tokenizer, staging)})
    if "decontaminate.benchmarks" in local:
        updates["decontaminate"] = dec.model_copy(
            update={"benchmarks": [b.model_copy(update={"path": _stage(b.path, staging)}) for b in dec.benchmarks]}
        )
    return recipe.model_copy(update=updates)
