// The chat page: pick a collection, ask, watch the answer stream in, open each [n] marker's quote in context,
// upload documents and follow the ingest job. Talks only to this server's /v1 API.
import { ApiError, STATUS_LABELS, apiKey, el, formatMs, request, streamEvents } from "/static/api.js";

const COLLECTION_ITEM = "grounded.collection";
const HISTORY_TURNS = 4; // earlier question/answer pairs sent with a follow-up
const JOB_POLL_MS = 400;
const JOB_TIMEOUT_MS = 30 * 60 * 1000;
const CONTEXT_CHARS = 700; // surrounding text shown on each side of a quote

const $ = (id) => document.getElementById(id);
const ui = {
  key: $("api-key"), keyStatus: $("key-status"), collection: $("collection"),
  form: $("ask-form"), question: $("question"), send: $("send"),
  turns: $("turns"), empty: $("empty"), template: $("turn-template"),
  panel: $("quote-panel"), quote: $("quote"), quoteClose: $("quote-close"),
  uploadForm: $("upload-form"), files: $("upload-files"), newCollection: $("new-collection"),
  upload: $("upload"), job: $("job"), jobProgress: $("job-progress"), jobText: $("job-text"),
};

/** Completed turns of this page: {collection, question, answer} (answer = the contract). */
const conversation = [];
let quoteOpener = null;

// ------------------------------------------------------------------ key and collections

function showKeyStatus(text, isError = false) {
  ui.keyStatus.textContent = text;
  ui.keyStatus.classList.toggle("error", isError);
}

async function loadCollections(preferred) {
  if (!apiKey.get()) {
    showKeyStatus("Enter an API key to start.");
    ui.collection.disabled = true;
    return;
  }
  try {
    const collections = await request("GET", "/v1/collections");
    const wanted = preferred || sessionStorage.getItem(COLLECTION_ITEM);
    ui.collection.replaceChildren(
      ...collections.map((c) => el("option", { value: c.name }, `${c.name} (${plural(c.chunks, "chunk")})`)),
    );
    if (!collections.length) ui.collection.append(el("option", { value: "" }, "no collections yet"));
    if (collections.some((c) => c.name === wanted)) ui.collection.value = wanted;
    ui.collection.disabled = !collections.length;
    rememberCollection();
    showKeyStatus(collections.length ? "" : "No collection yet: add documents below.");
  } catch (error) {
    ui.collection.replaceChildren(el("option", { value: "" }, "—"));
    ui.collection.disabled = true;
    showKeyStatus(error.status === 401 ? "This key is not valid." : error.message, true);
  }
}

function rememberCollection() {
  if (ui.collection.value) sessionStorage.setItem(COLLECTION_ITEM, ui.collection.value);
}

// ------------------------------------------------------------------ asking

function history(collection) {
  return conversation
    .filter((t) => t.collection === collection && t.answer && ["answered", "partial"].includes(t.answer.status))
    .slice(-HISTORY_TURNS)
    .flatMap((t) => [
      { role: "user", content: t.question },
      { role: "assistant", content: t.answer.answer },
    ]);
}

async function ask(question) {
  const collection = ui.collection.value;
  if (!apiKey.get()) return showKeyStatus("Enter an API key first.", true), ui.key.focus();
  if (!collection) return showKeyStatus("Choose a collection first.", true), ui.collection.focus();
  ui.empty.hidden = true;
  const view = addTurn(question);
  const turn = { collection, question, answer: null };
  const evidence = new Map();
  setBusy(true);
  try {
    await streamEvents("/v1/chat", { collection, question, history: history(collection), stream: true },
      (type, data) => {
        if (type === "retrieval") {
          for (const e of data.evidence) {
            const chunk = e.chunk || e; // full Evidence (chunk nested) or a flat summary
            evidence.set(chunk.chunk_id, chunk);
          }
          view.meta.textContent = `${data.evidence.length} passages found, writing…`;
        } else if (type === "token" || type === "sentence") {
          appendStreamed(view.text, data.text, type === "sentence");
        } else if (type === "retract") {
          view.text.textContent = ""; // what was streamed is withdrawn; the final answer follows
          view.meta.textContent = data.reason ? `revising: ${data.reason}` : "revising…";
        } else if (type === "final") {
          turn.answer = data.answer;
          renderAnswer(view, turn, evidence);
        } else if (type === "error") {
          renderError(view, data.message);
        }
      });
    if (!turn.answer && !view.root.classList.contains("status-error")) {
      renderError(view, "The answer stream ended early.");
    }
  } catch (error) {
    renderError(view, error instanceof ApiError ? error.message : `Could not reach the server (${error.message}).`);
  } finally {
    conversation.push(turn);
    setBusy(false);
  }
}

/** Streamed text: raw tokens as they come, or whole verified sentences (joined by a space). */
function appendStreamed(node, text, isSentence) {
  node.classList.add("streaming");
  const sep = isSentence && node.textContent && !/\s$/.test(node.textContent) ? " " : "";
  node.append(sep + text);
}

