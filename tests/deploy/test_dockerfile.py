"""The Docker image cannot drift from what CI runs.

No Docker engine runs on this machine or in CI, so the image is never built here. Instead:
the Dockerfile's steps are checked in order; it installs the same hash-checked runtime lock
that `make` installs for the tests; and its install steps are replayed in a fresh venv
from a build context cut by .dockerignore, and the entry point is run from there.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from docker_support import ROOT, Instruction, build_context, parse_dockerfile, replay
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

DOCKERFILE = ROOT / "Dockerfile"
RUNTIME_LOCK = "requirements/runtime.txt"
FONTS_LOCK = "requirements/fonts.txt"
DEV_LOCK = "requirements/dev.txt"
# What a working checkout holds besides the repository's files.
LOCAL_STATE = (".git", ".venv", ".tools", "data", "*_cache", ".hypothesis", "__pycache__")
FONT = "NotoSansCJKsc-Regular.otf"
FONT_IN_IMAGE = f"/usr/local/share/duban/{FONT}"
LICENSE_IN_IMAGE = "/usr/local/share/duban/NotoSansCJK-OFL.txt"


def make(*args: str) -> subprocess.CompletedProcess[str]:
    """`make` in the checkout, free of the flags of a `make test` that runs these tests."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def instructions() -> list[Instruction]:
    return parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))


def words(ins: Instruction) -> list[str]:
    return shlex.split(ins.args)


def find_in_order(
    steps: list[Instruction], expected: list[tuple[str, Callable[[Instruction], bool]]]
) -> list[Instruction]:
    """Each expected step, found after the one before it; fails naming the first missing."""
    found: list[Instruction] = []
    position = 0
    for description, matches in expected:
        for i in range(position, len(steps)):
            if matches(steps[i]):
                found.append(steps[i])
                position = i + 1
                break
        else:
            after = f" after line {found[-1].line}" if found else ""
            pytest.fail(f"Dockerfile: no step '{description}'{after}")
    return found


def pip_install_r(ins: Instruction) -> list[str]:
    """The files a `RUN pip install -r ...` installs from, in order."""
    argv = words(ins)
    if ins.keyword != "RUN" or argv[:2] != ["pip", "install"]:
        return []
    return [argv[i + 1] for i, a in enumerate(argv) if a == "-r"]


def test_the_dockerfile_steps_in_order() -> None:
    steps = instructions()
    stages = [s for s in steps if s.keyword == "FROM"]
    assert [s.args for s in stages] == ["python:3.11-slim AS font", "python:3.11-slim"]
    final = [s for s in steps if s.stage == len(stages) - 1]
    font_stage = [s for s in steps if s.stage == 0]
    find_in_order(
        font_stage,
        [
            ("COPY the fonts lock", lambda s: s.keyword == "COPY" and FONTS_LOCK in s.args),
            (
                "pip install --require-hashes the fonts lock",
                lambda s: bool(pip_install_r(s)) and "--require-hashes" in words(s),
            ),
        ],
    )
    env, *_ = find_in_order(
        final,
        [
            ("ENV DUBAN_FONT", lambda s: s.keyword == "ENV" and "DUBAN_FONT=" in s.args),
            ("COPY the runtime lock", lambda s: s.keyword == "COPY" and RUNTIME_LOCK in s.args),
            (
                "pip install --require-hashes -r the runtime lock",
                lambda s: pip_install_r(s) == [RUNTIME_LOCK] and "--require-hashes" in words(s),
            ),
            ("COPY bot", lambda s: s.keyword == "COPY" and words(s)[0] == "bot"),
            ("pip install --no-deps .", lambda s: words(s) == ["pip", "install", "--no-deps", "."]),
            (
                "COPY the font from the build stage",
                lambda s: (
                    s.keyword == "COPY"
                    and words(s)[0] == "--from=font"
                    and words(s)[-1] == FONT_IN_IMAGE
                ),
            ),
            ("COPY the font's license", lambda s: words(s)[-1:] == [LICENSE_IN_IMAGE]),
            ("COPY the table", lambda s: words(s)[-1:] == ["/config/tasks.yaml"]),
            ("useradd uid 10001", lambda s: s.keyword == "RUN" and "--uid 10001" in s.args),
            ("USER 10001", lambda s: s.keyword == "USER" and s.args.split(":")[0] == "10001"),
            ("VOLUME /data", lambda s: s.keyword == "VOLUME" and "/data" in s.args),
            (
                "HEALTHCHECK duban health",
                lambda s: s.keyword == "HEALTHCHECK" and s.exec_form() == ["duban", "health"],
            ),
            (
                "ENTRYPOINT duban",
                lambda s: s.keyword == "ENTRYPOINT" and s.exec_form() == ["duban"],
            ),
            ("CMD run", lambda s: s.keyword == "CMD" and s.exec_form() == ["run"]),
        ],
    )
    assert f"DUBAN_FONT={FONT_IN_IMAGE}" in words(env)
    assert final[-1].keyword == "CMD", "CMD is the last step"
    # Nothing after USER runs as root: no RUN, COPY or pip after it.
    user_at = next(i for i, s in enumerate(final) if s.keyword == "USER")
    assert [s.keyword for s in final[user_at + 1 :] if s.keyword in ("RUN", "COPY")] == []


