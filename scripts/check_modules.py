#!/usr/bin/env python3
"""Keeps the crate's house in order (`make check`): fails on a module circle among the files of
`src/`, on a stage that imports `crate::config`, on a file over its line budget, and on a
production function over 60 lines that is not one of the (at most 3) named exceptions, whose
doc comment says "named exception" and why.

An import is `use crate::…`, `use super::…` or a path `crate::x::…` written in the code,
outside `#[cfg(test)]` items, comments and string literals. Each import is resolved to the
deepest file of `src/` that its path names (`crate::decode::registry::Schemas` →
`src/decode/registry/mod.rs`), and becomes an arrow from the importing file to that file;
declaring a child module (`mod x;`) is not an arrow. A circle is a strongly connected set of
two or more files.

Usage: scripts/check_modules.py [--graph] [src-dir] | --self-test
"""

import re
import sys
from pathlib import Path

# Files that may import `crate::config`: config itself, the AWS wiring that builds the clients
# from it, the pipeline's builder that joins the stages, and `migrate`, the tool beside the
# function that checks its output with the function's own parser.
CONFIG_READERS = ("config", "aws", "pipeline::builder", "main", "migrate")
# The most lines in a file of `src/`, and in a `tests.rs` / `*_tests.rs` beside its module.
MAX_LINES = 600
MAX_TEST_LINES = 800
# The most lines in a production function, and how many may exceed it as named exceptions.
MAX_FN_LINES = 60
MAX_EXCEPTIONS = 3


def module_of(path: Path, src: Path) -> str:
    """`src/decode/registry/mod.rs` → `decode::registry`; `src/lib.rs` → `crate`."""
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "mod":
        parts.pop()
    if parts in (["lib"], []):
        return "crate"
    return "::".join(parts)


