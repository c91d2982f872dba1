"""The text and buttons of each planned message. Pure: no Telegram imports."""

from __future__ import annotations

import datetime as dt

from bot.core.history import History
from bot.core.i18n import paren, register, t
from bot.core.model import Catalogue, Indicator
from bot.core.planner import Due, Kind
from bot.core.render import Button, Rendered, answer_buttons, esc, fmt_time, task_card
from bot.core.status import Light, task_status

register(
    "zh",
    {
        "msg.bundle": "📌 <b>待办汇总</b>：以下 {count} 项需要您反馈",
        "msg.bundle_hint": "点下方任务按钮逐项报告；指标请发送 /report 指标编号 数值。",
        "msg.what.reading": "请报送指标数据（/report {id} 数值）",
    },
)
register(
    "en",
    {
        "msg.bundle": "📌 <b>Pending items</b>: {count} need your report",
        "msg.bundle_hint": "Press a task below to report on it; for indicators send /report ID VALUE.",
        "msg.what.reading": "an indicator reading is due (/report {id} VALUE)",
    },
)


def fmt_value(value: float) -> str:
    """47.5 -> '47.5', 49.0 -> '49'."""
    return f"{value:g}"


def target_text(ind: Indicator, lang: str) -> str:
    """不高于 49 微克/立方米 / 不低于 65 % / 比 2020 年下降 10% 以上."""
    if ind.direction.value == "reduce_by_pct":
        return t(
            lang, "target.reduce_by_pct", year=ind.baseline_year or "", value=fmt_value(ind.target)
        )
    return t(lang, f"target.{ind.direction.value}", value=fmt_value(ind.target), unit=esc(ind.unit))


def example_value(ind: Indicator) -> str:
    """A plausible example number for the indicator's check-in."""
    if ind.direction.value == "reduce_by_pct":
        return "8.5"
    return fmt_value(round(ind.target * 0.97, 1)) if ind.target else "12"


def compose(
    catalogue: Catalogue, history: History, due: Due, now: dt.datetime, lang: str
) -> Rendered:
    """The message for a planned item, in the table's language."""
    if due.kind is Kind.READING and due.indicator_id:
        return _reading(catalogue, history, due, now, lang)
    if due.kind is Kind.ESCALATION:
        return Rendered(_escalation(catalogue, history, due, lang))
    assert due.task_id is not None
    task = catalogue.task(due.task_id)
    sub = task.subtask(due.subtask_id) if due.subtask_id else None
    status = task_status(catalogue, task, history, now)
    if due.kind is Kind.REMINDER:
        head = t(lang, "msg.reminder", days=due.offset_days)
    elif due.kind is Kind.CHECKIN:
        head = t(lang, "msg.checkin")
    elif due.kind is Kind.OVERDUE:
        head = t(lang, "msg.overdue")
    else:  # follow-up
        sent = history.sent.get(due.ref or "")
        date = fmt_time(sent.at, catalogue)[:10] if sent else ""
        head = t(lang, "msg.followup", date=date)
    light = status.light.value if status.light is not Light.NONE else None
    lines = [head, "", *task_card(catalogue, task, sub, now, lang, light)]
    if status.progress is not None:
        lines.append(t(lang, "status.progress", progress=status.progress))
    lines += ["", t(lang, "msg.answer_hint")]
    if due.late:
        lines.append(t(lang, "msg.late", slot=fmt_time(due.slot, catalogue)))
    return Rendered("\n".join(lines), answer_buttons(lang))


#: A recipient with this many messages due at once gets them as one summary.
BUNDLE_AT = 4


def compose_bundle(
    catalogue: Catalogue, history: History, items: list[Due], now: dt.datetime, lang: str
) -> Rendered:
    """Several due messages for one recipient as one summary, a button per task."""
    late = all(d.late for d in items)
    head = t(lang, "msg.catch_up") if late else t(lang, "msg.bundle", count=len(items))
    lines = [head, ""]
    buttons: list[tuple[Button, ...]] = []
    seen: set[str] = set()
    for d in items:
        if d.kind is Kind.READING and d.indicator_id:
            ind = catalogue.indicator(d.indicator_id)
            what = t(lang, "msg.what.reading", id=ind.id)
            lines.append(
                f"• {esc(ind.name)}：{what}" if lang == "zh" else f"• {esc(ind.name)}: {what}"
            )
            continue
        if d.task_id is None:
            continue
        task = catalogue.task(d.task_id)
        if d.kind is Kind.REMINDER:
            what = t(lang, "msg.what.reminder", days=d.offset_days)
        elif d.kind is Kind.CHECKIN:
            what = t(lang, "msg.what.checkin")
        elif d.kind is Kind.OVERDUE:
            what = t(lang, "msg.what.overdue")
        else:
            what = t(lang, "msg.what.followup")
        if d.subtask_id:
            sub = task.subtask(d.subtask_id)
            if sub is not None:
                what += paren(lang, esc(sub.text[:20]) + "…")
        lines.append(
            t(lang, "msg.catch_up_row", number=task.number, title=esc(task.title), what=what)
        )
        if task.id not in seen and len(buttons) < 10:
            seen.add(task.id)
            buttons.append((Button(f"{task.number}. {task.title[:14]}", f"u:{task.id}"),))
    lines += ["", t(lang, "msg.bundle_hint")]
    return Rendered("\n".join(lines), tuple(buttons))


def _reading(
    catalogue: Catalogue, history: History, due: Due, now: dt.datetime, lang: str
) -> Rendered:
    assert due.indicator_id is not None
    ind = catalogue.indicator(due.indicator_id)
    latest = history.latest_reading(ind.id)
    latest_text = (
        f"{fmt_value(latest.value)} {esc(ind.unit)}（{fmt_time(latest.at, catalogue)}）"
        if latest
        else t(lang, "indicator.no_reading")
    )
    text = t(
        lang,
        "indicator.checkin",
        name=esc(ind.name),
        unit=esc(ind.unit),
        target=target_text(ind, lang),
        due=esc(ind.due.text),
        latest=latest_text,
        example=example_value(ind),
    )
    if due.late:
        text += "\n" + t(lang, "msg.late", slot=fmt_time(due.slot, catalogue))
    return Rendered(text)


def _escalation(catalogue: Catalogue, history: History, due: Due, lang: str) -> str:
    bureau = catalogue.bureau(due.bureau_id).name if due.bureau_id else ""
    contacts = (
        "、".join(esc(c.name) for c in catalogue.bureau(due.bureau_id).contacts)
        if due.bureau_id
        else ""
    )
    prompt = history.sent.get(due.ref or "")
    date = fmt_time(prompt.at, catalogue)[:10] if prompt else ""
    number: object
    if due.task_id:
        task = catalogue.task(due.task_id)
        number, title = task.number, task.title
    else:
        ind = catalogue.indicator(due.indicator_id or "")
        number, title = "—", ind.name
    count = catalogue.policy.max_followups
    return t(
        lang,
        "msg.escalation",
        bureau=esc(bureau),
        number=number,
        title=esc(title),
        count=count,
        date=date,
        contacts=contacts or t(lang, "word.none"),
    )
