// The journal page: a paged, filterable, live list of journaled calls. Plain JS, no framework, no build step.
"use strict";

(() => {
  const BASE = "/_emulator/ui";
  const POLL_MS = 2000;
  const DEFAULT_PAGE_SIZE = 50;
  const TOKEN_KEY = "nova-emulator-token";
  const BLOB_CACHE_MAX = 600;

  const $ = (id) => document.getElementById(id);
  const state = { seq: 0, offset: 0, limit: DEFAULT_PAGE_SIZE, shown: 0, etag: null, inFlight: false };
  const blobs = new Map(); // thumbnail URL -> object URL, oldest first

  // --- token: ?token=... once, then sessionStorage; sent as a header, never left in the address bar -------
  function takeTokenFromUrl() {
    const url = new URL(window.location.href);
    const token = url.searchParams.get("token");
    if (token !== null) {
      sessionStorage.setItem(TOKEN_KEY, token);
      url.searchParams.delete("token");
      history.replaceState(null, "", url.pathname + url.search + url.hash);
    }
  }

  function authHeaders() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    return token ? { Authorization: "Bearer " + token } : {};
  }

  function askToken() {
    const token = window.prompt("The control API needs a token. Enter it (kept for this tab only):");
    if (token) {
      sessionStorage.setItem(TOKEN_KEY, token.trim());
      window.location.reload();
    }
  }

  async function api(path, extraHeaders) {
    const response = await fetch(BASE + path, { headers: { ...authHeaders(), ...(extraHeaders || {}) } });
    if (response.status === 401 || response.status === 403) {
      $("set-token").hidden = false;
      throw new Error("The control API needs a token: use the Token… button or open this page with ?token=…");
    }
    return response;
  }

  // --- filters and paging, mirrored in the address bar so a reload keeps them -----------------------------
  function filters() {
    const form = new FormData($("filters"));
    const out = {};
    for (const [key, value] of form.entries()) if (value) out[key] = value;
    return out;
  }

  function restoreFilters() {
    const params = new URLSearchParams(window.location.search);
    for (const name of ["status", "model", "task"]) {
      const select = $("f-" + name);
      const value = params.get(name);
      if (value && [...select.options].some((o) => o.value === value)) select.value = value;
    }
    state.offset = Math.max(0, parseInt(params.get("offset") || "0", 10) || 0);
    state.limit = Math.min(200, Math.max(1, parseInt(params.get("limit") || "", 10) || DEFAULT_PAGE_SIZE));
  }

  function syncUrl() {
    const params = new URLSearchParams(filters());
    if (state.limit !== DEFAULT_PAGE_SIZE) params.set("limit", String(state.limit));
    if (state.offset) params.set("offset", String(state.offset));
    const query = params.toString();
    history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
  }

  // --- loading --------------------------------------------------------------------------------------------
  // Every load gets a number; an answer that arrives after a newer load started (filters or page changed
  // meanwhile) is dropped. Polls skip while a load is in flight; user actions never do.
  async function refresh() {
    const seq = ++state.seq;
    state.inFlight = true;
    try {
      const params = new URLSearchParams({ ...filters(), limit: String(state.limit), offset: String(state.offset) });
      const response = await api("/api/entries?" + params, state.etag ? { "If-None-Match": state.etag } : {});
      if (seq !== state.seq || response.status === 304) return;
      if (!response.ok) throw new Error("Loading the journal failed: HTTP " + response.status);
      const page = await response.json();
      if (seq !== state.seq) return;
      state.etag = response.headers.get("ETag");
      render(page);
      showMessage("");
    } catch (error) {
      if (seq === state.seq) showMessage(error.message);
    } finally {
      if (seq === state.seq) state.inFlight = false;
    }
  }

  function poll() {
    if ($("live").checked && document.visibilityState === "visible" && !state.inFlight) refresh();
  }

  async function loadMeta() {
    const response = await api("/api/meta");
    if (!response.ok) throw new Error("Loading the page settings failed: HTTP " + response.status);
    const meta = await response.json();
    fillSelect($("f-model"), meta.models);
    fillSelect($("f-task"), meta.tasks);
  }

  function fillSelect(select, values) {
    for (const value of values || []) select.append(new Option(value, value));
  }

  function showMessage(text) {
    $("message").textContent = text;
    $("message").hidden = !text;
  }

  // --- rendering the list ---------------------------------------------------------------------------------
  function render(page) {
    const rows = $("rows");
    rows.replaceChildren(...page.entries.map(renderRow));
    const first = page.total ? page.offset + 1 : 0;
    const last = page.offset + page.entries.length;
    state.shown = page.entries.length;
    $("count").textContent = page.total === 1 ? "1 call" : page.total + " calls";
    $("range").textContent = page.total ? `${first}–${last} of ${page.total}` : "";
    $("newer").disabled = page.offset <= 0;
    $("older").disabled = last >= page.total;
    $("empty").hidden = page.total > 0;
    observeThumbs(rows);
  }

  function renderRow(entry) {
    const row = $("row-template").content.firstElementChild.cloneNode(true);
    row.dataset.id = entry.id;
    row.dataset.status = String(entry.status);
    const when = new Date(entry.time * 1000);
    const open = row.querySelector(".open");
    open.textContent = formatTime(when);
    open.title = when.toISOString();
    open.setAttribute("aria-label", `Details of the ${entry.task || "call"} at ${formatTime(when)}`);
    open.addEventListener("click", () => openDetail(entry.id));
    row.querySelector(".model").textContent = entry.model || entry.raw_model_id || "—";
    row.querySelector(".task").textContent = entry.task || "—";
    const badge = row.querySelector(".badge");
    badge.textContent = entry.status + (entry.error ? " " + entry.error.type : "");
    badge.classList.add(statusClass(entry.status));
    row.querySelector(".latency").textContent = entry.latency_ms == null ? "—" : formatMs(entry.latency_ms);
    row.querySelector(".problems").append(renderProblems(entry));
    for (const kind of ["input", "mask", "output"]) {
      row.querySelector(".thumbs." + kind).append(...entry.thumbs[kind].map((thumb) => renderThumb(thumb, false)));
    }
    return row;
  }

  function renderProblems(entry) {
    const list = document.createElement("ul");
    list.className = "problems-list";
    const add = (cls, text) => {
      const item = document.createElement("li");
      item.className = cls;
      item.textContent = text;
      list.append(item);
    };
    const message = entry.error ? entry.error.message || "" : "";
    if (entry.error) add("error", message || entry.error.type);
    // Contract errors already quoted in Bedrock's message are not repeated (the schema stage lists them all).
    for (const text of entry.errors || []) if (!message.includes(text)) add("error", text);
    for (const text of entry.warnings || []) add("warning", text);
    if (!list.children.length) add("ok", entry.status < 300 ? "valid" : "—");
    return list;
  }

  function renderThumb(thumb, withCaption) {
    const figure = document.createElement("figure");
    figure.className = "thumb";
    if (withCaption === true) {
      figure.append(Object.assign(document.createElement("figcaption"), { textContent: thumb.label }));
    }
    if (thumb.url) {
      const img = document.createElement("img");
      img.alt = thumb.label;
      img.title = thumb.label;
      img.dataset.src = thumb.url;
      img.width = thumb.width || 64;
      img.height = thumb.height || 64;
      figure.prepend(img);
    } else {
      const span = document.createElement("span");
      span.className = "elided";
      span.textContent = "not kept";
      span.title = thumb.label + ": over the journal's size cap";
      figure.prepend(span);
    }
    return figure;
  }

  // --- thumbnails: fetched when scrolled into view (so a token header can go along), kept as object URLs ---
  const observer = new IntersectionObserver((items) => {
    for (const item of items) {
      if (item.isIntersecting) {
        observer.unobserve(item.target);
        loadThumb(item.target);
      }
    }
  }, { rootMargin: "200px" });

  function observeThumbs(root) {
    for (const img of root.querySelectorAll("img[data-src]")) {
      const cached = blobs.get(img.dataset.src);
      if (cached) img.src = cached;
      else observer.observe(img);
    }
  }

  async function loadThumb(img) {
    const url = img.dataset.src;
    try {
      const response = await api(url.slice(BASE.length));
      if (!response.ok) throw new Error("HTTP " + response.status);
      const objectUrl = URL.createObjectURL(await response.blob());
      remember(url, objectUrl);
      img.src = objectUrl;
    } catch (error) {
      img.replaceWith(Object.assign(document.createElement("span"), { className: "elided", textContent: "n/a" }));
    }
  }

  function remember(url, objectUrl) {
    blobs.set(url, objectUrl);
    while (blobs.size > BLOB_CACHE_MAX) {
      const [oldest, stale] = blobs.entries().next().value;
      blobs.delete(oldest);
      URL.revokeObjectURL(stale);
    }
  }

  // --- detail view ----------------------------------------------------------------------------------------
  async function openDetail(id) {
    try {
      const response = await api("/api/entries/" + encodeURIComponent(id));
      if (!response.ok) throw new Error("Loading the call failed: HTTP " + response.status);
      const entry = await response.json();
      fillDetail(entry);
      $("detail").showModal();
    } catch (error) {
      showMessage(error.message);
    }
  }

  function fillDetail(entry) {
    $("detail-title").textContent = `${entry.task || "Call"} · ${entry.status}${entry.error ? " " + entry.error.type : ""}`;
    const facts = {
      Time: new Date(entry.time * 1000).toISOString(),
      Model: entry.model || "—",
      "Model id sent": entry.raw_model_id || "—",
      Operation: entry.operation || "—",
      Status: String(entry.status),
      Latency: entry.latency_ms == null ? "—" : formatMs(entry.latency_ms),
      "Request id": entry.request_id || "—",
    };
    for (const [name, value] of Object.entries(entry.facts || {})) facts[name] = value;
    $("detail-facts").replaceChildren(...Object.entries(facts).flatMap(([name, value]) => [
      Object.assign(document.createElement("dt"), { textContent: name }),
      Object.assign(document.createElement("dd"), { textContent: value }),
    ]));
    $("detail-problems").replaceChildren(renderProblems(entry));
    const thumbs = $("detail-thumbs");
    thumbs.replaceChildren();
    for (const kind of ["input", "mask", "output"]) {
      if (!entry.thumbs[kind].length) continue;
      const group = document.createElement("div");
      group.className = "thumb-group";
      group.append(Object.assign(document.createElement("h3"), { textContent: kind + "s" }));
      group.append(...entry.thumbs[kind].map((thumb) => renderThumb(thumb, true)));
      thumbs.append(group);
    }
    observeThumbs(thumbs);
    $("detail-request").textContent = pretty(entry.request);
    $("detail-response").textContent = pretty(entry.response);
  }

  function pretty(value) {
    return value === null || value === undefined ? "(not recorded)" : JSON.stringify(value, null, 2);
  }

  // --- formatting -----------------------------------------------------------------------------------------
  function formatTime(date) {
    const pad = (n, w) => String(n).padStart(w || 2, "0");
    return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
  }

  function formatMs(ms) {
    return ms >= 1000 ? (ms / 1000).toFixed(2) + " s" : Math.round(ms) + " ms";
  }

  function statusClass(status) {
    if (status < 300) return "ok";
    if (status === 429 || status >= 500) return "retry";
    return "error";
  }

  // --- wiring ---------------------------------------------------------------------------------------------
  function restart() {
    state.offset = 0;
    state.etag = null;
    syncUrl();
    refresh();
  }

  function page(delta) {
    // Older: right after the rows shown (a page can hold fewer than `limit` when entries are large).
    state.offset = delta > 0 ? state.offset + (state.shown || state.limit) : Math.max(0, state.offset - state.limit);
    state.etag = null;
    syncUrl();
    refresh();
    $("journal").scrollIntoView({ block: "start" });
  }

  async function start() {
    takeTokenFromUrl();
    $("set-token").hidden = !sessionStorage.getItem(TOKEN_KEY);
    $("set-token").addEventListener("click", askToken);
    $("refresh").addEventListener("click", () => { state.etag = null; refresh(); });
    $("filters").addEventListener("change", restart);
    $("filters").addEventListener("reset", () => setTimeout(restart, 0));
    $("filters").addEventListener("submit", (event) => event.preventDefault());
    $("newer").addEventListener("click", () => page(-1));
    $("older").addEventListener("click", () => page(1));
    $("detail-close").addEventListener("click", () => $("detail").close());
    $("detail").addEventListener("click", (event) => { if (event.target === $("detail")) $("detail").close(); });
    try {
      await loadMeta();
    } catch (error) {
      showMessage(error.message);
      return;
    }
    restoreFilters();
    refresh();
    setInterval(poll, POLL_MS);
  }

  start();
})();
