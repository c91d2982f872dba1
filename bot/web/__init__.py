"""The dashboard coordinators open from the chat: a Telegram Mini App and a web page served by
the bot process itself (aiohttp, under /app), read-only, server-rendered HTML with a little
JavaScript and every asset shipped in this package (no CDN).

`auth` checks Mini App initData and hashes tokens, `access` issues login links and sessions,
`model` and `chart` build what the pages show from the current state, `pages` renders HTML,
`server` serves it.
"""
