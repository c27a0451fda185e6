"""Language detection from the file extension, then the content (shebang) when the extension is silent."""

from __future__ import annotations

import os
import re

LANGUAGE_BY_EXTENSION = {
    ".py": "python", ".pyi": "python", ".pyx": "cython", ".ipynb": "jupyter",
    ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp",
    ".hxx": "cpp", ".f": "fortran", ".f90": "fortran", ".f95": "fortran", ".f03": "fortran",
    ".for": "fortran", ".fypp": "fortran", ".F90": "fortran", ".jl": "julia", ".hs": "haskell", ".lhs": "haskell", ".agda": "agda",
    ".lean": "lean", ".v": "coq", ".thy": "isabelle", ".idr": "idris", ".r": "r", ".m": "matlab",
    ".mpl": "maple", ".g": "gap", ".gi": "gap", ".gd": "gap", ".wl": "mathematica",
    ".nb": "mathematica", ".rs": "rust", ".ml": "ocaml", ".sage": "python",
    ".tex": "tex", ".sty": "tex", ".cls": "tex", ".bib": "bibtex",
    ".md": "markdown", ".markdown": "markdown", ".rst": "restructuredtext", ".txt": "natural",
    ".html": "html", ".htm": "html",
}

_SHEBANG = re.compile(r"^#!\s*(?:\S*/env\s+)?(?:\S*/)?(python|julia|Rscript|octave|sage)")
_SHEBANG_LANGUAGE = {"python": "python", "julia": "julia", "Rscript": "r", "octave": "matlab",
                     "sage": "python"}


def detect_language(path: str | None, text: str) -> str | None:
    if path:
        ext = os.path.splitext(path)[1].lower()
        if ext in LANGUAGE_BY_EXTENSION:
            return LANGUAGE_BY_EXTENSION[ext]
    m = _SHEBANG.match(text[:200])
    if m:
        return _SHEBANG_LANGUAGE[m.group(1)]
    return None
