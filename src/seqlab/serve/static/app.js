/* seqlab page: pick a run, upload a record (or paste text), show what POST api/predict returns.
 * Everything goes through the JSON API (relative URLs, so the page works behind a proxy
 * prefix); names and messages from the server are set as text, never as HTML. */
"use strict";

const $ = id => document.getElementById(id);
const state = { files: [], plot: null, res: null, urls: [], rows: [], selected: -1, mismatch: new Set() };

function esc(s) {
  return String(s).replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function showError(box, message) {
  box.textContent = message || "";
  box.hidden = !message;
}

/* POST a FormData to api/predict; resolves with the JSON body, rejects with its one-line error */
function post(form, onUpload) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "api/predict");
    xhr.responseType = "json";
    if (onUpload) {
      xhr.upload.onprogress = e => e.lengthComputable && onUpload(e.loaded / e.total);
      xhr.upload.onload = () => onUpload(1);
    }
    xhr.onload = () => {
      const body = xhr.response;
      if (xhr.status === 200 && body) resolve(body);
      else reject(new Error(body && body.error ? body.error : `the server answered ${xhr.status}`));
    };
    xhr.onerror = () => reject(new Error("the server could not be reached"));
    xhr.send(form);
  });
}

async function loadRuns() {
  const runs = await (await fetch("api/runs")).json();
  for (const [kind, select, button] of [["ecg", $("ecg-run"), $("classify")], ["text", $("text-run"), $("text-classify")]]) {
    const mine = runs.filter(r => r.kind === kind);
    select.innerHTML = mine.map(r => `<option value="${esc(r.id)}">${esc(r.id)} · ${esc(r.model)} · ${esc(r.classes.join("/"))}</option>`).join("")
      || `<option value="">no ${kind === "ecg" ? "ECG" : "text"} runs are served</option>`;
    select.disabled = !mine.length;
    button.dataset.noRuns = mine.length ? "" : "1";
  }
  updateButton();
  $("text-classify").disabled = !!$("text-classify").dataset.noRuns;
}

/* ---------- tabs ---------- */
function showTab(name) {
  for (const tab of document.querySelectorAll("[role=tab]")) tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
  $("panel-ecg").hidden = name !== "ecg";
  $("panel-text").hidden = name !== "text";
}

/* ---------- choosing files ---------- */
function setFiles(list) {
  state.files = Array.from(list);
  $("picked").innerHTML = state.files.map(f => `<li>${esc(f.name)} <span class="muted">${(f.size / 1e6).toFixed(2)} MB</span></li>`).join("");
  const ext = state.files.map(f => f.name.split(".").pop().toLowerCase());
  $("fs-wrap").hidden = !ext.some(e => e === "csv" || e === "txt");
  $("lead-wrap").hidden = !ext.includes("edf");
  updateButton();
}

function updateButton() {
  $("classify").disabled = !state.files.length || !!$("classify").dataset.noRuns;
}

