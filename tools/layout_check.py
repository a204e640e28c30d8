#!/usr/bin/env python3
"""Layout check of the Rust workspace (issue 12, acceptance points 1 and 4).

1. No module cycle: for every crate of every workspace package (lib, bins, integration tests,
   benches, examples, build script), the module tree is read from the `mod` declarations and
   the "uses" edges from `use` declarations (re-exports and function-level ones included) and
   from `crate::` / `super::` / `self::` / `module::` paths in code. Each path is resolved to the
   module that defines the item, following re-exports the way rustc does, so
   `use crate::ports::Secret` with `pub use secrets::Secret` in ports/mod.rs is an edge to
   `ports::secrets`. Every strongly connected component of more than one module is reported.
2. Sizes: no `.rs` file over MAX_FILE_LINES lines (except SIZE_ALLOW below), no function over
   MAX_FN_LINES lines (from the `fn` line to its closing brace; `macro_rules!` bodies skipped).

Reads sources only (Python 3.11 standard library, no cargo). Comments and string, raw string,
byte string and char literals are skipped by a small tokenizer, so nothing in them counts.

Limits (by design, it is not rustc): no macro expansion (items a macro generates are assumed to
live in the module that invokes it); names a non-public glob import brings in count when the
module names them (types, functions, constants; modules only in path position), so a trait
method called through a glob-imported trait is not seen.

Usage: tools/layout_check.py [--root DIR] [--json] [--dot CRATE]
Exit status: 0 no problem, 1 problems found, 2 usage error.
"""
import argparse
import fnmatch
import glob
import json
import os
import sys
import tomllib
from dataclasses import dataclass, field

MAX_FILE_LINES = 600
MAX_FN_LINES = 150

# Files allowed over MAX_FILE_LINES. Only data tables and simulators' fixture data qualify.
# Each entry: (glob patterns relative to the workspace root, reason). Functions in these files
# are still checked.
SIZE_ALLOW: list[tuple[tuple[str, ...], str]] = [
    (("crates/domain/src/chart/pcg2025.rs",), "data table: the PCG 2025 list of accounts"),
]

ITEM_KEYWORDS = {"fn", "struct", "enum", "union", "trait", "type", "const", "static"}
PUNCT3 = ("...", "..=", "<<=", ">>=")
PUNCT2 = ("::", "->", "=>", "..", "==", "!=", "<=", ">=", "&&", "||", "+=", "-=", "*=", "/=",
          "%=", "^=", "&=", "|=", "<<", ">>")
OPEN = {"(": ")", "[": "]", "{": "}"}
EXT = ("ext",)


# ---------------------------------------------------------------------------------------------
# Tokenizer


@dataclass(slots=True)
class Tok:
    kind: str  # "id" identifier or keyword, "lt" lifetime or label, "lit" literal, "p" punct
    text: str
    line: int


def _ident_start(c):
    return c == "_" or c.isalpha()


def _ident_char(c):
    return c == "_" or c.isalnum()


def _quoted_end(src, j):
    """End (exclusive) of the "..." literal whose opening quote is at j."""
    n = len(src)
    k = j + 1
    while k < n:
        c = src[k]
        if c == "\\":
            k += 2
            continue
        if c == '"':
            return k + 1
        k += 1
    return n


def _char_end(src, j):
    """End of the char literal whose quote is at j, or -1 when it is a lifetime or label."""
    n = len(src)
    if j + 1 < n and src[j + 1] == "\\":
        k = src.find("'", j + 3)
        return n if k < 0 else k + 1
    if j + 2 < n and src[j + 2] == "'" and src[j + 1] != "\n":
        return j + 3
    return -1


def _prefixed_literal_end(src, i):
    """End of a b"", b'', c"", r"", r#""#, br"", cr"" literal starting at i, or -1."""
    n = len(src)
    j = i
    if src[j] in "bc":
        j += 1
        if j < n and src[j] == '"':
            return _quoted_end(src, j)
        if src[i] == "b" and j < n and src[j] == "'":
            return _char_end(src, j)
        if not (j < n and src[j] == "r"):
            return -1
    elif src[j] != "r":
        return -1
    k = j + 1
    while k < n and src[k] == "#":
        k += 1
    if k < n and src[k] == '"':
        close = '"' + "#" * (k - j - 1)
        e = src.find(close, k + 1)
        return n if e < 0 else e + len(close)
    return -1


