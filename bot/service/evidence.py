"""佐证材料: photos and documents a contact sends in reply to a reminder, with a completion
claim, or after /update, recorded as evidence of that item: Telegram's file id, the file kept
in the data directory (0600, named by its SHA-256), its size and name, who sent it and when.
Evidence of a completion claim is shown to every coordinator with the claim.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from bot.core.history import Record, UpdateKind
from bot.core.model import Role, SubTask, Task
from bot.core.parse import parse_progress
from bot.core.protocol import Awaiting
from bot.core.render import Button, Rendered, esc
from bot.core.workflow import Evidence
from bot.service.base import Edit, Identity, Outcome, World
from bot.service.items import item_label, may_report, message_rows, task_buttons
from storage.repo import Store

log = logging.getLogger(__name__)

#: What settles a claim (evidence sent before one of these belongs to an earlier claim).
DECIDED = (UpdateKind.CLOSED, UpdateKind.RETURNED, UpdateKind.REOPENED)
#: The largest file a bot may download from Telegram's Bot API (getFile).
MAX_BYTES = 20 * 1024 * 1024
#: Files listed by name on a claim's copies (each copy must stay a Telegram message).
MAX_LISTED = 20
#: What one contact may send as evidence in a day (Beijing time): a flood of files (by
#: mistake or on purpose) never fills the data directory.
DAILY_FILES = 100  # a site inspection may be dozens of photos
DAILY_BYTES = 500 * 1024 * 1024
#: Disk space always left free in the data directory (the database must be able to grow).
FREE_FLOOR = 1024 * 1024 * 1024


@dataclass(frozen=True)
class Refusal:
    """Why a file is not kept: the text for the sender; `disk`: the admins must know."""

    text: str
    disk: bool = False


def refusal(
    store: Store, world: World, who: Identity, size: int | None, data_dir: Path
) -> Refusal | None:
    """Why a file cannot be kept (asked before it is downloaded), or None: over the
    contact's allowance of the day (Beijing time), or the disk near full."""
    local = world.now.astimezone(world.catalogue.tz)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    files, sent = store.evidence_sent(who.member_id, day)
    size = size or 0
    if files >= DAILY_FILES or sent + size > DAILY_BYTES:
        text = world.t("evidence.daily_cap", files=DAILY_FILES, size=size_text(DAILY_BYTES))
        return Refusal(text)
    try:
        free = shutil.disk_usage(data_dir if data_dir.exists() else data_dir.parent).free
    except OSError:
        return None
    if free - size < FREE_FLOOR:
        log.error("evidence refused: %s free in %s", size_text(free), data_dir)
        return Refusal(world.t("evidence.disk_full"), disk=True)
    return None


@dataclass(frozen=True)
class Upload:
    """A photo or document as it arrived (already downloaded)."""

    data: bytes
    file_name: str
    mime_type: str | None
    file_id: str
    file_unique_id: str | None
    kind: str  # "photo" or "document"
    chat_id: int
    message_id: int
    reply_to: int | None
    caption: str = ""
    reply_shown: str | None = None  # the text of the message replied to, as the chat shows it


