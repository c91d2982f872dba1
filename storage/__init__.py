"""SQLite persistence for duban (sqlite-utils)."""
