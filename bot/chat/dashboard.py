"""/dashboard for coordinators and admins: the 打开看板 Mini App button (when the dashboard
has an HTTPS address, as Telegram requires) and a one-time login link for a desktop browser
(10 minutes, single use); and the same button under the first page of /status."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
    WebAppInfo,
)
from telegram.ext import BaseHandler, CommandHandler

from bot.chat.common import DubanContext, keyboard, reply, requires
from bot.chat.pages import page
from bot.core.model import Role
from bot.core.render import Button, esc, paginate
from bot.service.base import Identity
from bot.web.access import issue_link


def webapp_row(context: DubanContext) -> list[InlineKeyboardButton]:
    """The 打开看板 button, when Telegram can open the dashboard (HTTPS); else nothing."""
    web = context.duban.web
    if web is None or not web.https:
        return []
    label = context.runtime.world().t("button.dashboard")
    return [InlineKeyboardButton(label, web_app=WebAppInfo(web.url))]


@requires(Role.COORDINATOR, Role.ADMIN)
async def dashboard_command(update: Update, context: DubanContext, who: Identity) -> None:
    """/dashboard: open the dashboard here, or log in from a browser."""
    rt, web = context.runtime, context.duban.web
    world = rt.world()
    if web is None:
        await reply(update, world.t("dashboard.off"))
        return
    token = await rt.write(issue_link, who.user_id, who.member_id, web.clock())
    lines = [world.t("dashboard.intro")]
    lines.append(world.t("dashboard.webapp") if web.https else world.t("dashboard.no_https"))
    lines.append(world.t("dashboard.link", link=esc(web.login_url(token))))
    row = webapp_row(context)
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(
        "\n\n".join(lines),
        parse_mode="HTML",
        reply_markup=InlineKeyboardMarkup([row]) if row else None,
        # a link preview would fetch the address; the link is used only by a POST anyway
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


async def send_overview(
    update: Update,
    context: DubanContext,
    lines: list[str],
    extra: tuple[tuple[Button, ...], ...] = (),
) -> None:
    """The first page of /status with its page and drill-down buttons and, below them,
    打开看板."""
    rendered = page("all", paginate(lines), 0, context.runtime.lang, extra)
    row = webapp_row(context)
    chat = update.effective_chat
    if not row or chat is None:
        await reply(update, rendered)
        return
    pages = keyboard(rendered.buttons)
    rows = [list(r) for r in pages.inline_keyboard] if pages else []
    await chat.send_message(
        rendered.text, parse_mode="HTML", reply_markup=InlineKeyboardMarkup([*rows, row])
    )


def handlers() -> list[BaseHandler[Update, DubanContext, None]]:
    """This feature's handlers."""
    return [CommandHandler("dashboard", dashboard_command)]