def tokenize(src):
    """Tokens of a Rust source, comments (nested block ones included) skipped."""
    toks = []
    i, n, line = 0, len(src), 1
    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            i += 1
            continue
        if c.isspace():
            i += 1
            continue
        if c == "/" and i + 1 < n and src[i + 1] == "/":
            j = src.find("\n", i)
            i = n if j < 0 else j
            continue
        if c == "/" and i + 1 < n and src[i + 1] == "*":
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth += 1
                    j += 2
                elif src.startswith("*/", j):
                    depth -= 1
                    j += 2
                else:
                    j += 1
            line += src.count("\n", i, j)
            i = j
            continue
        end = -1
        if c in "bcr":
            end = _prefixed_literal_end(src, i)
        elif c == '"':
            end = _quoted_end(src, i)
        elif c == "'":
            end = _char_end(src, i)
            if end < 0:
                j = i + 1
                if src.startswith("r#", j):
                    j += 2
                k = j
                while k < n and _ident_char(src[k]):
                    k += 1
                if k > j:
                    toks.append(Tok("lt", src[j:k], line))
                    i = k
                    continue
                toks.append(Tok("p", "'", line))
                i += 1
                continue
        if end >= 0:
            toks.append(Tok("lit", src[i:end], line))
            line += src.count("\n", i, end)
            i = end
            continue
        if _ident_start(c):
            j = i
            if src.startswith("r#", i) and i + 2 < n and _ident_start(src[i + 2]):
                j = i + 2
            k = j + 1
            while k < n and _ident_char(src[k]):
                k += 1
            toks.append(Tok("id", src[j:k], line))
            i = k
            continue
        if c.isdigit():
            k = i + 1
            while k < n and (_ident_char(src[k]) or
                             (src[k] == "." and k + 1 < n and src[k + 1].isdigit())):
                k += 1
            toks.append(Tok("lit", src[i:k], line))
            i = k
            continue
        for p in PUNCT3 + PUNCT2:
            if src.startswith(p, i):
                toks.append(Tok("p", p, line))
                i += len(p)
                break
        else:
            toks.append(Tok("p", c, line))
            i += 1
    return toks


def match_brackets(toks):
    """For each opening bracket its closing one's index (and the reverse); -1 elsewhere."""
    match = [-1] * len(toks)
    stack = []
    for i, t in enumerate(toks):
        if t.kind != "p":
            continue
        if t.text in OPEN:
            stack.append(i)
        elif t.text in (")", "]", "}") and stack:
            j = stack.pop()
            match[j], match[i] = i, j
    for j in stack:  # unbalanced (not valid Rust): the group runs to the end
        match[j] = len(toks) - 1
    return match


@dataclass
class Source:
    path: str
    rel: str
    toks: list
    match: list
    lines: int
    macro_ranges: list  # [start, end) token ranges of macro_rules! bodies


def load_source(path, root):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    toks = tokenize(text)
    match = match_brackets(toks)
    ranges = []
    for i, t in enumerate(toks):
        if (t.kind == "id" and t.text == "macro_rules" and i + 3 < len(toks)
                and toks[i + 1].text == "!" and toks[i + 3].text in OPEN):
            ranges.append((i + 3, match[i + 3] + 1))
    lines = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
    return Source(path, os.path.relpath(path, root), toks, match, lines, ranges)


def functions(src):
    """(name, line, length in lines) of each function with a body, outside macro_rules!."""
    toks, match = src.toks, src.match
    inside_macro = bytearray(len(toks))
    for a, b in src.macro_ranges:
        inside_macro[a:b] = b"\x01" * (b - a)
    out = []
    for i, t in enumerate(toks):
        if (t.kind != "id" or t.text != "fn" or inside_macro[i] or i + 1 >= len(toks)
                or toks[i + 1].kind != "id"):
            continue
        j = i + 2
        while j < len(toks):
            x = toks[j]
            if x.kind == "p":
                if x.text in ("(", "["):
                    j = match[j] + 1
                    continue
                if x.text == "{":
                    close = match[j]
                    out.append((toks[i + 1].text, t.line, toks[close].line - t.line + 1))
                    break
                if x.text in (";", "}", ")", "]"):
                    break
            j += 1
    return out


