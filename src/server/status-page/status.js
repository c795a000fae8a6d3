// Status page script: refreshes the server-rendered page and draws its charts with uPlot.
// No framework, no network beyond this exporter. `?refresh=N` sets the refresh period (seconds).
(() => {
  'use strict';
  const params = new URLSearchParams(location.search);
  const periodMs = Math.max(1, Number(params.get('refresh')) || 5) * 1000;
  const conn = document.getElementById('conn');
  const pauseButton = document.getElementById('pause');
  const refreshButton = document.getElementById('refresh');
  let paused = false;
  let timer = 0;
  let inFlight = null;
  let shown = 'hour';
  let data = readData(document);
  let charts = [];
  let signature = '';
  let refreshes = 0;

  function readData(doc) {
    const el = doc.getElementById('chart-data');
    try {
      return el ? JSON.parse(el.textContent || 'null') : null;
    } catch {
      return null;
    }
  }

  function atMs() {
    const v = document.getElementById('verdict');
    return v && v.dataset.atMs ? Number(v.dataset.atMs) : undefined;
  }

  function setConn(text, state) {
    conn.textContent = text;
    conn.dataset.state = state;
  }

  function showState(error) {
    const at = atMs();
    const asOf = at === undefined ? 'waiting for the first cycle' : `data as of ${new Date(at).toLocaleTimeString()}`;
    if (error) setConn(`Connection lost (${error}); retrying. Showing ${asOf}.`, 'error');
    else if (paused) setConn(`Paused; ${asOf}.`, 'paused');
    else setConn(`Live, every ${periodMs / 1000} s; ${asOf}.`, 'live');
  }

  // ---- refresh: fetch this page again, swap <main>, keep the chart section (and its canvases)

  // Swapping <main> under a reader would drop their selection or focus: wait until they are done.
  function busy() {
    const main = document.querySelector('main');
    const sel = window.getSelection();
    const active = document.activeElement;
    const charts = document.getElementById('chart-section');
    return (sel && !sel.isCollapsed && main.contains(sel.anchorNode)) || (main.contains(active) && !(charts && charts.contains(active)));
  }

  async function refresh() {
    if (inFlight) return inFlight;
    inFlight = (async () => {
      const ctl = new AbortController();
      const guard = setTimeout(() => ctl.abort(), 10000);
      try {
        const res = await fetch(location.href, { cache: 'no-store', signal: ctl.signal, headers: { accept: 'text/html' } });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
        const next = doc.querySelector('main');
        if (!next) throw new Error('unexpected answer');
        data = readData(doc);
        if (!busy()) {
          const main = document.querySelector('main');
          const fresh = document.importNode(next, true);
          const keep = document.getElementById('chart-section');
          const slot = fresh.querySelector('#chart-section');
          if (keep && slot) slot.replaceWith(keep);
          const open = new Set([...main.querySelectorAll('details[open][id]')].map((d) => d.id));
          for (const d of fresh.querySelectorAll('details[id]')) d.open = open.has(d.id);
          main.replaceWith(fresh);
          document.title = doc.title;
        }
        draw();
        refreshes += 1;
        document.documentElement.dataset.refreshes = String(refreshes);
        showState();
      } catch (e) {
        showState(e && e.name === 'AbortError' ? 'timed out' : (e && e.message) || 'failed');
      } finally {
        clearTimeout(guard);
        inFlight = null;
        schedule();
      }
    })();
    return inFlight;
  }

  function schedule() {
    clearTimeout(timer);
    if (!paused && document.visibilityState === 'visible') timer = setTimeout(refresh, periodMs);
  }

  // ---- charts

  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const pct = (v) => `${Number((v * 100).toPrecision(3))}%`;
  const usd = (v) => (v >= 0.1 ? `$${v.toFixed(2)}` : `$${Number(v.toPrecision(2))}`);
  const rate = (v) => `${Number(v.toPrecision(3))}`;
  const positive = (xs) => xs.map((v) => (v != null && v > 0 ? v : null));

  function defs(d, h) {
    const flat = (v) => h.t.map(() => v); // reference lines, across the whole range
    const util = [
      { label: 'tokens', data: h.tok, stroke: css('--c-tok'), width: 2 },
      { label: 'GPU', data: h.gpu, stroke: css('--c-gpu'), width: 2 },
      { label: 'alert threshold', data: flat(d.threshold), stroke: css('--muted'), dash: [4, 4], width: 1, ref: true },
    ];
    if (d.breakEven != null) util.push({ label: `break-even vs ${d.ref}`, data: flat(d.breakEven), stroke: css('--c-bad'), dash: [2, 3], width: 1.5, ref: true });
    const cost = [{ label: 'self-hosted', data: positive(h.usd), stroke: css('--c-usd'), width: 2.5 }];
    if (h.usdFull) cost.push({ label: 'fully loaded', data: positive(h.usdFull), stroke: css('--c-full'), width: 1.5 });
    d.ids.forEach((id, i) => cost.push({ label: id, data: positive(h.api[i]), stroke: css(`--c-api${i % 6}`), dash: [6, 3], width: 1.5 }));
    return [
      { id: 'tps', title: 'Tokens per second', fmt: rate, series: [
        { label: 'prompt', data: h.prompt, stroke: css('--c-tok'), width: 2 },
        { label: 'generation', data: h.gen, stroke: css('--c-gen'), width: 2 },
      ] },
      { id: 'util', title: 'Utilisation', fmt: pct, pct: true, series: util },
      { id: 'usd', title: '$ per million tokens vs API list price (log scale)', fmt: usd, tick: (v) => `$${Number(v.toPrecision(2))}`, log: true, series: cost },
    ];
  }

  function options(def, width, few) {
    const fg = css('--muted');
    const grid = css('--grid');
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '11px system-ui, sans-serif' };
    const y = def.pct
      ? { range: (u, min, max) => [0, Math.max(1, max || 0)] }
      : def.log
        ? { distr: 3, log: 10 }
        : { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] };
    return {
      width,
      height: 210,
      title: def.title,
      // the whole hour (or day) up to the snapshot, however little of it is filled yet
      scales: { x: { time: true, range: () => (data && data[shown] ? [data.at - data[shown].span, data.at] : [0, 1]) }, y },
      axes: [axis, { ...axis, size: 54, values: (u, vals) => vals.map((v) => (v == null ? '' : (def.tick || def.fmt)(v))) }],
      legend: { live: true },
      cursor: { points: { size: 6 } },
      series: [
        { value: (u, v) => (v == null ? '—' : new Date(v * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })) },
        ...def.series.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          width: s.width,
          dash: s.dash,
          spanGaps: false,
          points: { show: s.ref ? false : few || undefined, size: 6, fill: s.stroke },
          value: (u, v) => (v == null ? '—' : def.fmt(v)),
        })),
      ],
    };
  }

  // Bucket times, framed by the range's two ends (null in every data series) so the reference
  // lines cross the whole chart even while the history holds one bucket.
  function frame(cols, at) {
    const t = cols.t.map((k) => cols.t0 + k * cols.step);
    const head = t.length && at - cols.span < t[0] ? 1 : 0;
    const tail = t.length && at > t[t.length - 1] ? 1 : 0;
    const pad = (xs) => [...(head ? [null] : []), ...xs, ...(tail ? [null] : [])];
    const h = { few: t.length <= 2, t: pad(t), api: cols.api.map(pad) };
    if (head) h.t[0] = at - cols.span;
    if (tail) h.t[h.t.length - 1] = at;
    for (const k of ['prompt', 'gen', 'tok', 'gpu', 'usd', 'usdFull']) if (cols[k]) h[k] = pad(cols[k]);
    return h;
  }

  function draw() {
    const box = document.getElementById('charts');
    if (!box || typeof uPlot !== 'function') return;
    const cols = data && data[shown];
    if (!cols || cols.t.length === 0) {
      for (const c of charts) c.destroy();
      charts = [];
      signature = '';
      box.innerHTML = '<p class="note empty">No history yet: the charts fill in as buckets complete.</p>';
      return;
    }
    const h = frame(cols, data.at);
    const ds = defs(data, h);
    const sig = JSON.stringify([shown, h.few, ds.map((d) => d.series.map((s) => s.label))]);
    if (sig === signature) {
      ds.forEach((d, i) => charts[i].setData([h.t, ...d.series.map((s) => s.data)]));
      return;
    }
    for (const c of charts) c.destroy();
    box.textContent = '';
    const width = chartWidth(box);
    charts = ds.map((d) => {
      const el = document.createElement('figure');
      el.className = 'chart';
      el.dataset.chart = d.id;
      el.setAttribute('aria-label', `${d.title}, chart`);
      box.append(el);
      return new uPlot(options(d, width, h.few), [h.t, ...d.series.map((s) => s.data)], el);
    });
    signature = sig;
  }

  function chartWidth(box) {
    const cols = getComputedStyle(box).gridTemplateColumns.split(' ').filter(Boolean).length || 1;
    const gap = parseFloat(getComputedStyle(box).columnGap) || 0;
    return Math.max(260, Math.floor((box.clientWidth - gap * (cols - 1)) / cols));
  }

  let resizeTimer = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      const box = document.getElementById('charts');
      if (!box) return;
      const width = chartWidth(box);
      for (const c of charts) c.setSize({ width, height: 210 });
    }, 100);
  });

  // ---- controls

  document.addEventListener('click', (e) => {
    const b = e.target instanceof Element ? e.target.closest('button[data-range]') : null;
    if (!b) return;
    shown = b.dataset.range;
    for (const x of document.querySelectorAll('button[data-range]')) x.setAttribute('aria-pressed', String(x === b));
    draw();
  });
  pauseButton.hidden = false;
  refreshButton.hidden = false;
  pauseButton.addEventListener('click', () => {
    paused = !paused;
    pauseButton.textContent = paused ? 'Resume' : 'Pause';
    pauseButton.setAttribute('aria-pressed', String(paused));
    showState();
    schedule();
  });
  refreshButton.addEventListener('click', () => {
    refresh();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && !paused) refresh();
    else clearTimeout(timer);
  });

  draw();
  showState();
  schedule();
})();
