"""Every code block of README.md is exercised, so the README cannot rot.

- ``python`` blocks run against the Drove emulator (``drove_default`` points at it; an app
  ``MY_APP-1`` with 2 healthy instances exists unless the block creates its own):
  operator/sensor snippets (they contain ``task_id=``) are wrapped in a DAG and run for real with
  ``dag.test()``; a block with ``with DAG(`` is run as the DAG file it is; a block defining
  ``test_*`` functions is executed and its tests are called with the emulator fixtures; anything
  else is executed as a script.
- ``bash`` blocks: every command must be one this test knows how to check: ``make`` targets exist
  in the Makefile, ``pip install`` names this distribution and its real extras, ``python -m`` and
  ``airflow`` commands accept every ``--flag`` used (checked against their ``--help``),
  ``AIRFLOW__SECTION__KEY`` settings exist in Airflow's config, and connection URIs / JSON are
  loaded through the hook's connection parser.
- ``json`` blocks are Drove connections, loaded through the same parser.
- The reference tables name every operator, sensor, trigger, link and hook method the code has.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
README = REPO_ROOT / "README.md"
sys.path.insert(0, str(REPO_ROOT))

from example_dags.demo import release_spec  # noqa: E402

pytestmark = pytest.mark.timeout(120)

SURFACE_MODULES = (
    "airflow_provider_drove.operators.base",
    "airflow_provider_drove.operators.application",
    "airflow_provider_drove.operators.task",
    "airflow_provider_drove.sensors.application",
    "airflow_provider_drove.sensors.task",
    "airflow_provider_drove.triggers.application",
    "airflow_provider_drove.triggers.task",
    "airflow_provider_drove.links.drove",
)
#: ``python -m`` modules a README command may use, with how to ask for their options
PYTHON_MODULES = ("airflow_provider_drove.testing", "example_dags.demo")


@dataclass(frozen=True)
class Block:
    """One fenced code block: its language, text and the README line it starts on."""

    lang: str
    text: str
    line: int

    @property
    def id(self) -> str:
        return f"{self.lang}-L{self.line}"


def _blocks() -> list[Block]:
    text = README.read_text()
    found = []
    for match in re.finditer(r"^```([\w-]*)\n(.*?)^```\s*$", text, re.S | re.M):
        found.append(Block(match.group(1), match.group(2), text[: match.start()].count("\n") + 1))
    return found


BLOCKS = _blocks()


def _of(lang: str) -> list[Any]:
    return [pytest.param(b, id=b.id) for b in BLOCKS if b.lang == lang]


def test_readme_starts_with_the_two_commands():
    first = BLOCKS[0]
    assert first.lang == "bash"
    assert [line.split("#")[0].strip() for line in first.text.splitlines()] == ["make demo", "make test"]


def test_every_block_has_a_language_this_test_checks():
    assert {b.lang for b in BLOCKS} <= {"bash", "python", "json"}, [b.id for b in BLOCKS]
    assert len(BLOCKS) >= 20


# ---------------------------------------------------------------------------- python blocks


@pytest.fixture
def my_app(drove_emulator, drove_connection):
    """``MY_APP-1`` serving 2 healthy instances on the emulator behind ``drove_default``."""
    return drove_emulator.create_app(release_spec("MY_APP", "1"), instances=2)


def _kind(code: str) -> str:
    if re.search(r"^def test_", code, re.M):
        return "pytest"
    if "with DAG(" in code:
        return "dag"
    if "task_id=" in code:
        return "tasks"
    return "script"


#: Waits poll every 10 s by default; against the fast emulator the README's DAGs poll faster.
FAST_POLLS = {"poll_interval": 0.2, "poke_interval": 0.2}


def _wrap_in_dag(code: str, dag_id: str) -> str:
    """A DAG file around a snippet of operators; polls fast (the emulator runs 50x real time)."""
    body = "\n".join(("    " + line) if line.strip() else "" for line in code.splitlines())
    return (
        "import datetime\n"
        "from airflow.providers.common.compat.sdk import DAG\n"
        f"with DAG({dag_id!r}, schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False,\n"
        f"         default_args={FAST_POLLS!r}) as dag:\n"
        f"{body}\n"
    )


@pytest.mark.parametrize("block", _of("python"))
def test_python_block(block, request, run_dag, drove_emulator, drove_connection):
    code = block.text
    compile(code, f"README.md:{block.line}", "exec")
    kind = _kind(code)
    if kind != "pytest":
        request.getfixturevalue("my_app")
    if kind in ("tasks", "dag"):
        if kind == "dag":
            dag_id = re.search(r'dag_id="([^"]+)"', code).group(1)
            assert code.count("with DAG(") == 1
            source = code.replace("with DAG(", f"with DAG(default_args={FAST_POLLS!r}, ")
        else:
            dag_id = f"readme_block_l{block.line}"
            source = _wrap_in_dag(code, dag_id)
        result = run_dag(source, dag_id)
        assert result.state == "success", result.task_states
        assert set(result.task_states.values()) == {"success"}, result.task_states
        return
    namespace: dict[str, Any] = {"__name__": f"readme_l{block.line}"}
    exec(compile(code, f"README.md:{block.line}", "exec"), namespace)  # noqa: S102 - our own README
    if kind == "pytest":
        fixtures = {"drove_emulator": drove_emulator, "drove_connection": drove_connection}
        tests = [f for name, f in namespace.items() if name.startswith("test_") and callable(f)]
        assert tests
        for test in tests:
            test(**{p: fixtures[p] for p in inspect.signature(test).parameters})


# ---------------------------------------------------------------------------- connections


def _load_connection(conn_id: str, *, uri: str | None = None, data: dict[str, Any] | None = None) -> Any:
    """Build an Airflow Connection from a URI or the JSON form and parse it as the hook does.

    A ``ca_bundle`` path is the reader's own file: when it does not exist here, a stand-in file is
    used so that everything else is still checked (the parser insists the bundle is readable).
    """
    from airflow.models.connection import Connection

    from airflow_provider_drove.hooks.connection import settings_from_airflow

    if uri is not None:
        conn = Connection(conn_id=conn_id, uri=uri)
    else:
        assert data is not None and data.get("conn_type") == "drove", data
        extra = data.get("extra")
        if isinstance(extra, dict) and extra.get("ca_bundle") and not Path(extra["ca_bundle"]).exists():
            extra = {**extra, "ca_bundle": str(_stand_in_ca_bundle())}
        conn = Connection(
            conn_id=conn_id,
            conn_type=data["conn_type"],
            host=data.get("host"),
            port=data.get("port"),
            login=data.get("login"),
            password=data.get("password"),
            extra=json.dumps(extra) if isinstance(extra, dict) else extra,
        )
    settings = settings_from_airflow(conn)
    assert settings.controllers and not settings.unknown_extras, settings
    if data is not None and data.get("password"):
        assert data["password"] not in repr(settings)
    return settings


@functools.cache
def _stand_in_ca_bundle() -> Path:
    import atexit
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="readme-ca-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = Path(folder) / "ca.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
    return path


def _load_connection_value(value: str) -> Any:
    value = value.strip()
    return _load_connection("readme", data=json.loads(value)) if value.startswith("{") else _load_connection(
        "readme", uri=value
    )


@pytest.mark.parametrize("block", _of("json"))
def test_json_block_is_a_drove_connection(block):
    settings = _load_connection("readme", data=json.loads(block.text))
    data = json.loads(block.text)
    if "auth_header" in data.get("extra", {}):
        assert settings.credentials.authorization == data["extra"]["auth_header"]


def test_inline_connection_uris_parse():
    uris = re.findall(r"`(drove://[^`]+)`", README.read_text())
    assert uris
    for uri in uris:
        settings = _load_connection("readme", uri=uri)
        if "%2C" in uri:
            assert len(settings.controllers) == 2


# ---------------------------------------------------------------------------- bash blocks


def _commands(text: str) -> list[list[str]]:
    joined = re.sub(r"\\\n\s*", " ", text)
    return [words for line in joined.splitlines() if (words := shlex.split(line, comments=True))]


def _makefile_targets() -> set[str]:
    return set(re.findall(r"^([\w.-]+):", (REPO_ROOT / "Makefile").read_text(), re.M))


def _makefile_variables() -> set[str]:
    return set(re.findall(r"^(\w+)\s*[?:]?=", (REPO_ROOT / "Makefile").read_text(), re.M))


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())


@functools.cache
def _help(*command: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}
    result = subprocess.run(
        [sys.executable, "-m", *command, "--help"], capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=90
    )
    assert result.returncode == 0, f"{command} --help failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _check_flags(words: list[str], help_text: str) -> None:
    for word in words:
        if word.startswith("--"):
            flag = word.split("=", 1)[0]
            assert re.search(rf"(^|[\s,\[]){re.escape(flag)}\b", help_text), f"{flag} is not an option:\n{help_text}"


def _check_setting(name: str, value: str) -> None:
    if name.startswith("AIRFLOW_CONN_"):
        _load_connection_value(value)
        return
    match = re.fullmatch(r"AIRFLOW__([A-Z0-9_]+?)__([A-Z0-9_]+)", name)
    assert match, f"unknown environment variable {name}"
    from airflow.configuration import conf

    section, key = match.group(1).lower(), match.group(2).lower()
    assert conf.has_option(section, key), f"[{section}] {key} is not an Airflow setting"


def _check_command(words: list[str]) -> None:
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
        name, value = words.pop(0).split("=", 1)
        _check_setting(name, value)
    head, args = words[0], words[1:]
    if head == "export":
        for assignment in args:
            name, value = assignment.split("=", 1)
            _check_setting(name, value)
    elif head == "make":
        for arg in args:
            if "=" in arg:
                assert arg.split("=", 1)[0] in _makefile_variables(), arg
            else:
                assert arg in _makefile_targets(), f"make {arg}: no such target"
    elif head == "pip":
        from packaging.requirements import Requirement

        assert args[0] == "install"
        project = _pyproject()["project"]
        for spec in (a for a in args[1:] if not a.startswith("-")):
            requirement = Requirement(spec.replace(".[", "airflow-provider-drove[") if spec.startswith(".") else spec)
            assert requirement.name == project["name"], spec
            assert requirement.extras <= set(project["optional-dependencies"]), spec
    elif head == "python":
        assert args[0] == "-m" and args[1] in PYTHON_MODULES, words
        _check_flags(args[2:], _help(args[1]))
    elif head == "airflow":
        subcommand = tuple(a for a in args[:2] if not a.startswith("-"))
        _check_flags(args, _help("airflow", *subcommand))
        for flag, value in zip(args, args[1:]):
            if flag == "--conn-uri":
                _load_connection("readme", uri=value)
            elif flag == "--conn-json":
                _load_connection("readme", data=json.loads(value))
    else:
        pytest.fail(f"README command not checked by this test: {' '.join(words)}")


@pytest.mark.parametrize("block", _of("bash"))
def test_bash_block_commands_exist(block):
    commands = _commands(block.text)
    assert commands
    for words in commands:
        _check_command(list(words))


# ---------------------------------------------------------------------------- reference tables


def _public_surface() -> list[str]:
    """Every operator, sensor, trigger and link class the provider defines (mixins are plumbing)."""
    from airflow.providers.common.compat.sdk import BaseOperator, BaseOperatorLink
    from airflow.triggers.base import BaseTrigger

    names = []
    for module_name in SURFACE_MODULES:
        module = importlib.import_module(module_name)
        names += [
            name
            for name, obj in vars(module).items()
            if inspect.isclass(obj)
            and obj.__module__ == module_name
            and name.startswith("Drove")
            and issubclass(obj, (BaseOperator, BaseTrigger, BaseOperatorLink))
        ]
    return names


def _hook_methods() -> list[str]:
    from airflow.providers.common.compat.sdk import BaseHook

    from airflow_provider_drove.hooks.drove import DroveAsyncHook, DroveHook

    names = set()
    for hook in (DroveHook, DroveAsyncHook):
        for name in dir(hook):
            if name.startswith("_") or name in ("conn_name_attr", "conn_type", "default_conn_name", "hook_name"):
                continue
            if name in dir(BaseHook) and name != "get_conn":
                continue
            names.add(name)
    return sorted(names)


def test_reference_names_every_operator_sensor_trigger_and_link():
    text = README.read_text()
    surface = _public_surface()
    assert "DroveScaleApplicationOperator" in surface and "DroveTaskSensor" in surface
    missing = [name for name in surface if f"`{name}`" not in text]
    assert missing == []


def test_reference_names_every_hook_method():
    text = README.read_text()
    methods = _hook_methods()
    assert "scale_application" in methods and "aclose" in methods
    missing = [name for name in methods if not re.search(rf"`{name}[(`]", text)]
    assert missing == []


def test_each_operator_and_sensor_has_its_own_example_section():
    text = README.read_text()
    runnable = [
        name
        for name in _public_surface()
        if ("Operator" in name or "Sensor" in name) and "Base" not in name
    ]
    for name in runnable:
        section = re.search(rf"^### {name}\n(.*?)(?=^##)", text, re.S | re.M)
        assert section, f"no section for {name}"
        assert "```python\n" in section.group(1) and f"{name}(" in section.group(1), name
