// The triage console page: plain JavaScript over the JSON API; no build step, nothing fetched from elsewhere.
"use strict";

const REFRESH_MS = 4000;
const NAMES = {
  cards: "Cards", accounts: "Accounts", payments: "Payments", loans: "Loans", mortgages: "Mortgages",
  credit_reporting: "Credit reporting", collections: "Collections", triage: "Not about banking",
  not_banking: "Not about banking",
};
const state = { me: null, items: [], selected: null, detail: null, busy: false };
const $ = (id) => document.getElementById(id);

function headers(extra) {
  const h = Object.assign({ Accept: "application/json" }, extra || {});
  const token = sessionStorage.getItem("console-token");
  if (token) h.Authorization = "Bearer " + token;
  return h;
}

async function api(method, path, body) {
  const init = { method, headers: headers(body ? { "Content-Type": "application/json" } : null) };
  if (body) init.body = JSON.stringify(body);
  const response = await fetch(path, init);
  if (response.status === 401) { showLogin(); throw new Error("sign in first"); }
  const data = (response.headers.get("content-type") || "").includes("json") ? await response.json() : null;
  return { status: response.status, data };
}

function showLogin() { $("login").hidden = false; }

function toast(text, isError) {
  const box = $("toast");
  box.textContent = text;
  box.className = isError ? "toast error" : "toast";
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 4000);
}

function age(seconds) {
  if (seconds < 90) return Math.round(seconds) + " s";
  if (seconds < 5400) return Math.round(seconds / 60) + " min";
  if (seconds < 172800) return Math.round(seconds / 3600) + " h";
  return Math.round(seconds / 86400) + " days";
}

function el(tag, props, children) {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  for (const child of children || []) node.append(child);
  return node;
}

// The text with the explanation terms wrapped in <mark>, built as DOM nodes (never as HTML).
function highlighted(text, terms) {
  const words = (terms || []).filter((t) => t && t.trim()).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  if (!words.length) return [document.createTextNode(text)];
  const pattern = new RegExp("(" + words.join("|") + ")", "gi");
  return text.split(pattern).map((part, i) => (i % 2 ? el("mark", { textContent: part }) : document.createTextNode(part)));
}

async function loadMe() {
  const { data } = await api("GET", "/api/me");
  state.me = data;
  $("agent").textContent = data.agent;
  const select = $("f-department");
  if (select.options.length > 1) return;
  for (const choice of data.choices.filter((c) => c !== "not_banking")) {
    select.append(el("option", { value: choice, textContent: NAMES[choice] || choice }));
  }
}

async function loadStats() {
  const { data } = await api("GET", "/api/stats");
  const pct = (v) => (v === null ? "–" : Math.round(v * 100) + "%");
  $("stats").replaceChildren(
    el("span", {}, ["Open ", el("b", { textContent: String(data.open_items) })]),
    el("span", {}, ["Urgent ", el("b", { textContent: String(data.open_by_priority.urgent || 0) })]),
    el("span", {}, ["Longest wait ", el("b", { textContent: data.open_items ? age(data.oldest_open_age_s) : "–" })]),
    el("span", {}, ["Model top-1 agreed ", el("b", { textContent: pct(data.agreement_top1) })]),
    el("span", {}, ["top-3 ", el("b", { textContent: pct(data.agreement_top3) })]),
  );
}

async function loadItems() {
  const params = new URLSearchParams({ status: $("f-status").value, limit: "100" });
  if ($("f-priority").value) params.set("priority", $("f-priority").value);
  if ($("f-department").value) params.set("department", $("f-department").value);
  const { data } = await api("GET", "/api/items?" + params);
  state.items = data.items;
  renderItems();
}

function renderItems() {
  const list = $("items");
  $("queue-count").textContent = state.items.length + (state.items.length === 1 ? " item" : " items");
  list.replaceChildren(...state.items.map((item) => {
    const top = item.suggestions[0];
    const li = el("li", { tabIndex: 0 }, [
      el("div", { className: "line1" }, [
        el("span", { className: "badge" + (item.priority === "urgent" ? " urgent" : ""), textContent: item.priority }),
        el("span", { textContent: item.reason.replace(/_/g, " ") }),
        el("span", { textContent: age(item.age_s) + " old" }),
        el("span", { textContent: top ? "→ " + (NAMES[top.department] || top.department) : "" }),
      ]),
      el("div", { className: "snippet", textContent: item.text }),
    ]);
    li.dataset.eventId = item.event_id;
    li.setAttribute("aria-selected", String(item.event_id === state.selected));
    li.addEventListener("click", () => select(item.event_id));
    li.addEventListener("keydown", (e) => { if (e.key === "Enter") select(item.event_id); });
    return li;
  }));
}

async function select(eventId) {
  state.selected = eventId;
  renderItems();
  const item = state.items.find((i) => i.event_id === eventId);
  if (item && item.status === "open") {
    const { status, data } = await api("POST", "/api/items/" + encodeURIComponent(eventId) + "/claim");
    if (status === 409) toast(data.detail, true);
  }
  const { status, data } = await api("GET", "/api/items/" + encodeURIComponent(eventId));
  if (status !== 200) { toast("item is gone", true); return refresh(); }
  state.detail = data;
  renderDetail();
}

