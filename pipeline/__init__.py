"""Pipeline floor: Beam transforms for dedup, decontamination and tokenization, and the run builder."""
