// duban dashboard: the Mini App launch (initData from the URL fragment, sent with every
// request), the Telegram theme's colours, filters that apply on change. No framework, no
// network but this server.
(function () {
  "use strict";
  var KEY = "duban.tgWebAppData";
  var THEME = "duban.tgWebAppThemeParams";
  var memory = {};

  function store(key, value) {
    try {
      if (value === undefined) return window.sessionStorage.getItem(key) || memory[key] || null;
      window.sessionStorage.setItem(key, value);
    } catch (err) { /* storage refused (a sandboxed frame): keep it for this page */ }
    if (value !== undefined) memory[key] = value;
    return value;
  }

  // Telegram opens a Mini App with #tgWebAppData=...&tgWebAppThemeParams=... in the URL.
  function launchData() {
    var hash = window.location.hash.slice(1);
    if (hash.indexOf("tgWebAppData=") !== -1) {
      var params = new URLSearchParams(hash);
      store(KEY, params.get("tgWebAppData") || "");
      if (params.get("tgWebAppThemeParams")) store(THEME, params.get("tgWebAppThemeParams"));
      history.replaceState(history.state, "", window.location.pathname + window.location.search);
    }
    return store(KEY);
  }

  function applyTheme() {
    var theme;
    try { theme = JSON.parse(store(THEME) || "null"); } catch (err) { theme = null; }
    if (!theme || typeof theme !== "object") return;
    var root = document.documentElement;
    Object.keys(theme).forEach(function (name) {
      var value = String(theme[name]);
      if (/^#[0-9a-fA-F]{3,8}$/.test(value)) {
        root.style.setProperty("--tg-" + name.replace(/_/g, "-"), value);
      }
    });
    root.classList.add("tg");
    var bg = theme.bg_color;
    if (/^#[0-9a-fA-F]{6}$/.test(bg || "")) {
      var n = parseInt(bg.slice(1), 16);
      var luma = (0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255)) / 255;
      root.dataset.scheme = luma < 0.5 ? "dark" : "light";
    }
  }

  var initData = launchData();

  function load(url, push) {
    document.body.classList.add("busy");
    return fetch(url, { headers: { "X-Telegram-Init-Data": initData }, credentials: "same-origin" })
      .then(function (res) { return res.text(); })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, "text/html");
        if (push) history.pushState({}, "", url);
        document.title = doc.title;
        document.body.replaceWith(document.adoptNode(doc.body));
        bind();
        if (push) window.scrollTo(0, 0);
      })
      .catch(function () { document.body.classList.remove("busy"); });
  }

  function bind() {
    var form = document.querySelector("form.filters");
    if (form) {
      form.addEventListener("change", function () {
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
      });
    }
    if (!initData) return;  // a browser session: ordinary links and forms
    document.body.addEventListener("click", function (ev) {
      var a = ev.target.closest ? ev.target.closest("a[href]") : null;
      if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
      var url = new URL(a.getAttribute("href"), window.location.href);
      if (url.origin !== window.location.origin) return;
      ev.preventDefault();
      load(url.href, true);
    });
    document.body.addEventListener("submit", function (ev) {
      var f = ev.target;
      if ((f.getAttribute("method") || "get").toLowerCase() !== "get") return;
      ev.preventDefault();
      var url = new URL(f.getAttribute("action") || "", window.location.href);
      url.search = new URLSearchParams(new FormData(f)).toString();
      load(url.href, true);
    });
  }

  applyTheme();
  window.addEventListener("popstate", function () { if (initData) load(window.location.href, false); });
  if (initData && document.body.dataset.status === "401") {
    var waiting = document.querySelector(".loading");
    if (waiting) waiting.hidden = false;
    load(window.location.href, false);
  } else {
    bind();
  }
})();
