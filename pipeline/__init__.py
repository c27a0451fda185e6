"""Pipeline floor: the run builder (build.py), its passes (scan, apply, shards) and global steps (ids,
dedup, decontamination, tokenization), and the outputs (sinks, manifest). See docs/architecture.md."""
