#!/usr/bin/env python3
"""Checks Reach's layering rules (ARCHITECTURE.md, "Invariants"):

1. the storage crate (`db`) and the wire types (`types`) never depend on
   leptos or axum, and the browser build (`frontend`) never pulls server
   crates (read from `cargo tree`);
2. `server` never imports views (`app::components`, `app::pages`);
3. no module imports a module that imports it back: the top-level modules
   of each crate form no circle (read from `crate::` and `super::` paths);
4. no source file is over 500 lines unless its `//!` says why (a `//!`
   line that starts "Over" and names the 500-line guideline).

Prints every breach and exits 1 if there is one.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRATES = ["types", "db", "app", "server", "migrations", "frontend"]
MAX_LINES = 500
breaches = []


def tree(args):
    out = subprocess.run(
        ["cargo", "tree", "--locked", "--edges", "normal,build", "--prefix", "none",
         "--format", "{p}"] + args,
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def check_dependencies():
    server_only = {"leptos", "leptos_axum", "axum", "server_fn", "leptos_router"}
    for crate in ["db", "types"]:
        found = tree(["-p", crate]) & server_only
        if found:
            breaches.append(f"{crate} depends on {', '.join(sorted(found))}")
    browser = tree(["-p", "frontend", "--target", "wasm32-unknown-unknown"])
    for server_crate in ["db", "sea-orm", "axum", "tokio", "fred", "sqlx", "utoipa", "leptos_axum"]:
        if server_crate in browser:
            breaches.append(f"the browser build (frontend) pulls {server_crate}")


def rust_files(crate):
    base = os.path.join(ROOT, crate)
    for directory, _, files in os.walk(base):
        if "/target" in directory or "/node_modules" in directory:
            continue
        for name in files:
            if name.endswith(".rs"):
                yield os.path.join(directory, name)


def check_views_in_server():
    pattern = re.compile(r"\bapp::(components|pages)\b")
    for path in rust_files("server"):
        for number, line in enumerate(open(path, encoding="utf-8"), 1):
            if pattern.search(line) and not line.lstrip().startswith("//"):
                breaches.append(f"{os.path.relpath(path, ROOT)}:{number} imports a view: {line.strip()}")


def top_module(src, path):
    """The crate's top-level module a file belongs to, None for the root."""
    parts = os.path.relpath(path, src).split(os.sep)
    if len(parts) == 1:
        stem = parts[0][:-3]
        return None if stem in ("lib", "main") else stem
    return parts[0]


def check_circles():
    for crate in CRATES:
        src = os.path.join(ROOT, crate, "src")
        if not os.path.isdir(src):
            continue
        modules = set()
        edges = {}
        for path in rust_files(os.path.join(crate, "src")):
            module = top_module(src, path)
            if module is None:
                continue
            modules.add(module)
            depth = len(os.path.relpath(path, src).split(os.sep))
            if os.path.basename(path) == "mod.rs":
                depth -= 1
            text = open(path, encoding="utf-8").read()
            # Test modules may reach anywhere.
            text = text.split("#[cfg(test)]\nmod tests")[0]
            text = re.sub(r"//[^\n]*", "", text)
            targets = set(re.findall(r"\bcrate::([a-z_][a-z0-9_]*)", text))
            if depth == 1:
                targets |= set(re.findall(r"(?<![:\w])super::([a-z_][a-z0-9_]*)", text))
            elif depth == 2:
                targets |= set(re.findall(r"(?<![:\w])super::super::([a-z_][a-z0-9_]*)", text))
            edges.setdefault(module, set()).update(t for t in targets if t != module)
        graph = {m: {t for t in edges.get(m, ()) if t in modules} for m in modules}
        for cycle in strongly_connected(graph):
            breaches.append(f"{crate}: modules import each other: {' <-> '.join(sorted(cycle))}")


def strongly_connected(graph):
    index, low, stack, on_stack, result = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                result.append(component)

    sys.setrecursionlimit(10000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return result


def check_lengths():
    for crate in CRATES:
        for path in rust_files(crate):
            lines = open(path, encoding="utf-8").read().splitlines()
            if len(lines) <= MAX_LINES:
                continue
            header = [l for l in lines if l.startswith("//!")]
            if not any(l.startswith("//! Over") and "500" in l for l in header):
                breaches.append(
                    f"{os.path.relpath(path, ROOT)} has {len(lines)} lines and its //! does not say why"
                )


if __name__ == "__main__":
    only_source = "--source-only" in sys.argv
    if not only_source:
        check_dependencies()
    check_views_in_server()
    check_circles()
    check_lengths()
    for breach in breaches:
        print(breach)
    if breaches:
        sys.exit(1)
    print("layers: dependencies point one way, no module circles, long files say why")
