"""Fault cases: promotion — production only after every other gate ran in this run and passed.

Round-2 findings N12 (a partial run promoted), N22 (a failed canary), N5 (a gate
that needs a production check), N7 (production-like names), N21
(`release_expect = "{version}"`), N24 (a gate dropped by conftest.py excused by a
selection option) and the F6 addendum (a recording run promoting on conditions
that had no baseline yet). The projects are the envapp of environments.py.
"""

from __future__ import annotations

from tests.integration.faults import FaultCase
from tests.integration.faults.environments import (
    BUILD,
    COMMAND_FILES,
    GUNICORN,
    command_env,
    executable,
    project,
)

# build, a passing lint-like gate, production with its own conditions, one user of it.
PRODUCTION = (BUILD + '[security.files]\nrequired = ["pyproject.toml"]\n\n'
              f'[environments.production]\ncommand = "{GUNICORN} envapp:app"\n'
              'conditions = ["health_failures == 0"]\n\n'
              '[release.smoke]\ntool = "files"\nrequired = ["pyproject.toml"]\n'
              'environment = "production"\n')
NOT_COMPLETE = "production: not deployed: production is only deployed when every gate"


def named(name: str) -> str:
    """A local environment called `name` (promote not stated) and one user of it."""
    return (BUILD + f'[environments.{name}]\ncommand = "{GUNICORN} envapp:app"\n\n'
            f'[smoke.files]\nrequired = ["pyproject.toml"]\nenvironment = "{name}"\n')


CASES = [
    # -- N12: a selection that leaves out production's own item never promotes ------
    FaultCase(id="promote-k-not-environments", gates=PRODUCTION, files=project(),
              args=("--tower-promote", "-k", "not environments"), expect=NOT_COMPLETE),
    FaultCase(id="promote-deselect-own-environment-item", gates=PRODUCTION, files=project(),
              args=("--tower-promote", "--deselect", "gates.toml::environments::production"),
              expect="--tower-promote asked to deploy production, and "
                     "environments::production was not run"),
    FaultCase(id="promote-k-keeps-only-build-and-smoke", gates=PRODUCTION, files=project(),
              args=("--tower-promote", "-k", "package or smoke"), expect=NOT_COMPLETE),
    # -- N22: a promote-only canary gates the production declared after it -----------
    FaultCase(id="promote-canary-failed", gates=(
        # a command canary that starts nothing (a promote-only environment is not stopped)
        BUILD + '[environments.canary]\npromote = true\nstrategy = "command"\n'
        'deploy = ["true"]\nhealth = ["true"]\n\n'
        f'[environments.production]\ncommand = "{GUNICORN} envapp:app"\n\n'
        '[canary.files]\nrequired = ["CANARY_OK"]\nenvironment = "canary"\n\n'
        '[release.smoke]\ntool = "files"\nrequired = ["pyproject.toml"]\n'
        'environment = "production"\n'), files=project(), args=("--tower-promote",),
        expect="production: not deployed: canary::files did not pass (failed)"),
    # -- N5: an ordinary gate that needs a production check is a cycle ---------------
    FaultCase(id="promote-gate-needs-production-check",
              gates=PRODUCTION + '\n[lint.files]\nrequired = ["pyproject.toml"]\n'
              'needs = ["release"]\n', files=project(), args=("--tower-promote",), rc=4,
              expect="lint.files needs release.smoke, which tests the promote-only "
                     "environment 'production'"),
    # -- N7: production-like names must state promote --------------------------------
    FaultCase(id="promote-name-prod2", gates=named("prod2"), files=project(), rc=4,
              expect="'prod2' looks like a production environment"),
    FaultCase(id="promote-name-production1", gates=named("production1"), files=project(),
              rc=4, expect="'production1' looks like a production environment"),
    FaultCase(id="promote-name-camel-case", gates=named("euProd"), files=project(), rc=4,
              expect="'euProd' looks like a production environment"),
    # -- N21: a version names no one build --------------------------------------------
    FaultCase(id="promote-release-expect-version-only", gates=command_env(
        "{release}", 'release_expect = "{version}"'), files=COMMAND_FILES,
        setup=executable("deploy.sh", "stop.sh"), rc=4,
        expect="'{version}' does not identify a release"),
    # -- F6 addendum: a recording run's "no baseline yet" is not evidence ------------
    FaultCase(id="promote-update-baseline-new-condition",
              gates=PRODUCTION.replace('[security.files]\nrequired = ["pyproject.toml"]\n',
                                       '[security.files]\nrequired = ["pyproject.toml"]\n'
                                       'conditions = ["missing <= baseline"]\n'),
              files=project(), args=("--tower-promote", "--tower-update-baseline"),
              expect="production: not deployed: security::files has a condition with no "
                     "baseline yet"),
    # -- N24: a gate dropped by conftest.py is not excused by a selection option -----
    FaultCase(id="promote-conftest-drop-with-marker-selection",
              gates='[a.one]\ntool = "files"\nrequired = ["gates.toml"]\n\n'
              '[b.two]\ntool = "files"\nrequired = ["NOPE"]\n',
              files={"conftest.py": "def pytest_collection_modifyitems(items):\n"
                     "    items[:] = [i for i in items if 'two' not in i.nodeid]\n"},
              args=("-m", "not slow"),
              expect="b::two was not run, and the command line's selection keeps it"),
    FaultCase(id="promote-conftest-drop-with-keyword-selection",
              gates='[a.one]\ntool = "files"\nrequired = ["gates.toml"]\n\n'
              '[b.two]\ntool = "files"\nrequired = ["NOPE"]\n',
              files={"conftest.py": "def pytest_collection_modifyitems(items):\n"
                     "    items[:] = [i for i in items if 'two' not in i.nodeid]\n"},
              args=("-k", "not nothing_matches_this"),
              expect="b::two was not run, and the command line's selection keeps it"),
    # -- N16: under -n a node id selects on the workers too (here: a partial run that
    #    require_complete refuses; the workers used to run every gate, "complete")
    FaultCase(id="promote-xdist-node-id-selection-is-honoured",
              gates='[tower]\nrequire_complete = true\n\n[a.one]\ntool = "files"\n'
              'required = ["gates.toml"]\n\n[b.two]\ntool = "files"\nrequired = ["gates.toml"]\n',
              args=("-n", "2", "gates.toml::a::one"), subprocess=True,
              expect="partial run, and require_complete is set: b::two was not run"),
]
