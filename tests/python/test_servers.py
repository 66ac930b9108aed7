"""End to end: real web servers under jurigged, with a client loop sending
requests while views and helpers are saved.

Each server is the real one from PyPI (pinned in xtask/src/python.rs, installed
only when this suite runs), serving on 127.0.0.1 at a port found free by
binding. A view answers `PID view<N> helper<M>`: its process, then a version
from its own body and one from a helper module's function. For every save the
test waits until every worker process of the server (learnt from the pids
before the first save) has answered with the new versions, within LATENCY of
the save. Throughout, a client loop sends requests one after another, each
bounded in time, and all of them must be answered with status 200: a save never
makes a request fail or hang. A save that breaks the view (a syntax error, a
NameError raised by its new definition) leaves every worker serving the last
good code, and the next good save applies.

The client loop and every wait are bounded (MAX_REQUESTS, REQUEST_TIMEOUT,
support.waiting.TIMEOUT); the server processes are killed at the end of each test."""

import http.client
import os
import re
import signal
import socket
import sys
import textwrap
import threading
import time

import pytest

from support.cli import FAST, Process, child_env, venv_matches_binary
from support.waiting import TIMEOUT, wait_until

#: Saves per server, alternating between the view and the helper (issue 24's
#: count). The whole file, every server under both entries, takes about a
#: minute here (measured with 10 saves: 37 s).
SAVES = 20

#: How long after a save every worker must answer with the new code.
LATENCY = 1.0

#: Bounds of the client loop: one request's time, and the count of requests.
REQUEST_TIMEOUT = 10.0
MAX_REQUESTS = 50_000


