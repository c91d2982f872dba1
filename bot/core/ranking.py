"""Answers a leader can rank (回复率排行): per bureau, over a period, the prompts sent to its
contacts (reminders, check-ins, indicator check-ins, overdue notices), how many were
answered, how many within one working day, the median time to answer, the follow-ups that
were needed, the escalations, and its overdue items.

A prompt sent to several contacts of one bureau counts once (its key without the
recipient). Pure: no Telegram, SQLite or scheduler imports.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.history import DELIVERED, PROMPT_KINDS, History, Sent, answered_by
from bot.core.model import Catalogue
from bot.core.status import ItemStatus, is_overdue
from bot.core.workdays import WorkCalendar


@dataclass(frozen=True)
class BureauFigures:
    """One bureau's figures for a period."""

    bureau_id: str
    sent: int
    answered: int
    within_day: int
    median_hours: float | None
    followups: int
    escalations: int
    overdue: int

    @property
    def rate(self) -> float | None:
        """Answered / sent (None when nothing was sent)."""
        return self.answered / self.sent if self.sent else None


def _prompt_id(key: str) -> str:
    """A prompt's key without its recipient (`reminder:t02:2025-12-31:30d:eco-1` ->
    `reminder:t02:2025-12-31:30d`)."""
    return key.rsplit(":", 1)[0]


def figures(
    catalogue: Catalogue,
    history: History,
    start: dt.datetime,
    end: dt.datetime,
    calendar: WorkCalendar,
    statuses: Iterable[ItemStatus] = (),
) -> list[BureauFigures]:
    """Every bureau with contacts, ranked: answer rate, then answers within a working day,
    then the median time to answer."""
    sent: dict[str, dict[str, Sent]] = defaultdict(dict)  # bureau -> prompt id -> first sent
    followups: dict[str, set[str]] = defaultdict(set)
    escalations: dict[str, set[str]] = defaultdict(set)
    for s in history.sent.values():
        if s.state not in DELIVERED or not start <= s.at <= end or s.bureau_id is None:
            continue
        if s.kind in PROMPT_KINDS and s.subject is not None:
            pid = _prompt_id(s.key)
            known = sent[s.bureau_id].get(pid)
            if known is None or s.at < known.at:
                sent[s.bureau_id][pid] = s
        elif s.kind == "followup":
            followups[s.bureau_id].add(_prompt_id(s.key.rsplit(":", 1)[0]))
        elif s.kind == "escalation":
            escalations[s.bureau_id].add(_prompt_id(s.key.split(":", 1)[1].rsplit(":", 1)[0]))
    answers = _answer_times(history)
    overdue: dict[str, int] = defaultdict(int)
    for st in statuses:
        if is_overdue(st) and st.task_id in catalogue.task_ids:
            overdue[catalogue.task(st.task_id).lead] += 1
    out = []
    for bureau in catalogue.bureaus:
        if not bureau.contacts:
            continue
        waits = []
        within = 0
        for s in sent[bureau.id].values():
            at = _first_answer(answers, s)
            if at is None:
                continue
            waits.append((at - s.at).total_seconds() / 3600)
            day = s.at.astimezone(catalogue.tz).date()
            if at.astimezone(catalogue.tz).date() <= calendar.add_workdays(day, 1):
                within += 1
        out.append(
            BureauFigures(
                bureau.id, len(sent[bureau.id]), len(waits), within,
                statistics.median(waits) if waits else None,
                len(followups[bureau.id]), len(escalations[bureau.id]), overdue[bureau.id],
            )
        )  # fmt: skip
    out.sort(key=_rank_key)
    return out


def _rank_key(f: BureauFigures) -> tuple[float, float, float, str]:
    rate = f.rate if f.rate is not None else -1.0
    within = f.within_day / f.sent if f.sent else -1.0
    median = f.median_hours if f.median_hours is not None else float("inf")
    return (-rate, -within, median, f.bureau_id)


def _answer_times(history: History) -> dict[str, list[tuple[dt.datetime, str | None]]]:
    """Subject -> (time, bureau) of every bureau answer (updates and readings)."""
    out: dict[str, list[tuple[dt.datetime, str | None]]] = defaultdict(list)
    for u in history.updates:
        if u.bureau_id is not None:
            out[u.task_id].append((u.at, u.bureau_id))
    for r in history.readings:
        out[r.indicator_id].append((r.at, r.bureau_id))
    return out


def _first_answer(
    answers: dict[str, list[tuple[dt.datetime, str | None]]], s: Sent
) -> dt.datetime | None:
    from bot.core.history import Prompt

    subject = s.subject or ""
    prompt = Prompt(s.key, s.kind, subject, s.recipient, s.at, s.bureau_id)
    times = [at for at, bureau in answers.get(subject, ()) if answered_by(prompt, at, bureau)]
    return min(times) if times else None
