"""Reading the Dockerfile and .dockerignore, and replaying the image's install steps.

No Docker engine runs here, so the tests read the Dockerfile the way the engine does
(continuation lines, comments, stages, exec-form JSON) and replay what it installs on
this machine: each stage gets a directory standing for its filesystem and a fresh venv
standing for the image's Python (`/usr/local/lib/python3.11/site-packages` of the
official python image is the venv's site-packages). `pip install` steps run as written,
with the machine's pip cache; other RUN steps (apt-get, useradd) are system set-up that
the replay leaves out, and a test checks that they are only those.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMAGE_SITE_PACKAGES = "/usr/local/lib/python3.11/site-packages"


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction: keyword, its arguments, its stage and first line."""

    keyword: str
    args: str
    stage: int
    line: int

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form instruction (CMD ["run"]), else None."""
        text = self.args
        if self.keyword == "HEALTHCHECK":
            found = re.search(r"(?:^|\s)CMD\s+(.*)$", text)
            text = found.group(1) if found else ""
        try:
            value = json.loads(text)
        except ValueError:
            return None
        return [str(v) for v in value] if isinstance(value, list) else None


def parse_dockerfile(text: str) -> list[Instruction]:
    """The instructions in order: continuation lines joined, comments dropped."""
    out: list[Instruction] = []
    stage = -1
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # a comment inside a continued instruction is dropped, as Docker does
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        keyword, _, args = " ".join(p for p in pending if p).partition(" ")
        pending = []
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        out.append(Instruction(keyword, args.strip(), stage, start))
    return out


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regex over a slash-separated relative path."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + r"\Z")


@dataclass
class DockerIgnore:
    """The rules of a .dockerignore: the last pattern matching a path or a parent wins."""

    rules: list[tuple[bool, str, re.Pattern[str]]] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> DockerIgnore:
        rules = []
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            keep = line.startswith("!")
            pattern = os.path.normpath(line.removeprefix("!").strip()).lstrip("/")
            rules.append((keep, pattern, _pattern_regex(pattern)))
        return cls(rules)

    def excluded(self, rel: str) -> bool:
        parts = rel.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        result = False
        for keep, _, regex in self.rules:
            if any(regex.match(p) for p in prefixes):
                result = not keep
        return result

    def may_reinclude(self, rel_dir: str) -> bool:
        """Whether a `!` pattern could bring back something under an excluded directory."""
        return any(keep and pat.startswith(rel_dir + "/") for keep, pat, _ in self.rules)


def build_context(source: Path, target: Path) -> list[str]:
    """Copy the build context as the engine receives it; returns the relative paths sent."""
    ignore = DockerIgnore.read(source / ".dockerignore")
    sent: list[str] = []
    for dirpath, dirnames, filenames in os.walk(source):
        here = Path(dirpath)
        rel_here = here.relative_to(source).as_posix()
        for name in list(dirnames):
            rel = name if rel_here == "." else f"{rel_here}/{name}"
            if ignore.excluded(rel) and not ignore.may_reinclude(rel):
                dirnames.remove(name)
        for name in filenames:
            rel = name if rel_here == "." else f"{rel_here}/{name}"
            if ignore.excluded(rel):
                continue
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(here / name, target / rel)
            sent.append(rel)
    return sorted(sent)


@dataclass
class Stage:
    """A replayed build stage: its filesystem stand-in, its venv, its ENV and WORKDIR."""

    name: str
    root: Path
    venv: Path
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"

    @property
    def site_packages(self) -> Path:
        return (
            self.venv
            / "lib"
            / f"python{sys.version_info[0]}.{sys.version_info[1]}"
            / ("site-packages")
        )

    def path(self, image_path: str) -> Path:
        """Where an image path of this stage lives in the replay."""
        if not image_path.startswith("/"):
            image_path = f"{self.workdir.rstrip('/')}/{image_path}"
        if image_path.startswith(IMAGE_SITE_PACKAGES):
            return self.site_packages / image_path.removeprefix(IMAGE_SITE_PACKAGES).lstrip("/")
        return self.root / image_path.lstrip("/")


@dataclass
class Replay:
    """What replaying the Dockerfile did."""

    stages: list[Stage]
    skipped_runs: list[str]
    user: str = ""
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    pip_runs: list[list[str]] = field(default_factory=list)

    @property
    def final(self) -> Stage:
        return self.stages[-1]


def _copy_into(src: Path, dest: Path, dest_is_dir: bool) -> None:
    """COPY's rules: a directory's contents go into dest; a file goes to dest or into it."""
    if src.is_dir():
        shutil.copytree(src, dest, dirs_exist_ok=True)
        return
    target = dest / src.name if dest_is_dir else dest
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, target)


def _copy_step(ins: Instruction, stage: Stage, stages: dict[str, Stage], context: Path) -> None:
    words = shlex.split(ins.args)
    source_stage = None
    while words[0].startswith("--"):
        flag = words.pop(0)
        if flag.startswith("--from="):
            source_stage = stages[flag.removeprefix("--from=")]
    *srcs, dest = words
    if source_stage is None:
        sources = [context / s for s in srcs]
    else:
        sources = [source_stage.path(s) for s in srcs]
    missing = [str(s) for s in sources if not s.exists()]
    assert not missing, f"Dockerfile:{ins.line}: COPY source missing: {missing}"
    dest_is_dir = dest.endswith("/") or dest == "." or len(srcs) > 1
    for src in sources:
        _copy_into(src, stage.path(dest), dest_is_dir)


def _pip_step(command: list[str], stage: Stage, env: dict[str, str]) -> list[str]:
    args = [a for a in command[2:] if a != "--no-cache-dir"]  # use this machine's pip cache
    args = [str(stage.path(a)) if a.startswith("/") else a for a in args]
    argv = [str(stage.venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *args]
    cwd = stage.path(stage.workdir)
    cwd.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return command


def replay(dockerfile: Path, context: Path, work: Path) -> Replay:
    """Replay the Dockerfile's stages in `work`, with `context` as the build context."""
    instructions = parse_dockerfile(dockerfile.read_text(encoding="utf-8"))
    stages: dict[str, Stage] = {}
    result = Replay(stages=[], skipped_runs=[])
    pip_env = {k: v for k, v in os.environ.items() if not k.startswith(("DUBAN_", "PYTHON"))}
    pip_env.pop("PIP_NO_CACHE_DIR", None)
    stage: Stage | None = None
    for ins in instructions:
        if ins.keyword == "FROM":
            named = re.search(r"\s+AS\s+(\S+)\s*$", ins.args, re.IGNORECASE)
            name = named.group(1) if named else str(ins.stage)
            base = work / f"stage-{ins.stage}"
            stage = Stage(name=name, root=base / "root", venv=base / "venv")
            venv.EnvBuilder(with_pip=True).create(stage.venv)
            stages[name] = stage
            result.stages.append(stage)
            continue
        assert stage is not None, "an instruction before FROM"
        if ins.keyword == "ENV":
            for pair in shlex.split(ins.args):
                key, _, value = pair.partition("=")
                stage.env[key] = value
        elif ins.keyword == "WORKDIR":
            stage.workdir = ins.args
            stage.path(ins.args).mkdir(parents=True, exist_ok=True)
        elif ins.keyword == "COPY":
            _copy_step(ins, stage, stages, context)
        elif ins.keyword == "RUN":
            command = shlex.split(ins.args)
            if command[:2] == ["pip", "install"]:
                env = {**pip_env, **{k: v for k, v in stage.env.items() if k.startswith("PIP_")}}
                env.pop("PIP_NO_CACHE_DIR", None)
                result.pip_runs.append(_pip_step(command, stage, env))
            else:
                result.skipped_runs.append(ins.args)
        elif ins.keyword == "USER":
            result.user = ins.args
        elif ins.keyword == "ENTRYPOINT":
            result.entrypoint = ins.exec_form() or []
        elif ins.keyword == "CMD":
            result.cmd = ins.exec_form() or []
        elif ins.keyword == "HEALTHCHECK":
            result.healthcheck = ins.exec_form() or []
    return result
