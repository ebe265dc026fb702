"""Fault cases: environments — what was deployed, whether it is what serves, what it logged.

Each project is one tiny WSGI module (`envapp`) built into a wheel by hatchling
(no isolation, offline) and served by gunicorn on 127.0.0.1; a `files` check
that names the environment is the cheapest user that makes the gate deploy it.
The command-strategy cases use a few lines of shell and a stdlib HTTP server,
stopped by the environment's own `stop` command at the end of the run.
"""

from __future__ import annotations

import stat
import sys
from collections.abc import Callable
from pathlib import Path

from tests.integration.faults import FaultCase

REPO = Path(__file__).resolve().parents[3]

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "envapp"
version = "0.1"

[tool.hatch.build.targets.wheel]
{include}
"""
APP = """\
{prelude}
def app(environ, start_response):
    path = environ.get("PATH_INFO")
{routes}
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""
GUNICORN = "gunicorn --no-control-socket --bind 127.0.0.1:{port} --workers 1"
BUILD = "[build.package]\nisolated = false\n\n"
USER = '\n[smoke.files]\nrequired = ["pyproject.toml"]\nenvironment = "staging"\n'


def project(prelude: str = "", routes: str = "", include: str = 'packages = ["envapp"]',
            **extra: str) -> dict[str, str]:
    """The envapp project: pyproject, the app module, and any other files."""
    return {"pyproject.toml": PYPROJECT.format(include=include),
            "envapp/__init__.py": APP.format(prelude=prelude, routes=routes), **extra}


def staging(lines: str = 'conditions = ["app_errors == 0"]', app: str = "envapp:app",
            flags: str = "") -> str:
    """build + a local staging environment + one user of it."""
    return (BUILD + f'[environments.staging]\ncommand = "{GUNICORN}{flags} {app}"\n'
            f'health = "/healthz"\n{lines}\n' + USER)


