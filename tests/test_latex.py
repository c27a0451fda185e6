"""LaTeX papers: each cleaning rule on small papers the tests write, then on real multi-file papers."""

from __future__ import annotations

import gzip
import io
import tarfile

from mathcorpus.document import Document, Rejection
from mathcorpus.recipe import LatexSpec, SourceSpec
from mathcorpus.sources import read_unit, read_units
from mathcorpus.sources.latex import clean_paper, collect_macros, expand_macros, inline_inputs, strip_comments

MAIN = r"""\documentclass{article}
\usepackage{amsmath,mymacros}
\newcommand{\R}{\mathbb{R}}
\newcommand\norm[1]{\left\| #1 \right\|}
\def\inner#1#2{\langle #1, #2\rangle}
\DeclareMathOperator{\Hom}{Hom}
\title{A paper}
\begin{document}
\maketitle
\begin{abstract} We study $\R$. \end{abstract}
% \input{secret}
\input{intro}
\include{chapters/two}
\bibliographystyle{plain}
\bibliography{refs}
\end{document}
after the end
"""
INTRO = r"""\section{Intro}
Let $x \in \R^n$ with $\norm{x} = 1$, $\inner{x}{y}=0$, $\Hom(A,B)$ and $\C$. % a remark
50\% of the time, foo%
bar.
\input{missing}
"""
TWO = r"""\section{Two} \input{chapters/two} See \url{http://a.b/x%20y}.
\begin{verbatim}
% kept in verbatim
\end{verbatim}
\begin{thebibliography}{9}\bibitem{a} A. Author, Title.\end{thebibliography}
"""
PAPER = {
    "main.tex": MAIN,
    "intro.tex": INTRO,
    "chapters/two.tex": TWO,
    "mymacros.sty": r"\newcommand{\C}{\mathbb{C}}",
    "secret.tex": "SECRET",
}


def _clean(files=PAPER, **kw):
    papers = clean_paper(files, **kw)
    assert len(papers) == 1
    return papers[0]


def test_comments_are_removed_as_tex_reads_them():
    text = strip_comments(
        "a % note\nb\n50\\% off\\\\% gone\nfoo%\n   bar\n\\begin{comment}x\\end{comment}"
        "\\iffalse hidden \\fi\\verb|%|\\url{x%20}"
    )
    assert text == "a b\n50\\% off\\\\foobar\n\\verb|%|\\url{x%20}"


def test_inputs_are_inlined_with_cycle_guard_and_missing_files_counted():
    paper = _clean()
    assert "Let $x" in paper.text and "\\section{Two}" in paper.text
    assert paper.meta["main_file"] == "main.tex"
    assert paper.meta["missing_inputs"] == ["missing"]
    assert paper.meta["cyclic_inputs"] == ["chapters/two.tex"]
    assert "SECRET" not in paper.text  # its \input was commented out
    assert paper.meta["unused_tex_files"] == ["secret.tex"]


def test_input_forms_and_depth_cap():
    files = {
        "a.tex": "A \\input b\n \\import{sub/}{c} \\subfile{sub/d.tex} \\includegraphics{b}",
        "b.tex": "B",
        "sub/c.tex": "C \\input{d}",
        "sub/d.tex": "D",
    }
    text = inline_inputs("a.tex", files)
    assert [t for t in "ABCD" if t in text] == list("ABCD")
    assert "\\includegraphics{b}" in text
    chain = {f"f{i}.tex": f"L{i} \\input{{f{i + 1}}}" for i in range(30)}
    deep = inline_inputs("f0.tex", chain, max_depth=5)
    assert "L4" in deep and "L6" not in deep


def test_macros_are_expanded_so_the_same_math_reads_the_same():
    paper = _clean()
    assert "$x \\in \\mathbb{R}^n$" in paper.text
    assert "\\left\\| x \\right\\|" in paper.text and "\\langle x, y\\rangle" in paper.text
    assert "\\operatorname{Hom}(A,B)" in paper.text and "\\mathbb{C}" in paper.text  # from the .sty
    assert "\\newcommand" not in paper.text and paper.meta["macros_expanded"] >= 5
    # the same formula written with two papers' own macros hashes the same after cleaning
    a = clean_paper({"a.tex": "\\newcommand{\\RR}{\\mathbb{R}}\\section{S} $f: \\RR \\to \\RR$"})[0].text
    b = clean_paper({"b.tex": "\\def\\reals{\\mathbb{R}}\\section{S} $f: \\reals \\to \\reals$"})[0].text
    assert a == b