# ---------------------------------------------------------------------------------------------
# Module trees


@dataclass
class Import:
    segs: tuple
    alias: object  # bound name, None for `as _` and globs
    glob: bool
    pub: bool
    block: bool  # declared inside a function or block
    line: int
    text: str


@dataclass
class Module:
    id: int
    path: str
    parent: object
    src: Source
    start: int
    end: int
    child_dir: str
    path_dir: str
    children: dict = field(default_factory=dict)
    items: dict = field(default_factory=dict)  # name -> id of the defining module
    named: dict = field(default_factory=dict)  # bound name -> [Import]
    globs: list = field(default_factory=list)
    imports: list = field(default_factory=list)
    externs: set = field(default_factory=set)
    paths: list = field(default_factory=list)  # (segs, line, text) of paths in code
    idents: dict = field(default_factory=dict)  # name -> (line, next token)
    excluded: list = field(default_factory=list)  # token ranges owned by inline children


@dataclass
class Crate:
    id: str
    package: str
    root: str
    modules: list = field(default_factory=list)
    edges: dict = field(default_factory=dict)  # (from id, to id) -> [(rel, line, text)]


class CrateBuilder:
    def __init__(self, checker, crate):
        self.checker = checker
        self.crate = crate

    def module(self, path, parent, src, start, end, child_dir, path_dir):
        m = Module(len(self.crate.modules), path, parent, src, start, end, child_dir, path_dir)
        self.crate.modules.append(m)
        return m

    def build(self):
        src = self.checker.source(self.crate.root)
        d = os.path.dirname(self.crate.root)
        root = self.module("crate", None, src, 0, len(src.toks), d, d)
        self.parse(root, {self.crate.root})
        for m in self.crate.modules:
            self.scan(m)
        for m in self.crate.modules:
            self.edges_of(m)

    def parse(self, m, open_files):
        """Items and `mod` declarations at the top level of m's body; recurses into children."""
        toks, match = m.src.toks, m.src.match
        attrs = []
        i = m.start
        while i < m.end:
            t = toks[i]
            nxt = toks[i + 1] if i + 1 < m.end else None
            if t.kind == "p":
                if t.text == "#" and nxt is not None:
                    j = i + 2 if nxt.text == "!" else i + 1
                    if j < m.end and toks[j].text == "[":
                        attrs.append((j + 1, match[j]))
                        i = match[j] + 1
                        continue
                if t.text in OPEN:
                    if t.text == "{":
                        attrs = []
                    i = match[i] + 1
                    continue
                if t.text == ";":
                    attrs = []
                i += 1
                continue
            if t.kind != "id" or nxt is None:
                i += 1
                continue
            w = t.text
            after = toks[i + 2] if i + 2 < m.end else None
            if w == "mod" and nxt.kind == "id" and after is not None and after.text in (";", "{"):
                inline = (i + 3, match[i + 2]) if after.text == "{" else None
                self.child(m, nxt.text, t.line, inline, self.path_attr(m.src, attrs), open_files)
                if inline:
                    m.excluded.append((i, match[i + 2] + 1))
                    i = match[i + 2] + 1
                else:
                    i += 3
                attrs = []
                continue
            if w == "macro_rules" and nxt.text == "!" and after is not None and after.kind == "id":
                exported = any(self.attr_name(m.src, a) == "macro_export" for a in attrs)
                home = self.crate.modules[0] if exported else m
                home.items.setdefault(after.text, m.id)
                i += 3
                continue
            if w == "extern" and nxt.text == "crate" and after is not None:
                k = i + 3
                alias = toks[k + 1].text if k + 1 < m.end and toks[k].text == "as" else after.text
                m.externs.add(alias)
                i = k
                continue
            if w in ITEM_KEYWORDS and nxt.kind == "id":
                name = nxt.text
                if w == "const" and name in ("fn", "unsafe", "async", "extern"):
                    i += 1
                    continue
                if w == "static" and name == "mut" and after is not None:
                    name = after.text
                if w == "union" and (after is None or after.text not in ("{", "<")):
                    i += 1
                    continue
                if name != "_":
                    m.items.setdefault(name, m.id)
            i += 1

    @staticmethod
    def attr_name(src, attr):
        a, b = attr
        return src.toks[a].text if a < b else None

    @staticmethod
    def path_attr(src, attrs):
        for a, b in attrs:
            t = src.toks
            if (b - a >= 3 and t[a].text == "path" and t[a + 1].text == "="
                    and t[a + 2].kind == "lit"):
                lit = t[a + 2].text
                if lit.startswith("r"):
                    return lit.lstrip("r").strip("#")[1:-1]
                return lit[1:-1].replace("\\\\", "\\")
        return None

    def child(self, m, name, line, inline, path_attr, open_files):
        path = f"{m.path}::{name}"
        if inline is not None:
            d = os.path.join(m.path_dir if path_attr else m.child_dir, path_attr or name)
            c = self.module(path, m.id, m.src, inline[0], inline[1], d, d)
            m.children[name] = c.id
            self.parse(c, open_files)
            return
        if path_attr is not None:
            f = os.path.normpath(os.path.join(m.path_dir, path_attr))
            candidates = [(f, os.path.dirname(f), os.path.dirname(f))]
        else:
            base = os.path.join(m.child_dir, name)
            candidates = [(base + ".rs", base, m.child_dir),
                          (os.path.join(base, "mod.rs"), base, base)]
        for f, child_dir, path_dir in candidates:
            if os.path.isfile(f):
                if f in open_files:
                    return
                src = self.checker.source(f)
                c = self.module(path, m.id, src, 0, len(src.toks), child_dir, path_dir)
                m.children[name] = c.id
                self.parse(c, open_files | {f})
                return
        tried = " or ".join(os.path.relpath(f, self.checker.root) for f, _, _ in candidates)
        self.checker.problem("missing-module", m.src.rel, line,
                             f"module `{name}` declared but no file {tried}")

    def scan(self, m):
        """`use` declarations, paths and identifiers of m's own code."""
        toks, match = m.src.toks, m.src.match
        skip = sorted(m.excluded + [r for r in m.src.macro_ranges if m.start <= r[0] < m.end])
        k, depth, i = 0, 0, m.start
        while i < m.end:
            while k < len(skip) and skip[k][1] <= i:
                k += 1
            if k < len(skip) and skip[k][0] <= i:
                i = skip[k][1]
                continue
            t = toks[i]
            prev = toks[i - 1] if i > 0 else None
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if t.kind == "p":
                if t.text == "{":
                    depth += 1
                elif t.text == "}":
                    depth -= 1
                i += 1
                continue
            if t.kind != "id":
                i += 1
                continue
            if t.text == "use" and nxt is not None and nxt.text != "<":
                i = self.use_decl(m, i, depth > 0)
                continue
            if t.text == "mod" and nxt is not None and nxt.kind == "id":
                i += 2
                continue
            if t.text == "pub" and nxt is not None and nxt.text == "(":
                i = match[i + 1] + 1
                continue
            if prev is not None and prev.text in ("::", "$"):
                i += 1
                continue
            if prev is None or prev.text != ".":
                m.idents.setdefault(t.text, (t.line, nxt.text if nxt else ""))
            if nxt is not None and nxt.text == "::":
                segs, j = [t.text], i
                while j + 2 < m.end and toks[j + 1].text == "::" and toks[j + 2].kind == "id":
                    segs.append(toks[j + 2].text)
                    j += 2
                if len(segs) > 1:
                    m.paths.append((tuple(segs), t.line, "::".join(segs)))
                i = j + 1
                continue
            i += 1

    def use_decl(self, m, i, block):
        toks, match = m.src.toks, m.src.match
        prev = toks[i - 1] if i > 0 else None
        pub = prev is not None and (prev.text == "pub" or (
            prev.text == ")" and match[i - 1] > 0 and toks[match[i - 1] - 1].text == "pub"))
        out = []
        j = self.use_tree(toks, match, i + 1, (), out)
        while j < len(toks) and toks[j].text != ";":
            j += 1
        for segs, alias, is_glob, line in out:
            text = ("pub use " if pub else "use ") + "::".join(segs) + ("::*" if is_glob else "")
            if alias is not None and segs and alias != segs[-1]:
                text += f" as {alias}"
            imp = Import(segs, None if alias == "_" else alias, is_glob, pub, block, line, text)
            m.imports.append(imp)
            if is_glob:
                m.globs.append(imp)
            elif imp.alias:
                m.named.setdefault(imp.alias, []).append(imp)
        return j + 1

    def use_tree(self, toks, match, i, prefix, out):
        segs = list(prefix)
        if i < len(toks) and toks[i].text == "::":
            segs.append("::")
            i += 1
        while i < len(toks):
            t = toks[i]
            if t.kind == "id":
                segs.append(t.text)
                i += 1
                if i < len(toks) and toks[i].text == "::":
                    i += 1
                    continue
                alias = segs[-1]
                if i + 1 < len(toks) and toks[i].text == "as":
                    alias = toks[i + 1].text
                    i += 2
                if segs[-1] == "self" and len(segs) > 1:
                    segs.pop()
                    if alias == "self":
                        alias = segs[-1]
                out.append((tuple(segs), alias, False, t.line))
                return i
            if t.text == "*":
                out.append((tuple(segs), None, True, t.line))
                return i + 1
            if t.text == "{":
                close = match[i]
                i += 1
                while i < close:
                    if toks[i].text == ",":
                        i += 1
                        continue
                    i = self.use_tree(toks, match, i, segs, out)
                return close + 1
            return i + 1
        return i

    # Name resolution -----------------------------------------------------------------------

    def lookup(self, m, name, seen, local):
        """What `name` denotes in module m: ("mod", id), ("item", defining id), EXT or None."""
        key = (m.id, name)
        if key in seen:
            return None
        seen.add(key)
        if name in m.children:
            return ("mod", m.children[name])
        if name in m.items:
            return ("item", m.items[name])
        if name in m.externs:
            return EXT
        for imp in m.named.get(name, ()):
            if imp.block and not local:
                continue
            r = self.resolve(m, imp.segs, seen)
            if r is not None:
                return r
        for imp in m.globs:
            if imp.block and not local:
                continue
            g = self.resolve(m, imp.segs, seen)
            if g is not None and g[0] == "mod":
                r = self.lookup(self.crate.modules[g[1]], name, seen, False)
                if r is not None:
                    return r
        return None

    def resolve(self, m, segs, seen):
        mods = self.crate.modules
        if not segs or segs[0] in ("::", "$crate"):
            return EXT
        first, rest = segs[0], segs[1:]
        if first == "crate":
            cur = 0
        elif first == "self":
            cur = m.id
        elif first == "super":
            cur = m.parent
        else:
            r = self.lookup(m, first, seen, True)
            if r is None:
                return EXT  # an external crate, the prelude, a generic parameter
            if r[0] != "mod":
                return r
            cur = r[1]
        for s in rest:
            if cur is None:
                return None
            if s == "super":
                cur = mods[cur].parent
                continue
            if s == "self":
                continue
            r = self.lookup(mods[cur], s, seen, False)
            if r is None:
                return ("item", cur)  # not declared there (macro-generated?): assume it lives there
            if r[0] != "mod":
                return r
            cur = r[1]
        return None if cur is None else ("mod", cur)

    def edge(self, m, r, line, text):
        if r is None or r[0] == "ext" or r[1] == m.id:
            return
        self.crate.edges.setdefault((m.id, r[1]), []).append((m.src.rel, line, text))

    def edges_of(self, m):
        mods = self.crate.modules
        for imp in m.imports:
            r = self.resolve(m, imp.segs, set())
            if not imp.glob:
                self.edge(m, r, imp.line, imp.text)
            elif r is not None and r[0] == "item":
                self.edge(m, r, imp.line, imp.text)
            elif r is not None and r[0] == "mod" and imp.pub:
                self.edge(m, r, imp.line, imp.text)
            elif r is not None and r[0] == "mod":
                self.glob_edges(m, imp, mods[r[1]])
        for segs, line, text in m.paths:
            if segs[0] not in ("crate", "self", "super"):
                r = self.lookup(m, segs[0], set(), True)
                if r is None or r[0] != "mod":
                    continue  # an item named through an import already counted there
            self.edge(m, self.resolve(m, segs, set()), line, text)

    def glob_edges(self, m, imp, target):
        """The names of `use path::*` that m actually uses, each to its defining module."""
        for name, (line, nxt) in sorted(m.idents.items()):
            if name in m.children or name in m.items or name in m.named or nxt == ":":
                continue
            r = self.lookup(target, name, set(), False)
            if r is None or r[0] == "ext" or (r[0] == "mod" and nxt != "::"):
                continue
            self.edge(m, r, line, f"{name} (through {imp.text})")