function renderDetail() {
  const item = state.detail;
  const pane = $("detail");
  pane.replaceChildren($("detail-template").content.cloneNode(true));
  const prio = pane.querySelector(".prio");
  prio.textContent = item.priority;
  if (item.priority === "urgent") prio.classList.add("urgent");
  pane.querySelector(".reason").textContent = item.reason.replace(/_/g, " ");
  pane.querySelector(".event").textContent = item.kind + " " + item.event_id;
  pane.querySelector(".age").textContent = age(item.age_s) + " old";
  pane.querySelector(".text").replaceChildren(...highlighted(item.text, item.explanation));
  if (item.reason === "returned") {
    const note = pane.querySelector(".returned");
    note.hidden = false;
    note.textContent = "Returned by " + (item.returned_by || "a department") + (item.note ? ": " + item.note : "");
  }
  const open = item.status === "open";
  const suggested = new Set();
  const buttons = item.suggestions.map((s, i) => {
    suggested.add(s.department === "triage" ? "not_banking" : s.department);
    const choice = s.department === "triage" ? "not_banking" : s.department;
    const button = el("button", { type: "button", disabled: !open }, [
      el("span", { className: "dept" }, [el("kbd", { textContent: String(i + 1) }), NAMES[s.department] || s.department]),
      el("span", { className: "why", textContent: s.label.replace(/^[a-z0-9]+:/, "").replace(/_/g, " ") + " · " + Math.round(s.confidence * 100) + "%" }),
    ]);
    button.dataset.choice = choice;
    button.addEventListener("click", () => resolve(choice));
    return button;
  });
  pane.querySelector(".suggestions").replaceChildren(...buttons);
  const others = (state.me ? state.me.choices : []).filter((c) => !suggested.has(c)).map((choice) => {
    const button = el("button", { type: "button", disabled: !open, textContent: NAMES[choice] || choice });
    if (choice === "not_banking") button.className = "not-banking";
    button.dataset.choice = choice;
    button.addEventListener("click", () => resolve(choice));
    return button;
  });
  pane.querySelector(".others").replaceChildren(...others);
  if (item.resolution) showResolution(item.resolution);
}

function showResolution(resolution) {
  const box = $("detail").querySelector(".resolution");
  if (!box) return;
  box.hidden = false;
  const where = resolution.not_banking ? "marked not about banking" : "sent to " + (NAMES[resolution.department] || resolution.department);
  box.textContent = "Resolved by " + resolution.agent + ": " + where + (resolution.note ? " — " + resolution.note : "");
}

async function resolve(choice) {
  if (state.busy || !state.detail || state.detail.status !== "open") return;
  state.busy = true;
  const eventId = state.detail.event_id;
  const note = $("note") ? $("note").value.trim() : "";
  try {
    const body = { department: choice };
    if (note) body.note = note;
    const { status, data } = await api("POST", "/api/items/" + encodeURIComponent(eventId) + "/resolve", body);
    if (status === 200) {
      toast(choice === "not_banking" ? "Marked not about banking" : "Sent to " + (NAMES[choice] || choice));
      const index = state.items.findIndex((i) => i.event_id === eventId);
      state.items.splice(index, 1);
      state.detail = null;
      $("detail").replaceChildren(el("p", { className: "empty", textContent: "Done. Next item…" }));
      const next = state.items[Math.min(index, state.items.length - 1)];
      if (next) await select(next.event_id); else renderItems();
    } else if (status === 409) {
      toast(data.resolution ? "Already resolved by " + data.resolution.agent : data.detail, true);
      if (data.resolution) { state.detail.status = "resolved"; renderDetail(); showResolution(data.resolution); }
    } else {
      toast("Could not resolve (" + status + ")", true);
    }
  } finally {
    state.busy = false;
    loadStats().catch(() => {});
  }
}

function move(step) {
  if (!state.items.length) return;
  const index = state.items.findIndex((i) => i.event_id === state.selected);
  const next = state.items[Math.max(0, Math.min(state.items.length - 1, index + step))];
  if (next) select(next.event_id);
}

document.addEventListener("keydown", (event) => {
  const typing = ["TEXTAREA", "INPUT", "SELECT"].includes(document.activeElement.tagName);
  if (typing || event.ctrlKey || event.metaKey || event.altKey) {
    if (event.key === "Escape") document.activeElement.blur();
    return;
  }
  if (["1", "2", "3"].includes(event.key)) {
    const button = document.querySelectorAll(".suggestions button")[Number(event.key) - 1];
    if (button && !button.disabled) { event.preventDefault(); button.click(); }
  } else if (event.key === "j") move(1);
  else if (event.key === "k") move(-1);
  else if (event.key === "n" && $("note")) { event.preventDefault(); $("note").focus(); }
});

async function refresh() {
  try {
    await Promise.all([loadItems(), loadStats()]);
  } catch (error) {
    console.warn("refresh failed", error);
  }
}

function start() {
  loadMe().then(refresh).then(() => { if (state.items.length && !state.selected) select(state.items[0].event_id); })
    .catch((error) => console.warn(error));
  clearInterval(start.timer);
  start.timer = setInterval(refresh, REFRESH_MS);
}

function init() {
  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem("console-token", $("token").value.trim());
    $("login").hidden = true;
    start();
  });
  for (const id of ["f-status", "f-priority", "f-department"]) $(id).addEventListener("change", refresh);
  start();
}

document.addEventListener("DOMContentLoaded", init);
