"""The local Bot API emulator (`duban emulator`) and its control client."""

from bot.emulator.client import EmulatorClient, EmulatorError
from bot.emulator.server import DEFAULT_TOKEN, Emulator, Faults, Limits, run

__all__ = [
    "DEFAULT_TOKEN",
    "Emulator",
    "EmulatorClient",
    "EmulatorError",
    "Faults",
    "Limits",
    "run",
]