def size_text(size: int) -> str:
    """12 KB, 1.5 MB."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def keep(data: bytes, data_dir: Path, file_name: str) -> tuple[str, str]:
    """Write the file into the data directory, readable by the bot's user only; its SHA-256
    and its path relative to the data directory. Named by its hash (a file sent twice is
    kept once; a sender's file name never becomes a path)."""
    sha = hashlib.sha256(data).hexdigest()
    suffix = Path(file_name).suffix.lower()
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""
    folder = data_dir / "evidence" / sha[:2]
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for d in (data_dir / "evidence", folder):
        d.chmod(0o700)
    path = folder / f"{sha}{suffix}"
    if not path.exists():
        tmp = folder / f".{sha}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    path.chmod(0o600)
    return sha, str(path.relative_to(data_dir))


def _target(
    store: Store, world: World, who: Identity, upload: Upload
) -> tuple[Task, SubTask | None, int | None] | None:
    """The item a file is evidence of: the reminder it replies to; else what the contact
    just answered (a completion claim, a status); else their bureau's only open task."""
    cat = world.catalogue
    if upload.reply_to is not None:
        rows = [
            r
            for r in message_rows(store, upload.chat_id, upload.reply_to, upload.reply_shown)
            if r.task_id in cat.task_ids and r.indicator_id is None
        ]
        if len({(r.task_id, r.subtask_id) for r in rows}) == 1:
            task = cat.task(rows[0].task_id or "")
            return task, task.subtask(rows[0].subtask_id) if rows[0].subtask_id else None, None
    pending = store.pending(who.user_id)
    if (
        pending is not None
        and pending.expires() >= world.now
        and pending.kind in (Awaiting.EVIDENCE, Awaiting.NOTE)
        and pending.task_id in cat.task_ids
    ):
        task = cat.task(pending.task_id or "")
        sub = task.subtask(pending.subtask_id) if pending.subtask_id else None
        return task, sub, pending.claim_id
    return None


def _summary_tasks(store: Store, world: World, who: Identity, upload: Upload) -> list[Task]:
    """The tasks of a message that lists several (a 待办汇总) the file replies to, that the
    contact may report on."""
    if upload.reply_to is None:
        return []
    cat = world.catalogue
    rows = message_rows(store, upload.chat_id, upload.reply_to, upload.reply_shown)
    ids = dict.fromkeys(r.task_id for r in rows if r.task_id in cat.task_ids)
    return [cat.task(i) for i in ids if i and may_report(cat, who, cat.task(i))]


def receive(
    store: Store,
    world: World,
    record: Record,
    who: Identity,
    *,
    upload: Upload,
    data_dir: Path,
    update_id: int,
) -> Outcome:
    """A photo or document from a contact: kept and recorded as evidence of its item."""
    with store.transaction():
        if not store.mark_processed(update_id, world.now):
            return Outcome(duplicate=True)
        found = _target(store, world, who, upload)
        if found is None:
            several = _summary_tasks(store, world, who, upload)
            if several:  # a reply to a 待办汇总: which of its tasks is it for?
                return Outcome().reply(world.t("evidence.which"), task_buttons(several))
            return Outcome().reply(world.t("evidence.where"))
        task, sub, claim_id = found
        if not may_report(world.catalogue, who, task):
            bureau = world.catalogue.bureau_name(who.bureau_id)
            return Outcome().reply(
                world.t("access.other_bureau", number=task.label, bureau=esc(bureau))
            )
        open_claim = store.item(task.id, sub.id if sub else None).claim
        if claim_id is None or open_claim is None or open_claim.id != claim_id:
            # evidence of the item's open claim; one already decided keeps its decision
            claim_id = open_claim.id if open_claim is not None else None
        sha, path = keep(upload.data, data_dir, upload.file_name)
        ev = store.add_evidence(
            task_id=task.id, subtask_id=sub.id if sub else None, claim_id=claim_id,
            by_member=who.member_id, bureau_id=who.bureau_id, at=world.now,
            file_name=upload.file_name[:200], mime_type=upload.mime_type, size=len(upload.data),
            sha256=sha, telegram_file_id=upload.file_id,
            telegram_file_unique_id=upload.file_unique_id, path=path,
            telegram_user_id=who.user_id, telegram_message_id=upload.message_id,
        )  # fmt: skip
        out = Outcome(replan=_caption(store, world, who, task, sub, upload)).reply(
            world.t(
                "evidence.recorded", item=item_label(world, task, sub),
                name=esc(ev.file_name), size=size_text(ev.size),
            )
        )  # fmt: skip
        if claim_id is not None:
            _show_coordinators(store, world, who, task, sub, claim_id, ev, upload, out)
        return out


def _caption(
    store: Store, world: World, who: Identity, task: Task, sub: SubTask | None, upload: Upload
) -> bool:
    """A file's caption is what the contact said with it: a note on the same item."""
    text = upload.caption.strip()
    if not text:
        return False
    store.add_update(
        task_id=task.id, kind=UpdateKind.NOTE, by=who.member_id, at=world.now,
        bureau_id=who.bureau_id, subtask_id=sub.id if sub else None, note=text,
        progress=parse_progress(text), telegram_user_id=who.user_id,
        telegram_message_id=upload.message_id,
    )  # fmt: skip
    return True


def claim_files(store: Store, claim_id: int) -> list[Evidence]:
    """The evidence of a claim: the files sent with it, and those of its item sent before it
    but after the item's last decision (the proof first, then 已完成)."""
    claim = store.update(claim_id)
    if claim is None:
        return store.evidence(claim_id=claim_id)
    since: dt.datetime | None = None
    for u in store.updates(claim.task_id):
        if u.id < claim.id and u.subtask_id == claim.subtask_id and u.kind in DECIDED:
            since = u.at
    return [
        e
        for e in store.evidence(claim.task_id)
        if e.claim_id == claim_id
        or (
            e.claim_id is None
            and e.subtask_id == claim.subtask_id
            and e.at <= claim.at
            and (since is None or e.at > since)
        )
    ]


def earlier_files(store: Store, world: World, claim_id: int) -> list[tuple[int, str, str, str]]:
    """The files sent before a claim, to show every coordinator with it (chat, kind, file id,
    caption)."""
    out = []
    cat = world.catalogue
    for e in claim_files(store, claim_id):
        if e.claim_id is not None or e.task_id not in cat.task_ids:
            continue
        task = cat.task(e.task_id)
        sub = task.subtask(e.subtask_id) if e.subtask_id else None
        kind = "photo" if e.file_name.startswith("photo-") else "document"
        caption = world.t(
            "evidence.caption", item=item_label(world, task, sub),
            who=esc(cat.member_name(e.by)), name=esc(e.file_name), sha=e.sha256[:12],
        )  # fmt: skip
        for person in world.catalogue.with_role(Role.COORDINATOR):
            chat = world.chats.get(person.id)
            if chat is not None:
                out.append((chat, kind, e.telegram_file_id, caption))
    return out


def claim_copy(store: Store, world: World, claim_id: int, text: str) -> str:
    """A coordinator's copy of a claim as it stands: 待提交 replaced by the evidence received."""
    files = claim_files(store, claim_id)
    lines = "".join(
        "\n" + world.t("evidence.claim_line", name=esc(e.file_name), size=size_text(e.size),
                       sha=e.sha256[:12])
        for e in files[:MAX_LISTED]
    )  # fmt: skip
    if not lines:
        return text
    if len(files) > MAX_LISTED:  # a message holds 4096 characters: the rest by count
        lines += "\n" + world.t(
            "evidence.claim_more", more=len(files) - MAX_LISTED, total=len(files)
        )
    return text.replace(world.t("evidence.claim_missing"), "") + lines


def _show_coordinators(
    store: Store,
    world: World,
    who: Identity,
    task: Task,
    sub: SubTask | None,
    claim_id: int,
    ev: Evidence,
    upload: Upload,
    out: Outcome,
) -> None:
    """The coordinators' copies of the claim list the evidence, and each gets the file."""
    for r in store.outbox_like(f"claim:{claim_id}:"):
        if r.chat_id is None or r.message_id is None:
            continue
        text = claim_copy(store, world, claim_id, r.text)
        out.edits.append(Edit(r.chat_id, r.message_id, Rendered(text, _buttons(r.buttons))))
    caption = world.t(
        "evidence.caption", item=item_label(world, task, sub), who=esc(who.name),
        name=esc(ev.file_name), sha=ev.sha256[:12],
    )  # fmt: skip
    for person in world.catalogue.with_role(Role.COORDINATOR):
        chat = world.chats.get(person.id)
        if chat is not None:
            out.files.append((chat, upload.kind, upload.file_id, caption))


def _buttons(rows: tuple[tuple[tuple[str, str], ...], ...]) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(Button(label, data) for label, data in r) for r in rows)
