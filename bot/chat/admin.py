"""Admins and coordinators: /contacts, /reload, /export, /status chart."""

from __future__ import annotations

import logging

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CommandHandler

from bot.chat.common import DubanContext, reply, requires
from bot.core.i18n import join, register, t
from bot.core.model import Role
from bot.core.render import esc, paginate
from bot.runtime import Identity, Runtime

log = logging.getLogger(__name__)

register(
    "zh",
    {
        "contacts.bound": "已绑定",
        "contacts.unbound": "未绑定",
        "contacts.placeholder": "示例",
        "contacts.invite_hint": "\n在服务器上运行 <code>duban invite 联系人编号</code> 生成邀请链接。",
        "export.caption": "分工表进展（截至 {date}）",
        "export.failed": "⚠️ 导出失败：{error}",
        "chart.caption": "各单位任务状态与指标走势（截至 {date}）",
        "reload.started": "正在重新加载分工表……",
    },
)
register(
    "en",
    {
        "contacts.bound": "bound",
        "contacts.unbound": "not bound",
        "contacts.placeholder": "placeholder",
        "contacts.invite_hint": "\nRun <code>duban invite CONTACT_ID</code> on the server for an invite link.",
        "export.caption": "Division table progress (as of {date})",
        "export.failed": "⚠️ Export failed: {error}",
        "chart.caption": "Tasks by status per bureau, indicator trends (as of {date})",
        "reload.started": "Reloading the table...",
    },
)


def contacts_lines(rt: Runtime) -> list[str]:
    """Every contact and person: bound or not, reachable or not."""
    lang = rt.lang
    bound = {b.member_id: b for b in rt.store.bindings()}
    unreachable = rt.store.unreachable()
    rows = []
    members: list[tuple[str, str, str, int | None, bool]] = [
        (c.id, c.name, rt.catalogue.bureau(c.bureau_id).name, c.telegram_id, c.placeholder)
        for c in rt.catalogue.contacts()
    ]
    members += [
        (
            p.id,
            p.name,
            join(lang, (t(lang, f"role.{r.value}") for r in sorted(p.roles))),
            p.telegram_id,
            p.placeholder,
        )
        for p in rt.catalogue.people
    ]
    n_bound = 0
    for mid, name, where, tg, placeholder in members:
        is_bound = mid in bound
        n_bound += is_bound
        extra = [t(lang, "contacts.bound" if is_bound else "contacts.unbound")]
        if tg and not is_bound:
            extra.append(f"id {tg}")
        if placeholder:
            extra.append(t(lang, "contacts.placeholder"))
        if mid in unreachable:
            extra.append(t(lang, "contacts.unreachable"))
        rows.append(
            t(
                lang,
                "contacts.row",
                icon="✅" if is_bound else "⬜",
                name=f"{esc(name)} <code>{esc(mid)}</code>",
                where=esc(where),
                extra="，".join(extra),
            )
        )
    return [
        t(lang, "contacts.header", bound=n_bound, total=len(members)),
        *rows,
        t(lang, "contacts.invite_hint"),
    ]


@requires(Role.ADMIN)
async def contacts_command(update: Update, context: DubanContext, who: Identity) -> None:
    """/contacts: who is bound and who is not."""
    for page in paginate(contacts_lines(context.runtime)):
        await reply(update, page)


@requires(Role.ADMIN)
async def reload_command(update: Update, context: DubanContext, who: Identity) -> None:
    """/reload: validate and apply config/tasks.yaml now."""
    reload = context.application.bot_data.get("reload")
    if reload is None:
        return
    text = await reload(f"tg:{who.user_id}", True)
    await reply(update, text)


@requires(Role.COORDINATOR, Role.ADMIN)
async def export_command(update: Update, context: DubanContext, who: Identity) -> None:
    """/export: the division table with progress as an .xlsx file."""
    from bot.reports.excel import build_workbook

    rt = context.runtime
    now = rt.now()
    chat = update.effective_chat
    if chat is None:
        return
    try:
        await chat.send_action("upload_document")
        data = build_workbook(
            rt.catalogue,
            rt.history(),
            now,
            archived=rt.store.entities("task", archived=True),
            lang=rt.lang,
        )
    except Exception as err:
        log.exception("export failed")
        await reply(update, t(rt.lang, "export.failed", error=esc(err)))
        return
    date = f"{now.astimezone(rt.catalogue.tz):%Y-%m-%d}"
    await chat.send_document(
        InputFile(data, filename=f"duban-{date}.xlsx"),
        caption=t(rt.lang, "export.caption", date=date),
    )


async def send_chart(update: Update, context: DubanContext) -> None:
    """The status chart as a PNG."""
    from bot.reports.chart import render_chart

    rt = context.runtime
    now = rt.now()
    chat = update.effective_chat
    if chat is None:
        return
    try:
        png = render_chart(rt.catalogue, rt.history(), now, lang=rt.lang)
    except Exception as err:
        log.exception("chart failed")
        await reply(update, t(rt.lang, "export.failed", error=esc(err)))
        return
    date = f"{now.astimezone(rt.catalogue.tz):%Y-%m-%d}"
    await chat.send_photo(
        InputFile(png, filename="chart.png"), caption=t(rt.lang, "chart.caption", date=date)
    )


def handlers() -> list[BaseHandler[Update, DubanContext, None]]:
    """This feature's handlers."""
    return [
        CommandHandler("contacts", contacts_command),
        CommandHandler("reload", reload_command),
        CommandHandler("export", export_command),
    ]
