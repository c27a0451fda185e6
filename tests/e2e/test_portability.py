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
    options = PipelineOptions(["--project=p", "--region=r", "--temp_location=gs://bucket/tmp"])
    p = beam.Pipeline(runner="DirectRunner", options=options)
    build_pipeline(p, recipe, "gs://bucket/out")  # building never touches the output location
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
