// Trace review: recent answers from GET /v1/traces, filtered by collection, status, slow or fallen back, a page
// at a time; each opens to its per-step latency, tokens and cost, versions, gate decision and retrieved evidence.
import { STATUS_LABELS, apiKey, el, formatMs, request } from "/static/api.js";

const PAGE = 25;
const $ = (id) => document.getElementById(id);
const ui = {
  key: $("api-key"), collection: $("collection"), status: $("status"), slow: $("slow"), slowMs: $("slow-ms"),
  fallback: $("fallback"), filters: $("filters"), summary: $("summary"), list: $("traces"), more: $("more"),
};
let nextOffset = null;
let shown = 0;
let generation = 0; // a newer filter change makes an older response stale

function query(offset) {
  const q = new URLSearchParams({ limit: PAGE, offset });
  if (ui.collection.value) q.set("collection", ui.collection.value);
  if (ui.status.value) q.set("status", ui.status.value);
  if (ui.slow.checked) q.set("slow_ms", ui.slowMs.value || "0");
  if (ui.fallback.checked) q.set("fallback", "true");
  return `/v1/traces?${q}`;
}

async function load(reset) {
  if (!apiKey.get()) {
    ui.summary.textContent = "Enter an admin or editor API key to see traces.";
    return;
  }
  if (reset) generation += 1;
  const mine = generation;
  try {
    const page = await request("GET", query(reset ? 0 : nextOffset));
    if (mine !== generation) return;
    if (reset) {
      ui.list.replaceChildren();
      shown = 0;
    }
    ui.list.append(...page.items.map(traceItem));
    shown += page.items.length;
    nextOffset = page.next_offset;
    ui.more.hidden = nextOffset === null;
    ui.summary.textContent = shown ? `${shown} answer${shown === 1 ? "" : "s"} shown, newest first`
      : "No answers match these filters.";
    ui.summary.classList.remove("error");
  } catch (error) {
    ui.summary.textContent = error.status === 403 ? "Trace review needs an admin or editor key." : error.message;
    ui.summary.classList.add("error");
    ui.more.hidden = true;
  }
}

async function loadCollections() {
  if (!apiKey.get()) return;
  try {
    const collections = await request("GET", "/v1/collections");
    const current = ui.collection.value;
    ui.collection.replaceChildren(el("option", { value: "" }, "all granted"),
      ...collections.map((c) => el("option", { value: c.name }, c.name)));
    ui.collection.value = collections.some((c) => c.name === current) ? current : "";
  } catch {
    /* load() reports the key problem */
  }
}

const STEP_ORDER = ["retrieve", "gate", "select", "generate", "verify"];

function steps(timings) {
  const names = Object.keys(timings).filter((k) => k !== "total");
  return names.sort((a, b) => (STEP_ORDER.indexOf(a) + 1 || 99) - (STEP_ORDER.indexOf(b) + 1 || 99));
}

function stepBar(timings) {
  const names = steps(timings);
  const sum = names.reduce((acc, n) => acc + timings[n], 0) || 1;
  return el("span", { class: "stepbar", "aria-hidden": "true" },
    ...names.map((n) => el("span", {
      class: `step step-${n}`, style: `width:${Math.max(2, (100 * timings[n]) / sum)}%`,
      title: `${n} ${formatMs(timings[n])}`,
    })));
}

function traceItem(trace) {
  const a = trace.answer;
  const when = new Date(trace.created_at);
  const summary = el("summary", { class: "trace-row" },
    el("span", { class: `badge badge-${a.status}` }, STATUS_LABELS[a.status] || a.status),
    el("span", { class: "trace-question" }, trace.question),
    el("span", { class: "trace-meta" },
      el("time", { datetime: trace.created_at }, when.toLocaleString()), ` · ${trace.collection}`),
    el("span", { class: "trace-latency" }, formatMs(a.timings_ms.total), stepBar(a.timings_ms)),
    a.fallback ? el("span", { class: "flag", title: a.fallback }, "fallback") : null,
  );
  return el("li", { "data-testid": "trace", "data-status": a.status },
    el("details", { class: "trace" }, summary, traceDetail(trace)));
}

function table(headers, rows) {
  return el("table", {},
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c) => el("td", {}, c ?? "–"))))));
}

function section(title, ...content) {
  return el("section", { class: "detail" }, el("h3", {}, title), ...content);
}

function wide(title, ...content) {
  return el("section", { class: "detail wide" }, el("h3", {}, title), ...content);
}

const num = (x, digits = 3) => (typeof x === "number" ? x.toFixed(digits) : null);

function traceDetail(trace) {
  const a = trace.answer;
  const timings = a.timings_ms;
  const parts = [
    section("Latency per step", table([...steps(timings), "total"],
      [[...steps(timings).map((n) => formatMs(timings[n])), formatMs(timings.total)]])),
    section("Tokens and cost", table(["prompt tokens", "completion tokens", "cost"],
      [[a.usage.prompt_tokens, a.usage.completion_tokens, a.usage.cost.toFixed(4)]])),
    section("Versions", table(["part", "version"], Object.entries(a.versions).map(([k, v]) => [k, String(v)]))),
  ];
  if (a.fallback) parts.push(section("Fallback", el("p", { class: "note note-warn" }, a.fallback)));
  if (trace.gate && trace.gate.decision) {
    const signals = Object.entries(trace.gate).filter(([k, v]) => k !== "decision" && typeof v !== "object");
    parts.push(section(`Gate: ${trace.gate.decision}`,
      el("p", { class: "signals" }, signals.map(([k, v]) => `${k} ${typeof v === "number" ? num(v) : v}`).join(" · "))));
  }
  parts.push(wide(`Retrieved evidence (${trace.retrieved.length})`, table(
    ["#", "document", "fused", "dense (rank)", "bm25 (rank)"],
    trace.retrieved.map((r, i) => [
      i + 1, el("span", { title: r.chunk_id }, r.doc_id), num(r.score),
      r.dense_score === null ? null : `${num(r.dense_score)} (${r.dense_rank})`,
      r.sparse_score === null ? null : `${num(r.sparse_score, 2)} (${r.sparse_rank})`,
    ]))));
  parts.push(wide("Answer", el("p", { class: "trace-answer" },
    a.answer || a.followup_question || a.missing_information || "—")));
  if (a.citations.length) {
    parts.push(wide("Citations", el("ol", { class: "trace-citations" },
      ...a.citations.map((c) => el("li", {}, el("b", {}, `[${c.marker}] ${c.doc_id}`), ` “${c.quote}”`)))));
  }
  if (trace.removed && trace.removed.length) {
    parts.push(wide("Removed as unsupported", el("ul", {},
      ...trace.removed.map((r) => el("li", {}, `“${r.sentence}” — ${r.reason}`)))));
  }
  if (trace.raw_output) parts.push(wide("Raw generator output", el("pre", {}, trace.raw_output)));
  parts.push(el("p", { class: "trace-id" }, `trace ${trace.trace_id}`));
  return el("div", { class: "trace-detail" }, ...parts);
}

ui.key.value = apiKey.get();
ui.key.addEventListener("change", async () => {
  apiKey.set(ui.key.value.trim());
  await loadCollections();
  load(true);
});
ui.filters.addEventListener("submit", (event) => event.preventDefault());
for (const input of [ui.collection, ui.status, ui.slow, ui.slowMs, ui.fallback]) {
  input.addEventListener("change", () => load(true));
}
ui.more.addEventListener("click", () => load(false));
loadCollections().then(() => load(true));
