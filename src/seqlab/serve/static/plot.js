/* seqlab ECG plot: the filtered lead with every beat marked in its class colour (uPlot).
 * EcgPlot(main, strip, data) draws the signal in `main` and a whole-record strip in `strip`;
 * dragging on the strip moves the window, dragging or the wheel on the main plot zooms. */
"use strict";

const CLASS_COLOURS = ["#2563eb", "#f59e0b", "#dc2626", "#7c3aed", "#0d9488", "#db2777", "#65a30d", "#475569"];

function classColour(i) { return CLASS_COLOURS[i % CLASS_COLOURS.length]; }

function lowerBound(arr, v) {
  let lo = 0, hi = arr.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (arr[mid] < v) lo = mid + 1; else hi = mid; }
  return lo;
}

function fromBase64(text) {
  if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);
  const bin = atob(text), bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/* int16 steps of sig.scale mV -> Float32Array in mV */
function decodeSignal(sig) {
  const steps = new Int16Array(fromBase64(sig.data).buffer), out = new Float32Array(steps.length);
  for (let i = 0; i < steps.length; i++) out[i] = steps[i] * sig.scale;
  return out;
}

/* ~4000 buckets, each keeping its sample of largest magnitude (R peaks survive the squeeze) */
function envelope(xs, ys, buckets) {
  const n = ys.length, step = Math.max(1, Math.ceil(n / buckets));
  const ox = [], oy = [];
  for (let s = 0; s < n; s += step) {
    let best = s;
    for (let i = s + 1; i < Math.min(n, s + step); i++) if (Math.abs(ys[i]) > Math.abs(ys[best])) best = i;
    ox.push(xs[best]); oy.push(ys[best]);
  }
  return [ox, oy];
}

class EcgPlot {
  constructor(main, strip, res, onWindow) {
    this.res = res;
    this.onWindow = onWindow;
    this.y = decodeSignal(res.signal);
    const fs = res.signal.fs, n = this.y.length;
    this.x = new Float64Array(n);
    for (let i = 0; i < n; i++) this.x[i] = i / fs;
    this.end = n ? this.x[n - 1] : 0;
    this.beatT = res.beats.sample.map(s => s / res.fs);
    this.beatY = res.beats.sample.map(s => this.y[Math.min(n - 1, Math.round(s / res.fs * fs))]);
    this.mismatch = new Set(res.reference ? res.reference.mismatch : []);
    this.selected = -1;
    const width = Math.max(320, main.clientWidth);
    this.plot = new uPlot(this.mainOpts(width), [this.x, this.y], main);
    this.strip = new uPlot(this.stripOpts(width), envelope(this.x, this.y, 4000), strip);
    this.wheel(main);
    this.clicks(this.strip.over);
    this.show(0, Math.min(this.end, 10));
  }

  mainOpts(width) {
    return {
      width, height: 300, pxAlign: 0,
      scales: { x: { time: false }, y: { auto: true } },
      axes: [{ label: "time (s)" }, { label: "mV", size: 50 }],
      legend: { show: false },
      cursor: { drag: { x: true, y: false }, points: { show: false } },
      series: [{}, { stroke: "#111827", width: 1, points: { show: false } }],
      hooks: { draw: [u => this.drawBeats(u)], setScale: [(u, key) => key === "x" && this.scaled(u)] },
    };
  }

  stripOpts(width) {
    return {
      width, height: 70, legend: { show: false },
      scales: { x: { time: false, auto: false, range: () => [0, this.end] } },
      axes: [{ show: false }, { show: false }],
      cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
      series: [{}, { stroke: "#94a3b8", width: 1, points: { show: false } }],
      hooks: {
        draw: [u => this.drawStrip(u)],
        setSelect: [u => {
          if (u.select.width > 2) this.show(u.posToVal(u.select.left, "x"), u.posToVal(u.select.left + u.select.width, "x"));
          u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
        }],
      },
    };
  }

  wheel(el) {
    el.addEventListener("wheel", e => {
      e.preventDefault();
      const u = this.plot, rect = u.over.getBoundingClientRect();
      const at = u.posToVal(e.clientX - rect.left, "x");
      const f = e.deltaY < 0 ? 0.75 : 1 / 0.75;
      this.show(at - (at - u.scales.x.min) * f, at + (u.scales.x.max - at) * f);
    }, { passive: false });
  }

  /* a click on the strip (no drag) centres the window there */
  clicks(over) {
    let down = null;
    over.addEventListener("mousedown", e => { down = e.clientX; });
    over.addEventListener("mouseup", e => {
      if (down !== null && Math.abs(e.clientX - down) < 3) this.centre(this.strip.posToVal(e.clientX - over.getBoundingClientRect().left, "x"));
      down = null;
    });
  }