def test_macro_edge_cases_never_loop_or_break_text():
    macros, rest = collect_macros(
        r"\newcommand{\loop}{\loop x}\newcommand{\opt}[1][a]{#1}"
        r"\def\delim#1.{#1}\newcommand{\prog}{\@ifnextchar[{a}{b}}"
        r"\providecommand{\R}{P}\newcommand{\R}{\mathbb{R}}"
    )
    assert set(macros) == {"loop", "R"}  # optional args, delimited params and programs stay as written
    assert "\\opt" in rest and "\\delim" in rest and "\\prog" in rest
    text, _ = expand_macros(r"\loop and \R x and \Rx", macros)
    assert len(text) < 1000 and "\\mathbb{R} x" in text and "\\Rx" in text
    # a one-token argument without braces
    assert expand_macros(r"\n\alpha", {"n": collect_macros(r"\newcommand{\n}[1]{|#1|}")[0]["n"]})[0] == r"|\alpha|"


def test_preamble_and_bibliography_are_dropped_math_is_kept():
    paper = _clean()
    assert paper.text.startswith("\\section{Intro}")
    assert "\\maketitle" not in paper.text and "We study" not in paper.text
    for gone in ("thebibliography", "\\bibliography", "A. Author", "after the end", "\\end{document}"):
        assert gone not in paper.text
    assert "% kept in verbatim" in paper.text and "\\url{http://a.b/x%20y}" in paper.text
    with_abstract = _clean(keep_abstract=True)
    assert with_abstract.text.startswith("\\begin{abstract} We study $\\mathbb{R}$.")
    raw = _clean(expand=False, drop_preamble_=False)
    assert "\\documentclass" in raw.text and "\\R" in raw.text


def test_main_file_choice_alternatives_and_supplements():
    files = {
        "web.tex": "\\documentclass{a}\\begin{document}\\input{content}\\end{document}",
        "print.tex": "\\documentclass{a}\\begin{document}\\input{content}\\input{extra}\\end{document}",
        "content.tex": "\\section{C} body",
        "extra.tex": "\\section{E} more",
        "supp.tex": "\\documentclass{a}\\begin{document}\\section{Supplement} s\\end{document}",
    }
    papers = clean_paper(files)
    assert [p.roots for p in papers] == [["print.tex"], ["supp.tex"]]
    assert papers[0].meta["alternative_main_files"] == ["web.tex"]
    # no main file: the files nobody inputs, in path order
    fragments = clean_paper({"b.tex": "\\section{B} b \\input{c}", "a.tex": "\\section{A} a", "c.tex": "c"})
    assert len(fragments) == 1 and fragments[0].roots == ["a.tex", "b.tex"]
    assert fragments[0].text.split() == ["\\section{A}", "a", "\\section{B}", "b", "c"]


# -- containers ---------------------------------------------------------------------------------


def _tar(files: dict[str, bytes], mode="w") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _read_all(spec):
    return [v for unit in read_units(spec) for v in read_unit(unit, spec)]


PAPER_BYTES = {k: v.encode() for k, v in PAPER.items()} | {"fig.png": b"\x89PNG\x00\x00"}


