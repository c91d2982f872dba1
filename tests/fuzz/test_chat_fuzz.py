"""The chat fuzzer: random updates from strangers, contacts of other bureaus, a replaced
account, contacts, coordinators and admins, in private chats and a group, with random and
forged buttons, replies, edits and commands, between runs of the scheduler; the real bot in
process against the emulator.

Invariants after every run:
* no error is logged (no handler raised);
* nobody sees task data they are not entitled to (a task's title reaches only coordinators,
  admins and the contacts of its bureaus; a stranger or the replaced account sees none);
* nobody not entitled writes: every status update is by a contact of one of its task's
  bureaus (or a coordinator deciding a claim), every reading by its indicator's owner;
* every update is answered or deliberately ignored: a private message gets an answer, a
  button press is answered, group chatter and an edit of nothing are ignored.

`make test` runs a slice of 300 updates; `make fuzz` (DUBAN_FUZZ=full) runs 2,000. A failure
prints its seed; DUBAN_FUZZ_SEED=<seed> runs that case alone.
"""

from __future__ import annotations

import logging
import os
import random
from typing import Any

import pytest
from harness import ADMIN, COORD, ECO, ECON, STRANGER, STREETS, TABLE, Harness, MakeBot, buttons
from support import at

from bot.core.catalogue import parse_catalogue
from bot.emulator.model import Limits

NRP, REPLACED, NEWCOMER = 2004, 2099, 2100
GROUP = -100777
FULL = os.environ.get("DUBAN_FUZZ") == "full"
UPDATES = 2000 if FULL else 300
SEEDS = (
    [int(os.environ["DUBAN_FUZZ_SEED"])]
    if os.environ.get("DUBAN_FUZZ_SEED")
    else ([1, 2, 3] if FULL else [1, 2])
)

#: TABLE with a third bureau that only task 3 concerns, and an account the table replaced.
FUZZ_TABLE = TABLE.replace(
    "sections:\n",
    "  - id: nrp\n    name: 自然资源局\n    contacts:\n"
    f"      - {{id: nrp-1, name: 孙联络, telegram_id: {NRP}}}\n"
    "sections:\n",
).replace(
    "indicators:\n",
    "  - {id: t03, number: 3, section: s1, title: 推进矿山生态修复工程, lead: 自然资源局, "
    "deadline: 2024年底}\n"
    "indicators:\n",
)
CATALOGUE = parse_catalogue(FUZZ_TABLE).catalogue
TITLES = {t.id: t.title for t in CATALOGUE.tasks} if CATALOGUE else {}
TEXTS = [
    "进度50%", "资金已到位", "2", "3", "任务1", "暂无数据", "47.5", "-3", "1e400", "nan",
    "<b>粗体</b> & <script>", "😀" * 40, "长" * 4100, "", " ", "/start", "/start bogus",
    "/help", "/whoami", "/mytasks", "/update", "/update 2", "/update 3", "/update 😀",
    "/report", "/report pm25 47", "/report energy 5", "/report pm25 abc", "/status",
    "/status 3", "/status 自然资源局", "/status archived", "/overdue", "/export", "/contacts",
    "/reload", "/reload confirm", "/nonsense", "/status@duban_test_bot", "@duban_test_bot 你好",
]  # fmt: skip
DATA = ["a:d", "a:o", "a:r", "a:b", "a:n", "u:t01", "u:t03", "u:t02:d", "u:t03:o", "w:t01",
        "w:t03", "c:ok:1", "c:rt:2", "p:all:1", "p:t.t03:0", "r:nd", "l:ok:00000000", "",
        "c:ok:", "x" * 64]  # fmt: skip
USERS = [ADMIN, COORD, ECO, ECON, STREETS, NRP, STRANGER, REPLACED, NEWCOMER]


def entitled(user: int, task_id: str) -> bool:
    """Whether a user may see a task: coordinators, admins and its bureaus' contacts."""
    if CATALOGUE is None or user in (STRANGER, REPLACED, NEWCOMER):
        return False
    if user in (ADMIN, COORD):
        return True
    contact = CATALOGUE.contact_by_telegram(user)
    if contact is None:
        return False
    return contact.bureau_id in CATALOGUE.bureaus_of(CATALOGUE.task(task_id))


