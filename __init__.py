"""mathcorpus: build math pretraining corpora (code, papers, web) with Apache Beam.

The repository root is this package (see pyproject's package-dir mapping), so the stage folders
import as ``mathcorpus.sources``, ``mathcorpus.filters``, ``mathcorpus.pipeline`` and ``mathcorpus.cli``.
"""

__version__ = "0.1.0"
