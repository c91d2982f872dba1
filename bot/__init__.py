"""duban 督办: a Telegram bot that keeps a division table (分工表) alive."""

__version__ = "0.1.0"
