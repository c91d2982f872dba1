"""Red team: U+202E (right-to-left override) and its kin are invisible and reverse what
follows on screen: a bureau named with one reads 局境环态生, a note's 进度80% reads %08度进.
The table refuses them at their line and column; a contact's text keeps them in the record
(what was said is kept) and every screen shows it without them."""

from __future__ import annotations

from harness import COORD, ECO, TABLE, MakeBot
from support import at

from bot.core.catalogue import parse_catalogue, render_problem


def test_the_table_refuses_bidirectional_controls_at_their_place() -> None:
    result = parse_catalogue(TABLE.replace("name: 生态环境局", "name: 生态\u202e环境局"))
    assert result.catalogue is None
    (problem,) = [p for p in result.errors if p.code == "control_char"]
    text = render_problem(problem)
    assert "U+202E" in text and f":{problem.line}:" in text and problem.line is not None
    isolate = parse_catalogue(
        TABLE.replace("title: 打好蓝天保卫战", "title: 打好\u2067蓝天\u2069保卫战")
    )
    assert {p.params.get("char") for p in isolate.errors} == {"U+2067", "U+2069"}


async def test_a_note_keeps_them_in_the_record_and_shows_without_them(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO, COORD)
    await bot.say(ECO, "/update 2")
    await bot.press(ECO, bot.last(ECO, "打好蓝天保卫战"), "u:t02:o")
    note = "资金已到位\u202e，进度80%"
    await bot.say(ECO, note)
    assert bot.rows("SELECT note FROM status_updates WHERE kind = 'note'") == [(note,)]
    await bot.say(COORD, "/status 2")
    detail = bot.last(COORD, "最近记录")["text"]
    assert "资金已到位，进度80%" in detail and "\u202e" not in detail
