"""An estimate of the Docker image's size, where no Docker engine runs: `python benchmarks/imagesize.py`.

The image is python:3.11-slim plus what the Dockerfile adds. What it adds is measured
here: a fresh venv gets `pip install --require-hashes -r requirements/runtime.txt` and
`pip install --no-deps .`, as the Dockerfile runs them; its site-packages (less setuptools,
which the base image already has) is the install layer, the font file is the font layer.
Each is measured as bytes on disk and as a gzip stream (how registries store layers). The
base image's figures are Docker Hub's for the linux/amd64 tag, written below by hand: they
cannot be read from a machine without Docker Hub, and they move by a few MB per rebuild.
"""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
import tarfile
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# python:3.11-slim, linux/amd64, as Docker Hub lists it: compressed (pull) and unpacked MB.
BASE_COMPRESSED_MB = 41
BASE_UNPACKED_MB = 125
# In the base image already (python:3.11-slim installs setuptools 65.5 beside pip).
IN_BASE = ("setuptools", "pkg_resources", "_distutils_hack", "distutils-precedence.pth")
FONT = "NotoSansCJKsc-Regular.otf"


def layer(paths: list[Path]) -> tuple[int, int]:
    """(bytes of the files, bytes as a gzip'd tar) of files and trees as one image layer."""
    raw = io.BytesIO()
    size = 0

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        nonlocal size
        if "__pycache__" in info.name and "site-packages" not in str(paths[0]):
            return None  # a checkout's bytecode is not in the build context
        size += info.size
        return info

    with tarfile.open(fileobj=raw, mode="w") as tar:
        for path in paths:
            tar.add(path, arcname=path.name, filter=keep)
    return size, len(gzip.compress(raw.getvalue(), compresslevel=6))


def install_layer(tmp: Path) -> tuple[int, int]:
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    pip = [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run(
        [*pip, "--require-hashes", "-r", "requirements/runtime.txt"], cwd=ROOT, check=True
    )
    subprocess.run([*pip, "--no-deps", "."], cwd=ROOT, check=True)
    site = env_dir / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    return layer(sorted(p for p in site.iterdir() if not p.name.startswith(IN_BASE)))


def font_layer() -> tuple[int, int]:
    import mplfonts  # the `fonts` extra, as the Dockerfile's build stage installs it

    font = Path(mplfonts.__file__).parent / "fonts" / FONT
    return layer([font, ROOT / "licenses" / "NotoSansCJK-OFL.txt"])


def main() -> None:
    mb = 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        install = install_layer(Path(tmp))
    font = font_layer()
    sources = layer([ROOT / d for d in ("bot", "storage", "config/tasks.yaml", "README.md")])
    print(
        f"base python:3.11-slim (Docker Hub)  {BASE_UNPACKED_MB:>6} MB {BASE_COMPRESSED_MB:>6} MB"
    )
    print(
        f"runtime lock + duban (measured)     {install[0] / mb:>6.0f} MB {install[1] / mb:>6.0f} MB"
    )
    print(f"font + OFL license (measured)       {font[0] / mb:>6.1f} MB {font[1] / mb:>6.1f} MB")
    print(
        f"sources in /app, table (measured)   {sources[0] / mb:>6.1f} MB {sources[1] / mb:>6.1f} MB"
    )
    disk = BASE_UNPACKED_MB + (install[0] + font[0] + sources[0]) / mb
    pull = BASE_COMPRESSED_MB + (install[1] + font[1] + sources[1]) / mb
    print(f"estimated image                     {disk:>6.0f} MB {pull:>6.0f} MB  (unpacked, pull)")


if __name__ == "__main__":
    main()