def free_port():
    """A port on 127.0.0.1 that nothing listens on (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def helper_source(version):
    return f"def value():\n    return 'helper{version}'\n"


class Response:
    def __init__(self, sent, status, pid, view, helper):
        self.sent, self.status, self.pid, self.view, self.helper = sent, status, pid, view, helper


class ClientLoop:
    """Sends GET requests to the server one after another (a new connection
    each, so pre-forked workers take turns) on a thread, and records every
    answer with the time it was sent; exceptions and non-200 answers are
    failures. Stops at `stop()`, after MAX_REQUESTS or after TIMEOUT * 10 s."""

    def __init__(self, port, path="/"):
        self.port, self.path = port, path
        self.responses = []
        self.failures = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        deadline = time.monotonic() + TIMEOUT * 10
        for _ in range(MAX_REQUESTS):
            if self._stop.is_set() or time.monotonic() > deadline:
                return
            sent = time.monotonic()
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
            try:
                connection.request("GET", self.path, headers={"Connection": "close"})
                answer = connection.getresponse()
                body = answer.read().decode("utf-8", errors="replace").strip()
            except ConnectionRefusedError:
                # Not listening yet: the server is starting (checked below).
                if self.responses:
                    self.failures.append((sent, "connection refused"))
                time.sleep(0.05)
                continue
            except Exception as error:  # a reset, a timeout: a request not answered
                self.failures.append((sent, repr(error)))
                continue
            finally:
                connection.close()
            parts = body.split()
            if answer.status != 200 or len(parts) != 3:
                self.failures.append((sent, f"{answer.status} {body[:300]!r}"))
                continue
            self.responses.append(Response(sent, answer.status, *parts))

    def stop(self):
        self._stop.set()
        self._thread.join(REQUEST_TIMEOUT + 5)
        assert not self._thread.is_alive(), "a request hung"

    def pids(self):
        return {r.pid for r in self.responses}

    def served_since(self, since, view, helper):
        """The pids that answered `view helper` to requests sent after `since`,
        if no other answer came after such an answer in the same pid."""
        latest = {}
        for response in self.responses[:]:
            if response.sent >= since:
                latest[response.pid] = (response.view, response.helper)
        return {pid for pid, answer in latest.items() if answer == (view, helper)}


class Server:
    """A server program in the workspace: its view file (which `view_source`
    writes for a version), the helper module, the command that starts it under
    jurigged and its count of worker processes."""

    def __init__(self, workspace, view_file, view_source, args, workers=1, path="/"):
        self.workspace = workspace
        self.view_file = view_file
        self.view_source = view_source
        self.args = args
        self.workers = workers
        self.path = path


@pytest.fixture
def serve(entry, entry_kind, workspace, servers_venv):
    """Starts `jurigged ARGS...` in the workspace in a process group of its
    own; the whole group (the server's workers with it) is killed at the end
    of the test."""
    processes = []

    def start(*args):
        process = Process(
            entry + list(args), cwd=workspace.root, env=child_env(None, entry_kind), preexec_fn=os.setpgrp
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        try:
            os.killpg(process.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.kill()


def check_saves(serve, server, port):
    """Starts the server, then saves the view and the helper in turn while a
    client loop sends requests; see the module's docstring."""
    workspace = server.workspace
    process = serve(*FAST, *server.args)
    client = ClientLoop(port, server.path).start()
    try:
        wait_until(
            lambda: len(client.pids()) >= server.workers or not process.alive(),
            what=f"{server.workers} worker(s) answering",
        )
        assert process.alive(), process.describe()
        view, helper = 0, 0
        assert client.served_since(0, "view0", "helper0") == client.pids(), process.describe()
        workers = client.pids()

        def all_workers_serve(since, timeout):
            expected = (f"view{view}", f"helper{helper}")
            wait_until(
                lambda: client.served_since(since, *expected) >= workers,
                timeout=timeout,
                what=f"every worker of {sorted(workers)} answering {expected} "
                f"(now: {client.served_since(since, *expected)})\n{process.describe()}",
            )

        for number in range(1, SAVES + 1):
            saved = time.monotonic()
            if number % 2:
                view = number
                workspace.save(server.view_file, server.view_source(f"view{view}"))
            else:
                helper = number
                workspace.save("helpers.py", helper_source(helper))
            all_workers_serve(saved, LATENCY)

        # A save that does not parse, then one whose definition raises a
        # NameError (its default is evaluated by the save): the save changes
        # nothing, and every worker goes on serving the last good code.
        broken = [
            server.view_source("broken").replace("def index(", "def index(:", 1),
            re.sub(r"def index\((\w*)\)", r"def index(\1, *, unused=no_such_name)", server.view_source("broken")).replace(
                "(, *", "(*"
            ),
        ]
        for source in broken:
            errors = error_count(process, server.view_file)
            workspace.save(server.view_file, source)
            wait_until(
                lambda: error_count(process, server.view_file) >= errors + server.workers,
                what=f"{server.workers} error line(s)\n{process.describe()}",
            )
            all_workers_serve(time.monotonic(), TIMEOUT)
            assert process.alive(), process.describe()

        # The next good save applies.
        view = SAVES + 1
        saved = time.monotonic()
        workspace.save(server.view_file, server.view_source(f"view{view}"))
        all_workers_serve(saved, LATENCY)
    finally:
        client.stop()
    assert client.failures == [], f"{client.failures[:10]}\n{process.describe()}"
    assert len(client.responses) > SAVES
    assert client.pids() == workers, "a worker process died or was replaced"
    assert process.alive(), process.describe()


def error_count(process, filename):
    process.drain()
    return sum(1 for line in process.lines["stderr"] if line.startswith("Error ") and filename in line)


@pytest.fixture
def servers_venv(entry_kind):
    """The frameworks are installed in this venv by `cargo xtask pytest`; the
    binary imports them only when it embeds this venv's Python."""
    if entry_kind == "binary" and not venv_matches_binary():
        pytest.skip("the binary embeds another Python than this venv's: the frameworks do not import in it")


def need(module):
    # cargo xtask pytest installs the frameworks into the host's venvs; the
    # sid root (3.14, 3.15) has only pytest.
    pytest.importorskip(module, reason=f"{module} is not installed in this venv (cargo xtask pytest installs it)")


def view_module(imports, body):
    """A view module's source for a version: `body` holds VIEW where the
    version goes, and uses `answer()` for the response text."""

    def source(version):
        text = textwrap.dedent(imports) + textwrap.dedent(
            """
            import os

            import helpers


            def answer(view):
                return f"{os.getpid()} {view} {helpers.value()}"

            """
        )
        return text + textwrap.dedent(body).replace("VIEW", version)

    return source


# -- the servers ----------------------------------------------------------------


def test_flask_dev_server(serve, workspace):
    """Flask's development server (threaded, use_reloader=False) runs in the
    script under jurigged: a view of the script itself is saved."""
    need("flask")
    port = free_port()
    source = view_module(
        """\
        from flask import Flask

        app = Flask(__name__)
        """,
        f"""\
        @app.route("/")
        def index():
            return answer("VIEW")


        if __name__ == "__main__":
            app.run(host="127.0.0.1", port={port}, use_reloader=False)
        """,
    )
    workspace.write("helpers.py", helper_source(0))
    workspace.write("app.py", source("view0"))
    check_saves(serve, Server(workspace, "app.py", source, ["app.py"]), port)


def test_flask_a_save_that_rebinds_the_app_starts_no_second_server(serve, workspace):
    """A save that changes the statement making the app (`app = Flask(...)`)
    runs it again, binding a new app; the running server keeps serving (the
    views it routes to follow later saves) and no second server starts. (A
    save that changes the running `if __name__ == "__main__": app.run(...)`
    block itself is not covered: that block runs again today.)"""
    need("flask")
    port = free_port()

    def source(app_line, view):
        return textwrap.dedent(
            f"""\
            import os

            from flask import Flask

            {app_line}


            @app.route("/")
            def index():
                return f"{{os.getpid()}} {view} helper0"


            if __name__ == "__main__":
                app.run(host="127.0.0.1", port={port}, use_reloader=False)
            """
        )

    workspace.write("app.py", source("app = Flask(__name__)", "view0"))
    process = serve(*FAST, "-v", "app.py")
    client = ClientLoop(port).start()
    try:
        wait_until(lambda: client.pids() or not process.alive(), what="the server answering")
        workspace.save("app.py", source("app = Flask(__name__, static_folder=None)", "view0"))
        process.wait_for("Run __main__", stream="stderr")
        for view in ["view1", "view2"]:
            saved = time.monotonic()
            workspace.save("app.py", source("app = Flask(__name__, static_folder=None)", view))
            wait_until(
                lambda: client.served_since(saved, view, "helper0"),
                timeout=LATENCY,
                what=f"the server answering {view}\n{process.describe()}",
            )
    finally:
        client.stop()
    assert client.failures == [], f"{client.failures[:10]}\n{process.describe()}"
    assert process.alive(), process.describe()
    output = process.stdout + process.stderr
    assert output.count("Running on") == 1 and "Address already in use" not in output, output


FASTAPI_APP = (
    """\
    from fastapi import FastAPI
    from fastapi.responses import PlainTextResponse

    app = FastAPI()
    """,
    """\
    @app.get("/", response_class=PlainTextResponse)
    def index():
        return answer("VIEW")
    """,
)


@pytest.mark.parametrize("workers", [1, 2])
def test_fastapi_under_uvicorn(serve, workspace, workers):
    """FastAPI under uvicorn, in one process and with --workers 2 (spawned
    worker processes that join the session)."""
    need("fastapi")
    need("uvicorn")
    port = free_port()
    source = view_module(*FASTAPI_APP)
    workspace.write("helpers.py", helper_source(0))
    workspace.write("app.py", source("view0"))
    args = ["-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    if workers > 1:
        args += ["--workers", str(workers)]
    check_saves(serve, Server(workspace, "app.py", source, args, workers=workers), port)


def test_gunicorn_prefork_sync_workers(serve, workspace):
    """gunicorn with 3 pre-forked sync workers serving a Flask app: each
    worker (a fork of the arbiter, which imports the app after the fork)
    applies every save."""
    need("flask")
    need("gunicorn")
    port = free_port()
    source = view_module(
        """\
        from flask import Flask

        app = Flask(__name__)
        """,
        """\
        @app.route("/")
        def index():
            return answer("VIEW")
        """,
    )
    workspace.write("helpers.py", helper_source(0))
    workspace.write("app.py", source("view0"))
    args = ["-m", "gunicorn", "--workers", "3", "--worker-class", "sync", "--bind", f"127.0.0.1:{port}", "app:app"]
    check_saves(serve, Server(workspace, "app.py", source, args, workers=3), port)


DJANGO_SETTINGS = """\
SECRET_KEY = "not secret: a test"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "urls"
INSTALLED_APPS = ["demo"]
DATABASES = {}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates"}]
USE_TZ = True
"""

DJANGO_MANAGE = """\
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""

DJANGO_URLS = """\
from django.urls import path

import views

urlpatterns = [path("", views.index)]
"""


def test_django_runserver_view_and_template_tag(serve, workspace):
    """Django's runserver --noreload: the view's module is saved in turn with
    a template tag function's (the helper here, in the demo app's
    templatetags), which the view's template calls."""
    need("django")
    port = free_port()
    workspace.write("settings.py", DJANGO_SETTINGS)
    workspace.write("manage.py", DJANGO_MANAGE)
    workspace.write("urls.py", DJANGO_URLS)
    workspace.write("demo/__init__.py", "")
    workspace.write("demo/templatetags/__init__.py", "")
    workspace.write(
        "demo/templatetags/demo_tags.py",
        textwrap.dedent(
            """\
            from django import template

            register = template.Library()


            @register.simple_tag
            def helper():
                return helper_value()

            """
        )
        + helper_source(0).replace("def value", "def helper_value"),
    )

    def source(version):
        return textwrap.dedent(
            """\
            import os

            from django.http import HttpResponse
            from django.template import engines


            def index(request):
                template = engines["django"].from_string("{% load demo_tags %}PID VIEW {% helper %}")
                return HttpResponse(template.render({}).replace("PID", str(os.getpid())), content_type="text/plain")
            """
        ).replace("VIEW", version)

    def tag_source(version_source):
        return (
            textwrap.dedent(
                """\
                from django import template

                register = template.Library()


                @register.simple_tag
                def helper():
                    return helper_value()

                """
            )
            + version_source.replace("def value", "def helper_value")
        )

    workspace.write("views.py", source("view0"))
    server = Server(
        TagHelperWorkspace(workspace, "demo/templatetags/demo_tags.py", tag_source),
        "views.py",
        source,
        ["manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
    )
    check_saves(serve, server, port)


class TagHelperWorkspace:
    """The workspace, where a save of helpers.py goes to the template tag
    library instead (its helper function, same versions)."""

    def __init__(self, workspace, tag_file, tag_source):
        self._workspace = workspace
        self._tag_file = tag_file
        self._tag_source = tag_source

    def save(self, relative, source):
        if relative == "helpers.py":
            return self._workspace.save(self._tag_file, self._tag_source(source))
        return self._workspace.save(relative, source)


def test_aiohttp_app_on_an_event_loop(serve, workspace):
    """An aiohttp application served by its event loop (web.run_app): the
    coroutine handler of the script is saved."""
    need("aiohttp")
    port = free_port()
    source = view_module(
        """\
        from aiohttp import web
        """,
        f"""\
        async def index(request):
            return web.Response(text=answer("VIEW"))


        if __name__ == "__main__":
            app = web.Application()
            app.router.add_get("/", index)
            web.run_app(app, host="127.0.0.1", port={port}, print=None, access_log=None)
        """,
    )
    workspace.write("helpers.py", helper_source(0))
    workspace.write("app.py", source("view0"))
    check_saves(serve, Server(workspace, "app.py", source, ["app.py"]), port)


def test_the_frameworks_are_real():
    """The suite runs the packages from PyPI, not stand-ins: their versions are
    the pinned ones of xtask/src/python.rs."""
    from importlib.metadata import version

    need("flask")
    pinned = {"flask": "3.1.3", "fastapi": "0.128.8", "uvicorn": "0.39.0", "gunicorn": "23.0.0", "aiohttp": "3.13.5"}
    pinned["django"] = "4.2.30" if sys.version_info < (3, 10) else "5.2.19"
    assert {name: version(name) for name in pinned} == pinned
    assert os.path.isdir(os.path.dirname(__import__("flask").__file__))