def strip(text: str) -> str:
    """The code without comments, string and char literals (kept as blanks, lines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
            hashes = re.match(r'r(#*)"', text[i:]).group(1)
            end = text.find('"' + hashes, i + 2 + len(hashes))
            end = n if end < 0 else end + 1 + len(hashes)
            out.append("\n" * text.count("\n", i, end))
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]) or re.match(r"'\\u\{[0-9a-fA-F]+\}'", text[i:i + 12]):
            j = text.find("'", i + 2) + 1
            out.append("' '")
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def drop_test_items(code: str) -> str:
    """The code without the items that `#[cfg(test)]` (or `cfg(any(test, …))`) gates."""
    out, i = [], 0
    pattern = re.compile(r"#\[cfg\((test|any\(test[^\]]*)\)\]")
    while True:
        m = pattern.search(code, i)
        if not m:
            out.append(code[i:])
            return "".join(out)
        out.append(code[i:m.start()])
        j = m.end()
        # The item ends at its `;` (a `mod x;`, a `use`) or its matching `}`.
        depth = 0
        while j < len(code):
            ch = code[j]
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    j += 1
                    break
            elif ch == ";" and depth == 0:
                j += 1
                break
            j += 1
        i = j


def long_functions(code: str, text: str):
    """`(name, line, lines, excepted)` of every `fn` in `code` (stripped, test items dropped)
    longer than MAX_FN_LINES; `excepted` when its doc comment in `text` names it an exception."""
    source = text.split("\n")
    for m in re.finditer(r"\bfn\s+(\w+)", code):
        # The body opens at the first `{` outside parentheses and brackets; a `;` first is a
        # declaration without a body.
        j, nest, body = m.end(), 0, None
        while j < len(code):
            ch = code[j]
            if ch in "([":
                nest += 1
            elif ch in ")]":
                nest -= 1
            elif nest == 0 and ch == ";":
                break
            elif nest == 0 and ch == "{":
                body = j
                break
            j += 1
        if body is None:
            continue
        depth, j = 0, body
        while j < len(code):
            if code[j] == "{":
                depth += 1
            elif code[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        first = code.count("\n", 0, m.start())
        lines = code.count("\n", m.start(), j) + 1
        if lines <= MAX_FN_LINES:
            continue
        k, doc = first - 1, []
        while k >= 0 and source[k].strip().startswith(("///", "#[", "pub", "async", "const")):
            doc.append(source[k])
            k -= 1
        yield m.group(1), first + 1, lines, "named exception" in " ".join(doc)


def use_paths(code: str, here: str, children=frozenset()):
    """Every path that `code` imports, absolute (`decode::registry::Schemas`)."""
    parent = here.split("::")[:-1] if here != "crate" else []
    base = [] if here == "crate" else here.split("::")

    def absolute(path: str):
        parts = [p for p in path.split("::") if p]
        if not parts:
            return None
        if parts[0] == "crate":
            return parts[1:]
        if parts[0] == "super":
            up = list(parent)
            parts = parts[1:]
            while parts and parts[0] == "super":
                up, parts = up[:-1], parts[1:]
            return up + parts
        if parts[0] == "self":
            return base + parts[1:]
        return None

    def expand(prefix: str, tree: str):
        """`a::{b, c::{d, e}}` → a::b, a::c::d, a::c::e."""
        tree = tree.strip()
        m = re.match(r"^([\w:]*?)(::)?\{(.*)\}$", tree, re.S)
        if m:
            head = (prefix + "::" + m.group(1)) if prefix and m.group(1) else (prefix or m.group(1))
            depth, part, items = 0, "", []
            for ch in m.group(3):
                if ch == "," and depth == 0:
                    items.append(part)
                    part = ""
                    continue
                depth += ch == "{"
                depth -= ch == "}"
                part += ch
            items.append(part)
            for item in items:
                if item.strip():
                    yield from expand(head, item)
            return
        tree = re.sub(r"\s+as\s+\w+$", "", tree)
        if tree == "self":
            yield prefix
        else:
            yield (prefix + "::" + tree) if prefix else tree

    for m in re.finditer(r"\buse\s+([^;]*);", code):
        for path in expand("", m.group(1)):
            path = path.replace(" ", "").replace("\n", "")
            resolved = absolute(path)
            if resolved is None and path.split("::")[0] in children:
                # A child module named relatively (`use ordered::Run;` in `send/mod.rs`).
                resolved = base + path.split("::")
            if resolved is not None:
                yield resolved
    # Paths written in the code: `crate::x::y`, `super::x::y` (not after `use`, already read).
    without_uses = re.sub(r"\buse\s+[^;]*;", "", code)
    for m in re.finditer(r"(?<![\w:])((?:crate|super)(?:::\w+)+)", without_uses):
        resolved = absolute(m.group(1))
        if resolved is not None:
            yield resolved
    for m in re.finditer(r"(?<![\w:])(\w+)((?:::\w+)+)", without_uses):
        if m.group(1) in children:
            yield base + [m.group(1)] + [p for p in m.group(2).split("::") if p]


def self_test() -> int:
    """The check fails where it must: a circle, a stage that imports config, a root import."""
    import subprocess
    import tempfile

    cases = {
        "circle": {"lib.rs": "mod a;\nmod b;\n", "a.rs": "use crate::b::B;\npub struct A;\n",
                   "b.rs": "pub struct B;\nfn f() -> crate::a::A { crate::a::A }\n"},
        "child circle": {"lib.rs": "mod s;\n", "s/mod.rs": "mod o;\nuse o::run;\npub struct T;\n",
                         "s/o.rs": "use super::T;\npub fn run() {}\n"},
        "stage reads config": {"lib.rs": "mod config;\nmod map;\n", "config/mod.rs": "pub struct Config;\n",
                               "map.rs": "use crate::config::Config;\n"},
        "root import": {"lib.rs": "mod a;\npub use a::A;\nmod b;\n", "a.rs": "pub struct A;\n",
                        "b.rs": "use crate::A;\n"},
        "long function": {"lib.rs": "fn long() {\n" + "    let _ = 1;\n" * 60 + "}\n"},
        "test items and strings ignored": {"lib.rs": "mod a;\nmod b;\n", "a.rs": "use crate::b::B;\n",
                                            "b.rs": "pub struct B;\n// crate::a::x\nconst S: &str = \"crate::a::x\";\n#[cfg(test)]\nmod tests {\n    use crate::a::*;\n}\n"},
    }
    failed = 0
    for name, files in cases.items():
        with tempfile.TemporaryDirectory() as root:
            for rel, text in files.items():
                path = Path(root) / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
            run = subprocess.run([sys.executable, __file__, root], capture_output=True, text=True)
            expect_ok = name == "test items and strings ignored"
            if (run.returncode == 0) != expect_ok:
                print(f"self-test {name!r}: exit {run.returncode}\n{run.stdout}{run.stderr}", file=sys.stderr)
                failed += 1
    print(f"check_modules self-test: {len(cases) - failed}/{len(cases)} cases as expected")
    return 1 if failed else 0


def main() -> int:
    if "--self-test" in sys.argv:
        return self_test()
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    show_graph = "--graph" in sys.argv
    src = Path(args[0] if args else "src")
    files = sorted(p for p in src.rglob("*.rs"))
    modules = {module_of(p, src): p for p in files}
    problems = []
    exceptions = []
    arrows = {m: set() for m in modules}
    for module, path in modules.items():
        text = path.read_text()
        lines = text.count("\n")
        is_test = path.name == "tests.rs" or path.name.endswith("_tests.rs")
        budget = MAX_TEST_LINES if is_test else MAX_LINES
        if lines > budget:
            problems.append(f"{path}: {lines} lines, over the {budget} a file may have")
        if is_test:
            continue
        code = drop_test_items(strip(text))
        for name, line, length, excepted in long_functions(code, text):
            if excepted:
                exceptions.append(f"{path}:{line} {name} ({length} lines)")
            else:
                problems.append(
                    f"{path}:{line}: fn {name} has {length} lines, over the {MAX_FN_LINES} a function may have "
                    "(split it, or make it one of the named exceptions with a reason in its doc comment)"
                )
        prefix = "" if module == "crate" else module + "::"
        children = {m[len(prefix):] for m in modules if m.startswith(prefix) and "::" not in m[len(prefix):] and m != module}
        for parts in use_paths(code, module, children):
            # The deepest module the path names.
            target = None
            for k in range(len(parts), 0, -1):
                candidate = "::".join(parts[:k])
                if candidate in modules:
                    target = candidate
                    break
            if target is None and parts and parts[0][:1].isupper() and module != "crate":
                # `crate::Name` reaches an item through the crate's face, which hides the file
                # it comes from (and any circle through it).
                problems.append(f"{path}: imports crate::{parts[0]} through lib.rs; import it from its module")
                continue
            if target is None or target == module:
                continue
            # A module's own children reached through it are not an arrow back up.
            arrows[module].add(target)
            if (target == "config" or target.startswith("config::")) and not any(
                module == r or module.startswith(r + "::") for r in CONFIG_READERS
            ) and module != "crate":
                problems.append(f"{path}: a stage imports {target} (only {', '.join(CONFIG_READERS)} may)")
    # lib.rs re-exports everything; it is the crate's face, not a floor.
    arrows.pop("crate", None)
    for targets in arrows.values():
        targets.discard("crate")

    # Tarjan's strongly connected components.
    index, low, stack, on_stack, sccs, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(arrows.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                scc.append(w)
                if w == v:
                    break
            sccs.append(scc)

    sys.setrecursionlimit(10_000)
    for v in sorted(arrows):
        if v not in index:
            visit(v)
    for scc in sccs:
        if len(scc) > 1:
            members = set(scc)
            inner = sorted(
                f"{a} -> {b}" for a in scc for b in arrows[a] if b in members
            )
            problems.append(
                f"module circle among {len(scc)} files: {', '.join(sorted(scc))}\n    "
                + "\n    ".join(inner)
            )
    if len(exceptions) > MAX_EXCEPTIONS:
        problems.append(
            f"{len(exceptions)} functions over {MAX_FN_LINES} lines are named exceptions, more than "
            f"the {MAX_EXCEPTIONS} allowed: " + "; ".join(exceptions)
        )
    if show_graph:
        for module in sorted(arrows):
            print(f"{module} -> {', '.join(sorted(arrows[module])) or '(leaf)'}")
        print(f"{sum(len(t) for t in arrows.values())} arrows among {len(arrows)} files")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"check_modules: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"check_modules: {len(arrows)} files, no circle, config read only by its readers, every file within budget, {len(exceptions)} named exceptions over {MAX_FN_LINES} lines ({'; '.join(exceptions)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
