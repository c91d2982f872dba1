"""The dashboard's web server: aiohttp in the bot's own process and event loop, under /app.

Who gets in (everything else gets 401 or 403 and no task data):

* a Telegram Mini App: the page sends the `initData` Telegram put in its URL fragment in the
  `X-Telegram-Init-Data` header of every request; it must be signed with the bot's token, at
  most a day old, and name a coordinator or admin (by Telegram user id, as in chat);
* a browser with a session cookie (HttpOnly, SameSite=Strict, 12 hours) from a one-time
  login link (`/dashboard` in chat; 10 minutes, single use; used by a POST, so a link
  preview that fetches the address uses nothing).

Roles are checked on every request, so someone removed from the table is out at once. The
pages read the bot's current state in memory (`Runtime.record`) and, for one task's history
or the readings, the loop's own read connection; they change nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiohttp import web

from bot.core.model import Role
from bot.service.base import Identity
from bot.web import access, model, pages
from bot.web.auth import InitDataError, check_init_data
from bot.web.pages import Page

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

COOKIE = "duban_session"
INIT_DATA_HEADER = "X-Telegram-Init-Data"
STATIC = {"app.css": "text/css", "app.js": "text/javascript"}
ALLOWED = (Role.COORDINATOR, Role.ADMIN)
# Telegram Web opens Mini Apps in an iframe of web.telegram.org; nobody else may frame us.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'self' https://web.telegram.org"
)


def wallclock() -> dt.datetime:
    """Real time (initData and login links are about real time, even in a rehearsal)."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class WebOptions:
    """`duban run --web-port PORT [--web-host HOST] [--web-base-url URL]`."""

    port: int
    host: str = "127.0.0.1"
    base_url: str | None = None


@dataclass(frozen=True)
class Viewer:
    """Who is looking, and how they got in."""

    who: Identity
    via: str  # "webapp" or "link"