def executable(*names: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        for name in names:
            path = root / name
            path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return setup


def write(name: str, text: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return setup


def link_tools(root: Path) -> None:
    """The load check's tool venv of this repository (made once, as test_load does)."""
    (REPO / ".tower" / "tools").mkdir(parents=True, exist_ok=True)  # a fresh clone has none
    (root / ".tower").mkdir(exist_ok=True)
    (root / ".tower" / "tools").symlink_to(REPO / ".tower" / "tools")


# -- the command strategy: a server that says which release it is ----------------
SERVE = """\
import http.server, sys
release = sys.argv[2]
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(f"release {release}".encode())
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""
# deploy.sh RELEASE PORT AS: (re)starts the server on PORT, answering that it is release AS.
DEPLOY = f"""\
#!/bin/sh
[ -f server.pid ] && kill "$(cat server.pid)" 2>/dev/null && sleep 0.2
nohup "{sys.executable}" serve.py "$2" "$3" > /dev/null 2>&1 &
echo $! > server.pid
sleep 0.3
"""
STOP = '#!/bin/sh\n[ -f server.pid ] && kill "$(cat server.pid)"\nrm -f server.pid\n'
PRETEND = '#!/bin/sh\necho "rolling back to $1 (pretend)"\n'
COMMAND_FILES = {**project(), "deploy.sh": DEPLOY, "stop.sh": STOP, "pretend.sh": PRETEND,
                 "serve.py": SERVE}


def command_env(deploy_as: str, extra: str = "") -> str:
    """A command environment whose deploy script starts a server answering `deploy_as`."""
    return (BUILD + '[environments.staging]\nstrategy = "command"\n'
            f'deploy = ["./deploy.sh", "{{release}}", "{{port}}", "{deploy_as}"]\n'
            'stop = ["./stop.sh"]\nurl = "http://127.0.0.1:{port}"\nhealth = "/healthz"\n'
            f'release_check = "/version"\nhealth_timeout = "3s"\n{extra}\n' + USER)


# A record of an earlier run: r1 was deployed and verified (the rollback target).
VERIFIED_R1 = (
    '{"next": 2, "current": "r1", "verified": "r1", "history": [{"release": "r1", '
    '"status": "verified", "started": "2026-01-01T00:00:00+00:00", "artifact": "old.whl", '
    '"sha256": "0", "version": "0.1", "log_path": "", "pid": null, "port": null, '
    '"url": "", "confirmed": true}]}')
def promote(gates_after: str = "", staging_lines: str = "") -> str:
    """staging and production, one user each; production's user comes before
    `gates_after` in the file."""
    return (BUILD + f'[environments.staging]\ncommand = "{GUNICORN} envapp:app"\n'
            f'{staging_lines}\n[environments.production]\ncommand = "{GUNICORN} envapp:app"\n'
            + USER + '\n[release.smoke]\ntool = "files"\nrequired = ["pyproject.toml"]\n'
            'environment = "production"\n' + gates_after)


LOGS_AN_ERROR = "import logging\nlogging.basicConfig()\nlogging.getLogger('envapp').error('x')\n"


BURN = """\
    if path == "/burn":
        x = 0
        for i in range(300000):
            x += i * i
"""
LOCUSTFILE = """\
from locust import HttpUser, constant, task


class Burner(HttpUser):
    wait_time = constant(0)

    @task
    def burn(self):
        self.client.get("/burn")
"""

CASES = [
    # -- F8: the release must run the artifact's code -------------------------------
    FaultCase(id="env-wheel-without-code", gates=staging(),
              files=project(include='only-include = ["nothing_here"]'),
              expect="holds no importable module (only envapp-0.1.dist-info/"),
    FaultCase(id="env-command-run-by-the-dev-python",
              gates=staging().replace('command = "gunicorn', f'command = "{sys.executable} -m '
                                      'gunicorn'),
              files=project(), expect="not from the deployed wheel"),
    # -- F1: error lines in the formats apps really write --------------------------
    FaultCase(id="env-app-errors-logging-default-format", gates=staging(),
              files=project(prelude="import logging\nlogging.basicConfig()\n"
                            "logging.getLogger('envapp').error('database connection lost')\n"),
              expect="app_errors == 0  (measured 1)"),
    FaultCase(id="env-app-errors-critical-only", gates=staging(),
              files=project(prelude="import logging\nlogging.basicConfig()\n"
                            "logging.getLogger('envapp').critical('data corruption')\n"),
              expect="app_errors == 0  (measured 1)"),
    FaultCase(id="env-app-errors-json-in-a-log-file",
              gates=staging('conditions = ["app_errors == 0"]\nlog_files = ["app.jsonl"]'),
              files=project(prelude='with open("app.jsonl", "a") as fh:\n'
                            '    fh.write(\'{"level": "error", "msg": "payment failed"}\\n\')\n'),
              expect="app_errors == 0  (measured 1)"),
    FaultCase(id="env-app-errors-gunicorn-error-logfile",
              gates=staging(flags=" --capture-output --error-logfile gunicorn.err"),
              files=project(prelude="import logging\nlogging.basicConfig()\n"
                            "logging.getLogger('envapp').error('cache unreachable')\n"),
              expect="app_errors == 0  (measured 1)"),
    FaultCase(id="env-log-file-never-written",
              gates=staging('conditions = ["app_errors == 0"]\nlog_files = ["logs/app.log"]'),
              files=project(), expect="never created its log file"),
    # -- state.json that cannot be trusted ------------------------------------------
    FaultCase(id="env-state-json-garbled", gates=staging(), files=project(),
              setup=write(".tower/envs/staging/state.json", "{not json"),
              expect="state.json: Expecting property name"),
    FaultCase(id="env-state-json-not-a-record", gates=staging(), files=project(),
              setup=write(".tower/envs/staging/state.json", '{"history": 3}'),
              expect="is not a state record pytest-tower wrote"),
    # -- F14: the command strategy must prove which release serves -------------------
    FaultCase(id="env-command-another-release-answers", gates=command_env("r-old"),
              files=COMMAND_FILES, setup=executable("deploy.sh", "stop.sh"),
              expect="does not name 'r1' (it answered 'release r-old'): another release is "
                     "serving"),
    FaultCase(id="env-command-rollback-that-changed-nothing", gates=command_env(
        "{release}", 'rollback = ["./pretend.sh", "{previous_release}"]').replace(
            'required = ["pyproject.toml"]', 'required = ["MISSING.md"]'),
        files=COMMAND_FILES, setup=lambda root: (executable("deploy.sh", "stop.sh",
                                                            "pretend.sh")(root),
                                                 write(".tower/envs/staging/state.json",
                                                       VERIFIED_R1)(root)),
        expect="does not name 'r1' (it answered 'release r2')"),
    FaultCase(id="env-command-release-expect-version", gates=command_env(
        "{release}", 'release_expect = "{version}"'), files=COMMAND_FILES,
        setup=executable("deploy.sh", "stop.sh"),
        expect="'{version}' does not identify a release"),  # N21: a config error now
    # -- F4: production only after every other gate ran and passed -----------------
    FaultCase(id="env-promote-after-staging-own-conditions",
              gates=promote(staging_lines='conditions = ["app_errors == 0"]'),
              files=project(prelude=LOGS_AN_ERROR), args=("--tower-promote",),
              expect="production: not deployed: environments::staging did not pass (failed)"),
    FaultCase(id="env-promote-failing-gate-later-in-the-file",
              gates=promote('\n[security.files]\nrequired = ["SECURITY.md"]\n'),
              files=project(), args=("--tower-promote",),
              expect="production: not deployed: security::files did not pass (failed)"),
    # -- F20: promote-only is stated, not guessed from the name ----------------------
    FaultCase(id="env-prod-named-environment-must-state-promote",
              gates=staging(app="envapp:app").replace("environments.staging", "environments.prod")
              .replace('environment = "staging"', 'environment = "prod"'),
              files=project(), rc=4,
              expect="'prod' looks like a production environment, but does not say whether "
                     "it is promote-only"),
    FaultCase(id="env-live-eu-environment-must-state-promote",
              gates=BUILD + '[environments.live-eu]\nstrategy = "command"\n'
              'deploy = ["./deploy.sh"]\n\n[smoke.files]\nrequired = ["pyproject.toml"]\n'
              'environment = "live-eu"\n', files=project(), rc=4,
              expect="'live-eu' looks like a production environment"),
    # -- F19: a check that names its own target cannot verify a release -------------
    FaultCase(id="env-tests-base-url-and-environment",
              gates=staging("") + '\n[integration.tests]\npaths = ["tests"]\n'
              'environment = "staging"\nbase_url = "http://127.0.0.1:8766"\n',
              files=project(**{"tests/test_a.py": "def test_a():\n    pass\n"}), rc=4,
              expect="[integration.tests] base_url: base_url and environment both name the "
                     "server to test"),
    FaultCase(id="env-load-host-and-environment",
              gates=staging("") + '\n[performance.load]\nenvironment = "staging"\n'
              'host = "http://127.0.0.1:8766"\nduration = "2s"\n',
              files=project(**{"locustfile.py": LOCUSTFILE}), rc=4,
              expect="[performance.load] host: host and environment both name the server"),
    FaultCase(id="env-app-errors-on-a-command-environment",
              gates=BUILD + '[environments.staging]\nstrategy = "command"\n'
              'deploy = ["./deploy.sh"]\nconditions = ["app_errors == 0"]\n' + USER,
              files=project(), rc=4,
              expect="app_errors is only measured for a local environment"),
    # -- F13: CPU of workers that live less than a sample ----------------------------
    FaultCase(id="env-load-cpu-of-recycled-workers",
              gates=staging("", flags=" --max-requests 2") + (
                  '\n[performance.load]\nenvironment = "staging"\nusers = 2\n'
                  'spawn_rate = 2\nduration = "4s"\n'
                  'conditions = ["cpu < 15%", "rps >= 1"]\n'),
              files=project(routes=BURN, **{"locustfile.py": LOCUSTFILE}),
              setup=link_tools, expect="cpu < 15%  (measured", timeout=300.0),
]