# ---------------------------------------------------------------------------------------------
# Workspace


def is_target_dir(name):
    return name.startswith("target")


def is_fuzz(pkg_dir, manifest):
    meta = manifest.get("package", {}).get("metadata", {})
    return os.path.basename(pkg_dir) == "fuzz" or "cargo-fuzz" in meta


def packages(root):
    """(directory, manifest) of each package of the workspace at root."""
    with open(os.path.join(root, "Cargo.toml"), "rb") as f:
        top = tomllib.load(f)
    ws = top.get("workspace", {})
    dirs = []
    if "package" in top:
        dirs.append(root)
    for pat in ws.get("members", []) + ["tests"]:
        for d in sorted(glob.glob(os.path.join(root, pat))):
            if os.path.isfile(os.path.join(d, "Cargo.toml")):
                dirs.append(os.path.normpath(d))
    excluded = {os.path.normpath(os.path.join(root, e)) for e in ws.get("exclude", [])}
    out, done = [], set()
    for d in dirs:
        rel = os.path.relpath(d, root)
        if d in done or d in excluded or any(is_target_dir(p) for p in rel.split(os.sep)):
            continue
        done.add(d)
        with open(os.path.join(d, "Cargo.toml"), "rb") as f:
            manifest = tomllib.load(f)
        if "package" in manifest and not is_fuzz(d, manifest):
            out.append((d, manifest))
    return out


