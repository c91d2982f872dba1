"""Logs that can be shared: the bot token never appears, and a network that is down gives one
line per failure, not a wall of tracebacks.

The token is a password: whoever has it can read every message sent to the bot. It shows up
in request URLs (`.../bot<token>/getUpdates`) and in python-telegram-bot's `InvalidToken`
message; `RedactingFormatter` replaces it in every formatted line, tracebacks included.
"""

from __future__ import annotations

import logging

from telegram.error import InvalidToken, NetworkError

REDACTED = "***"


class RedactingFormatter(logging.Formatter):
    """A formatter that removes secrets from the finished line."""

    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        """The line with every secret (and the token's secret half) replaced."""
        return redact(super().format(record), self.secrets)


def redact(text: str, secrets: list[str]) -> str:
    """`text` without any of `secrets` (a bot token's part after the colon counts too)."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
        if ":" in secret:
            text = text.replace(secret.split(":", 1)[1], REDACTED)
    return text


class OneLineNetworkErrors(logging.Filter):
    """A network or token failure logged with a traceback becomes one line with its cause."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record; drop the traceback of expected network failures."""
        if record.exc_info and isinstance(record.exc_info[1], NetworkError | InvalidToken):
            err = record.exc_info[1]
            record.msg = f"{record.getMessage()}: {type(err).__name__}: {err}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def configure(level: str, secrets: list[str]) -> None:
    """Logging for `duban run`: one format, secrets redacted, network failures on one line."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    )
    handler.addFilter(OneLineNetworkErrors())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
