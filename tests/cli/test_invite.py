"""`duban invite`: the bot's real username in the link (never `<bot>`), roles named in the
user's language, a warning when the member is already bound, and a code that works."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import SHIPPED

from storage.repo import Store

NOW = dt.datetime(2026, 11, 25, 1, 0, tzinfo=dt.UTC)


def code_of(text: str) -> str:
    match = re.search(r"/start ([A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


def redeem(db: Path, code: str, user_id: int = 777) -> str | None:
    store = Store.open(db)
    try:
        return store.redeem_invite(code, user_id, NOW)
    finally:
        store.close()


def test_the_link_uses_the_username_the_running_bot_saved(cli: Any, db: Path) -> None:
    store = Store.open(db)
    store.set_meta("bot_username", "gaoxinqu_duban_bot")
    store.close()
    result = cli("invite", "eco-1", "--config", SHIPPED, "--db", db)
    assert result.code == 0, result.err
    code = code_of(result.out)
    assert f"https://t.me/gaoxinqu_duban_bot?start={code}" in result.out
    assert "<bot>" not in result.out and result.err == ""
    assert redeem(db, code) == "eco-1"  # the printed code binds that contact, once
    assert redeem(db, code, 778) is None


@pytest.mark.parametrize("given", ["@my_office_bot", "my_office_bot"])
def test_bot_username_with_or_without_at(cli: Any, db: Path, given: str) -> None:
    result = cli("invite", "eco-1", "--config", SHIPPED, "--db", db, "--bot-username", given)
    assert result.code == 0, result.err
    assert f"https://t.me/my_office_bot?start={code_of(result.out)}" in result.out
    assert "@my_office_bot?" not in result.out


def test_without_a_known_username_the_code_and_what_the_link_needs(cli: Any, db: Path) -> None:
    result = cli("invite", "eco-1", "--config", SHIPPED, "--db", db)
    assert result.code == 0, result.err
    assert "t.me" not in result.out and "<bot>" not in result.out
    assert f"/start {code_of(result.out)}" in result.out and "--bot-username" in result.out
    english = cli("invite", "eco-1", "--config", SHIPPED, "--db", db, "--lang", "en")
    assert "send the bot: /start" in english.out and "--bot-username" in english.out


def test_roles_are_named_in_the_users_language(cli: Any, db: Path) -> None:
    contact = cli("invite", "eco-1", "--config", SHIPPED, "--db", db)
    assert "（生态环境局 联络员）" in contact.out
    person = cli("invite", "admin-1", "--config", SHIPPED, "--db", db)
    assert person.code == 0, person.err
    assert "（管理员、督办员）" in person.out and "admin" not in person.out
    english = cli("invite", "admin-1", "--config", SHIPPED, "--db", db, "--lang", "en")
    assert "(admin, coordinator)" in english.out
    english = cli("invite", "eco-1", "--config", SHIPPED, "--db", db, "--lang", "en")
    assert "(生态环境局 bureau contact)" in english.out


def test_an_already_bound_member_is_warned_about_and_still_gets_a_code(cli: Any, db: Path) -> None:
    store = Store.open(db)
    store.bind("eco-1", 2001, NOW, "invite")
    store.close()
    result = cli("invite", "eco-1", "--config", SHIPPED, "--db", db)
    assert result.code == 0
    assert result.err.count("\n") == 1 and "已绑定" in result.err and "2001" in result.err
    code = code_of(result.out)
    assert redeem(db, code, 3003) == "eco-1"  # the new code still works
    english = cli("invite", "eco-1", "--config", SHIPPED, "--db", db, "--lang", "en")
    assert "already bound" in english.err and "2001" in english.err


def test_a_first_invite_creates_the_database_the_bot_will_use(cli: Any, tmp_path: Path) -> None:
    db = tmp_path / "duban.db"
    result = cli("invite", "eco-1", "--config", SHIPPED, "--db", db)
    assert result.code == 0, result.err
    assert redeem(db, code_of(result.out)) == "eco-1"