def make_install_commands() -> list[list[str]]:
    """The pip commands `make` runs to build .venv (printed by `make -n`, not run)."""
    done = make("-n", "--always-make", ".venv/.installed")
    assert done.returncode == 0, done.stderr
    return [
        shlex.split(line)
        for line in done.stdout.splitlines()
        if " -m pip install" in line and "--require-hashes" in line
    ]


def test_ci_and_the_image_install_the_same_hash_checked_runtime_lock() -> None:
    (make_pip,) = make_install_commands()
    make_locks = [make_pip[i + 1] for i, a in enumerate(make_pip) if a == "-r"]
    image_locks = [f for s in instructions() for f in pip_install_r(s)]
    assert make_locks == [RUNTIME_LOCK, FONTS_LOCK, DEV_LOCK]
    assert RUNTIME_LOCK in image_locks, "the image installs the runtime lock CI installs"
    # The font stage installs the fonts lock under another name: the COPY says from where.
    copy_fonts = next(s for s in instructions() if s.keyword == "COPY" and FONTS_LOCK in s.args)
    assert words(copy_fonts)[-1] in image_locks
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    commands = [line.strip() for line in ci if line.strip().startswith("make ")]
    assert commands == ["make lint", "make test"]


def read_lock(name: str) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of the pins that apply to Python 3.11 on this machine."""
    env = default_environment() | {"python_version": "3.11", "python_full_version": "3.11.0"}
    pins: dict[str, tuple[str, list[str]]] = {}
    text = (ROOT / name).read_text(encoding="utf-8").replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        spec, *hashes = (part.strip() for part in line.split("--hash="))
        req = Requirement(spec)
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        (pin,) = req.specifier
        assert pin.operator == "==", f"{name}: {spec} is not an exact pin"
        assert hashes, f"{name}: {spec} has no hash"
        assert canonicalize_name(req.name) not in pins, f"{name}: {req.name} twice"
        pins[canonicalize_name(req.name)] = (pin.version, hashes)
    return pins


def test_the_locks_pin_every_dependency_of_pyproject_exactly_once() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime, fonts, dev = (read_lock(n) for n in (RUNTIME_LOCK, FONTS_LOCK, DEV_LOCK))
    assert not runtime.keys() & fonts.keys(), "fonts lock repeats a runtime pin"
    assert not (runtime.keys() | fonts.keys()) & dev.keys(), "dev lock repeats a pin"
    layers = {
        "runtime": runtime,
        "fonts": runtime | fonts,
        "test": runtime | fonts | dev,
        "dev": runtime | fonts | dev,
    }
    wanted = {"runtime": project["dependencies"], **project["optional-dependencies"]}
    assert set(wanted) == set(layers), "an extra the lock files do not cover"
    for layer, requirements in wanted.items():
        for text in requirements:
            req = Requirement(text)
            if canonicalize_name(req.name) == "duban":
                continue  # duban[fonts] inside an extra: its pins are checked as that extra
            version, _ = layers[layer][canonicalize_name(req.name)]
            assert req.specifier.contains(version), f"{layer}: {text} but the lock has {version}"


def test_the_font_license_travels_with_the_font() -> None:
    """The image copies the OFL text beside the font; it carries the font's own notice."""
    import mplfonts  # the `fonts` extra: installed by make
    from fontTools.ttLib import TTFont  # matplotlib's dependency, in the runtime lock

    version = read_lock(FONTS_LOCK)["mplfonts"][0]
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "show", "mplfonts"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"Version: {version}" in installed, "the venv runs the locked mplfonts"
    font = Path(mplfonts.__file__).parent / "fonts" / FONT
    with TTFont(font, lazy=True) as opened:
        copyright_notice = str(opened["name"].getDebugName(0))
        license_id = str(opened["name"].getDebugName(13))
    assert "SIL Open Font License, Version 1.1" in license_id
    text = (ROOT / "licenses" / "NotoSansCJK-OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in text
    assert copyright_notice in text
    assert f"mplfonts {version}" in " ".join(text.split()), "names the font's source"
    assert Path(FONT_IN_IMAGE).parent == Path(LICENSE_IN_IMAGE).parent


def run_make_image(tmp_path: Path, docker_script: str) -> subprocess.CompletedProcess[str]:
    fake = tmp_path / "docker"
    fake.write_text(f"#!/bin/sh\n{docker_script}\n", encoding="utf-8")
    fake.chmod(0o755)
    return make("image", f"DOCKER={fake}")


def test_make_image_without_a_docker_engine_says_so(tmp_path: Path) -> None:
    done = run_make_image(tmp_path, 'echo "Cannot connect to the Docker daemon" >&2; exit 1')
    assert done.returncode != 0
    assert "没有可用的 Docker 引擎" in done.stdout
    assert "no Docker engine" in done.stdout


def test_make_image_builds_this_dockerfile_where_an_engine_answers(tmp_path: Path) -> None:
    log = tmp_path / "calls"
    done = run_make_image(tmp_path, f'echo "$@" >> {log}')
    assert done.returncode == 0, done.stderr
    assert log.read_text(encoding="utf-8").splitlines() == ["info", "build -t duban:latest ."]


def test_the_build_context_is_only_what_the_image_copies(tmp_path: Path) -> None:
    """.dockerignore keeps secrets, data and tools away from the Docker engine."""
    source = tmp_path / "checkout"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*LOCAL_STATE))
    for probe in (".env", "data/duban.db", ".venv/bin/python", "bot/__pycache__/x.pyc"):
        (source / probe).parent.mkdir(parents=True, exist_ok=True)
        (source / probe).write_text("not for the image", encoding="utf-8")
    sent = build_context(source, tmp_path / "context")
    tops = {p.split("/")[0] for p in sent}
    assert tops == {
        "bot",
        "storage",
        "requirements",
        "licenses",
        "config",
        "pyproject.toml",
        "README.md",
    }
    assert "config/tasks.yaml" in sent
    assert "bot/cli.py" in sent
    assert not [p for p in sent if "__pycache__" in p or p.endswith(".pyc")]
    assert "requirements/dev.txt" not in sent


