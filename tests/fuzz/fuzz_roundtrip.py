"""Write a Catalogue back as a table, so an accepted table can be checked to mean what it says:
reading what it was read as gives the same catalogue."""

from __future__ import annotations

from typing import Any

import yaml

from bot.core.model import Catalogue, Deadline, Policy, PolicyOverride


def table_yaml(cat: Catalogue) -> str:
    """The catalogue as tasks.yaml text (bureaus by id, every field written out)."""
    doc = cat.document
    data: dict[str, Any] = {
        "version": 1,
        "language": cat.language,
        "document": {
            "title": doc.title,
            "issuer": doc.issuer,
            "number": doc.number,
            "date": doc.date.isoformat(),
            "timezone": doc.timezone,
        },
        "policy": _policy(cat.policy),
        "calendar": {
            "holidays": sorted(d.isoformat() for d in cat.calendar.holidays),
            "workdays": sorted(d.isoformat() for d in cat.calendar.workdays),
        },
        "people": [_person(p) for p in cat.people],
        "bureaus": [_bureau(b) for b in cat.bureaus],
        "sections": [{"id": s.id, "number": s.number, "title": s.title} for s in cat.sections],
        "tasks": [_task(t) for t in cat.tasks],
        "indicators": [_indicator(i) for i in cat.indicators],
    }
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def _person(p: Any) -> dict[str, Any]:
    return _some(
        id=p.id,
        name=p.name,
        title=p.title,
        roles=sorted(r.value for r in p.roles),
        telegram_id=p.telegram_id,
        placeholder=p.placeholder,
    )


def _bureau(b: Any) -> dict[str, Any]:
    return {
        "id": b.id,
        "name": b.name,
        "aliases": list(b.aliases),
        "every_task": b.every_task,
        "contacts": [
            _some(
                id=c.id,
                name=c.name,
                title=c.title,
                telegram_id=c.telegram_id,
                phone=c.phone,
                placeholder=c.placeholder,
            )
            for c in b.contacts
        ],
    }


def _indicator(i: Any) -> dict[str, Any]:
    return _some(
        id=i.id,
        name=i.name,
        unit=i.unit,
        direction=i.direction.value,
        target=i.target,
        baseline=i.baseline,
        baseline_year=i.baseline_year,
        range=list(i.range) if i.range is not None else None,
        due=i.due.text,
        owner=i.owner,
        task=i.task,
        checkin=i.checkin.value,
        source=i.source,
    )


def _task(t: Any) -> dict[str, Any]:
    out = _some(
        id=t.id,
        number=t.number,
        section=t.section,
        title=t.title,
        description=t.description,
        source=t.source,
        lead=t.lead,
        cooperating=list(t.cooperating),
        cooperating_open=t.cooperating_open,
        deadline=_deadline(t.deadline),
        subtasks=[
            _some(
                id=s.id,
                text=s.text,
                lead=s.lead,
                cooperating=list(s.cooperating),
                deadline=_deadline(s.deadline),
            )
            for s in t.subtasks
        ],
    )
    if t.policy is not None:
        out["policy"] = _override(t.policy)
    return out


def _policy(p: Policy) -> dict[str, Any]:
    return {
        "send_time": p.send_time.strftime("%H:%M"),
        "working_hours": [h.strftime("%H:%M") for h in p.working_hours],
        "reminder_offsets_days": list(p.reminder_offsets_days),
        "remind_cooperating": p.remind_cooperating,
        "checkin": p.checkin.value,
        "followup_after_workdays": p.followup_after_workdays,
        "max_followups": p.max_followups,
        "overdue_every_days": p.overdue_every_days,
        "digest_weekday": p.digest_weekday,
        "yellow_window_days": p.yellow_window_days,
        "catch_up_grace_hours": p.catch_up_grace_hours,
    }


def _override(o: PolicyOverride) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in vars(o).items():
        if value is None:
            continue
        out[key] = list(value) if isinstance(value, tuple) else getattr(value, "value", value)
    return out


def _deadline(d: Deadline | None) -> str | None:
    return d.text if d is not None else None


def _some(**fields: Any) -> dict[str, Any]:
    """The fields that have a value (None and empty lists of sub-items left out)."""
    return {k: v for k, v in fields.items() if v is not None}
