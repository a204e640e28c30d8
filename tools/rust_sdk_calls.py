"""The AWS SDK operations the Rust sources call, per adapter method.

Every non-test Rust file under crates/*/src and functions/*/src that names an SDK crate
(`aws_sdk_<service>`) is read: comments and literals are blanked, `impl` blocks and `fn` bodies
are found by brace matching, and a call `.<operation>()` whose name is an operation of a service
the file names is an SDK call (the operation names are the modules of the SDK crate's
src/operation/, in the version Cargo.lock pins). A method's operations include those of the
methods (`self.helper(..)`) and free functions of its file it calls. Used by tools/iam_check.py.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

SERVICE_RE = re.compile(r"\baws_sdk_([a-z0-9]+)")
IMPL_RE = re.compile(r"\bimpl\b\s*(?:<[^{;]*?>)?\s*(?:([A-Za-z_][\w:]*)\s*(?:<[^{;]*?>)?\s+for\s+)?([A-Za-z_]\w*)\s*(?:<[^{;]*?>)?\s*(?:where\b[^{;]*)?\{")
FN_RE = re.compile(r"\bfn\s+([a-z_][a-z0-9_]*)")
CALL_RE = re.compile(r"\.\s*([a-z_][a-z0-9_]*)\s*\(\s*\)")
SELF_CALL_RE = re.compile(r"\b(?:self|Self)\s*(?:\.|::)\s*([a-z_][a-z0-9_]*)\s*\(")
FREE_CALL_RE = re.compile(r"(?<![.:\w])([a-z_][a-z0-9_]*)\s*\(")


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    file: str
    line: int


@dataclass
class Fn:
    owner: str | None
    name: str
    file: str
    calls: list[Call] = field(default_factory=list)
    helpers: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        return f"{self.owner}::{self.name}" if self.owner else self.name


def blank(text: str) -> str:
    """The source with comments, strings and char literals replaced by spaces (lines kept)."""
    out, i, n = [], 0, len(text)
    keep = lambda s: "".join(c if c == "\n" else " " for c in s)  # noqa: E731
    while i < n:
        two = text[i:i + 2]
        if two == "//":
            j = text.find("\n", i)
            j = n if j < 0 else j
        elif two == "/*":
            depth, j = 1, i + 2
            while j < n and depth:
                depth += {"/*": 1, "*/": -1}.get(text[j:j + 2], 0)
                j += 2 if text[j:j + 2] in ("/*", "*/") else 1
        elif re.match(r'b?r(#*)"', text[i:i + 40]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            hashes = re.match(r'b?r(#*)"', text[i:]).group(1)
            end = text.find('"' + hashes, text.index('"', i) + 1)
            j = n if end < 0 else end + 1 + len(hashes)
        elif text[i] == '"' or two == 'b"':
            j = i + (2 if two == 'b"' else 1)
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j += 1
        elif text[i] == "'" and re.match(r"'(\\.[^']*|[^\\'\n])'", text[i:]):
            j = i + re.match(r"'(\\.[^']*|[^\\'\n])'", text[i:]).end()
        else:
            out.append(text[i])
            i += 1
            continue
        out.append(keep(text[i:j]))
        i = j
    return "".join(out)


def matching_brace(text: str, open_at: int) -> int:
    depth = 0
    for j in range(open_at, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return len(text) - 1


def without_test_modules(code: str) -> str:
    for found in re.finditer(r"#\[cfg\(test\)\]\s*(?:pub\s+)?mod\s+\w+\s*\{", code):
        end = matching_brace(code, found.end() - 1)
        code = code[:found.start()] + blank_block(code[found.start():end + 1]) + code[end + 1:]
    return code


def blank_block(s: str) -> str:
    return "".join(c if c == "\n" else " " for c in s)


def sdk_operations(root: Path) -> dict[str, set[str]]:
    """service -> operation names, from the SDK crates Cargo.lock pins (cargo's registry)."""
    lock = tomllib.loads((root / "Cargo.lock").read_text())
    cargo_home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))
    ops: dict[str, set[str]] = {}
    for package in lock.get("package", []):
        name = package["name"]
        if not name.startswith("aws-sdk-"):
            continue
        dirs = list(cargo_home.glob(f"registry/src/*/{name}-{package['version']}/src/operation"))
        if not dirs:
            raise SystemExit(f"{name} {package['version']} is not in {cargo_home}/registry/src: run `cargo fetch --locked`")
        ops[name.removeprefix("aws-sdk-")] = {p.name for p in dirs[0].iterdir() if p.is_dir()}
    return ops


def scan_file(path: Path, rel: str, operations: dict[str, set[str]]) -> list[Fn]:
    raw = path.read_text()
    services = sorted({s for s in SERVICE_RE.findall(raw) if s in operations})
    code = without_test_modules(blank(raw))
    impls = []
    for found in IMPL_RE.finditer(code):
        open_at = found.end() - 1
        impls.append((open_at, matching_brace(code, open_at), found.group(2)))
    fns = []
    for found in FN_RE.finditer(code):
        brace, semi = code.find("{", found.end()), code.find(";", found.end())
        if brace < 0 or (0 <= semi < brace):
            continue  # a declaration without a body
        end = matching_brace(code, brace)
        owner = next((name for start, stop, name in sorted(impls, key=lambda x: x[0] - x[1])
                      if start < found.start() < stop), None)
        body = code[brace:end + 1]
        fn = Fn(owner, found.group(1), rel)
        for call in CALL_RE.finditer(body):
            op = call.group(1)
            owners = [s for s in services if op in operations[s]]
            if len(owners) > 1:
                raise SystemExit(f"{rel}: .{op}() is an operation of {owners}: name the client in tools/rust_sdk_calls.py")
            if owners:
                line = code.count("\n", 0, brace + call.start()) + 1
                fn.calls.append(Call(owners[0], op, rel, line))
        fn.helpers = set(SELF_CALL_RE.findall(body)) | set(FREE_CALL_RE.findall(body))
        fns.append(fn)
    return fns


def extract(root: Path) -> dict[str, list[Call]]:
    """Adapter method ("Type::method", or a free function's name) -> the SDK calls it makes,
    its helpers' included. Only methods that make at least one call are listed."""
    operations = sdk_operations(root)
    by_file: dict[str, list[Fn]] = {}
    for path in sorted(list(root.glob("crates/*/src/**/*.rs")) + list(root.glob("functions/*/src/**/*.rs"))):
        text = path.read_text()
        if SERVICE_RE.search(text) or "aws::sdk" in text:
            rel = str(path.relative_to(root))
            by_file[rel] = scan_file(path, rel, operations)
    result: dict[str, list[Call]] = {}
    for fns in by_file.values():
        index = {(f.owner, f.name): f for f in fns}
        for fn in fns:
            seen, todo, calls = set(), [fn], []
            while todo:
                f = todo.pop()
                if (f.owner, f.name) in seen:
                    continue
                seen.add((f.owner, f.name))
                calls.extend(f.calls)
                for h in f.helpers:
                    for target in (index.get((f.owner, h)), index.get((None, h))):
                        if target:
                            todo.append(target)
            if calls:
                result.setdefault(fn.key, [])
                result[fn.key] = sorted(set(result[fn.key]) | set(calls), key=lambda c: (c.file, c.line))
    return result
