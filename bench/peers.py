"""The peers bench/dedup.py measures beside mathcorpus (the datasketch loop, datatrove's MinHash
dedup), run in a fresh interpreter that imports only them, so that a peer's peak memory is its own:

    python bench/peers.py FUNCTION ARGS.pickle RESULT.pickle

runs FUNCTION(*args) and writes (result, peak RSS in MB of the largest process of the run: this
one, or one of its children, sampled from /proc every 50 ms)."""

from __future__ import annotations

import json
import logging
import os
import pickle
import re
import resource
import sys
import threading
import time


def datasketch_loop(texts: list[str], num_perm: int, threshold: float) -> dict[int, int]:
    from datasketch import MinHash, MinHashLSH

    word = re.compile(r"\w+")
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    removed = {}
    for k, text in enumerate(texts):
        words = word.findall(text.lower())
        shingles = {" ".join(words[i : i + 5]).encode() for i in range(max(1, len(words) - 4))}
        m = MinHash(num_perm=num_perm, seed=1)
        m.update_batch(list(shingles))
        hits = lsh.query(m)
        if hits:
            removed[k] = min(hits)
        else:
            lsh.insert(k, m)
    return removed


def timed_datasketch_loop(texts: list[str], num_perm: int, threshold: float) -> tuple[float, dict[int, int]]:
    t0 = time.perf_counter()
    removed = datasketch_loop(texts, num_perm, threshold)
    return time.perf_counter() - t0, removed


def _descendants_rss_mb(root: int) -> dict[int, float]:
    """Resident memory (MB) of every process below `root`, from /proc (Linux; empty elsewhere)."""
    parent = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parent[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    rss = {}
    for pid in parent:
        up = parent.get(pid)
        while up is not None and up != root and up > 1:
            up = parent.get(up)
        if up == root:
            try:
                with open(f"/proc/{pid}/statm") as fh:
                    rss[pid] = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
            except (OSError, IndexError, ValueError):
                pass
    return rss


def datatrove_pipeline(tmp: str, tasks: int, workers: int) -> tuple[float, set[int]]:
    """datatrove's four stages over the files in ``tmp/in``: (seconds, the indexes it removed)."""
    import datatrove.utils.hashes.xxhash as datatrove_xxhash
    import xxhash
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import (
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers.jsonl import JsonlWriter
    from datatrove.utils.hashing import HashConfig

    # datatrove 0.10 hands str to xxhash, which xxhash >= 4 refuses: encode first (same hash)
    datatrove_xxhash.xxhash64 = lambda d: xxhash.xxh64_intdigest(d.encode("utf-8") if isinstance(d, str) else d)
    datatrove_xxhash.xxhash32 = lambda d: xxhash.xxh32_intdigest(d.encode("utf-8") if isinstance(d, str) else d)

    data = os.path.join(tmp, "in")
    config = MinhashConfig(hash_config=HashConfig(precision=64))
    logs = os.path.join(tmp, "logs")
    common = dict(workers=workers, skip_completed=False)
    t0 = time.perf_counter()
    LocalPipelineExecutor(
        pipeline=[JsonlReader(data), MinhashDedupSignature(os.path.join(tmp, "sigs"), config=config)],
        tasks=tasks,
        logging_dir=os.path.join(logs, "1"),
        **common,
    ).run()
    LocalPipelineExecutor(
        pipeline=[MinhashDedupBuckets(os.path.join(tmp, "sigs"), os.path.join(tmp, "buckets"), config=config)],
        tasks=config.num_buckets,
        logging_dir=os.path.join(logs, "2"),
        **common,
    ).run()
    LocalPipelineExecutor(
        pipeline=[MinhashDedupCluster(os.path.join(tmp, "buckets"), os.path.join(tmp, "ids"), config=config)],
        tasks=1,
        logging_dir=os.path.join(logs, "3"),
        workers=1,
        skip_completed=False,
    ).run()
    LocalPipelineExecutor(
        pipeline=[
            JsonlReader(data),
            MinhashDedupFilter(os.path.join(tmp, "ids"), exclusion_writer=JsonlWriter(os.path.join(tmp, "removed"))),
            JsonlWriter(os.path.join(tmp, "kept")),
        ],
        tasks=tasks,
        logging_dir=os.path.join(logs, "4"),
        **common,
    ).run()
    seconds = time.perf_counter() - t0
    import gzip as _gzip

    removed_ids = set()
    for name in os.listdir(os.path.join(tmp, "removed")):
        with _gzip.open(os.path.join(tmp, "removed", name), "rt") as fh:
            removed_ids.update(int(json.loads(line)["id"][1:]) for line in fh)
    return seconds, removed_ids


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB: VmHWM, which starts anew at exec. (getrusage's
    ru_maxrss does not: a process started by fork or vfork and exec reports at least the peak of
    the process it was forked from.)"""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measured(fn, *args, children: bool = True):
    """(fn(*args), this process's peak RSS, the largest peak RSS among its child processes sampled
    from /proc every 50 ms), in MB. `children=False`: no sampling thread (it takes the GIL ~2% of
    the time), 0 for the children."""
    peaks: dict[int, float] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            for pid, mb in _descendants_rss_mb(os.getpid()).items():
                peaks[pid] = max(peaks.get(pid, 0.0), mb)

    sampler = threading.Thread(target=sample, daemon=True)
    if children:
        sampler.start()
    try:
        result = fn(*args)
    finally:
        done.set()
    if children:
        sampler.join()
    return result, peak_rss_mb(), max(peaks.values(), default=0.0)


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    fn_name, args_path, result_path = sys.argv[1:4]
    with open(args_path, "rb") as fh:
        call_args = pickle.load(fh)
    result, own_mb, children_mb = measured(globals()[fn_name], *call_args)
    with open(result_path, "wb") as fh:
        pickle.dump((result, max(own_mb, children_mb)), fh)
