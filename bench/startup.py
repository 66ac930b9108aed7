"""Startup: a trivial script and one importing a heavy set of standard-library
modules, under each tool versus plain python (the same interpreter, in the venv
of ours). Wall time of the whole process, from spawn to exit; runs alternate
python, ours, original (rotating which goes first). Reported as overhead over the
median of plain python."""

import subprocess
import time

from common import ToolFailure, child_env, median, note, parse_args, progress, remove, result, row, scratch_dir

HEAVY = """\
import argparse, asyncio, base64, collections, concurrent.futures, configparser, csv
import dataclasses, decimal, difflib, email.message, email.mime.multipart, fractions
import hashlib, http.client, inspect, json, logging, pathlib, pickle, shutil, socket
import sqlite3, ssl, statistics, subprocess, tarfile, tempfile, textwrap, typing
import unittest, urllib.request, uuid, xml.etree.ElementTree, zipfile
"""

SCRIPTS = {"trivial": "pass\n", "heavy": HEAVY}


def main():
    args = parse_args(__doc__)
    runs = 10 if args.quick else 20
    directory = scratch_dir("startup")
    commands = {}
    for name, text in SCRIPTS.items():
        with open(f"{directory}/{name}.py", "w") as fh:
            fh.write(text)
    env = child_env()

    def command(tool, script):
        if tool == "python":
            return [args.ours, script]
        if tool == "bare":
            return [args.original, script]
        python = args.ours if tool == "ours" else args.original
        return [python, "-m", "jurigged", script]

    def timed(tool, script):
        argv = command(tool, script)
        t0 = time.perf_counter()
        done = subprocess.run(argv, cwd=directory, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
        t1 = time.perf_counter()
        if done.returncode != 0:
            raise ToolFailure(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode(errors='replace')[-2000:]}")
        return (t1 - t0) * 1e3

    # "bare": the same python in the original's venv, which has no hook of ours:
    # plain python in our venv ("python") against it is what installing the
    # wheel costs a program that runs no session (its .pth hook for children).
    tools = ["python", "ours", "original", "bare"]
    try:
        for name in SCRIPTS:
            script = f"{name}.py"
            errors = {tool: [] for tool in tools}

            def attempt(tool):
                if errors[tool]:
                    return
                try:
                    times[tool].append(timed(tool, script))
                except (ToolFailure, subprocess.TimeoutExpired) as e:
                    errors[tool].append(f"startup, {name} script: {e}")

            times = {tool: [] for tool in tools}
            for tool in tools:  # warm the page cache and the pyc files
                attempt(tool)
                attempt(tool)
            times = {tool: [] for tool in tools}
            progress(f"startup, {name} script: {runs} runs of each")
            for r in range(runs):
                order = tools[r % len(tools):] + tools[: r % len(tools)]
                for tool in order:
                    attempt(tool)
            if errors["python"]:
                raise SystemExit("\n".join(errors["python"]))
            base = median(times["python"])
            row_id = f"startup/{name}"
            target = {"kind": "le", "value": 15, "text": "<= 15 ms"} if name == "trivial" else None
            row(row_id, f"startup overhead, {name} script (over python)", "ms", target)
            for tool in ("ours", "original"):
                status = None if times[tool] else "failed"
                result(row_id, tool, [t - base for t in times[tool]], errors[tool], status=status)
            commands[name] = base
            if name == "trivial" and times["bare"]:
                # One tool only: plain python with the wheel installed, over the
                # same python without it.
                hook_row = "startup/installed-no-session"
                hook_target = {"kind": "le", "value": 3, "text": "<= 3 ms"}
                row(hook_row, "plain python, wheel installed, no session (over a venv without it)", "ms", hook_target)
                bare = median(times["bare"])
                result(hook_row, "ours", [t - bare for t in times["python"]], errors["python"])
    finally:
        remove(directory)
    note(
        "plain python: trivial script {:.1f} ms, heavy-import script {:.1f} ms (medians; startup rows are tool minus this)".format(
            commands.get("trivial", float("nan")), commands.get("heavy", float("nan"))
        )
    )


if __name__ == "__main__":
    main()
