"""LaTeX papers as one clean document: main file, inlined inputs, expanded macros, no preamble.

Pure functions over a paper's files (``{relative path: text}``), used by the arXiv source
(``sources/arxiv.py``) and tested on their own. The steps, in order, and why:

1. **Comments go first** (``strip_comments``): ``%`` to the end of the line together with the line
   break and the next line's indentation, as TeX reads it (``foo%\\nbar`` is ``foobar``); an escaped
   ``\\%`` stays. ``\\begin{comment}`` blocks and ``\\iffalse ... \\fi`` blocks go too. A commented-out
   ``\\input`` is therefore never followed. ``\\verb``, ``\\url``/``\\href`` targets and verbatim-like
   environments are left untouched.
2. **Main file** (``find_main_files``): a ``.tex`` file with ``\\documentclass`` (or LaTeX 2.09's
   ``\\documentstyle``) and ``\\begin{document}``. When several qualify (``web.tex`` and ``print.tex``
   over the same chapters, or a paper and its supplement) the one whose inlined text is longest is the
   paper; another one that shares no file with it is a separate document (a supplement), one that does
   is an alternative build of the same text and is only named in ``meta``. A paper without any main
   file (a folder of chapters) becomes the files that no other file inputs, inlined, in path order.
3. **Inputs are inlined** (``inline_inputs``): ``\\input{x}``, ``\\input x``, ``\\include{x}``,
   ``\\subfile{x}``, ``\\import{dir}{x}``/``\\subimport{dir}{x}``, resolved like TeX does (relative to
   the main file's folder, ``.tex`` added when missing; then relative to the including file), and
   ``\\usepackage{x}`` when the paper ships ``x.sty`` (for its macros). Depth is capped
   (``max_input_depth``) and a file that inputs itself (directly or not) is not entered again; missing
   and cyclic inputs are counted in ``meta``.
4. **The paper's own simple macros are expanded** (``expand_macros``), so that the same formula hashes
   the same in every paper: ``\\newcommand``/``\\renewcommand``/``\\providecommand`` (starred or not)
   with no arguments or with plain ``#1``..``#9`` arguments, ``\\def\\x{...}`` and ``\\def\\x#1#2{...}``,
   and ``\\DeclareMathOperator{\\x}{y}`` (to ``\\operatorname{y}``). Macros with an optional argument
   or delimited parameters are left as written, and so are TeX programs (bodies with conditionals,
   ``@`` internals, nested definitions, ``\\mathchoice``, or longer than 400 characters): expanding
   them gives noise, not notation. A trailing ``\\xspace`` is dropped. Expansion runs to a fixed point (macros using macros)
   with a pass cap and a size cap, so a recursive definition cannot loop or explode.
5. **Preamble and bibliography go** (RedPajama's arXiv cleaning, which Proof-Pile-2 reused): the text
   before the first sectioning command (``\\part`` .. ``\\paragraph``) is dropped, and with it the
   title and, unless ``keep_abstract``, the abstract; a paper with no sectioning command keeps its
   ``\\begin{document}`` body (RedPajama dropped such papers; short notes are worth keeping).
   ``thebibliography`` environments, ``\\bibliography{}``, ``\\bibliographystyle{}``,
   ``\\printbibliography`` and everything after ``\\end{document}`` go. Math is kept as written.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

TEX_SUFFIXES = (".tex", ".ltx", ".sty")
MAX_EXPANSION_PASSES = 8
MAX_EXPANSION_GROWTH = 4  # expanded text may be at most this many times the input (plus 1 MB)

# ---------------------------------------------------------------------------------------------
# 1. comments


_PROTECTED = re.compile(
    r"\\begin\{(verbatim\*?|lstlisting|minted|Verbatim|alltt)\}.*?\\end\{\1\}"  # verbatim blocks
    r"|\\verb\*?([^a-zA-Z\s*]).*?\2"  # \verb|...|
    r"|\\(?:url|href)\{[^{}\n]*\}",  # URLs may hold %20
    re.S,
)
_COMMENT = re.compile(r"(?<!\\)((?:\\\\)*)%[^\n]*(?:\n[ \t]*)?")
_COMMENT_ENV = re.compile(r"\\begin\{comment\}.*?\\end\{comment\}", re.S)
_IFFALSE = re.compile(r"\\iffalse\b.*?\\fi\b", re.S)


def strip_comments(text: str) -> str:
    """TeX comments removed as TeX reads them; verbatim-like spans kept byte for byte."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out, pos = [], 0
    for m in _PROTECTED.finditer(text):
        out.append(_strip_plain(text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_strip_plain(text[pos:]))
    return "".join(out)


def _strip_plain(text: str) -> str:
    text = _COMMENT.sub(lambda m: m.group(1), text)
    text = _COMMENT_ENV.sub("", text)
    return _IFFALSE.sub("", text)


# ---------------------------------------------------------------------------------------------
# helpers: balanced groups


def read_group(text: str, pos: int, open_: str = "{", close: str = "}") -> tuple[str, int] | None:
    """(content, end) of the balanced group that opens at `pos`, or None when unbalanced."""
    if pos >= len(text) or text[pos] != open_:
        return None
    depth, i = 0, pos
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == open_:
            depth += 1
        elif ch == close:
            depth -= 1
            if depth == 0:
                return text[pos + 1 : i], i + 1
        i += 1
    return None


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\n":
        pos += 1
    return pos


def read_argument(text: str, pos: int) -> tuple[str, int] | None:
    """One undelimited macro argument at `pos` (after spaces): a braced group (braces removed), a
    control sequence, or a single character."""
    pos = _skip_space(text, pos)
    if pos >= len(text):
        return None
    if text[pos] == "{":
        return read_group(text, pos)
    if text[pos] == "}":
        return None
    if text[pos] == "\\":
        m = _CONTROL_SEQUENCE.match(text, pos)
        return m.group(0), m.end()
    return text[pos], pos + 1


_CONTROL_SEQUENCE = re.compile(r"\\(?:[A-Za-z@]+|.)", re.S)

# ---------------------------------------------------------------------------------------------
# 2./3. main file and inputs


_DOCUMENTCLASS = re.compile(r"\\document(?:class|style)\b")
_BEGIN_DOCUMENT = re.compile(r"\\begin\s*\{document\}")
_INPUT = re.compile(
    r"\\(?:(?P<imp>subimport|import)\s*\{(?P<dir>[^{}]*)\}\s*\{(?P<file>[^{}]*)\}"
    r"|(?P<cmd>input|include|subfile|usepackage)(?![A-Za-z@])\s*"
    r"(?:\[[^\]]*\]\s*)?"  # \usepackage[opts]{x}
    r"(?:\{(?P<braced>[^{}]*)\}|(?P<bare>[^\s{}\\%]+)))"
)


@dataclass
class InlineStats:
    inlined: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    cyclic: list[str] = field(default_factory=list)
    too_deep: int = 0


def _resolve(name: str, base_dirs: list[str], files: dict[str, str], suffix: str) -> str | None:
    name = name.strip().strip('"')
    candidates = [name] if name.endswith(TEX_SUFFIXES) else [name + suffix, name]
    for base in base_dirs:
        for cand in candidates:
            path = posixpath.normpath(posixpath.join(base, cand))
            if path in files:
                return path
    return None


def inline_inputs(path: str, files: dict[str, str], max_depth: int = 16, stats: InlineStats | None = None) -> str:
    """The text of `path` (comments already stripped from every file) with its inputs inlined."""
    stats = stats if stats is not None else InlineStats()
    root_dir = posixpath.dirname(path)

    def expand(current: str, stack: tuple[str, ...]) -> str:
        text = files[current]
        cur_dir = posixpath.dirname(current)

        def replace(m: re.Match) -> str:
            if m.group("imp"):
                cmd, name = m.group("imp"), m.group("file")
            else:
                cmd = m.group("cmd")
                name = m.group("braced") if m.group("braced") is not None else m.group("bare")
            if cmd == "usepackage":
                # only the paper's own packages, for their macros; several names may be listed
                parts = [_resolve(n, [root_dir, cur_dir], files, ".sty") for n in name.split(",")]
                local = [p for p in parts if p and p.endswith(".sty") and p not in stack]
                if not local:
                    return m.group(0)
                return m.group(0) + "".join("\n" + include(p) + "\n" for p in local)
            if cmd in ("import", "subimport"):
                base = posixpath.join(cur_dir if cmd == "subimport" else root_dir, m.group("dir") or "")
                target = _resolve(name, [base, root_dir, cur_dir], files, ".tex")
            else:
                target = _resolve(name, [root_dir, cur_dir], files, ".tex")
            if target is None:
                stats.missing.append(name)
                return ""
            if target in stack:
                stats.cyclic.append(target)
                return ""
            return "\n" + include(target) + "\n"

        def include(target: str) -> str:
            if len(stack) >= max_depth:
                stats.too_deep += 1
                return ""
            stats.inlined.append(target)
            return expand(target, stack + (target,))

        return _INPUT.sub(replace, text)

    return expand(path, (path,))


def is_main_file(text: str) -> bool:
    return bool(_DOCUMENTCLASS.search(text) and _BEGIN_DOCUMENT.search(text))


@dataclass
class Part:
    """One document made from a paper: its root file(s) and their inlined text."""

    roots: list[str]
    text: str
    stats: InlineStats
    alternatives: list[str] = field(default_factory=list)

    @property
    def reached(self) -> set[str]:
        return {*self.roots, *self.stats.inlined}


def assemble(files: dict[str, str], max_depth: int = 16) -> list[Part]:
    """The documents of one paper (see the module docstring, step 2); `files` comment-free."""
    tex = sorted(p for p in files if p.endswith((".tex", ".ltx")))
    mains = [p for p in tex if is_main_file(files[p])]
    built = {}
    for main in mains:
        stats = InlineStats()
        built[main] = Part([main], inline_inputs(main, files, max_depth, stats), stats)
    if mains:
        order = sorted(mains, key=lambda p: (-len(built[p].text), p.count("/"), p))
        parts: list[Part] = []
        for main in order:
            owner = next((q for q in parts if built[main].reached & q.reached), None)
            if owner is None:
                parts.append(built[main])
            else:
                owner.alternatives.append(main)
        return parts
    # No main file: the files no other file inputs, in path order, each inlined.
    included: set[str] = set()
    inlined = {}
    for path in tex:
        stats = InlineStats()
        inlined[path] = (inline_inputs(path, files, max_depth, stats), stats)
        included.update(s for s in stats.inlined if s != path)
    roots = [p for p in tex if p not in included]
    if not roots:
        return []
    stats = InlineStats()
    for r in roots:
        s = inlined[r][1]
        stats.inlined += s.inlined
        stats.missing += s.missing
        stats.cyclic += s.cyclic
        stats.too_deep += s.too_deep
    return [Part(roots, "\n\n".join(inlined[r][0] for r in roots), stats)]


# ---------------------------------------------------------------------------------------------
# 4. macros


@dataclass(frozen=True)
class Macro:
    nargs: int
    body: str


_DEFINITION = re.compile(
    r"\\(?P<kind>(?:re)?newcommand|providecommand|DeclareRobustCommand|DeclareMathOperator"
    r"|[egx]?def)(?![A-Za-z@])(?P<star>\*?)\s*"
)


def collect_macros(text: str) -> tuple[dict[str, Macro], str]:
    """The simple macros `text` defines, and the text without those definitions (definitions
    that are not simple stay in the text as written). A later definition wins, as in TeX."""
    macros: dict[str, Macro] = {}
    out, pos = [], 0
    for m in _DEFINITION.finditer(text):
        if m.start() < pos:
            continue
        parsed = _parse_definition(text, m)
        if parsed is None:
            continue
        name, macro, end = parsed
        if macro is not None and m.group("kind") == "providecommand" and name in macros:
            macro = None  # \providecommand does not override
        if macro is not None and (name in _STRUCTURAL or not is_notation(macro.body)):
            macro = None  # never expand what the cleaning steps look for, nor TeX programs
        if macro is not None:
            macros[name] = Macro(macro.nargs, _XSPACE.sub("", macro.body))  # spacing only
            out.append(text[pos : m.start()])
            pos = end
    out.append(text[pos:])
    return macros, "".join(out)


def _parse_definition(text: str, m: re.Match) -> tuple[str, Macro | None, int] | None:
    kind, pos = m.group("kind"), m.end()
    # the name: \x or {\x}
    if pos < len(text) and text[pos] == "{":
        group = read_group(text, pos)
        if group is None:
            return None
        name, pos = group[0].strip(), group[1]
    else:
        cs = _CONTROL_SEQUENCE.match(text, pos)
        if cs is None:
            return None
        name, pos = cs.group(0), cs.end()
    if not re.fullmatch(r"\\[A-Za-z@]+", name):
        return None
    name = name[1:]
    if kind == "DeclareMathOperator":
        group = read_group(text, _skip_space(text, pos))
        if group is None:
            return None
        op = "\\operatorname*" if m.group("star") else "\\operatorname"
        return name, Macro(0, f"{op}{{{group[0]}}}"), group[1]
    if kind.endswith("def"):
        params = re.match(r"(?:#[1-9])*", text[pos:])
        spec = params.group(0)
        after = pos + len(spec)
        if spec != "".join(f"#{i}" for i in range(1, len(spec) // 2 + 1)) or kind in ("edef", "xdef"):
            return name, None, after  # delimited or out-of-order parameters, \edef: left as written
        group = read_group(text, after)
        if group is None:
            return None
        return name, Macro(len(spec) // 2, group[0]), group[1]
    # \newcommand{\x}[n][default]{body}
    pos = _skip_space(text, pos)
    nargs = 0
    if pos < len(text) and text[pos] == "[":
        close = text.find("]", pos)
        if close < 0 or not text[pos + 1 : close].strip().isdigit():
            return None
        nargs, pos = int(text[pos + 1 : close]), _skip_space(text, close + 1)
        if pos < len(text) and text[pos] == "[":  # an optional argument: not a simple macro
            return name, None, pos
    group = read_group(text, pos)
    if group is None or nargs > 9:
        return None
    return name, Macro(nargs, group[0]), group[1]


_PROGRAMMING = re.compile(
    r"\\[A-Za-z]*@|\\(?:if[a-z]*|else|fi|or|expandafter|csname|endcsname|futurelet"
    r"|let|def|gdef|edef|xdef|newcommand|renewcommand|mathchoice|afterassignment"
    r"|aftergroup|begingroup|endgroup|catcode|NewDocumentCommand)(?![A-Za-z])|#[1-9]#"
)
MAX_MACRO_BODY = 400
_XSPACE = re.compile(r"\\xspace\s*$")


def is_notation(body: str) -> bool:
    """A macro body worth expanding: notation (``\\mathbb{R}``, ``\\left\\| #1 \\right\\|``), not a TeX
    program (conditionals, ``@`` internals, definitions, ``\\mathchoice``) whose expansion is noise."""
    return len(body) <= MAX_MACRO_BODY and not _PROGRAMMING.search(body)


_STRUCTURAL = frozenset(
    {
        "part",
        "chapter",
        "section",
        "subsection",
        "subsubsection",
        "paragraph",
        "begin",
        "end",
        "input",
        "include",
        "bibliography",
        "documentclass",
    }
)
_PARAM = re.compile(r"##|#([1-9])")


def _substitute(body: str, args: list[str]) -> str:
    return _PARAM.sub(
        lambda m: (
            "#" if m.group(1) is None else args[int(m.group(1)) - 1] if int(m.group(1)) <= len(args) else m.group(0)
        ),
        body,
    )


def expand_macros(text: str, macros: dict[str, Macro]) -> tuple[str, int]:
    """`text` with every use of `macros` replaced by its body; (text, number of expansions)."""
    if not macros:
        return text, 0
    names = sorted(macros, key=len, reverse=True)
    use = re.compile(r"\\(" + "|".join(re.escape(n) for n in names) + r")(?![A-Za-z@])")
    limit = MAX_EXPANSION_GROWTH * len(text) + (1 << 20)
    total = 0
    for _ in range(MAX_EXPANSION_PASSES):
        out, pos, count = [], 0, 0
        for m in use.finditer(text):
            if m.start() < pos:
                continue
            macro = macros[m.group(1)]
            end, args = m.end(), []
            for _ in range(macro.nargs):
                arg = read_argument(text, end)
                if arg is None:
                    break
                args.append(arg[0])
                end = arg[1]
            if len(args) < macro.nargs:
                continue
            body = _substitute(macro.body, args)
            # "\R x" must not become "\mathbb{R}x" nor "\alphax" run together: keep a separating space
            # after a body ending in a control word when a letter follows
            if re.search(r"\\[A-Za-z@]+$", body) and end < len(text) and text[end].isalpha():
                body += " "
            out.append(text[pos : m.start()])
            out.append(body)
            pos = end
            count += 1
        if not count:
            break
        out.append(text[pos:])
        expanded = "".join(out)
        if len(expanded) > limit:
            break
        text, total = expanded, total + count
    return text, total


# ---------------------------------------------------------------------------------------------
# 5. preamble and bibliography


_SECTIONING = re.compile(r"\\(?:part|chapter|section|subsection|subsubsection|paragraph)\*?\s*[\[{]")
_ABSTRACT = re.compile(r"\\begin\s*\{abstract\}.*?\\end\s*\{abstract\}", re.S)
_END_DOCUMENT = re.compile(r"\\end\s*\{document\}")
_BIBLIOGRAPHY = re.compile(
    r"\\begin\s*\{thebibliography\}.*?(?:\\end\s*\{thebibliography\}|$)"
    r"|\\(?:bibliography|bibliographystyle|addbibresource|nocite)\s*\{[^{}]*\}"
    r"|\\printbibliography\b(?:\s*\[[^\]]*\])?",
    re.S,
)


def drop_preamble(text: str, keep_abstract: bool = False) -> str:
    body_start = 0
    begin = _BEGIN_DOCUMENT.search(text)
    if begin:
        body_start = begin.end()
    section = _SECTIONING.search(text, body_start)
    if section is None:
        return text[body_start:]
    head = ""
    if keep_abstract:
        abstract = _ABSTRACT.search(text, body_start, section.start())
        head = abstract.group(0) + "\n\n" if abstract else ""
    return head + text[section.start() :]


def drop_bibliography(text: str) -> str:
    end = _END_DOCUMENT.search(text)
    if end:
        text = text[: end.start()]
    return _BIBLIOGRAPHY.sub("", text)


def tidy(text: str) -> str:
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


@dataclass
class CleanPaper:
    text: str
    roots: list[str]
    meta: dict


def clean_paper(
    files: dict[str, str],
    *,
    expand: bool = True,
    keep_abstract: bool = False,
    drop_preamble_: bool = True,
    max_input_depth: int = 16,
) -> list[CleanPaper]:
    """Every document of one paper, cleaned (steps 1-5 of the module docstring)."""
    stripped = {p: strip_comments(t) for p, t in files.items() if p.endswith(TEX_SUFFIXES)}
    papers = []
    parts = assemble(stripped, max_input_depth)
    used = set().union(*(part.reached for part in parts)) if parts else set()
    unused = sorted(p for p in stripped if p.endswith((".tex", ".ltx")) and p not in used)
    for part in parts:
        text, expanded = part.text, 0
        if expand:
            macros, text = collect_macros(text)
            text, expanded = expand_macros(text, macros)
        if drop_preamble_:
            text = drop_preamble(text, keep_abstract)
        text = tidy(drop_bibliography(text))
        meta = {
            "main_file": part.roots[0] if len(part.roots) == 1 else None,
            "roots": part.roots,
            "inlined": len(part.stats.inlined),
            "macros_expanded": expanded,
        }
        if part.stats.missing:
            meta["missing_inputs"] = sorted(set(part.stats.missing))
        if part.stats.cyclic:
            meta["cyclic_inputs"] = sorted(set(part.stats.cyclic))
        if part.stats.too_deep:
            meta["inputs_too_deep"] = part.stats.too_deep
        if part.alternatives:
            meta["alternative_main_files"] = part.alternatives
        if unused:
            meta["unused_tex_files"] = unused
        papers.append(CleanPaper(text, part.roots, meta))
    return papers
