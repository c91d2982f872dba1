"""The dashboard in a real headless Chromium (Debian's `chromium` driven by Playwright), opened
the way people open it: as a Mini App from the 打开看板 button of /dashboard (the launch
parameters in the URL fragment, as Telegram passes them), or from a one-time login link.

The bot, the Bot API emulator and the web server run in this test's event loop on the known
history of `dash_support.seed`. Screenshots go to docs/images/ (the README shows them).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from dash_support import ROOT, local
from harness import COORD, ECO, Harness, buttons

from bot.core.status import Light, is_overdue, table_status
from bot.emulator import webapp

pytestmark = pytest.mark.slow
IMAGES = ROOT / "docs" / "images"
#: Telegram's dark theme as its apps pass it (tgWebAppThemeParams).
DARK = {
    "bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "hint_color": "#708499",
    "link_color": "#6ab3f3",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#232e3c",
}


async def open_dashboard(dash: Harness) -> str:
    """The coordinator sends /dashboard and gets the 打开看板 button: its URL (local)."""
    await dash.say(COORD, "/dashboard")
    message = dash.last(COORD, "分工表看板")
    rows = message["reply_markup"]["inline_keyboard"]
    urls = [b["web_app"]["url"] for row in rows for b in row if "web_app" in b]
    assert len(urls) == 1, rows
    web = dash.duban.web
    assert web is not None
    return local(web, urls[0])


async def launch(browser: Any, url: str, init_data: str, **options: Any) -> Any:
    """A page opened as Telegram opens a Mini App: the URL with the launch fragment."""
    viewport = options.pop("viewport", {"width": 1280, "height": 900})
    page = await browser.new_page(viewport=viewport)
    await page.goto(webapp.launch_url(url, init_data, **options))
    await page.wait_for_selector("body[data-status]:not([data-status='401'])")
    return page


async def shown(page: Any) -> list[int]:
    """The task numbers on screen, in order."""
    values = await page.locator("article.task").evaluate_all(
        "els => els.map(e => Number(e.dataset.number))"
    )
    return [int(v) for v in values]


async def lights(page: Any) -> dict[int, str]:
    """Task number -> the light the page shows."""
    pairs = await page.locator("article.task").evaluate_all(
        "els => els.map(e => [Number(e.dataset.number), e.dataset.light])"
    )
    return {int(n): str(light) for n, light in pairs}


def core_lights(dash: Harness) -> dict[int, str]:
    rt = dash.runtime
    return {
        rt.catalogue.task(s.task_id).number: s.light.value
        for s in table_status(rt.catalogue, rt.record, rt.now(), rt.calendar)
    }


async def test_the_coordinator_sees_16_tasks_under_six_headings_with_the_right_lights(
    dash: Harness, browser: Any
) -> None:
    url = await open_dashboard(dash)
    page = await launch(browser, url, dash.emu.init_data(COORD))
    assert await page.locator("body").get_attribute("data-status") == "200"
    assert await page.locator("section.group").count() == 6
    assert await page.locator("section.group h2").all_inner_texts() == [
        "一、优化国土空间开发保护格局",
        "二、统筹推进做好碳达峰碳中和工作",
        "三、深入打好污染防治攻坚战",
        "四、系统推进山水林田湖草沙保护和修复",
        "五、加快生产生活方式绿色转型",
        "六、推进绿色园区建设",
    ]
    assert await shown(page) == list(range(1, 17))
    seen = await lights(page)
    # the known history: closed, never answered past 2022年底, blocked, at risk, on track
    assert seen[4] == "done" and seen[10] == "red" and seen[7] == "red"
    assert seen[2] == "yellow" and seen[3] == "green"
    assert seen == core_lights(dash)
    # the counts at the top agree with /status in chat
    await dash.say(COORD, "/status")
    header = dash.last(COORD, "分工表总览")["text"]
    for light, icon in (("red", "🔴"), ("yellow", "🟡"), ("green", "🟢"), ("done", "⚪")):
        chip = await page.locator(f".chip[data-count={light}] b").inner_text()
        assert f"{icon} {chip}" in header, (light, chip, header)
    # task 7's row: its lead, its latest answer (who, what, the note), progress and reason
    row = page.locator("article.task[data-task=t07]")
    text = await row.inner_text()
    assert "生态环境局" in text and "遇到困难" in text and "资金尚未到位" in text
    assert "报告遇到困难" in text and "40%" in text
    assert "逾期 10 天" in await page.locator("article.task[data-task=t10]").inner_text()
    await page.screenshot(path=str(IMAGES / "dashboard-overview.png"), full_page=True)


async def test_filters_search_and_red_first_work(dash: Harness, browser: Any) -> None:
    url = await open_dashboard(dash)
    page = await launch(browser, url, dash.emu.init_data(COORD))
    cat, rt = dash.runtime.catalogue, dash.runtime
    statuses = table_status(cat, rt.record, rt.now(), rt.calendar)
    number = {s.task_id: cat.task(s.task_id).number for s in statuses}

    await page.select_option("select[name=light]", "red")  # applies on change
    await page.wait_for_url(re.compile(r"light=red"))
    assert await shown(page) == sorted(number[s.task_id] for s in statuses if s.light is Light.RED)
    assert await page.locator(".chip[data-count=red]").get_attribute("class") == "chip on"

    await page.click("a.clear")
    await page.wait_for_url(re.compile(r"/app/$"))
    await page.check("input[name=overdue]")
    await page.wait_for_url(re.compile(r"overdue=1"))
    overdue = sorted(number[s.task_id] for s in statuses if is_overdue(s))
    assert overdue and await shown(page) == overdue

    await page.goto(url)  # a new start: the Mini App's data stays for the session
    await page.select_option("select[name=bureau]", "urban")
    await page.wait_for_url(re.compile(r"bureau=urban"))
    assert await shown(page) == [t.number for t in cat.tasks_of("urban")]

    await page.select_option("select[name=bureau]", "")
    await page.wait_for_url(lambda url: "bureau=urban" not in url)  # each change reloads
    await page.select_option("select[name=section]", "s3")
    await page.wait_for_url(re.compile(r"section=s3"))
    assert await shown(page) == [7, 8, 9]
    await page.check("input[name=sort]")
    await page.wait_for_url(re.compile(r"sort=red"))
    mine = [s for s in statuses if cat.task(s.task_id).section == "s3"]
    mine.sort(key=lambda s: (s.light.rank, number[s.task_id]))
    assert await shown(page) == [number[s.task_id] for s in mine]

    await page.click("a.clear")
    await page.wait_for_url(re.compile(r"/app/$"))  # typed into the page the link opens
    await page.fill("input[name=q]", "蓝天")
    await page.press("input[name=q]", "Enter")
    await page.wait_for_url(re.compile(r"q=%E8%93%9D"))
    assert await shown(page) == [7]
    await page.fill("input[name=q]", "10")
    await page.press("input[name=q]", "Enter")
    await page.wait_for_url(re.compile(r"q=10"))
    assert await shown(page) == [10]
    await page.fill("input[name=q]", "没有这样的任务")
    await page.press("input[name=q]", "Enter")
    await page.wait_for_selector("p.empty")
    assert await shown(page) == []


async def test_the_task_page_shows_history_and_the_chart_with_chinese_labels(
    dash: Harness, browser: Any
) -> None:
    url = await open_dashboard(dash)
    page = await launch(browser, url, dash.emu.init_data(COORD))
    await page.click("article.task[data-task=t07] .c-task a")
    await page.wait_for_url(re.compile(r"/app/task/t07$"))
    assert await page.locator("h1[data-task=t07]").get_attribute("data-light") == "red"
    history = page.locator("table.history tbody tr")
    # 2 answers and 4 PM2.5 readings, newest first
    assert await history.count() == 6
    first = await history.first.inner_text()
    assert "遇到困难" in first and "资金尚未到位，已向区财政局申请" in first
    assert "2023-01-05 16:20" in first and "生态环境局联络员（示例）" in first
    assert "48" in await history.nth(1).inner_text()
    # sub-items fold under the task and open
    await page.click("article.task details.subs summary")
    assert await page.locator("article.task details.subs li").count() == 6

    chart = page.locator("svg.chart[data-indicator=pm25]")
    await chart.scroll_into_view_if_needed()
    labels = await chart.locator("text").all_text_contents()
    assert "细颗粒物（PM2.5）平均浓度（微克/立方米）" in labels
    assert "目标 49 微克/立方米" in labels
    assert await chart.locator("circle.reading").count() == 4
    box = await chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100  # it is drawn
    # the Chinese title is laid out as text (about a glyph's width per character)
    title = chart.locator("text.chart-title")
    width = await title.evaluate("t => t.getComputedTextLength()")
    assert width > 12 * 18
    assert await page.locator("svg.chart[data-indicator=good-days] .chart-empty").count() == 1
    await page.screenshot(path=str(IMAGES / "dashboard-task.png"), full_page=True)

    await page.go_back()  # the Mini App's history works like a browser's
    await page.wait_for_selector("body[data-page=overview]")
    assert len(await shown(page)) == 16


async def test_a_phone_in_telegram_gets_the_theme_colours_and_cards(
    dash: Harness, browser: Any
) -> None:
    url = await open_dashboard(dash)
    page = await launch(
        browser,
        url,
        dash.emu.init_data(COORD),
        theme=DARK,
        platform="android",
        viewport={"width": 390, "height": 844},
    )
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(23, 33, 43)"  # Telegram's bg_color
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone
    await page.click("a[data-nav=indicators]")
    await page.wait_for_url(re.compile(r"/app/indicators$"))
    assert await page.locator("svg.chart").count() == len(dash.runtime.catalogue.indicators)
    await page.click("a[data-nav=overview]")
    await page.wait_for_url(re.compile(r"/app/$"))
    await page.screenshot(path=str(IMAGES / "dashboard-phone.png"))


async def test_a_contacts_and_a_forged_init_data_get_403_and_no_task_data(
    dash: Harness, browser: Any
) -> None:
    url = await open_dashboard(dash)
    forged = webapp.init_data("654321:ANOTHER-BOT", {"id": COORD, "first_name": "赵督办"}, 0)
    for data in (dash.emu.init_data(ECO), forged):
        page = await launch(browser, url, data)
        assert await page.locator("body").get_attribute("data-status") == "403"
        text = await page.locator("body").inner_text()
        assert "无权查看看板" in text or "无法验证身份" in text
        assert await page.locator("article.task").count() == 0
        for task in dash.runtime.catalogue.tasks:
            assert task.title not in text
        await page.close()


async def test_a_login_link_opens_a_session_once(dash: Harness, browser: Any) -> None:
    await dash.say(COORD, "/dashboard")
    message = dash.last(COORD, "一次性登录链接")
    assert not any(b for b in buttons(message))  # no callback buttons: the web_app one only
    link = re.search(r"https://duban\.test/app/login\?t=[\w-]+", message["text"])
    assert link is not None, message["text"]
    web = dash.duban.web
    assert web is not None

    desk = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await desk.new_page()
    await page.goto(local(web, link.group(0)))
    assert await page.locator("article.task").count() == 0  # opening the link uses nothing
    await page.click("#login")
    await page.wait_for_url(re.compile(r"/app/$"))
    assert await page.locator("article.task").count() == 16
    (cookie,) = await desk.cookies()
    assert cookie["name"] == "duban_session" and cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict" and cookie["expires"] > 0
    await page.click("a[data-nav=bureaus]")
    await page.wait_for_url(re.compile(r"/app/bureaus$"))
    assert await page.locator("table.bureaus tbody tr").count() == len(
        dash.runtime.catalogue.bureaus
    )
    await page.screenshot(path=str(IMAGES / "dashboard-bureaus.png"), full_page=True)

    other = await browser.new_page()
    await other.goto(local(web, link.group(0)))
    await other.click("#login")
    await other.wait_for_selector("body[data-status='403']")
    text = await other.locator("body").inner_text()
    assert "登录链接已失效" in text and await other.locator("article.task").count() == 0


async def task_ids(page: Any) -> list[str]:
    """The ids of the tasks on screen, in order (labels like 节水-2 are not numbers)."""
    values = await page.locator("article.task").evaluate_all("els => els.map(e => e.dataset.task)")
    return [str(v) for v in values]


async def test_two_documents_pick_one_in_the_document_filter_and_open_its_task(
    dash2: Harness, browser: Any
) -> None:
    """#15: a bot following two documents; 节水 picked in the 文件 filter, then 节水-2's page."""
    cat = dash2.runtime.catalogue
    water = [t.id for t in cat.tasks_in("water")]
    url = await open_dashboard(dash2)
    page = await launch(browser, url, dash2.emu.init_data(COORD))
    assert await page.locator(".doc-card").count() == 2
    assert await page.locator("section.docgroup h2").all_inner_texts() == [
        cat.document.title,
        "节水 【测试样例】高新区节约用水行动实施方案（虚构）",
    ]
    assert len(await task_ids(page)) == len(cat.tasks) == 19
    await page.screenshot(path=str(IMAGES / "dashboard-documents.png"))  # the README's picture
    spill = await page.locator("article.task .c-number").evaluate_all(
        "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"
    )
    assert spill == []  # 节水-3 fits its column, light included

    choice = page.locator("select[name=doc] option[value=water]")
    assert (await choice.inner_text()).startswith("节水｜")
    await page.select_option("select[name=doc]", "water")  # applies on change
    await page.wait_for_url(re.compile(r"doc=water"))
    assert await task_ids(page) == water == ["water.w01", "water.w02", "water.w03"]
    assert await page.locator(".doc-card.on").get_attribute("data-doc") == "water"
    assert await page.locator("select[name=doc]").input_value() == "water"
    await page.select_option("select[name=light]", "green")  # the other filters keep it
    await page.wait_for_url(re.compile(r"doc=water.*light=green"))
    assert set(await task_ids(page)) <= set(water)

    await page.click("article.task[data-task='water.w02'] .c-task a")
    await page.wait_for_url(re.compile(r"/app/task/water\.w02$"))
    heading = page.locator("h1[data-task='water.w02']")
    assert "节水-2" in await heading.inner_text()
    above = await page.locator("p.doc-of").inner_text()
    assert "【测试样例】高新区节约用水行动实施方案（虚构）" in above and "〔2024〕-样例1" in above

    await page.click("p.doc-of a")  # the document's name leads to its tasks
    await page.wait_for_url(re.compile(r"/app/\?doc=water$"))
    assert await task_ids(page) == water
