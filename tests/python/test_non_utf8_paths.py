"""Paths that are not valid UTF-8 (issue 16, item 2): a project in such a
directory, and a script with such a name, run under `jurigged` as under plain
python and take saves. Paths go to Python as the OS gives them, decoded as
`os.fsdecode` does (undecodable bytes become surrogates)."""

import os
import textwrap
from pathlib import Path

from support.cli import function_module, loop_program, state_is

FAST = ["-d", "0.01"]

NOT_UTF8 = b"\xff\xfe"


def moved_to_a_non_utf8_directory(workspace):
    workspace.root = Path(os.fsdecode(os.fsencode(workspace.root) + b"-" + NOT_UTF8))
    workspace.root.mkdir()
    return workspace


def test_a_project_in_a_directory_whose_name_is_not_utf8_runs_and_takes_saves(run, workspace):
    workspace = moved_to_a_non_utf8_directory(workspace)
    workspace.write("mod.py", function_module(1))
    workspace.write("main.py", loop_program("mod"))
    process = run(*FAST, "main.py", cwd=workspace.root)
    process.wait_for(state_is(mod=1), stream="stdout")
    workspace.save("mod.py", function_module(2))
    process.wait_for(state_is(mod=2), stream="stdout")
    assert process.alive()


def test_a_script_whose_name_is_not_utf8_sees_its_name_in_argv_and_takes_saves(run, workspace):
    script = "app-" + os.fsdecode(NOT_UTF8) + ".py"
    workspace.write("mod.py", function_module(1))
    workspace.write(
        script,
        textwrap.dedent(
            """\
            import os
            import sys

            # Printed as bytes: the names are not text a UTF-8 stdout can show.
            print("argv", os.fsencode(sys.argv[0]).hex(), os.fsencode(__file__).hex(), flush=True)
            """
        )
        + loop_program("mod"),
    )
    process = run(*FAST, script, "--flag-" + os.fsdecode(NOT_UTF8), cwd=workspace.root)
    process.wait_for(state_is(mod=1), stream="stdout")
    argv_line = next(line for line in process.lines["stdout"] if line.startswith("argv "))
    _, argv0, file = argv_line.split()
    assert bytes.fromhex(argv0) == os.fsencode(script)
    assert bytes.fromhex(file) == os.fsencode(workspace.path(script))
    workspace.save("mod.py", function_module(2))
    process.wait_for(state_is(mod=2), stream="stdout")
    assert process.alive()


def test_a_program_argument_that_is_not_utf8_reaches_the_program_as_python_gives_it(run, workspace):
    workspace.write(
        "show.py",
        "import os, sys\nprint('args', [os.fsencode(a).hex() for a in sys.argv[1:]], flush=True)\n",
    )
    argument = os.fsdecode(b"value-" + NOT_UTF8)
    process = run(*FAST, "show.py", argument, "plain", cwd=workspace.root)
    expected = f"args {[os.fsencode(argument).hex(), b'plain'.hex()]}"
    process.wait_for(lambda line: line == expected, stream="stdout")
