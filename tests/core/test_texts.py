"""Every text exists in both languages; every command is in /help, the menu and the README."""

from __future__ import annotations

import re
import string
from pathlib import Path

import bot.app
import bot.ops  # noqa: F401
from bot.app import MENU
from bot.core.i18n import EN, ZH, t

ROOT = Path(__file__).resolve().parents[2]


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_every_text_is_in_both_languages_with_the_same_placeholders() -> None:
    assert set(ZH) == set(EN), sorted(set(ZH) ^ set(EN))
    mismatched = [k for k in ZH if _fields(ZH[k]) != _fields(EN[k])]
    assert mismatched == []


def test_every_menu_command_is_in_help_and_in_the_readme() -> None:
    help_text = " ".join(t("zh", k) for k in ("help.contact", "help.coordinator", "help.admin"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing_help = [c for c in MENU if c not in ("help",) and f"/{c}" not in help_text]
    missing_readme = [c for c in MENU if f"/{c}" not in readme]
    assert missing_help == [] and missing_readme == []


def test_every_cli_command_is_in_the_readme() -> None:
    from bot.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`duban (\w+)", readme))
    assert set(sub.choices) - documented == set()
