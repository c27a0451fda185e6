"""Theorem-level matching for formal benchmarks (miniF2F, ProofNet, LeanDojo/PISA test theorems).

As AlgebraicStack did, a Lean, Isabelle or Coq file that states a benchmark theorem loses that one
declaration; the rest of the file is kept. A declaration matches by name (the last dotted component,
so ``MiniF2F.aime_1983_p1`` matches ``aime_1983_p1``) or by normalized statement (so a renamed
copy matches too).

Lexical, because no tree-sitter grammar for these languages is bundled:
- a declaration starts on a line whose first word is a theorem keyword (Lean ``theorem``/``lemma``
  after optional ``@[...]``/``private``/``protected``; Isabelle ``theorem``/``lemma``/``corollary``/
  ``proposition``; Coq ``Theorem``/``Lemma``/``Corollary``/``Proposition``/``Fact``/``Remark``/
  ``Example``) and runs to the next line that starts, at column 0, another top-level command
  (declarations, ``namespace``/``section``/``end NAME``, ``open``, ``import``, Isabelle's closing
  ``end``, doc comments, ...). Lean 3's ``begin`` ... ``end`` at column 0 stay inside;
- its statement is the text after the name up to where the proof starts (Lean ``:=``, `` by``,
  ``where``; Isabelle ``proof``/``by``/``apply``/``using``/``unfolding``/``sorry``/``oops``; Coq
  ``Proof``/``Admitted``/``:=``), with comments removed, NFKC, whitespace collapsed.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

FORMAL_LANGUAGES = {"lean", "lean3", "lean4", "isabelle", "coq"}
FORMAL_EXTENSIONS = (".lean", ".thy", ".v")

_DECL = re.compile(
    r"^(?:@\[[^\]\n]*\]\s*)?(?:(?:private|protected|nonrec|noncomputable|local)\s+)*"
    r"(?P<kw>theorem|lemma|corollary|proposition|Theorem|Lemma|Corollary|Proposition|Fact|Remark|Example)"
    r"\s+(?P<name>[^\s:({\[\"]+)",
    re.MULTILINE,
)
_TOP_LEVEL = re.compile(
    r"^(?:theorem|lemma|corollary|proposition|def|definition|abbrev|example|instance|structure|class|"
    r"inductive|namespace|section|open|import|variable|variables|universe|attribute|axiom|notation|"
    r"noncomputable|private|protected|@\[|/--|/-|#|set_option|mutual|macro|syntax|elab|"
    r"Theorem|Lemma|Corollary|Proposition|Fact|Remark|Example|Definition|Fixpoint|Inductive|Record|"
    r"Module|Section|Require|From|Import|Export|Ltac|Hint|Notation|Variable|Variables|Context|"
    r"fun|primrec|datatype|locale|context|text|subsection|subsubsection|chapter|"
    r"end\s+\S|end\s*$|End\s)",
    re.MULTILINE,
)
_PROOF_START = re.compile(
    r":=|\bby\b|\bwhere\b|\bproof\b|\bapply\b|\busing\b|\bunfolding\b|\bsorry\b|"
    r"\boops\b|\bProof\b|\bAdmitted\b|\bbegin\b"
)
_COMMENTS = re.compile(r"/-.*?-/|--[^\n]*|\(\*.*?\*\)", re.DOTALL)


@dataclass(frozen=True)
class Declaration:
    name: str
    statement_hash: str
    start: int
    end: int


def short_name(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def normalize_statement(text: str) -> str:
    text = unicodedata.normalize("NFKC", _COMMENTS.sub(" ", text))
    return " ".join(text.split())


def statement_hash(statement: str) -> str:
    return hashlib.sha1(normalize_statement(statement).encode("utf-8", "surrogatepass")).hexdigest()


_BEGIN = re.compile(r"^begin\b", re.MULTILINE)
_BARE_END = re.compile(r"^end\s*$", re.MULTILINE)


def _declaration_end(text: str, start: int) -> int:
    """Where the declaration starting at `start` ends: the next top-level command at column 0, except
    a bare ``end`` that closes a Lean 3 ``begin`` block opened inside the declaration."""
    line_end = text.find("\n", start)
    pos = len(text) if line_end < 0 else line_end + 1
    while True:
        nxt = _TOP_LEVEL.search(text, pos)
        if nxt is None:
            return len(text)
        body = text[start : nxt.start()]
        if _BARE_END.match(text, nxt.start()) and len(_BEGIN.findall(body)) > len(_BARE_END.findall(body)):
            line_end = text.find("\n", nxt.start())
            pos = len(text) if line_end < 0 else line_end + 1
            continue
        return nxt.start()


def declarations(text: str) -> list[Declaration]:
    """The theorem-like declarations of a Lean / Isabelle / Coq text, with their spans."""
    starts = list(_DECL.finditer(text))
    out = []
    for m in starts:
        body_from = m.end("name")
        end = _declaration_end(text, m.start())
        proof = _PROOF_START.search(text, body_from, end)
        statement = text[body_from : proof.start() if proof else end]
        name = m.group("name").strip("\"'")
        out.append(Declaration(name, statement_hash(statement), m.start(), end))
    return out


def is_formal(language: str | None, path: str | None) -> bool:
    return (language or "").lower() in FORMAL_LANGUAGES or (path or "").lower().endswith(FORMAL_EXTENSIONS)


def formal_index(items) -> dict:
    """{"names": {short name: (benchmark, split, item)}, "statements": {hash: (benchmark, split, item)}}
    from FormalItems; each item contributes the declarations in its statement (or its name alone)."""
    names, statements = {}, {}
    for it in sorted(items, key=lambda i: (i.benchmark, i.split, i.item)):
        ref = (it.benchmark, it.split, it.item)
        names.setdefault(short_name(it.name), ref)
        for decl in declarations(it.statement):
            names.setdefault(short_name(decl.name), ref)
            statements.setdefault(decl.statement_hash, ref)
    return {"names": names, "statements": statements}


def cut_declarations(text: str, index: dict) -> tuple[str, list[dict]]:
    """The text without the declarations that state a benchmark theorem, and one record per cut."""
    cuts, pieces, last = [], [], 0
    for decl in declarations(text):
        ref = index["names"].get(short_name(decl.name))
        how = "theorem_name"
        if ref is None:
            ref, how = index["statements"].get(decl.statement_hash), "theorem_statement"
        if ref is None or decl.start < last:
            continue
        pieces.append(text[last : decl.start])
        last = decl.end
        cuts.append(
            {
                "benchmark": ref[0],
                "split": ref[1],
                "item": ref[2],
                "match": how,
                "declaration": decl.name,
                "span": text[decl.start : decl.end][:300],
            }
        )
    pieces.append(text[last:])
    return "".join(pieces), cuts
