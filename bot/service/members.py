"""Who is who: binding a Telegram account to a contact or person, and cutting it off.

The table is the authority: a member whose `telegram_id` the table names is that Telegram
account and no other (an invite code cannot bind anyone else to it); a member the table no
longer has, or whose `telegram_id` changed (a new person in the post), loses any binding at
the reload that says so, so the old account gets nothing more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from bot.core.i18n import join, paren
from bot.core.model import Catalogue, Contact, Person, Role
from bot.core.render import esc
from bot.service.base import Identity, Outcome, World
from storage.repo import Binding, Store

#: An invite code works this long after `duban invite` made it.
INVITE_VALID = dt.timedelta(days=14)
#: Wrong invite codes one Telegram account may try in an hour.
BAD_CODES_PER_HOUR = 5


def identify(catalogue: Catalogue, bound: Mapping[int, str], user_id: int) -> Identity:
    """A Telegram user as the table and the bindings see them."""
    person = catalogue.person_by_telegram(user_id)
    contact = catalogue.contact_by_telegram(user_id)
    member_id = bound.get(user_id)
    if member_id is not None:
        if person is None:
            p = catalogue.person_or_none(member_id)
            person = p if p is not None and p.telegram_id in (None, user_id) else None
        if contact is None:
            c = catalogue.contact_or_none(member_id)
            contact = c if c is not None and c.telegram_id in (None, user_id) else None
    return Identity(user_id, contact, person)


def chats(catalogue: Catalogue, bindings: list[Binding]) -> dict[str, int]:
    """Member id -> the private chat to write to: the table's telegram_id, else the binding."""
    out = {b.member_id: b.telegram_user_id for b in bindings}
    members: list[Contact | Person] = [*catalogue.contacts(), *catalogue.people]
    for member in members:
        if member.telegram_id:
            out[member.id] = member.telegram_id
    return out


def stale_bindings(catalogue: Catalogue, bindings: list[Binding]) -> list[Binding]:
    """Bindings the table no longer allows: the member is gone, or the table names another
    Telegram account for them."""
    out = []
    for b in bindings:
        member: Contact | Person | None = catalogue.contact_or_none(b.member_id)
        member = member or catalogue.person_or_none(b.member_id)
        if member is None or (member.telegram_id and member.telegram_id != b.telegram_user_id):
            out.append(b)
    return out


def revoke_stale(store: Store, catalogue: Catalogue, at: dt.datetime) -> list[Binding]:
    """Remove the bindings the table no longer allows (at every reload); the ones removed."""
    with store.transaction():
        gone = stale_bindings(catalogue, store.bindings())
        for b in gone:
            store.unbind(b.member_id)
            store.audit(at, "table", "revoke", {"member": b.member_id, "tg": b.telegram_user_id})
        return gone


def drop_held(
    store: Store, before: Mapping[str, int], after: Mapping[str, int], at: dt.datetime
) -> list[int]:
    """Telegram accounts that no longer belong to the member they did (replaced, removed, or
    now another member's): what the bot was waiting for from them is dropped, so texts held
    while it asked which task are never filed under someone else. The texts go to the audit
    log with the member who wrote them (nothing said is lost); the accounts dropped."""
    owner_before = {chat: member for member, chat in before.items()}
    owner_after = {chat: member for member, chat in after.items()}
    dropped = []
    for chat, member in owner_before.items():
        if owner_after.get(chat) == member:
            continue
        pending = store.pending(chat)
        if pending is None:
            continue
        texts = [text for text, _ in pending.texts]
        store.audit(at, "table", "held_dropped", {"member": member, "tg": chat, "texts": texts})
        store.clear_pending(chat, keep_texts=False)
        dropped.append(chat)
    return dropped


def roles_text(world: World, who: Identity) -> str:
    """The user's roles, named in the table's language."""
    order = (Role.ADMIN, Role.COORDINATOR, Role.CONTACT)
    return join(world.lang, (world.t(f"role.{r.value}") for r in order if r in who.roles))


def stranger_text(world: World, user_id: int) -> str:
    """A polite answer to someone the table does not know: whom to ask."""
    doc = world.catalogue.document
    admins = [p.name for p in world.catalogue.with_role(Role.ADMIN)]
    names = paren(world.lang, join(world.lang, admins)) if admins else ""
    return world.t(
        "access.stranger", office=esc(doc.issuer or doc.title), admins=esc(names), user_id=user_id
    )


def welcome(world: World, who: Identity) -> str:
    """The first message after binding: who they are and what to do next."""
    if who.contact is not None:
        bureau = world.catalogue.bureau_name(who.contact.bureau_id)
        return world.t("start.bound_contact", bureau=esc(bureau), name=esc(who.contact.name))
    return world.t("start.bound_person", name=esc(who.name), roles=roles_text(world, who))


