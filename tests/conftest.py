"""Shared fixtures. Real third-party data lives in ../shared/data (never copied into the repo);
tests that need it skip with a reason when it is absent."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parents[1]

# Property tests draw the same examples on every run (a test run, and CI, is repeatable: it cannot
# fail on a new random draw). `HYPOTHESIS_PROFILE=fuzz pytest` draws fresh random examples to look for
# new counterexamples; add what it finds as an @example.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("fuzz", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
SHARED_DATA = Path(os.environ.get("MATHCORPUS_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (set MATHCORPUS_SHARED_DATA)")
    return SHARED_DATA


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """The test session trains demo assets into its own cache, never the user's."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MATHCORPUS_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
        yield
