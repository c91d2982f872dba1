"""Who may open the dashboard, over plain HTTP against the bot's own web server: the initData
check against Telegram's documented algorithm (a vector computed here, independently of the
code under test), 401/403 with no task data for everyone else, login links that work once and
for 10 minutes, cookies that say HttpOnly and SameSite=Strict, tokens stored only as hashes."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import urllib.parse
from typing import Any

import aiohttp
import pytest
from dash_support import NOW, PUBLIC, local, shipped_table, start_web
from harness import ADMIN, COORD, ECO, STRANGER, Harness, MakeBot

from bot.web.auth import InitDataError, Refusal, check_init_data
from bot.web.server import INIT_DATA_HEADER

TITLES = ("打好蓝天保卫战", "深化地下水超采综合治理", "落实主体功能区战略")


# -- the initData check, against a vector computed by hand from Telegram's documentation


def telegram_vector(token: str, auth_date: int) -> str:
    """initData as Telegram documents it, built without the project's code: the fields, the
    data-check-string (sorted key=value lines without hash), secret = HMAC_SHA256(key=
    "WebAppData", msg=token), hash = hex HMAC_SHA256(key=secret, msg=data-check-string)."""
    user = '{"id":1002,"first_name":"赵督办","language_code":"zh-hans"}'
    query_id = "AAHdF6IQAAAAAN0XohDhrOrc"
    check = f"auth_date={auth_date}\nquery_id={query_id}\nuser={user}"
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    digest = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return (
        f"query_id={query_id}&user={urllib.parse.quote(user)}&auth_date={auth_date}&hash={digest}"
    )


def test_init_data_signed_as_telegram_documents_is_accepted() -> None:
    token = "5768337691:AAH5YkoiEuPk8-FZa32hStHTqXiLPtAEhx8"
    now = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
    raw = telegram_vector(token, int(now.timestamp()) - 3600)
    launch = check_init_data(raw, token, now)
    assert launch.user_id == 1002 and launch.first_name == "赵督办"
    assert launch.language_code == "zh-hans"


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        (lambda raw: raw.replace("1002", "1003"), Refusal.FORGED),  # another user, same hash
        (lambda raw: raw.replace("hash=", "hash=0"), Refusal.FORGED),
        (lambda raw: re.sub(r"&hash=\w+", "", raw), Refusal.MALFORMED),
        (lambda raw: raw + "&auth_date=1", Refusal.MALFORMED),  # a field twice
        (lambda raw: "", Refusal.MALFORMED),
    ],
)
def test_init_data_changed_in_any_way_is_refused(change: Any, refusal: Refusal) -> None:
    token = "5768337691:AAH5YkoiEuPk8-FZa32hStHTqXiLPtAEhx8"
    now = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
    raw = change(telegram_vector(token, int(now.timestamp())))
    with pytest.raises(InitDataError) as err:
        check_init_data(raw, token, now)
    assert err.value.refusal is refusal


def test_init_data_of_another_bot_or_older_than_a_day_is_refused() -> None:
    token = "5768337691:AAH5YkoiEuPk8-FZa32hStHTqXiLPtAEhx8"
    now = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
    fresh = telegram_vector(token, int(now.timestamp()))
    with pytest.raises(InitDataError) as err:
        check_init_data(fresh, "5768337691:ANOTHER-TOKEN", now)
    assert err.value.refusal is Refusal.FORGED
    day_old = telegram_vector(token, int((now - dt.timedelta(days=1, seconds=1)).timestamp()))
    with pytest.raises(InitDataError) as err:
        check_init_data(day_old, token, now)
    assert err.value.refusal is Refusal.STALE
    almost = telegram_vector(token, int((now - dt.timedelta(hours=23, minutes=59)).timestamp()))
    assert check_init_data(almost, token, now).user_id == 1002


# -- the server


async def get(bot: Harness, path: str, **headers: str) -> tuple[int, str, Any]:
    web = bot.duban.web
    assert web is not None
    async with (
        aiohttp.ClientSession() as session,
        session.get(local(web, PUBLIC + "/app/" + path), headers=headers) as r,
    ):
        return r.status, await r.text(), r.headers


def no_task_data(text: str) -> bool:
    return not any(title in text for title in TITLES) and 'class="task"' not in text


async def test_without_credentials_every_page_is_401_with_no_task_data(dash: Harness) -> None:
    for path in ("", "task/t07", "indicators", "bureaus", "login"):
        status, text, headers = await get(dash, path)
        assert status == 401, path
        assert no_task_data(text) and "请从 Telegram 打开看板" in text
        assert headers["Cache-Control"] == "no-store"
    status, _, headers = await get(dash, "static/app.js")
    assert status == 200 and "javascript" in headers["Content-Type"]


async def test_init_data_admits_coordinators_and_admins_only(dash: Harness) -> None:
    emu = dash.emu
    for user in (COORD, ADMIN):
        status, text, _ = await get(dash, "", **{INIT_DATA_HEADER: emu.init_data(user)})
        assert status == 200 and all(title in text for title in TITLES)
    stale = emu.init_data(COORD, auth_date=int(dt.datetime.now(dt.UTC).timestamp()) - 86401)
    for data in (emu.init_data(ECO), emu.init_data(STRANGER), stale, "user=1&hash=0"):
        for path in ("", "task/t07", "indicators", "bureaus"):
            status, text, _ = await get(dash, path, **{INIT_DATA_HEADER: data})
            assert status == 403 and no_task_data(text), (data, path)
            assert "细颗粒物" not in text


async def test_a_login_link_works_once_and_sets_a_strict_http_only_cookie(dash: Harness) -> None:
    await dash.say(COORD, "/dashboard")
    link = re.search(r"https://duban\.test/app/login\?t=([\w-]+)", dash.texts(COORD)[-1])
    assert link is not None
    token = link.group(1)
    web = dash.duban.web
    assert web is not None
    login = local(web, PUBLIC + "/app/login")
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        async with session.get(login, params={"t": token}) as r:  # a link preview's visit
            assert r.status == 200 and no_task_data(await r.text())
        async with session.post(login, data={"t": token}, allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "./"
            cookie = r.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=43200" in cookie
        async with session.get(local(web, web.url)) as r:
            text = await r.text()
            assert r.status == 200 and all(title in text for title in TITLES)
    async with (
        aiohttp.ClientSession() as other,
        other.post(login, data={"t": token}, allow_redirects=False) as r,
    ):
        assert r.status == 403 and no_task_data(await r.text())
        assert "Set-Cookie" not in r.headers
    # the database keeps hashes, never the token itself
    stored = dash.rows("SELECT token_hash FROM web_logins")
    assert stored == [(hashlib.sha256(token.encode()).hexdigest(),)]
    assert all(token not in str(row) for row in dash.rows("SELECT * FROM web_sessions"))


async def test_a_login_link_expires_after_10_minutes_and_a_session_after_12_hours(
    dash: Harness,
) -> None:
    web = dash.duban.web
    assert web is not None
    real = dt.datetime.now(dt.UTC)
    moments = iter([real, real + dt.timedelta(minutes=10, seconds=1)])
    web.clock = lambda: next(moments)
    await dash.say(COORD, "/dashboard")
    token = re.findall(r"login\?t=([\w-]+)", dash.texts(COORD)[-1])[0]
    login = local(web, PUBLIC + "/app/login")
    async with (
        aiohttp.ClientSession() as session,
        session.post(login, data={"t": token}, allow_redirects=False) as r,
    ):
        assert r.status == 403

    web.clock = lambda: real
    await dash.say(COORD, "/dashboard")
    token = re.findall(r"login\?t=([\w-]+)", dash.texts(COORD)[-1])[0]
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        async with session.post(login, data={"t": token}) as r:
            assert r.status == 200 and "打好蓝天保卫战" in await r.text()
        web.clock = lambda: real + dt.timedelta(hours=12, seconds=1)
        async with session.get(local(web, web.url)) as r:
            assert r.status == 401 and no_task_data(await r.text())


async def test_a_session_ends_when_its_coordinator_leaves_the_table_or_logs_out(
    dash: Harness,
) -> None:
    web = dash.duban.web
    assert web is not None
    await dash.say(COORD, "/dashboard")
    token = re.findall(r"login\?t=([\w-]+)", dash.texts(COORD)[-1])[0]
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        await session.post(local(web, PUBLIC + "/app/login"), data={"t": token})
        async with session.get(local(web, web.url)) as r:
            assert r.status == 200
        async with session.post(local(web, PUBLIC + "/app/logout")) as r:
            assert r.status == 200 and "已退出" in await r.text()
        async with session.get(local(web, web.url)) as r:
            assert r.status == 401

        await dash.say(COORD, "/dashboard")
        token = re.findall(r"login\?t=([\w-]+)", dash.texts(COORD)[-1])[0]
        await session.post(local(web, PUBLIC + "/app/login"), data={"t": token})
        cat = dash.runtime.catalogue
        demoted = [p for p in cat.people if p.telegram_id != COORD]
        from dataclasses import replace

        dash.runtime.apply(replace(cat, people=tuple(demoted)), dash.runtime.version)
        async with session.get(local(web, web.url)) as r:
            assert r.status == 403 and no_task_data(await r.text())


async def test_contacts_and_strangers_get_no_dashboard_in_chat(dash: Harness) -> None:
    await dash.say(ECO, "/dashboard")
    await dash.say(STRANGER, "/dashboard")
    for user in (ECO, STRANGER):
        assert "login?t=" not in " ".join(dash.texts(user))
    assert dash.rows("SELECT count(*) FROM web_logins") == [(0,)]


async def test_status_carries_the_dashboard_button_and_plain_http_gets_only_a_link(
    dash: Harness, make_bot: MakeBot
) -> None:
    await dash.say(COORD, "/status")
    overview = dash.last(COORD, "分工表总览")
    rows = overview["reply_markup"]["inline_keyboard"]
    assert [b["web_app"]["url"] for row in rows for b in row if "web_app" in b] == [
        "https://duban.test/app/"
    ]

    plain = await make_bot(NOW, table=shipped_table(), pace=False)
    web = await start_web(plain, base_url=None)
    try:
        await plain.say(COORD, "/dashboard")
        message = plain.last(COORD, "一次性登录链接")
        assert not message.get("reply_markup")  # Telegram opens only HTTPS Mini Apps
        assert f"http://127.0.0.1:{web.port}/app/login?t=" in message["text"]
        assert "HTTPS" in message["text"]
        await plain.say(COORD, "/status")
        rows = plain.last(COORD, "分工表总览").get("reply_markup", {}).get("inline_keyboard", [])
        assert not [b for row in rows for b in row if "web_app" in b]  # drill buttons only
    finally:
        await plain.duban.stop_web()


async def test_english_tables_get_an_english_dashboard(make_bot: MakeBot) -> None:
    bot = await make_bot(NOW, table=shipped_table("en"), pace=False)
    await start_web(bot)
    try:
        status, text, _ = await get(bot, "", **{INIT_DATA_HEADER: bot.emu.init_data(COORD)})
        assert status == 200 and 'lang="en"' in text
        assert "Overdue only" in text and "showing 16 of 16 tasks" in text
        status, text, _ = await get(bot, "")
        assert status == 401 and "Open the dashboard from Telegram" in text
        await bot.say(COORD, "/dashboard")
        assert "one-time login link" in bot.texts(COORD)[-1]
    finally:
        await bot.duban.stop_web()


def test_the_migration_is_named_as_agreed() -> None:
    from storage.db import MIGRATIONS

    names = [m.name for m in MIGRATIONS._migrations]
    assert "005_web_sessions" in names
    assert names.index("003_current_state") < names.index("005_web_sessions")
