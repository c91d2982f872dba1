"""`duban demo`: the whole loop on the local Bot API emulator (filled in below)."""

from __future__ import annotations

import argparse

from bot.clikit import command


@command("demo")
def cmd_demo(args: argparse.Namespace) -> int:
    """Run the demo."""
    from bot.demo_script import run_demo

    return run_demo(args)
