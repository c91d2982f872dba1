"""Red team: a contact asks for an extension to a date no table could hold (`9999年底`)."""

from __future__ import annotations

from harness import ADMIN, COORD, ECO, MakeBot
from support import at


async def test_an_extension_beyond_the_tables_window_is_refused(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-12-01 10:00"))
    await bot.start_users(ECO, COORD, ADMIN)
    await bot.say(ECO, "/extend 2 9999年底 资金下达推迟")
    assert bot.rows("SELECT count(*) FROM extensions") == [(0,)]
    assert "2052-03-31" in bot.texts(ECO)[-1], bot.texts(ECO)[-1]
    assert not any("延期申请" in t for t in bot.texts(COORD))


async def test_an_extension_within_the_window_still_works(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-12-01 10:00"))
    await bot.start_users(ECO, COORD, ADMIN)
    await bot.say(ECO, "/extend 2 2052年3月31日 资金下达推迟")
    assert bot.rows("SELECT new_text FROM extensions") == [("2052年3月31日",)]


def test_an_approved_extension_already_stored_beyond_the_window_does_not_stop_the_plan() -> None:
    """One approved before requests were checked: the plan (every reminder) crashed on it
    with OverflowError; it is left out of the effective deadlines instead."""
    import datetime as dt

    from support import table

    from bot.core.history import Record
    from bot.core.planner import plan
    from bot.core.workflow import Extension, ExtensionState, with_extensions

    cat = table()
    ext = Extension(
        id=1, task_id="t02", subtask_id=None, requested_by="eco-1", bureau_id="eco",
        requested_at=at("2025-11-01 10:00"), old_text="2025年底", new_text="9999年底",
        new_due=dt.date(9999, 12, 31), reason="资金", state=ExtensionState.APPROVED,
        decided_by="coord-1", decided_at=at("2025-11-02 10:00"),
    )  # fmt: skip
    effective = with_extensions(cat, [ext])
    assert effective.task("t02").deadline.due == dt.date(2025, 12, 31)
    unextended = with_extensions(cat, [])
    assert plan(effective, at("2026-01-05 09:00"), Record()) == plan(
        unextended, at("2026-01-05 09:00"), Record()
    )


async def test_a_request_the_table_overtook_cannot_shorten_the_deadline(make_bot: MakeBot) -> None:
    """Asked for 2026年6月底; meanwhile the admin moved the deadline to 2026年12月底 in the
    YAML; a coordinator then approves the old request: the deadline must not move back."""
    from harness import TABLE

    bot = await make_bot(at("2025-12-01 10:00"))
    await bot.start_users(ECO, COORD, ADMIN)
    await bot.say(ECO, "/extend 2 2026年6月底 资金下达推迟")
    request = bot.last(COORD, "延期申请")
    bot.config.write_text(
        TABLE.replace(
            "    deadline: 2025年底\n    subtasks:", "    deadline: 2026年底\n    subtasks:"
        ),
        encoding="utf-8",
    )
    await bot.duban.reload("test", explicit=True)
    await bot.press(COORD, request, "x:ok:1")
    assert bot.runtime.catalogue.task("t02").deadline.due.isoformat() == "2026-12-31"
    assert bot.rows("SELECT kind FROM extension_events") != [("approved",)]
    assert "已批准" not in bot.last(COORD, "延期申请")["text"]