  /* set the window [a, b] seconds, kept inside the record, at least 0.5 s wide */
  show(a, b) {
    let w = Math.max(0.5, Math.min(b - a, this.end || 1));
    a = Math.max(0, Math.min(a, this.end - w));
    this.plot.setScale("x", { min: a, max: a + w });
  }

  centre(t) { const w = this.width(); this.show(t - w / 2, t + w / 2); }
  width() { return this.plot.scales.x.max - this.plot.scales.x.min; }
  pan(f) { const u = this.plot; this.show(u.scales.x.min + f * this.width(), u.scales.x.max + f * this.width()); }
  zoom(f) { const u = this.plot, c = (u.scales.x.min + u.scales.x.max) / 2, w = this.width() * f; this.show(c - w / 2, c + w / 2); }
  all() { this.show(0, this.end); }

  select(i) {
    this.selected = i;
    const t = this.beatT[i];
    this.show(t - 3, t + 3);
  }

  scaled(u) {
    const s = u.scales.x, el = u.root.parentElement;
    el.dataset.xmin = s.min.toFixed(3);
    el.dataset.xmax = s.max.toFixed(3);
    if (this.strip) this.strip.redraw(false, false);
    if (this.onWindow) this.onWindow(s.min, s.max);
  }

  drawBeats(u) {
    const ctx = u.ctx, res = this.res, lo = lowerBound(this.beatT, u.scales.x.min);
    const hi = lowerBound(this.beatT, u.scales.x.max), few = hi - lo <= 60, px = devicePixelRatio || 1;
    const ref = res.reference;
    ctx.save();
    ctx.beginPath(); ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height); ctx.clip();
    ctx.font = `${11 * px}px system-ui, sans-serif`; ctx.textAlign = "center";
    for (let i = lo; i < hi; i++) {
      const c = res.beats.class[i], cx = u.valToPos(this.beatT[i], "x", true), cy = u.valToPos(this.beatY[i], "y", true);
      if (i === this.selected) {
        ctx.fillStyle = "rgba(250, 204, 21, 0.35)";
        ctx.fillRect(cx - 14 * px, u.bbox.top, 28 * px, u.bbox.height);
      }
      if (this.mismatch.has(i)) {
        ctx.strokeStyle = "#dc2626"; ctx.lineWidth = 2 * px;
        ctx.beginPath(); ctx.arc(cx, cy, 8 * px, 0, 2 * Math.PI); ctx.stroke();
      }
      ctx.fillStyle = classColour(c);
      ctx.beginPath(); ctx.arc(cx, cy, 4 * px, 0, 2 * Math.PI); ctx.fill();
      if (few) {
        ctx.fillText(res.classes[c], cx, u.bbox.top + 12 * px);
        if (ref && ref.symbol[i]) { ctx.fillStyle = "#64748b"; ctx.fillText(ref.symbol[i], cx, u.bbox.top + u.bbox.height - 4 * px); }
      }
    }
    ctx.restore();
  }

  drawStrip(u) {
    const ctx = u.ctx, main = this.plot.scales.x, res = this.res, px = devicePixelRatio || 1;
    ctx.save();
    for (let i = 0; i < this.beatT.length; i++) {
      const c = res.beats.class[i];
      if (c === 0 && !this.mismatch.has(i)) continue;  // the first class (N) would only fill the strip
      ctx.fillStyle = this.mismatch.has(i) ? "#111827" : classColour(c);
      ctx.fillRect(u.valToPos(this.beatT[i], "x", true) - px / 2, u.bbox.top + u.bbox.height - 10 * px, Math.max(1, px), 10 * px);
    }
    if (main && main.min != null) {
      const a = u.valToPos(main.min, "x", true), b = u.valToPos(main.max, "x", true);
      ctx.fillStyle = "rgba(37, 99, 235, 0.15)"; ctx.strokeStyle = "#2563eb"; ctx.lineWidth = px;
      ctx.fillRect(a, u.bbox.top, Math.max(2 * px, b - a), u.bbox.height);
      ctx.strokeRect(a, u.bbox.top, Math.max(2 * px, b - a), u.bbox.height);
    }
    ctx.restore();
  }

  resize(width) {
    this.plot.setSize({ width, height: 300 });
    this.strip.setSize({ width, height: 70 });
  }

  destroy() { this.plot.destroy(); this.strip.destroy(); }
}

window.EcgPlot = EcgPlot;
window.classColour = classColour;
window.fromBase64 = fromBase64;
