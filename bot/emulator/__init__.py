"""The local Bot API emulator (`duban emulator`) and its control client."""

from bot.emulator.client import EmulatorClient
from bot.emulator.server import Emulator, Faults, Limits

__all__ = ["Emulator", "EmulatorClient", "Faults", "Limits"]