def test_every_arxiv_shape_is_read_in_memory(tmp_path):
    one_file = "\\documentclass{article}\\begin{document}\\section{One} caf\xe9 $x$\\end{document}"
    bulk = _tar(
        {
            "2301/2301.00001.gz": gzip.compress(_tar(PAPER_BYTES)),  # multi-file paper
            "2301/2301.00002.gz": gzip.compress(one_file.encode("latin-1")),  # one file, no extension
            "2301/2301.00003.pdf": b"%PDF-1.4 binary",  # no source
        }
    )
    src = tmp_path / "src"
    src.mkdir()
    (src / "arXiv_src_2301_001.tar").write_bytes(bulk)
    (src / "1234.5678v2.tar.gz").write_bytes(gzip.compress(_tar(PAPER_BYTES)))
    (src / "single.tex.gz").write_bytes(gzip.compress(one_file.encode()))
    folder = src / "folder_paper"
    (folder / "chapters").mkdir(parents=True)
    for name, data in PAPER_BYTES.items():
        (folder / name).write_bytes(data)
    verdicts = _read_all(SourceSpec(kind="arxiv", path=str(src), name="arxiv"))
    docs = {v.id: v for v in verdicts if isinstance(v, Document)}
    rejected = {v.id: v.reason for v in verdicts if isinstance(v, Rejection)}
    assert set(docs) == {
        "arxiv/arXiv_src_2301_001.tar::2301/2301.00001.gz",
        "arxiv/arXiv_src_2301_001.tar::2301/2301.00002.gz",
        "arxiv/1234.5678v2.tar.gz",
        "arxiv/single.tex.gz",
        "arxiv/folder_paper",
    }
    assert rejected == {"arxiv/arXiv_src_2301_001.tar::2301/2301.00003.pdf": "no_tex_source"}
    texts = {d.text for d in docs.values() if "Intro" in d.text}
    assert len(texts) == 1  # the same paper reads the same from a bulk tar, a tarball and a folder
    latin = docs["arxiv/arXiv_src_2301_001.tar::2301/2301.00002.gz"]
    assert "caf\xe9" in latin.text and latin.meta["encoding"] == "latin-1"
    assert latin.meta["arxiv_id"] == "2301.00002"
    assert docs["arxiv/1234.5678v2.tar.gz"].meta["arxiv_id"] == "1234.5678v2"
    assert docs["arxiv/folder_paper"].meta["other_files"] == 1  # the figure, counted not read
    assert all(d.kind == "paper" and d.language == "tex" for d in docs.values())


def test_a_paper_without_latex_and_an_empty_one_are_rejected_with_reasons(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.md").write_text("# not latex")
    (tmp_path / "blank").mkdir()
    (tmp_path / "blank" / "main.tex").write_text("\\documentclass{a}\\begin{document}%\n\\end{document}")
    verdicts = _read_all(SourceSpec(kind="arxiv", path=str(tmp_path), name="p"))
    assert sorted((v.id, v.reason) for v in verdicts) == [
        ("p/blank", "empty_after_cleaning"),
        ("p/notes", "no_tex_source"),
    ]


def test_a_single_tex_file_or_a_glob_of_archives(tmp_path):
    (tmp_path / "a.tex").write_text("\\section{A} $a^2$")
    (tmp_path / "b.tar.gz").write_bytes(gzip.compress(_tar(PAPER_BYTES)))
    docs = _read_all(SourceSpec(kind="arxiv", path=str(tmp_path / "*.tex"), name="p"))
    assert [d.id for d in docs] == ["p/a.tex"] and docs[0].text == "\\section{A} $a^2$\n"
    docs = _read_all(
        SourceSpec(kind="arxiv", path=str(tmp_path / "b.tar.gz"), name="p", latex=LatexSpec(expand_macros=False))
    )
    assert "\\R^n" in docs[0].text


def test_real_multi_file_papers(shared_data):
    math = shared_data / "papers" / "math"
    spec = SourceSpec(kind="arxiv", path=str(math), name="papers", include=["**/*.tex"])
    docs = {v.id: v for v in _read_all(spec) if isinstance(v, Document)}
    paper = docs["papers/teorth__equational_theories"]  # a real paper: main.tex inputs its sections
    assert paper.meta["main_file"] == "paper/main.tex" and paper.meta["inlined"] >= 10
    assert paper.text.startswith("\\section{Introduction}")
    assert "\\documentclass" not in paper.text and "\\newcommand" not in paper.text
    assert "\\bibliography{references}" in (math / "teorth__equational_theories" / "paper" / "main.tex").read_text()
    assert "\\bibliography" not in paper.text and "\\bibliographystyle" not in paper.text
    raw = "".join(p.read_text() for p in (math / "teorth__equational_theories" / "paper").glob("*.tex"))
    assert "%" in raw and not any(line.lstrip().startswith("%") for line in paper.text.splitlines())
    book = docs["papers/HoTT__book"]
    assert book.meta["macros_expanded"] > 1000 and "\\@ifnextchar" not in book.text
    assert len(book.text) < 1.5 * sum(p.stat().st_size for p in (math / "HoTT__book").glob("*.tex"))
    flt = docs["papers/ImperialCollegeLondon__FLT"]  # print.tex and web.tex build the same text
    assert flt.meta["alternative_main_files"] and "Fermat" in flt.text
