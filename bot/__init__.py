"""duban 督办: a Telegram bot that keeps a division table (分工表) alive."""

__version__ = "0.1.0"

import os as _os

# Opt in to python-telegram-bot's future behaviour: durations (RetryAfter.retry_after and
# friends) as datetime.timedelta, without the deprecation warning of the int form.
_os.environ.setdefault("PTB_TIMEDELTA", "1")