function setBusy(busy) {
  ui.send.disabled = busy;
  ui.send.textContent = busy ? "…" : "Ask";
  ui.send.setAttribute("aria-busy", String(busy));
}

function addTurn(question) {
  const node = ui.template.content.firstElementChild.cloneNode(true);
  node.querySelector(".question-bubble").textContent = question;
  ui.turns.append(node);
  const root = node.querySelector(".answer");
  const view = {
    root,
    badge: root.querySelector(".badge"),
    meta: root.querySelector(".meta"),
    text: root.querySelector(".answer-text"),
    note: root.querySelector(".answer-note"),
    sources: root.querySelector(".sources"),
  };
  view.meta.textContent = "searching…";
  node.scrollIntoView({ block: "end", behavior: "smooth" });
  return view;
}

function renderAnswer(view, turn, evidence) {
  const answer = turn.answer;
  view.root.setAttribute("aria-busy", "false");
  view.root.classList.add(`status-${answer.status}`);
  view.root.dataset.status = answer.status;
  view.badge.textContent = STATUS_LABELS[answer.status] || answer.status;
  view.meta.textContent = [
    answer.status === "answered" || answer.status === "partial"
      ? `confidence ${Math.round(answer.confidence * 100)}%` : null,
    formatMs(answer.timings_ms.total),
    answer.versions.generator,
  ].filter(Boolean).join(" · ");
  view.text.classList.remove("streaming");
  view.text.replaceChildren();
  view.note.replaceChildren();

  const byMarker = new Map(answer.citations.map((c) => [c.marker, c]));
  const open = (citation, opener) => openQuote(citation, evidence.get(citation.chunk_id), opener);
  switch (answer.status) {
    case "answered":
    case "partial":
      view.text.append(...withMarkers(answer.answer || "", byMarker, open));
      if (answer.status === "partial") view.note.append(note("warn", answer.missing_information));
      break;
    case "no_answer":
      view.text.append(el("p", {}, answer.missing_information || "The documents do not hold the answer."));
      view.note.append(note("info", "Try rephrasing, choose another collection, or ask a colleague."));
      break;
    case "needs_clarification":
      view.text.append(el("p", {}, answer.followup_question || "Could you be more specific?"));
      view.note.append(suggestions(turn));
      break;
    case "refused":
      view.text.append(el("p", {}, answer.missing_information || "This request cannot be answered."));
      break;
  }
  if (answer.fallback) view.note.append(note("muted", `Answered by the ${answer.versions.generator} fallback: ${answer.fallback}`));
  view.sources.replaceChildren(...answer.citations.map((c) => source(c, open)));
}

function renderError(view, message) {
  view.root.setAttribute("aria-busy", "false");
  view.root.classList.add("status-error");
  view.root.dataset.status = "error";
  view.badge.textContent = STATUS_LABELS.error;
  view.meta.textContent = "";
  view.text.classList.remove("streaming");
  view.text.replaceChildren(el("p", {}, message));
}

function note(kind, text) {
  return el("p", { class: `note note-${kind}` }, text);
}

