#!/usr/bin/python3
"""Compiles every C++ example of README.md and docs/*.md (```cpp blocks) against the public headers.

Each block becomes one translation unit: its #include lines first, after every public header (so a
fragment that leaves out its includes still compiles), then the block itself, at namespace scope
when it declares things (a main, a struct, a function, a registration) and otherwise as the body
of a function (a coroutine when it uses co_await). A block that needs names from around it
declares them on the line before it, in an HTML comment the reader does not see (the text goes at
namespace scope, before the block):

    <!-- example-context: extern retort::Session s; -->

and a block that cannot compile on its own (a sketch with "...") is marked
<!-- example-skip: why -->. Only syntax and types are checked (-fsyntax-only): the examples that
run are run by their own tests (tests/async/docs_example_test.cpp, tests/package).
"""
import argparse
import concurrent.futures
import pathlib
import re
import subprocess
import sys
import tempfile

TOP_LEVEL = re.compile(
    r"^\s*(int main|struct |class |namespace [\w:]+\s*\{|template|static |RETORT_|enum |"
    r"[\w:<>,\s\*&]+\s+[\w:]+\([^;]*\)\s*(const\s*)?\{)", re.M)


def blocks(path):
    """(line, context, skip reason, code) of each ```cpp block of a markdown file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out, i = [], 0
    while i < len(lines):
        if lines[i].strip() == "```cpp":
            start = i + 1
            j = start
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            before = lines[i - 1].strip() if i > 0 else ""
            # The context comment is on the line before the fence.
            context = re.match(r"<!--\s*example-context:(.*)-->", before)
            skip = re.match(r"<!--\s*example-skip:(.*)-->", before)
            out.append((start, context.group(1).strip() if context else "",
                        skip.group(1).strip() if skip else None, "\n".join(lines[start:j])))
            i = j
        i += 1
    return out


def translation_unit(code, context, headers):
    includes = [l for l in code.splitlines() if l.lstrip().startswith("#include")]
    body = "\n".join(l for l in code.splitlines() if not l.lstrip().startswith("#include"))
    prelude = "\n".join(["#include <chrono>", "#include <fstream>", "#include <iostream>",
                         "#include <optional>", "#include <string>", "#include <vector>"] +
                        [f"#include <retort/{h}>" for h in headers])
    head = "\n".join(includes)
    if TOP_LEVEL.search(body):
        return f"{prelude}\n{head}\n{context}\n{body}\n"
    if "co_await" in body:
        return (f"{prelude}\n{head}\n{context}\n"
                f"asio::awaitable<void> retort_doc_example() {{\n{body}\nco_return;\n}}\n")
    return f"{prelude}\n{head}\n{context}\nvoid retort_doc_example() {{\n{body}\n}}\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--compiler", required=True)
    parser.add_argument("--source", required=True, type=pathlib.Path)
    args = parser.parse_args()
    headers = sorted(p.name for p in (args.source / "include" / "retort").glob("*.hpp"))
    files = [args.source / "README.md"] + sorted((args.source / "docs").glob("*.md"))
    jobs = []
    for md in files:
        for line, context, skip, code in blocks(md):
            jobs.append((f"{md.relative_to(args.source)}:{line}", context, skip, code))
    include_dirs = ["-I", str(args.source / "include"),
                    "-I", str(args.source / "tests" / "docs" / "include")]

    def check(job):
        where, context, skip, code = job
        if skip is not None:
            return where, "skip", skip
        with tempfile.TemporaryDirectory() as tmp:
            tu = pathlib.Path(tmp) / "example.cpp"
            tu.write_text(translation_unit(code, context, headers), encoding="utf-8")
            r = subprocess.run([args.compiler, "-std=c++20", "-fsyntax-only", "-w", *include_dirs,
                                str(tu)], capture_output=True, text=True)
        if r.returncode == 0:
            return where, "ok", ""
        return where, "FAIL", "\n".join(r.stderr.splitlines()[:12])

    failures, compiled, skipped = [], 0, 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for where, outcome, detail in pool.map(check, jobs):
            if outcome == "skip":
                skipped += 1
                print(f"skip  {where}: {detail}")
            elif outcome == "ok":
                compiled += 1
                print(f"ok    {where}")
            else:
                failures.append(where)
                print(f"FAIL  {where}\n{detail}\n")
    print(f"{compiled} examples compiled, {skipped} skipped, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