def crate_roots(pkg_dir, manifest):
    """(kind, name, root file) of each target: lib, bins, tests, benches, examples, build."""
    pkg = manifest["package"]
    name = pkg["name"]
    roots = []

    def add(kind, tname, path):
        path = os.path.normpath(os.path.join(pkg_dir, path))
        if os.path.isfile(path) and all(p != path for _, _, p in roots):
            roots.append((kind, tname, path))

    lib = manifest.get("lib", {})
    add("lib", lib.get("name", name), lib.get("path", "src/lib.rs"))
    folders = {"bin": ("src/bin", "autobins"), "test": ("tests", "autotests"),
               "bench": ("benches", "autobenches"), "example": ("examples", "autoexamples")}
    for kind, (folder, auto) in folders.items():
        for t in manifest.get(kind, []):
            path = t.get("path")
            if path is None:
                path = f"{folder}/{t['name']}.rs"
                if kind == "bin" and t["name"] == name and os.path.isfile(
                        os.path.join(pkg_dir, "src/main.rs")):
                    path = "src/main.rs"
                elif not os.path.isfile(os.path.join(pkg_dir, path)):
                    path = f"{folder}/{t['name']}/main.rs"
            add(kind, t["name"], path)
        if not pkg.get(auto, True):
            continue
        if kind == "bin":
            add("bin", name, "src/main.rs")
        base = os.path.join(pkg_dir, folder)
        for f in sorted(glob.glob(os.path.join(base, "*.rs"))):
            add(kind, os.path.basename(f)[:-3], f)
        for f in sorted(glob.glob(os.path.join(base, "*", "main.rs"))):
            add(kind, os.path.basename(os.path.dirname(f)), f)
    build = pkg.get("build", "build.rs")
    if build is not False:
        add("build", "build", build if isinstance(build, str) else "build.rs")
    return roots