/** The answer text with each [n] that has a citation turned into a button opening its quote. */
function withMarkers(text, byMarker, open) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(/\[(\d+)\]/g)) {
    const citation = byMarker.get(Number(match[1]));
    if (!citation) continue;
    parts.push(text.slice(last, match.index));
    const button = el("button", {
      type: "button", class: "cite", "data-testid": "citation", "data-marker": citation.marker,
      "aria-label": `Source ${citation.marker}: ${citation.title}`,
      onclick: () => open(citation, button),
    }, `${citation.marker}`);
    parts.push(button);
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

function source(citation, open) {
  const where = [citation.section, citation.page ? `p. ${citation.page}` : null].filter(Boolean).join(" · ");
  const button = el("button", {
    type: "button", class: "source", "data-testid": "source", onclick: () => open(citation, button),
  }, el("span", { class: "source-marker" }, citation.marker), el("span", { class: "source-title" }, citation.title),
  where ? el("span", { class: "source-where" }, where) : null);
  return el("li", {}, button);
}

/** The readings the gate offered, as buttons that ask again with the reading added. */
function suggestions(turn) {
  const followup = turn.answer.followup_question || "";
  const options = [...followup.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
  const box = el("div", { class: "suggestions", role: "group", "aria-label": "Suggested follow-ups" });
  if (!options.length) {
    box.append(el("button", { type: "button", class: "chip", "data-testid": "suggestion",
      onclick: () => { ui.question.value = `${turn.question} `; ui.question.focus(); } }, "Rephrase my question"));
  }
  for (const option of options) {
    box.append(el("button", { type: "button", class: "chip", "data-testid": "suggestion",
      onclick: () => ask(`${turn.question.replace(/[?.!\s]+$/, "")} (${option})?`) }, option));
  }
  return box;
}

// ------------------------------------------------------------------ the quote in context

function openQuote(citation, evidence, opener) {
  quoteOpener = opener;
  const where = [citation.doc_id, citation.section, citation.page ? `page ${citation.page}` : null];
  ui.quote.replaceChildren(
    el("h3", { class: "quote-doc" }, el("span", { class: "source-marker" }, citation.marker), citation.title),
    el("p", { class: "quote-where" }, where.filter(Boolean).join(" · ")),
    el("blockquote", { class: "quote-context" }, ...inContext(citation.quote, evidence ? evidence.text : null)),
    el("p", { class: "quote-score" }, `retrieval score ${citation.score.toFixed(3)}`),
  );
  ui.panel.hidden = false;
  document.body.classList.add("quote-open");
  ui.panel.focus();
}

function inContext(quote, text) {
  const at = text ? text.indexOf(quote) : -1;
  if (at < 0) return [el("mark", {}, quote)];
  const start = Math.max(0, at - CONTEXT_CHARS);
  const end = Math.min(text.length, at + quote.length + CONTEXT_CHARS);
  return [
    start > 0 ? "…" : "", text.slice(start, at), el("mark", {}, quote),
    text.slice(at + quote.length, end), end < text.length ? "…" : "",
  ];
}

function closeQuote() {
  if (ui.panel.hidden) return;
  ui.panel.hidden = true;
  document.body.classList.remove("quote-open");
  if (quoteOpener) quoteOpener.focus();
}

// ------------------------------------------------------------------ uploads

async function upload(event) {
  event.preventDefault();
  const files = [...ui.files.files];
  if (!files.length) return showJob("Choose one or more files first.", "failed");
  ui.upload.disabled = true;
  try {
    let collection = ui.collection.value;
    const created = ui.newCollection.value.trim();
    if (created) {
      await request("POST", "/v1/collections", { json: { name: created } });
      await loadCollections(created);
      collection = created;
      ui.newCollection.value = "";
    }
    if (!collection) throw new Error("Choose a collection or name a new one.");
    const form = new FormData();
    for (const file of files) form.append("files", file);
    showJob(`Uploading ${files.length} file(s) to ${collection}…`, "queued");
    let job = await request("POST", `/v1/collections/${encodeURIComponent(collection)}/documents`, { form });
    const deadline = Date.now() + JOB_TIMEOUT_MS;
    while (!["succeeded", "failed"].includes(job.status) && Date.now() < deadline) {
      showJobProgress(job);
      await new Promise((resolve) => setTimeout(resolve, JOB_POLL_MS));
      job = await request("GET", `/v1/jobs/${job.id}`);
    }
    showJobProgress(job);
    if (job.status === "succeeded") {
      ui.files.value = "";
      await loadCollections(collection);
    }
  } catch (error) {
    showJob(error.message, "failed");
  } finally {
    ui.upload.disabled = false;
  }
}

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

function showJob(text, status, fraction = null) {
  ui.job.hidden = false;
  ui.job.dataset.status = status;
  ui.jobText.textContent = text;
  if (fraction === null) ui.jobProgress.removeAttribute("value");
  else ui.jobProgress.value = fraction;
}

function showJobProgress(job) {
  const p = job.progress;
  if (job.status === "succeeded") {
    const r = job.report;
    const failed = r.failed.length ? `, ${r.failed.length} failed (${r.failed.map((f) => `${f.path}: ${f.error}`).join("; ")})` : "";
    showJob(`Done: ${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged${failed}; ` +
      `${plural(r.chunks, "chunk")} in ${r.seconds.toFixed(1)} s.`, r.failed.length ? "failed" : "succeeded", 1);
  } else if (job.status === "failed") {
    showJob(`Failed: ${job.error || "unknown error"}`, "failed", 0);
  } else {
    const files = p.files_total === null ? "scanning" : `${p.files_done}/${p.files_total} files`;
    showJob(`${job.status === "queued" ? "Queued" : "Ingesting"}: ${files}, ${p.chunks} chunks written`,
      job.status, p.files_total ? p.files_done / p.files_total : null);
  }
}

// ------------------------------------------------------------------ wiring

ui.key.value = apiKey.get();
ui.key.addEventListener("change", () => {
  apiKey.set(ui.key.value.trim());
  loadCollections();
});
ui.collection.addEventListener("change", rememberCollection);
ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  const question = ui.question.value.trim();
  if (!question || ui.send.disabled) return;
  ui.question.value = "";
  autosize();
  ask(question);
});
ui.question.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    ui.form.requestSubmit();
  }
});
function autosize() {
  ui.question.style.height = "auto";
  ui.question.style.height = `${Math.min(ui.question.scrollHeight, 160)}px`;
}
ui.question.addEventListener("input", autosize);
ui.quoteClose.addEventListener("click", closeQuote);
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") closeQuote();
});
ui.uploadForm.addEventListener("submit", upload);
$("settings").addEventListener("submit", (event) => event.preventDefault());
loadCollections();