class Dashboard:
    """The web server of one running bot."""

    def __init__(
        self,
        runtime: Runtime,
        token: str,
        *,
        port: int,
        host: str = "127.0.0.1",
        base_url: str | None = None,
        clock: Callable[[], dt.datetime] = wallclock,
    ) -> None:
        self.runtime = runtime
        self.token = token
        self.host = host
        self.port = port
        self.base_url = base_url.rstrip("/") if base_url else None
        self.clock = clock
        self.app = web.Application(middlewares=[_headers])
        self.app.add_routes(
            [
                web.get("/app", _to_slash),
                web.get("/app/", self._guard(self.overview)),
                web.get("/app/task/{task_id}", self._guard(self.task)),
                web.get("/app/indicators", self._guard(self.indicators)),
                web.get("/app/bureaus", self._guard(self.bureaus)),
                web.get("/app/login", self.login_form),
                web.post("/app/login", self.login),
                web.post("/app/logout", self.logout),
                web.get("/app/static/{name}", self.static),
            ]
        )
        self._runner: web.AppRunner | None = None

    @classmethod
    def of(cls, runtime: Runtime, token: str, options: WebOptions) -> Dashboard:
        """The server `duban run`'s options ask for."""
        return cls(runtime, token, port=options.port, host=options.host, base_url=options.base_url)

    # -- lifecycle

    async def start(self) -> None:
        """Listen (port 0: any free port, then `port` tells which)."""
        self._runner = web.AppRunner(self.app, access_log=None)  # no tokens in any log
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        address = self._runner.addresses[0]
        self.port = int(address[1])
        log.info("dashboard at %s", self.url)

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        """The dashboard's public address (`--web-base-url`, else this machine's)."""
        base = self.base_url or f"http://{_host_for_url(self.host)}:{self.port}"
        return f"{base}/app/"

    @property
    def https(self) -> bool:
        """Whether Telegram can open it as a Mini App (Telegram requires HTTPS)."""
        return urlsplit(self.url).scheme == "https"

    def login_url(self, token: str) -> str:
        """The address of a one-time login link."""
        return f"{self.url}login?t={token}"

    # -- who is asking

    async def viewer(self, request: web.Request) -> Viewer | Page:
        """The coordinator or admin asking, or the page that refuses them."""
        lang, now = self.runtime.lang, self.clock()
        root = "../" if request.path.count("/") > 2 else "./"
        raw = request.headers.get(INIT_DATA_HEADER, "")
        if raw:
            try:
                launch = check_init_data(raw, self.token, now)
            except InitDataError as err:
                log.info("dashboard: initData refused (%s)", err.refusal.value)
                return pages.message_page(lang, 403, "web.auth.bad_data", root)
            return self._admit(self.runtime.identify(launch.user_id), "webapp", root)
        cookie = request.cookies.get(COOKIE, "")
        if cookie:
            found = access.session_for(self.runtime.reader, cookie, now)
            if found is not None:
                return self._admit(self.runtime.identify(found.telegram_user_id), "link", root)
        return pages.message_page(lang, 401, "web.auth.none", root)

    def _admit(self, who: Identity, via: str, root: str) -> Viewer | Page:
        if not who.has(*ALLOWED):
            return pages.message_page(self.runtime.lang, 403, "web.auth.forbidden", root)
        return Viewer(who, via)

    def _guard(
        self, handler: Callable[[web.Request, Viewer], Awaitable[Page]]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def guarded(request: web.Request) -> web.Response:
            seen = await self.viewer(request)
            if isinstance(seen, Page):
                return self._send(seen)
            return self._send(await handler(request, seen), seen)

        return guarded

    def _send(self, page: Page, viewer: Viewer | None = None) -> web.Response:
        lang = self.runtime.lang
        who = ""
        if viewer is not None:
            roles = [_role(lang, r) for r in sorted(viewer.who.roles) if r in ALLOWED]
            who = pages.who_html(lang, viewer.who.name, roles, viewer.via == "link", page.root)
        text = pages.document(page, lang, who, nav=viewer is not None)
        response = web.Response(text=text, status=page.status, content_type="text/html")
        if page.status == 401:
            response.headers["WWW-Authenticate"] = 'tma realm="duban"'
        return response

    # -- pages

    async def overview(self, request: web.Request, viewer: Viewer) -> Page:
        """The table at a glance."""
        rt = self.runtime
        world = rt.world()
        f = model.Filters.parse(request.query, rt.catalogue)
        ov = model.overview(rt.catalogue, rt.record, world.now, world.calendar, f)
        return pages.overview_page(world, ov)

    async def task(self, request: web.Request, viewer: Viewer) -> Page:
        """One task: card, sub-items, history, indicators."""
        rt = self.runtime
        cat, world = rt.catalogue, rt.world()
        task_id = request.match_info["task_id"]
        if task_id not in cat.task_ids:
            return pages.message_page(rt.lang, 404, "web.not_found", "../")
        task = cat.task(task_id)
        from bot.core.status import task_status

        row = model.task_row(
            cat, task, task_status(cat, task, rt.record, world.now, world.calendar)
        )
        indicators = [i for i in cat.indicators if i.task == task.id]
        readings = {i.id: rt.reader.readings(i.id) for i in indicators}
        events = model.timeline(
            rt.reader.updates(task.id), [r for rs in readings.values() for r in rs]
        )
        return pages.task_page(world, rt.record, row, events, indicators, readings)

    async def indicators(self, request: web.Request, viewer: Viewer) -> Page:
        """Every indicator with its chart."""
        rt = self.runtime
        readings = {i.id: rt.reader.readings(i.id) for i in rt.catalogue.indicators}
        return pages.indicators_page(rt.world(), rt.record, readings)

    async def bureaus(self, request: web.Request, viewer: Viewer) -> Page:
        """Per-bureau figures."""
        rt = self.runtime
        world = rt.world()
        bound = frozenset(b.member_id for b in rt.reader.bindings())
        figures = model.bureau_figures(rt.catalogue, rt.record, world.now, world.calendar, bound)
        return pages.bureaus_page(world, figures)

    # -- logging in and out

    async def login_form(self, request: web.Request) -> web.Response:
        """The page of a login link: a button; nothing is used until it is pressed."""
        token = request.query.get("t", "")
        if not token or len(token) > 200:
            return self._send(pages.message_page(self.runtime.lang, 401, "web.auth.none"))
        return self._send(pages.login_page(self.runtime.lang, token))

    async def login(self, request: web.Request) -> web.Response:
        """Use a login link: a session cookie and the overview; a used, expired or unknown
        link gets 403."""
        form = await request.post()
        token = str(form.get("t", ""))[:200]
        opened = (
            await self.runtime.write(access.open_session, token, self.clock()) if token else None
        )
        if opened is None:
            return self._send(pages.message_page(self.runtime.lang, 403, "web.auth.link_used"))
        session, _ = opened
        response = web.HTTPSeeOther("./")
        response.set_cookie(
            COOKIE,
            session,
            max_age=int(access.SESSION_VALID.total_seconds()),
            httponly=True,
            samesite="Strict",
            secure=_secure(request),
        )
        raise response

    async def logout(self, request: web.Request) -> web.Response:
        """End the browser session."""
        cookie = request.cookies.get(COOKIE, "")
        if cookie:
            await self.runtime.write(access.close_session, cookie, self.clock())
        response = self._send(pages.message_page(self.runtime.lang, 200, "web.logged_out"))
        response.del_cookie(COOKIE)
        return response

    async def static(self, request: web.Request) -> web.Response:
        """The stylesheet and the script, shipped in the package."""
        name = request.match_info["name"]
        if name not in STATIC:
            raise web.HTTPNotFound()
        body = resources.files("bot.web").joinpath(f"static/{name}").read_bytes()
        response = web.Response(body=body, content_type=STATIC[name], charset="utf-8")
        response.headers["Cache-Control"] = "no-cache"
        return response


def _role(lang: str, role: Role) -> str:
    from bot.core.i18n import t

    return t(lang, f"role.{role.value}")


def _secure(request: web.Request) -> bool:
    """Mark the cookie Secure when the browser reached us over HTTPS (a reverse proxy says
    so in X-Forwarded-Proto)."""
    return request.secure or request.headers.get("X-Forwarded-Proto", "") == "https"


def _host_for_url(host: str) -> str:
    if host in ("0.0.0.0", "", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


async def _to_slash(request: web.Request) -> web.Response:
    raise web.HTTPFound("app/")


@web.middleware
async def _headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """No caching of data, no framing but Telegram's, no sniffing, no referrer (a login
    link's token must not leak through Referer)."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
        _secure_headers(response)
        raise
    _secure_headers(response)
    return response


def _secure_headers(response: web.StreamResponse) -> None:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Cache-Control", "no-store")