def package_files(pkg_dir):
    """The .rs files of a package, without nested packages (fuzz crates) and target* dirs."""
    for d, subdirs, files in os.walk(pkg_dir):
        subdirs[:] = sorted(s for s in subdirs if not is_target_dir(s) and not s.startswith(".")
                            and not os.path.isfile(os.path.join(d, s, "Cargo.toml")))
        for f in sorted(files):
            if f.endswith(".rs"):
                yield os.path.join(d, f)


def sccs(nodes, succ):
    """Strongly connected components (Tarjan, iterative)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = 0
    for v in nodes:
        if v in index:
            continue
        work = [(v, iter(succ.get(v, ())))]
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on.add(v)
        while work:
            u, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(succ.get(w, ()))))
                    break
                if w in on:
                    low[u] = min(low[u], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[u])
                if low[u] == index[u]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == u:
                            break
                    out.append(sorted(comp))
    return out


def where(locations):
    """`file:line (what)` of each place, the names of one `use` tree on one line merged."""
    places = {}
    for loc in locations:
        places.setdefault((loc["file"], loc["line"]), []).append(loc["text"])
    out = []
    for (f, line), texts in sorted(places.items()):
        heads = {t.rsplit("::", 1)[0] for t in texts}
        if len(texts) > 1 and len(heads) == 1 and all("::" in t and " " not in t.rsplit("::", 1)[1]
                                                      for t in texts):
            what = heads.pop() + "::{" + ", ".join(t.rsplit("::", 1)[1] for t in texts) + "}"
        else:
            what = ", ".join(texts)
        out.append(f"{f}:{line} ({what})")
    return ", ".join(out)


class Checker:
    def __init__(self, root, allow=None):
        self.root = os.path.abspath(root)
        self.allow = SIZE_ALLOW if allow is None else allow
        self.sources = {}
        self.problems = []
        self.notes = []
        self.crates = []
        self.files = 0
        self.functions = 0

    def source(self, path):
        path = os.path.normpath(path)
        if path not in self.sources:
            self.sources[path] = load_source(path, self.root)
        return self.sources[path]

    def problem(self, kind, rel, line, message, **extra):
        self.problems.append(dict(kind=kind, file=rel, line=line, message=message, **extra))

    def run(self):
        pkgs = packages(self.root)
        files = []
        for pkg_dir, manifest in pkgs:
            for kind, name, path in crate_roots(pkg_dir, manifest):
                pkg = manifest["package"]["name"]
                cid = pkg if kind == "lib" else f"{pkg}/{kind}/{name}"
                crate = Crate(cid, pkg, path)
                CrateBuilder(self, crate).build()
                self.crates.append(crate)
                self.cycles(crate)
            files.extend(package_files(pkg_dir))
        files = sorted(set(os.path.normpath(f) for f in files) | set(self.sources))
        used_allow = set()
        for f in files:
            self.sizes(self.source(f), used_allow)
        for i, (patterns, _) in enumerate(self.allow):
            if i not in used_allow:
                self.notes.append(f"size allow-list entry {', '.join(patterns)} matches no file "
                                  "over the limit")
        order = {"missing-module": 0, "cycle": 1, "file-size": 2, "function-size": 3}
        self.problems.sort(key=lambda p: (order[p["kind"]], p["file"], p["line"]))
        return self

    def sizes(self, src, used_allow):
        self.files += 1
        if src.lines > MAX_FILE_LINES:
            allowed = [i for i, (pats, _) in enumerate(self.allow)
                       if any(fnmatch.fnmatchcase(src.rel, p) for p in pats)]
            if allowed:
                used_allow.update(allowed)
            else:
                self.problem("file-size", src.rel, 1,
                             f"file has {src.lines} lines (max {MAX_FILE_LINES})")
        for name, line, length in functions(src):
            self.functions += 1
            if length > MAX_FN_LINES:
                self.problem("function-size", src.rel, line,
                             f"function `{name}` has {length} lines (max {MAX_FN_LINES})")

    def cycles(self, crate):
        succ = {}
        for a, b in crate.edges:
            succ.setdefault(a, []).append(b)
        for comp in sccs(range(len(crate.modules)), succ):
            if len(comp) < 2:
                continue
            members = set(comp)
            edges = []
            for (a, b), locs in sorted(crate.edges.items()):
                if a in members and b in members:
                    locs = sorted(set(locs))
                    edges.append(dict(
                        source=crate.modules[a].path, target=crate.modules[b].path,
                        locations=[dict(file=f, line=ln, text=t) for f, ln, t in locs]))
            names = [crate.modules[i].path for i in comp]
            detail = "; ".join(f"{e['source']} -> {e['target']} at {where(e['locations'])}"
                               for e in edges)
            first = edges[0]["locations"][0]
            self.problem("cycle", first["file"], first["line"],
                         f"module cycle in crate {crate.id} between {', '.join(names)}: {detail}",
                         crate=crate.id, modules=names, edges=edges)

    def summary(self):
        return dict(crates=len(self.crates),
                    modules=sum(len(c.modules) for c in self.crates),
                    edges=sum(len(c.edges) for c in self.crates),
                    files=self.files, functions=self.functions, problems=len(self.problems))


def dot(crate):
    succ = {}
    for a, b in crate.edges:
        succ.setdefault(a, []).append(b)
    in_cycle = set()
    for comp in sccs(range(len(crate.modules)), succ):
        if len(comp) > 1:
            in_cycle.update(comp)
    lines = [f'digraph "{crate.id}" {{', "  rankdir=LR;",
             '  node [shape=box, fontname="monospace"];',
             "  // dashed grey: `mod` ownership; black: uses; red: uses inside a cycle"]
    for m in crate.modules:
        label = m.path if m.id == 0 else m.path[len("crate::"):]
        lines.append(f'  "{m.path}" [label="{label}"];')
    for m in crate.modules:
        for c in m.children.values():
            lines.append(f'  "{m.path}" -> "{crate.modules[c].path}" '
                         "[style=dashed, color=grey, arrowhead=none];")
    for (a, b) in sorted(crate.edges):
        attrs = ' [color=red]' if a in in_cycle and b in in_cycle else ""
        lines.append(f'  "{crate.modules[a].path}" -> "{crate.modules[b].path}"{attrs};')
    lines.append("}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."),
                        help="workspace root (default: this repository)")
    parser.add_argument("--json", action="store_true", help="print a JSON report")
    parser.add_argument("--dot", metavar="CRATE",
                        help="print one crate's module graph in Graphviz dot (a package name "
                             "for its lib, or an id such as passerelle/bin/passerelle)")
    args = parser.parse_args(argv)
    if not os.path.isfile(os.path.join(args.root, "Cargo.toml")):
        print(f"layout_check: no Cargo.toml in {args.root}", file=sys.stderr)
        return 2
    checker = Checker(args.root).run()
    if args.dot:
        found = [c for c in checker.crates if c.id == args.dot]
        if not found:
            found = [c for c in checker.crates if c.package == args.dot]
        if len(found) != 1:
            ids = ", ".join(c.id for c in checker.crates)
            print(f"layout_check: crate {args.dot!r} is {'ambiguous' if found else 'unknown'}; "
                  f"crates: {ids}", file=sys.stderr)
            return 2
        print(dot(found[0]))
        return 0
    s = checker.summary()
    if args.json:
        json.dump(dict(root=checker.root, summary=s, problems=checker.problems,
                       notes=checker.notes, limits=dict(file_lines=MAX_FILE_LINES,
                                                        function_lines=MAX_FN_LINES),
                       crates=[dict(id=c.id, root=os.path.relpath(c.root, checker.root),
                                    modules=len(c.modules), edges=len(c.edges))
                               for c in checker.crates]),
                  sys.stdout, indent=2)
        print()
    else:
        for p in checker.problems:
            print(f"{p['file']}:{p['line']}: {p['message']}")
        for n in checker.notes:
            print(f"note: {n}")
        print(f"layout_check: {s['crates']} crates, {s['modules']} modules, {s['edges']} edges, "
              f"{s['files']} files, {s['functions']} functions checked; {s['problems']} problems")
    return 1 if checker.problems else 0


if __name__ == "__main__":
    sys.exit(main())
