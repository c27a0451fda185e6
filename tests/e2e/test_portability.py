"""The graph a recipe builds must survive what a remote runner does to it: conversion to the
runner-API proto and unpickling of every DoFn (no captured unpicklable or process-local state)."""

import apache_beam as beam
from apache_beam.internal import pickler
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.portability.api import beam_runner_api_pb2

from mathcorpus.pipeline.assets import ensure_assets
from mathcorpus.pipeline.build import build_pipeline
from mathcorpus.recipe import bundled_recipe, load_recipe


def test_demo_graph_roundtrips_through_runner_api_and_pickler():
    recipe = load_recipe(bundled_recipe("demo"))
    ensure_assets(recipe)
    options = PipelineOptions(
        [
            "--runner=DataflowRunner",
            "--project=my-project-123",
            "--region=us-central1",
            "--temp_location=gs://my-bucket/tmp",
            "--staging_location=gs://my-bucket/staging",
        ]
    )
    p = beam.Pipeline(options=options)  # a DataflowRunner pipeline: built and converted, never submitted
    assert type(p.runner).__name__ == "DataflowRunner"
    build_pipeline(p, recipe, "gs://my-bucket/out")  # building never touches the output location
    proto = p.to_runner_api()
    dofns = 0
    for transform in proto.components.transforms.values():
        if transform.spec.urn == "beam:transform:pardo:v1":
            payload = beam_runner_api_pb2.ParDoPayload.FromString(transform.spec.payload)
            if payload.do_fn.urn == "beam:dofn:pickled_python_info:v1":
                pickler.loads(payload.do_fn.payload)
                dofns += 1
    assert dofns > 50
    beam.Pipeline.from_runner_api(proto, p.runner, options)


def test_remote_runner_stages_local_assets_and_refuses_local_sources(tmp_path):
    import pytest
    from fake_remote import OBJECTS

    from mathcorpus.pipeline.runner import prepare_for_runner
    from mathcorpus.recipe import RecipeError

    recipe = load_recipe(bundled_recipe("demo"))
    ensure_assets(recipe)
    dataflow = ["--runner=DataflowRunner", "--project=p", "--region=r", "--setup_file=./pyproject.toml"]
    assert prepare_for_runner(recipe, ["--direct_num_workers=2"]) is recipe  # local runners: unchanged
    with pytest.raises(RecipeError, match="cannot read the launcher's disk"):
        prepare_for_runner(recipe, dataflow + ["--temp_location=fakeremote://b/tmp"])
    remote_sources = recipe.model_copy(
        update={"sources": [s.model_copy(update={"path": f"fakeremote://b/data/{s.name}"}) for s in recipe.sources]}
    )
    with pytest.raises(RecipeError, match="--temp_location"):
        prepare_for_runner(remote_sources, dataflow)
    with pytest.raises(RecipeError, match="must install mathcorpus"):
        prepare_for_runner(remote_sources, ["--runner=DataflowRunner", "--temp_location=fakeremote://b/tmp"])
    staged = prepare_for_runner(remote_sources, dataflow + ["--temp_location=fakeremote://b/tmp"])
    for path, local in [
        (staged.tokenize.tokenizer, recipe.tokenize.tokenizer),
        (staged.filters.math_classifier.model, recipe.filters.math_classifier.model),
        (staged.decontaminate.benchmarks[0].path, recipe.decontaminate.benchmarks[0].path),
    ]:
        assert path.startswith("fakeremote://b/tmp/mathcorpus-assets/") and OBJECTS[path] == open(local, "rb").read()
    again = prepare_for_runner(remote_sources, dataflow + ["--temp_location=fakeremote://b/tmp"])
    assert again.tokenize.tokenizer == staged.tokenize.tokenizer  # content-addressed: staged once


def test_the_package_builds_a_wheel_for_workers(tmp_path):
    """What --extra_package / --setup_file ship: every subpackage and the bundled demo recipe."""
    import shutil
    import subprocess
    import sys
    import zipfile
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    source = tmp_path / "src"  # a copy: building in place would leave build/ in the checkout
    shutil.copytree(
        repo,
        source,
        ignore=shutil.ignore_patterns(
            ".git", "build", "*.egg-info", "__pycache__", ".hypothesis", ".pytest_cache", "mathcorpus-demo"
        ),
    )
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    [wheel] = tmp_path.glob("mathcorpus-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "mathcorpus/pipeline/build.py",
        "mathcorpus/pipeline/dedup/minhash.py",
        "mathcorpus/pipeline/decontaminate/formal.py",
        "mathcorpus/sources/archives.py",
        "mathcorpus/filters/language/parse.py",
        "mathcorpus/cli/main.py",
        "mathcorpus/shards.py",
        "mathcorpus/manifests/demo.yaml",
    ):
        assert needed in names, needed
    assert not any(n.startswith(("mathcorpus/tests/", "mathcorpus/bench/")) for n in names)


def test_a_run_without_a_runner_goes_to_the_fn_api_runner():
    """Beam's DirectRunner would first try Prism (downloaded when online): a run names its runner."""
    from mathcorpus.pipeline.runner import runner_name, with_default_runner

    assert runner_name(with_default_runner([])) == "FnApiRunner"
    assert with_default_runner(["--direct_num_workers=2"]) == ["--direct_num_workers=2", "--runner=FnApiRunner"]
    assert with_default_runner(["--runner=DirectRunner"]) == ["--runner=DirectRunner"]
    assert with_default_runner(["--runner", "DataflowRunner", "--project=p"]) == [
        "--runner",
        "DataflowRunner",
        "--project=p",
    ]


def test_beams_timer_flushed_stream_drops_what_is_written_during_a_flush():
    """Why a run sends data to Beam's worker processes by size only (pipeline/runner.data_sent_whole):
    Beam 2.77's timer thread copies the buffer, hands the copy on and then clears the buffer, and a
    write in between is lost. If this fails, Beam has fixed it and the guard can go."""
    import threading

    from apache_beam.runners.worker.data_plane import TimeBasedBufferingClosableOutputStream

    sent = []
    in_flush, let_flush_finish = threading.Event(), threading.Event()

    def send(data):  # the timer thread's flush, held where a full send queue would hold it
        if data and not in_flush.is_set():
            in_flush.set()
            let_flush_finish.wait(10)
        sent.append(data)

    stream = TimeBasedBufferingClosableOutputStream(
        close_callback=sent.append, flush_callback=send, time_flush_threshold_ms=5
    )
    stream.write(b"a" * 1000)
    assert in_flush.wait(10)
    stream.write(b"b" * 1000)  # between the timer's copy and its clear
    let_flush_finish.set()
    stream.close()
    assert b"".join(sent) == b"a" * 1000  # the second write is gone


def test_a_run_restores_beams_data_flush_setting():
    from apache_beam.runners.portability.fn_api_runner import worker_handlers

    from mathcorpus.pipeline.runner import data_sent_whole

    before = worker_handlers.DATA_BUFFER_TIME_LIMIT_MS
    with data_sent_whole():
        assert worker_handlers.DATA_BUFFER_TIME_LIMIT_MS == 0
    assert worker_handlers.DATA_BUFFER_TIME_LIMIT_MS == before