@pytest.mark.slow
def test_replaying_the_image_install_gives_a_working_duban(tmp_path: Path) -> None:
    """The Dockerfile's pip steps, run as written in fresh venvs: duban starts from there."""
    context = tmp_path / "context"
    build_context(ROOT, context)
    done = replay(DOCKERFILE, context, tmp_path / "build")
    assert done.skipped_runs == [
        "apt-get update && apt-get install -y --no-install-recommends tzdata "
        "&& rm -rf /var/lib/apt/lists/*",
        "groupadd --system --gid 10001 duban && useradd --system --uid 10001 --gid 10001 "
        "--home-dir /data --shell /usr/sbin/nologin duban && mkdir -p /data "
        "&& chown duban:duban /data",
    ], "a RUN step the replay does not know: teach tests/deploy/docker_support.py"
    assert len(done.pip_runs) == 3
    image = done.final
    font = image.path(image.env["DUBAN_FONT"])
    assert font.is_file() and font.stat().st_size > 10_000_000
    assert (font.parent / "NotoSansCJK-OFL.txt").is_file()

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DUBAN_", "PYTHON"))}
    env |= image.env
    env |= {
        "PATH": f"{image.venv / 'bin'}{os.pathsep}{env['PATH']}",
        "DUBAN_FONT": str(font),
        "DUBAN_CONFIG": str(image.path(image.env["DUBAN_CONFIG"])),
        "DUBAN_DATA_DIR": str(image.path(image.env["DUBAN_DATA_DIR"])),
        "HOME": str(tmp_path),
    }

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        cwd = image.path(image.workdir)
        return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)

    entry = [str(image.venv / "bin" / done.entrypoint[0]), *done.entrypoint[1:]]
    assert run(*entry, "--help").returncode == 0
    assert run(*entry, *done.cmd, "--help").returncode == 0
    check = run(*entry, "check", "--config", str(image.path("/config/tasks.yaml")))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "校验通过" in check.stdout
    invite = run(*entry, "invite", "coord-1", "--bot-username", "duban_bot")  # makes the db
    assert invite.returncode == 0, invite.stdout + invite.stderr
    chart = run(*entry, "chart", "--out", str(tmp_path / "chart.png"))
    assert chart.returncode == 0, chart.stdout + chart.stderr
    assert (tmp_path / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    health = run(str(image.venv / "bin" / done.healthcheck[0]), *done.healthcheck[1:])
    assert health.returncode == 1 and "Traceback" not in health.stderr  # no tick yet
    no_wheel = run(str(image.venv / "bin" / "python"), "-c", "import mplfonts")
    assert no_wheel.returncode != 0, "the image carries the font, not the mplfonts wheel"