def _bad_code(store: Store, world: World, who: Identity) -> Outcome:
    store.audit(world.now, f"tg:{who.user_id}", "bad_code", {})
    if who.known:
        return Outcome().reply(
            world.t("start.welcome_back", name=esc(who.name), roles=roles_text(world, who))
        )
    admins = join(world.lang, (p.name for p in world.catalogue.with_role(Role.ADMIN)))
    return Outcome().reply(world.t("start.bad_code", admins=esc(admins)))


def _too_many_codes(store: Store, world: World, user_id: int) -> bool:
    since = (
        (world.now - dt.timedelta(hours=1)).astimezone(dt.UTC).isoformat(timespec="microseconds")
    )
    rows = store.db.query(
        "SELECT count(*) AS n FROM audit WHERE actor = ? AND action = 'bad_code' AND at > ?",
        [f"tg:{user_id}", since],
    )
    return int(next(iter(rows))["n"]) >= BAD_CODES_PER_HOUR


def start(
    store: Store, world: World, who: Identity, *, code: str, update_id: int
) -> tuple[Outcome, bool]:
    """/start [code]: bind with an invite code or the table's telegram_id; greet the known.

    Returns the outcome and whether a binding changed."""
    with store.transaction():
        if not store.mark_processed(update_id, world.now):
            return Outcome(duplicate=True), False
        if code:
            return _redeem(store, world, who, code)
        if not who.known:
            return Outcome().reply(stranger_text(world, who.user_id)), False
        store.mark_reachable(who.member_id)  # they started the bot again
        if store.binding_for_user(who.user_id) is None:
            store.bind(who.member_id, who.user_id, world.now, "catalogue_id")
            store.audit(
                world.now,
                f"tg:{who.user_id}",
                "bind",
                {"member": who.member_id, "via": "catalogue_id"},
            )
            return Outcome().reply(welcome(world, who)), True
        return Outcome().reply(
            world.t("start.welcome_back", name=esc(who.name), roles=roles_text(world, who))
        ), False


def _redeem(store: Store, world: World, who: Identity, code: str) -> tuple[Outcome, bool]:
    if _too_many_codes(store, world, who.user_id):
        return Outcome().reply(world.t("start.too_many_codes")), False
    member_id = store.redeem_invite(code[:64], who.user_id, world.now, valid_for=INVITE_VALID)
    cat = world.catalogue
    member: Contact | Person | None = None
    if member_id is not None:
        member = cat.contact_or_none(member_id) or cat.person_or_none(member_id)
    if member is None or (member.telegram_id and member.telegram_id != who.user_id):
        return _bad_code(store, world, who), False
    store.bind(member.id, who.user_id, world.now, "code")
    store.mark_reachable(member.id)
    store.audit(world.now, f"tg:{who.user_id}", "bind", {"member": member.id, "via": "code"})
    now_is = identify(cat, {who.user_id: member.id}, who.user_id)
    return Outcome().reply(welcome(world, now_is)), True


def find_member(catalogue: Catalogue, text: str) -> Contact | Person | None:
    """A contact or person by id or exact name."""
    key = text.strip()
    found: Contact | Person | None = catalogue.contact_or_none(key) or catalogue.person_or_none(key)
    if found is not None:
        return found
    members: list[Contact | Person] = [*catalogue.contacts(), *catalogue.people]
    named = [m for m in members if m.name == key]
    return named[0] if len(named) == 1 else None


def invite(
    store: Store, world: World, who: Identity, *, member: str, bot_username: str, update_id: int
) -> Outcome:
    """/invite MEMBER (admins): a one-use code and the deep link with the bot's real username."""
    import difflib

    with store.transaction():
        if not store.mark_processed(update_id, world.now):
            return Outcome(duplicate=True)
        cat = world.catalogue
        found = find_member(cat, member)
        if found is None:
            ids = [c.id for c in cat.contacts()] + [p.id for p in cat.people]
            close = difflib.get_close_matches(member, ids, n=3, cutoff=0.5)
            hint = (
                world.t("lookup.did_you_mean", names=join(world.lang, (esc(c) for c in close)))
                if close
                else ""
            )
            return Outcome().reply(world.t("invite.unknown", value=esc(member[:40]), hint=hint))
        code = store.create_invite(found.id, world.now)
        store.audit(world.now, f"tg:{who.user_id}", "invite", {"member": found.id})
        where = (
            cat.bureau_name(found.bureau_id)
            if isinstance(found, Contact)
            else roles_text(world, Identity(0, None, found))
        )
        name = f"{esc(found.name)}{esc(paren(world.lang, where))}"
        link = f"https://t.me/{bot_username}?start={code}"
        out = Outcome().reply(world.t("invite.link", member=name, link=esc(link), code=code))
        bound = store.binding_for_member(found.id)
        if bound is not None:
            out.reply(world.t("invite.bound_warning", member=name, user_id=bound.telegram_user_id))
        return out


def remember_menu(store: Store, user_id: int, digest: str) -> None:
    """The command menu last published in a member's chat (published again only when it
    changes)."""
    store.set_meta(f"menu:{user_id}", digest)
