"""Long answers, paged: the first page with « » buttons; a press shows another page in place."""

from __future__ import annotations

from telegram import Update

from bot.chat.common import DubanContext, reply
from bot.core.i18n import t
from bot.core.protocol import Page, pack
from bot.core.render import Button, Rendered, paginate


def page(
    view: str,
    pages: list[str],
    n: int,
    lang: str,
    extra: tuple[tuple[Button, ...], ...] = (),
) -> Rendered:
    """Page `n` of a view, with buttons to its neighbours (and the view's own below)."""
    text = pages[n]
    buttons: tuple[tuple[Button, ...], ...] = ()
    if len(pages) > 1:
        text += "\n\n" + t(lang, "status.page", page=n + 1, pages=len(pages))
        row = []
        if n > 0:
            row.append(Button(t(lang, "button.prev"), pack(Page(view, n - 1))))
        if n < len(pages) - 1:
            row.append(Button(t(lang, "button.next"), pack(Page(view, n + 1))))
        buttons = (tuple(row),)
    return Rendered(text, buttons + extra)


async def send_pages(
    update: Update,
    context: DubanContext,
    lines: list[str],
    view: str,
    extra: tuple[tuple[Button, ...], ...] = (),
) -> None:
    """Send the first page of a long answer, with buttons to the others."""
    await reply(update, page(view, paginate(lines), 0, context.runtime.lang, extra))