/* ---------- classifying a record ---------- */
async function classifyRecord(event) {
  event.preventDefault();
  const form = new FormData();
  form.append("run", $("ecg-run").value);
  form.append("beats", $("beats").value);
  if (!$("fs-wrap").hidden) form.append("fs", $("fs").value);
  if (!$("lead-wrap").hidden && $("lead").value) form.append("lead", $("lead").value);
  for (const f of state.files) form.append("files", f, f.name);
  showError($("ecg-error"), "");
  $("classify").disabled = true;
  $("progress").hidden = false;
  const t0 = performance.now();
  const progress = p => {
    $("bar").value = Math.round(p * 100);
    $("status").textContent = p < 1 ? `uploading ${Math.round(p * 100)}%` : "classifying…";
  };
  progress(0);
  try {
    const res = await post(form, progress);
    $("status").textContent = "drawing…";
    render(res);
    $("status").textContent = `done in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
    $("bar").value = 100;
  } catch (err) {
    showError($("ecg-error"), err.message);
    $("progress").hidden = true;
    $("result").hidden = true;  // the result on screen belongs to another record
  } finally {
    updateButton();
  }
}

function render(res) {
  state.res = res;
  state.selected = -1;
  $("result").hidden = false;
  $("rec-title").textContent = `${res.record} · ${res.n_beats.toLocaleString()} beats`;
  $("rec-meta").textContent = `${res.format.toUpperCase()} · lead ${res.lead} · ${res.fs} Hz · ` +
    `${(res.duration_s / 60).toFixed(1)} min · run ${res.run} · classified in ${res.seconds.toFixed(2)} s`;
  $("counts").innerHTML = res.classes.map((c, i) =>
    `<li data-class="${esc(c)}"><span class="swatch" style="background:${classColour(i)}"></span>${esc(c)} <b>${res.counts[c]}</b></li>`).join("");
  $("legend").innerHTML = res.classes.map((c, i) => `<li><span class="swatch" style="background:${classColour(i)}"></span>${esc(c)}</li>`).join("")
    + (res.reference ? `<li><span class="ring"></span>differs from the reference</li>` : "");
  const ref = res.reference;
  $("ref-summary").textContent = ref ? `reference (.atr): ${ref.n_reference} beats; ${ref.mismatch.length} classified beats ` +
    `differ from it; ${ref.n_missed} reference beats not detected` : "";
  $("notes").innerHTML = res.notes.map(n => `<li>${esc(n)}</li>`).join("");
  downloads(res);
  if (state.plot) state.plot.destroy();
  $("plot").innerHTML = ""; $("overview").innerHTML = "";
  state.plot = new EcgPlot($("plot"), $("overview"), res, (a, b) => { $("window").textContent = `${a.toFixed(1)}–${b.toFixed(1)} s`; });
  $("plot").dataset.ready = "1";
  filterOptions(res);
  table();
}

function downloads(res) {
  for (const url of state.urls) URL.revokeObjectURL(url);
  const csv = URL.createObjectURL(new Blob([res.files.csv.text], { type: "text/csv" }));
  const ann = URL.createObjectURL(new Blob([fromBase64(res.files.annotation.base64)], { type: "application/octet-stream" }));
  state.urls = [csv, ann];
  Object.assign($("dl-csv"), { href: csv, download: res.files.csv.name });
  Object.assign($("dl-ann"), { href: ann, download: res.files.annotation.name });
}

/* ---------- the beat table (virtual: only the rows in view are in the DOM) ---------- */
const ROW_H = 27;

function filterOptions(res) {
  const opts = [`<option value="all">all beats (${res.n_beats})</option>`].concat(
    res.classes.map((c, i) => `<option value="${i}">${esc(c)} (${res.counts[c]})</option>`));
  if (res.reference) opts.push(`<option value="mismatch">differs from the reference (${res.reference.mismatch.length})</option>`);
  $("filter").innerHTML = opts.join("");
}

function table() {
  const res = state.res, f = $("filter").value, ref = res.reference;
  state.rows = f === "all" ? res.beats.class.map((_, i) => i)
    : f === "mismatch" ? ref.mismatch.slice() : res.beats.class.flatMap((c, i) => (String(c) === f ? [i] : []));
  state.mismatch = new Set(ref ? ref.mismatch : []);
  $("shown").textContent = `${state.rows.length} beats`;
  const head = ["#", "time (s)", "class"].concat(ref ? ["reference"] : [], res.classes.map(c => `p(${c})`));
  $("beats-table").tHead.innerHTML = `<tr>${head.map(h => `<th>${esc(h)}</th>`).join("")}</tr>`;
  $("table-wrap").scrollTop = 0;
  drawRows();
}

function rowHtml(i) {
  const res = state.res, ref = res.reference, c = res.beats.class[i];
  const cells = [`<td>${i + 1}</td>`, `<td>${(res.beats.sample[i] / res.fs).toFixed(3)}</td>`,
    `<td><span class="tag" style="background:${classColour(c)}">${esc(res.classes[c])}</span></td>`];
  if (ref) cells.push(`<td>${esc(ref.symbol[i] || "–")}</td>`);
  for (const p of res.beats.probs[i]) cells.push(`<td class="num">${p.toFixed(4)}</td>`);
  const cls = (state.mismatch.has(i) ? "mismatch " : "") + (i === state.selected ? "sel" : "");
  return `<tr data-beat="${i}" data-class="${esc(res.classes[c])}" class="${cls}">${cells.join("")}</tr>`;
}

function drawRows() {
  const wrap = $("table-wrap"), rows = state.rows || [], n = rows.length;
  const first = Math.max(0, Math.floor(wrap.scrollTop / ROW_H) - 10);
  const last = Math.min(n, first + Math.ceil((wrap.clientHeight || 420) / ROW_H) + 20);
  const spacer = h => (h > 0 ? `<tr class="spacer" style="height:${h}px"><td></td></tr>` : "");
  $("beats-table").tBodies[0].innerHTML = spacer(first * ROW_H) + rows.slice(first, last).map(rowHtml).join("")
    + spacer((n - last) * ROW_H);
}

function jumpTo(event) {
  const tr = event.target.closest("tr[data-beat]");
  if (!tr || !state.plot) return;
  state.selected = Number(tr.dataset.beat);
  for (const old of document.querySelectorAll("#beats-table tr.sel")) old.classList.remove("sel");
  tr.classList.add("sel");
  state.plot.select(state.selected);
}

/* ---------- text ---------- */
async function classifyText(event) {
  event.preventDefault();
  const form = new FormData();
  form.append("run", $("text-run").value);
  form.append("text", $("text-input").value);
  showError($("text-error"), "");
  $("text-status").textContent = "classifying…";
  try {
    const res = await post(form);
    $("text-result").hidden = false;
    $("text-counts").innerHTML = res.classes.map((c, i) =>
      `<li><span class="swatch" style="background:${classColour(i)}"></span>${esc(c)} <b>${res.counts[c]}</b></li>`).join("");
    $("text-table").tHead.innerHTML = `<tr><th>line</th><th>text</th><th>label</th>${res.classes.map(c => `<th>p(${esc(c)})</th>`).join("")}</tr>`;
    $("text-table").tBodies[0].innerHTML = res.items.map(it => `<tr><td>${it.line}</td><td class="text">${esc(it.text)}</td>` +
      `<td><span class="tag" style="background:${classColour(res.classes.indexOf(it.label))}">${esc(it.label)}</span></td>` +
      res.classes.map(c => `<td class="num">${it.probs[c].toFixed(4)}</td>`).join("") + "</tr>").join("");
    $("text-status").textContent = `${res.items.length} classified` + (res.n_skipped ? `, ${res.n_skipped} empty after cleaning` : "");
  } catch (err) {
    showError($("text-error"), err.message);
    $("text-status").textContent = "";
  }
}

/* ---------- wiring ---------- */
function wire() {
  for (const tab of document.querySelectorAll("[role=tab]")) tab.addEventListener("click", () => showTab(tab.dataset.tab));
  $("files").addEventListener("change", e => setFiles(e.target.files));
  const drop = $("drop");
  drop.addEventListener("dragover", e => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", e => { e.preventDefault(); drop.classList.remove("over"); setFiles(e.dataTransfer.files); });
  $("ecg-form").addEventListener("submit", classifyRecord);
  $("text-form").addEventListener("submit", classifyText);
  $("filter").addEventListener("change", table);
  $("beats-table").addEventListener("click", jumpTo);
  let pending = false;
  $("table-wrap").addEventListener("scroll", () => {
    if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; drawRows(); }); }
  });
  const act = (id, fn) => $(id).addEventListener("click", () => state.plot && fn(state.plot));
  act("pan-left", p => p.pan(-0.5)); act("pan-right", p => p.pan(0.5));
  act("zoom-in", p => p.zoom(0.5)); act("zoom-out", p => p.zoom(2)); act("zoom-all", p => p.all());
  window.addEventListener("resize", () => state.plot && state.plot.resize(Math.max(320, $("plot").clientWidth)));
  loadRuns().catch(err => showError($("ecg-error"), `could not list the runs: ${err.message}`));
}

document.addEventListener("DOMContentLoaded", wire);
