"""Red team: texts a contact sent while the bot asked which task they belong to stayed held
under their Telegram account after the table gave the post to someone else; had that account
become another member's, pressing a task would have filed the old member's words under the
new one. A reload now drops what was held for an account that changed hands, keeping the
texts in the audit log with the member who wrote them."""

from __future__ import annotations

import json

from harness import ADMIN, ECO, TABLE, MakeBot
from support import at


async def test_held_texts_of_a_replaced_account_are_not_left_waiting(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO, ADMIN)
    await bot.say(ECO, "本月完成了设备招标")  # several open tasks: the bot asks which
    assert bot.rows("SELECT telegram_user_id FROM pending_input") == [(ECO,)]
    # the post changes hands, and the old account becomes 经济发展局's contact
    table = TABLE.replace("telegram_id: 2001", "telegram_id: 2101").replace(
        "telegram_id: 2002", "telegram_id: 2001"
    )
    bot.config.write_text(table, "utf-8")
    await bot.duban.reload("test", explicit=True)
    assert bot.rows("SELECT telegram_user_id FROM pending_input") == []
    (audit,) = bot.rows("SELECT details FROM audit WHERE action = 'held_dropped'")
    assert json.loads(audit[0]) == {"member": "eco-1", "tg": ECO, "texts": ["本月完成了设备招标"]}
    await bot.say(ECO, "1")  # as 经济发展局 now: a bare "1" is not the old member's text filed
    assert bot.rows("SELECT count(*) FROM status_updates WHERE note LIKE '%设备招标%'") == [(0,)]


async def test_held_texts_stay_when_the_account_keeps_its_member(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO, ADMIN)
    await bot.say(ECO, "本月完成了设备招标")
    bot.config.write_text(TABLE.replace("title: 打好蓝天保卫战", "title: 打赢蓝天保卫战"), "utf-8")
    await bot.duban.reload("test", explicit=True)
    assert bot.rows("SELECT telegram_user_id FROM pending_input") == [(ECO,)]