class Fuzzer:
    def __init__(self, bot: Harness, rng: random.Random) -> None:
        self.bot = bot
        self.rng = rng
        self.expect_answer: dict[int, int] = {}  # chat -> private messages sent

    def pick_message(self) -> tuple[int, dict[str, Any]] | None:
        chats = [u for u in USERS if self.bot.messages(u)]
        if not chats:
            return None
        chat = self.rng.choice(chats)
        return chat, self.rng.choice(self.bot.messages(chat))

    def act(self) -> None:
        r, user = self.rng.random(), self.rng.choice(USERS)
        emu = self.bot.emu
        if r < 0.45:
            emu.user_message(user, self.rng.choice(TEXTS) or "。")
            self.expect_answer[user] = self.expect_answer.get(user, 0) + 1
        elif r < 0.6 and (picked := self.pick_message()):
            chat, message = picked
            if chat == user:  # a reply to one of the bot's messages in one's own chat
                emu.user_message(
                    user, self.rng.choice(TEXTS[:12]) or "。", reply_to=message["message_id"]
                )
                self.expect_answer[user] = self.expect_answer.get(user, 0) + 1
        elif r < 0.85 and (picked := self.pick_message()):
            chat, message = picked
            data = self.rng.choice([*buttons(message), *DATA])
            qid = f"fz{len(emu.callback_queries)}"
            query = {"id": qid, "from": emu.users[user].as_api(), "chat_instance": str(chat),
                     "message": {k: v for k, v in message.items() if k != "from_bot"}, "data": data}  # fmt: skip
            emu.callback_queries[qid] = query
            emu._push_update("callback_query", query)  # pressed by anyone, even a forgery
        elif r < 0.93:
            emu.user_message(user, self.rng.choice(TEXTS), chat_id=GROUP)
        else:
            sent = (
                [m for m in emu.chats[user].messages if not m.get("from_bot")]
                if user in emu.chats
                else []
            )
            if sent:
                emu.user_edit(
                    user, self.rng.choice(sent)["message_id"], self.rng.choice(TEXTS[:8]) or "。"
                )


def check(bot: Harness, fuzzer: Fuzzer, caplog: pytest.LogCaptureFixture) -> None:
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
    for user in USERS:
        for text in bot.texts(user):
            for task_id, title in TITLES.items():
                assert title not in text or entitled(user, task_id), (user, task_id, text[:200])
    for text in (m.get("text", "") for m in bot.emu.bot_messages(GROUP)):
        assert not any(title in text for title in TITLES.values()), text[:200]
    by_bureau = {c.id: c.bureau_id for c in CATALOGUE.contacts()} if CATALOGUE else {}
    for task_id, by, kind in bot.rows("SELECT task_id, by_member, kind FROM status_updates"):
        if kind in ("closed", "returned", "reopened"):
            assert by in ("coord-1", "admin-1"), (task_id, by, kind)
        else:
            assert CATALOGUE is not None
            assert by_bureau.get(by) in CATALOGUE.bureaus_of(CATALOGUE.task(task_id)), (task_id, by)
    for ind, by in bot.rows("SELECT indicator_id, by_member FROM readings"):
        assert CATALOGUE is not None and by_bureau.get(by) == CATALOGUE.indicator(ind).owner
    for user in fuzzer.expect_answer:
        assert bot.messages(user), user  # every private message got an answer
    answered = {a["callback_query_id"] for a in bot.emu.callback_answers}
    assert set(bot.emu.callback_queries) <= answered  # every press answered


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.slow  # many random cases: in make test, not make test-fast
async def test_random_updates_keep_the_invariants(
    make_bot: MakeBot, caplog: pytest.LogCaptureFixture, seed: int
) -> None:
    caplog.set_level(logging.WARNING)
    # REPLACED is eco's contact until the table gives the post to ECO's account
    table = FUZZ_TABLE.replace("telegram_id: 2001", f"telegram_id: {REPLACED}")
    bot = await make_bot(at("2024-11-28 10:00"), table, pace=False)
    bot.emu.set_limits(Limits(enabled=False))  # Telegram's pacing is not what this checks
    for uid, name in ((NRP, "孙联络"), (REPLACED, "旧联络"), (NEWCOMER, "新人")):
        bot.emu.add_user(uid, name)
    await bot.start_users(REPLACED)
    bot.config.write_text(FUZZ_TABLE, "utf-8")
    await bot.duban.reload("test", explicit=True)
    bot.emu.add_group(GROUP, "工作群", USERS, privacy=False)
    await bot.start_users(*USERS)
    rng = random.Random(seed)
    fuzzer = Fuzzer(bot, rng)
    done = 0
    while done < UPDATES:
        for _ in range(rng.randint(1, 12)):
            fuzzer.act()
            done += 1
        await bot.pump()
        if rng.random() < 0.15:
            bot.advance(hours=rng.choice([1, 6, 24, 72]))
            await bot.tick()
    try:
        check(bot, fuzzer, caplog)
    except AssertionError as err:
        raise AssertionError(f"seed {seed}: {err}") from err
