"""A recipe mixing arXiv tarballs, a datasets folder and JSONL web text, scored by a classifier that
the recipe bootstraps from unlabeled text, end to end through Beam."""

from __future__ import annotations

import glob
import gzip
import io
import json
import tarfile

import datasets
import pyarrow.parquet as pq
import yaml

from mathcorpus.pipeline.build import run_recipe
from mathcorpus.recipe import load_recipe

EVERYDAY = (
    "bread flour oven morning garden river train ticket holiday coffee market music "
    "weather summer friends dinner recipe village bicycle museum painting football window "
    "kitchen evening forest beach letter family weekend songs travel street"
).split()


def prose(seed: int, words: int = 120) -> str:
    """Everyday (non-math) prose."""
    import random

    rng = random.Random(seed)
    return " ".join(rng.choice(EVERYDAY) for _ in range(words)) + "."


MATH_SENTENCES = [
    r"Let $f \colon \R \to \R$ be continuous and suppose $\int_0^1 f(x)\,dx = 0$. Then by the mean "
    r"value theorem there is $c \in [0,1]$ with $f(c) = 0$. \begin{proof} Apply the lemma to $g = f^2$. \end{proof}",
    r"\begin{theorem} For every prime $p$ and integer $a$, $a^p \equiv a \pmod p$. \end{theorem} "
    r"The proof is by induction on $a$, using the binomial theorem: $(a+1)^p = \sum_{k=0}^p \binom{p}{k} a^k$.",
    r"Suppose $\lambda$ is an eigenvalue of the matrix $A$, so $A v = \lambda v$ for $v \neq 0$. "
    r"Hence $\det(A - \lambda I) = 0$ and the characteristic polynomial vanishes at $\lambda$.",
]


def _tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _paper(i: int) -> dict[str, bytes]:
    main = (
        r"\documentclass{amsart}\newcommand{\R}{\mathbb{R}}\begin{document}\title{Paper %d}\maketitle"
        r"\input{body}\bibliography{refs}\end{document}" % i
    )
    body = "\n\n".join(
        [f"\\section{{Part {i}}}"]
        + MATH_SENTENCES[i % 3 :]
        + MATH_SENTENCES[: i % 3]
        + [f"% private note {i}\nWe conclude with remark {i}: $x_{i} = {i}$."]
    )
    return {"main.tex": main.encode(), "body.tex": body.encode(), "fig.pdf": b"%PDF\x00"}


def test_arxiv_datasets_and_web_text_in_one_recipe(tmp_path):
    arxiv = tmp_path / "arxiv"
    arxiv.mkdir()
    (arxiv / "arXiv_src_2401_001.tar").write_bytes(
        _tar(
            {f"2401/2401.0000{i}.gz": gzip.compress(_tar(_paper(i))) for i in range(3)}
            | {"2401/2401.00009.pdf": b"%PDF-1.5"}
        )
    )
    (arxiv / "2402.00001.tar.gz").write_bytes(gzip.compress(_tar(_paper(4))))
    (arxiv / "2402.00002.gz").write_bytes(
        gzip.compress(
            b"\\documentclass{article}\\begin{document}\\section{Short} $e^{i\\pi} + 1 = 0$ is Euler's identity "
            b"and the proof uses the exponential series.\\end{document}"
        )
    )

    datasets.disable_progress_bars()
    rows = [
        {"content": s + f" (problem {i})", "link": f"https://forum.example/q/{i}"} for i, s in enumerate(MATH_SENTENCES)
    ]
    rows += [{"content": prose(i), "link": f"https://blog.example/{i}"} for i in range(3)]
    datasets.Dataset.from_list(rows).save_to_disk(str(tmp_path / "forum"))

    web = [{"id": f"w{i}", "url": f"https://web.example/{i}", "text": prose(100 + i)} for i in range(4)]
    web.append({"id": "w-math", "url": "https://web.example/m", "text": MATH_SENTENCES[1]})
    (tmp_path / "web.jsonl").write_text("".join(json.dumps(r) + "\n" for r in web))

    unlabeled = tmp_path / "unlabeled.jsonl"  # no labels: rules seed them, the model relabels
    unlabeled.write_text(
        "".join(
            json.dumps({"text": t}) + "\n"
            for t in [s for s in MATH_SENTENCES for _ in range(10)] + [prose(200 + i) for i in range(30)]
        )
    )
    recipe = {
        "name": "papers-and-web",
        "sources": [
            {"name": "arxiv", "kind": "arxiv", "path": "arxiv"},
            {"name": "forum", "kind": "hf", "path": "forum", "text_field": "content", "fields": {"url": "link"}},
            {"name": "web", "kind": "jsonl", "path": "web.jsonl", "id_field": "id"},
        ],
        "filters": {
            "math_classifier": {
                "model": "clf.bin",
                "threshold": 0.5,
                "thresholds": {"paper": 0.0},
                "train_if_missing": {"unlabeled": ["unlabeled.jsonl"], "rounds": 2, "epoch": 50},
            }
        },
        "dedup": {"exact": True},
        "output": "out",
    }
    (tmp_path / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    manifest = run_recipe(load_recipe(tmp_path / "recipe.yaml"), str(tmp_path / "out"))

    counts = manifest["counts"]
    assert counts["input"] == 3 + 1 + 2 + 6 + 5  # 4 papers from the bulk tar (1 PDF), 2 loose, 6 rows, 5 lines
    assert counts["input"] == counts["kept"] + sum(counts["dropped"].values())
    assert counts["dropped"]["no_tex_source"] == 1
    docs = {d["id"]: d for d in pq.read_table(glob.glob(str(tmp_path / "out" / "documents" / "*.parquet"))).to_pylist()}
    papers = [d for d in docs.values() if d["source"] == "arxiv"]
    assert len(papers) == 5 and all(d["kind"] == "paper" for d in papers)
    for d in papers:
        assert "\\mathbb{R}" in d["text"] or "Euler" in d["text"]
        assert "private note" not in d["text"] and "\\bibliography" not in d["text"] and "\\title" not in d["text"]
    assert json.loads(docs["arxiv/arXiv_src_2401_001.tar::2401/2401.00001.gz"]["meta"])["arxiv_id"] == "2401.00001"
    assert all(d["math_score"] is not None for d in docs.values())
    forum = {d["id"] for d in docs.values() if d["source"] == "forum"}
    web_kept = {d["id"] for d in docs.values() if d["source"] == "web"}
    assert len(forum) == 3 and all(docs[i]["url"].startswith("https://forum.example/") for i in forum)
    assert web_kept == {"web/w-math"}  # the prose pages score low and are dropped; the math page stays
    assert counts["dropped"]["low_math_score"] == 3 + 4
