// Olla dashboard: read-only, polls Olla's own JSON routes. No framework, no build step.
'use strict';

const VISIBLE_MS = { status: 2000, models: 5000 };
const HIDDEN_MS = 30000;        // back off while the tab is hidden
const STALE_AFTER = 3;          // intervals without an answer before a panel is marked stale
const HISTORY = 60;             // points kept per chart

const state = {
  last: {},                     // panel -> time of the last good answer
  prevTotals: null,             // { t, requests, tokens } of the previous status answer
  rps: [], tps: [],
  models: null, stats: null,
  endpointStatus: new Map(),    // endpoint -> health, from the last status answer
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? '' : String(c)));
  return e;
}

function fmt(n, digits = 0) {
  if (n == null || Number.isNaN(n)) return '–';
  return Number(n).toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function ms(v) { return v == null || v === 0 ? '–' : fmt(v, v < 10 ? 1 : 0) + ' ms'; }

function healthClass(status) {
  if (status === 'healthy') return 'ok';
  if (status === 'busy' || status === 'warming') return 'warn';
  return 'bad';
}

async function getJson(path) {
  const res = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-cache' });
  if (!res.ok) throw new Error(path + ': HTTP ' + res.status);
  return res.json();
}

function spark(svg, values) {
  svg.replaceChildren();
  if (values.length < 2) return;
  const max = Math.max(1, ...values);
  const step = 300 / (HISTORY - 1);
  const offset = (HISTORY - values.length) * step;
  const pts = values.map((v, i) => `${(offset + i * step).toFixed(1)},${(58 - (v / max) * 54).toFixed(1)}`);
  const ns = 'http://www.w3.org/2000/svg';
  const area = document.createElementNS(ns, 'polygon');
  area.setAttribute('points', `${offset.toFixed(1)},60 ${pts.join(' ')} 300,60`);
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', pts.join(' '));
  svg.append(area, line);
  svg.setAttribute('data-max', String(max));
  svg.setAttribute('data-last', String(values[values.length - 1]));
}

function push(series, v) {
  series.push(v);
  if (series.length > HISTORY) series.shift();
}

// ---------------------------------------------------------------- status: overview + endpoints

function renderStatus(s) {
  const sys = s.system || {};
  const pill = $('system-status');
  pill.textContent = sys.status || 'unknown';
  pill.className = 'pill ' + (sys.status || '');
  $('total-requests').textContent = fmt(sys.total_requests);
  $('success-rate').textContent = sys.success_rate || '–';
  $('failures').textContent = fmt(sys.total_failures) + ' failed';
  $('avg-latency').textContent = sys.avg_latency || '–';
  $('endpoints-up').textContent = (sys.endpoints_up || '–') + ' endpoints up';
  $('traffic').textContent = sys.total_traffic || '–';
  $('connections').textContent = fmt(sys.active_connections) + ' in flight';
  $('uptime').textContent = sys.uptime || '–';
  const p = s.proxy || {};
  $('engine').textContent = [p.engine, p.balancer].filter(Boolean).join(' · ');

  const endpoints = s.endpoints || [];
  state.endpointStatus = new Map(endpoints.map((e) => [e.name, e.status]));
  let tokens = 0;
  for (const e of endpoints) tokens += (e.tokens && e.tokens.completion_tokens) || 0;
  const now = performance.now();
  if (state.prevTotals) {
    const dt = (now - state.prevTotals.t) / 1000;
    if (dt > 0) {
      const rps = Math.max(0, (sys.total_requests - state.prevTotals.requests) / dt);
      const tps = Math.max(0, (tokens - state.prevTotals.tokens) / dt);
      push(state.rps, rps);
      push(state.tps, tps);
      $('request-rate').textContent = fmt(rps, 1) + ' req/s';
      $('tokens-per-second').textContent = fmt(tps, 1);
    }
  }
  state.prevTotals = { t: now, requests: sys.total_requests || 0, tokens };
  $('completion-tokens').textContent = fmt(tokens) + ' tokens out';
  spark($('chart-rps'), state.rps);
  spark($('chart-tps'), state.tps);

  const rows = endpoints.map((e) => {
    const t = e.tokens || {};
    const hc = healthClass(e.status);
    const breaker = e.circuit_breaker || 'closed';
    return el('tr', { class: hc, 'data-endpoint': e.name, 'data-status': e.status },
      el('td', {}, el('strong', {}, e.name)),
      el('td', {}, e.type),
      el('td', { class: 'status ' + hc }, e.status),
      el('td', { class: 'status ' + (breaker === 'closed' ? 'ok' : breaker === 'open' ? 'bad' : 'warn') }, breaker),
      el('td', { class: 'in-flight' }, fmt(e.connections)),
      el('td', { class: 'slots' }, slots(e.capacity)),
      el('td', { class: 'requests' }, fmt(e.requests)),
      el('td', {}, e.success_rate),
      el('td', {}, e.avg_latency),
      el('td', { class: 'tps' }, t.tokens_per_second ? fmt(t.tokens_per_second, 1) : '–'),
      el('td', {}, ms(t.ttft_p50_ms)),
      el('td', {}, e.issues || ''));
  });
  $('endpoint-rows').replaceChildren(...(rows.length ? rows
    : [el('tr', {}, el('td', { colspan: '12', class: 'empty' }, 'no endpoints configured'))]));
}

// What the backend reports of its own load (placement): "busy/total", loaded models, Olla's queue.
function slots(c) {
  if (!c) return '–';
  const parts = [];
  if (c.slots_total != null) parts.push(fmt(c.slots_busy ?? 0) + '/' + fmt(c.slots_total) + ' busy');
  else if (c.slots_busy != null) parts.push(fmt(c.slots_busy) + ' running');
  if (c.backend_waiting) parts.push(fmt(c.backend_waiting) + ' waiting');
  if (c.loaded_models) parts.push(c.loaded_models.length + ' loaded');
  if (c.queued) parts.push(fmt(c.queued) + ' queued');
  return parts.length ? parts.join(', ') : '–';
}

// ---------------------------------------------------------------- models

function renderModels() {
  // statistics rows use the routing name (lower case); listings keep the model's own spelling
  const key = (n) => String(n).toLowerCase();
  const stats = new Map();
  for (const m of (state.stats && state.stats.models) || []) stats.set(key(m.name), m);
  const listed = (state.models && state.models.data) || [];
  const byId = new Map(listed.map((m) => [key(m.id), m]));
  const names = new Map(listed.map((m) => [key(m.id), m.id]));
  for (const [k, m] of stats) if (!names.has(k)) names.set(k, m.name);
  const rows = [...names.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([k, name]) => {
    const m = byId.get(k);
    const st = stats.get(k) || {};
    const t = st.tokens || {};
    const where = el('td', { class: 'where' });
    for (const a of (m && m.olla && m.olla.availability) || []) {
      const health = state.endpointStatus.get(a.endpoint);
      const up = !health || healthClass(health) !== 'bad';
      const ok = up && (a.state === 'available' || a.state === 'loaded');
      // live residency from the backend (placement): not loaded = the first request waits for a load
      const why = up ? (a.loaded === false ? 'cold' : a.state) : health;
      where.append(el('span', { class: ok ? 'ok' : 'bad', title: why },
        a.endpoint + (ok ? (a.loaded === false ? ' (cold)' : '') : ' (' + why + ')')));
    }
    if (!m) where.append(el('span', {}, name === 'unknown' ? 'names no endpoint serves' : 'not listed'));
    return el('tr', { 'data-model': name },
      el('td', {}, el('strong', {}, name)),
      where,
      el('td', { class: 'requests' }, fmt(st.total_requests || 0)),
      el('td', {}, st.total_requests ? fmt(st.success_rate, 1) + '%' : '–'),
      el('td', {}, ms(st.p95_latency)),
      el('td', { class: 'ttft' }, ms(t.ttft_p50_ms)),
      el('td', {}, ms(t.ttft_p95_ms)),
      el('td', { class: 'tps' }, t.tokens_per_second ? fmt(t.tokens_per_second, 1) : '–'),
      el('td', {}, fmt(t.completion_tokens || 0)));
  });
  $('model-rows').replaceChildren(...(rows.length ? rows
    : [el('tr', {}, el('td', { colspan: '9', class: 'empty' }, 'no models discovered yet'))]));
}

// ---------------------------------------------------------------- polling

const pollers = {
  status: async () => renderStatus(await getJson('/internal/status')),
  models: async () => {
    const [models, stats] = await Promise.all([getJson('/olla/models'), getJson('/internal/stats/models')]);
    state.models = models;
    state.stats = stats;
    renderModels();
  },
};

function interval(panel) {
  return document.hidden ? HIDDEN_MS : VISIBLE_MS[panel];
}

const timers = {};

function schedule(panel, delay) {
  clearTimeout(timers[panel]);
  const jitter = delay * (0.9 + Math.random() * 0.2);
  timers[panel] = setTimeout(() => poll(panel), jitter);
}

async function poll(panel) {
  try {
    await pollers[panel]();
    state.last[panel] = Date.now();
  } catch (e) {
    console.warn('dashboard:', e.message);
  }
  markStale();
  schedule(panel, interval(panel));
}

function markStale() {
  const now = Date.now();
  let anyStale = false;
  for (const panel of Object.keys(pollers)) {
    const last = state.last[panel];
    const stale = !last || now - last > STALE_AFTER * VISIBLE_MS[panel] && !document.hidden;
    if (stale && last) anyStale = true;
    document.querySelectorAll(`[data-panel="${panel}"]`).forEach((p) => p.classList.toggle('stale', !!(stale && last)));
  }
  const f = $('freshness');
  const newest = Math.max(0, ...Object.values(state.last));
  if (!newest) { f.textContent = 'waiting for data'; return; }
  const age = Math.round((now - newest) / 1000);
  f.textContent = anyStale ? `stale: no answer for ${age}s` : `updated ${new Date(newest).toLocaleTimeString()}`;
  f.classList.toggle('stale', anyStale);
  document.body.classList.toggle('stale', anyStale);
}

document.addEventListener('visibilitychange', () => {
  if (!document.hidden) for (const p of Object.keys(pollers)) schedule(p, 0);
});

function theme() {
  const saved = localStorage.getItem('olla-theme');
  const dark = saved ? saved === 'dark' : window.matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.classList.toggle('dark', dark);
  $('theme').addEventListener('click', () => {
    const d = !document.documentElement.classList.contains('dark');
    document.documentElement.classList.toggle('dark', d);
    localStorage.setItem('olla-theme', d ? 'dark' : 'light');
  });
}

theme();
setInterval(markStale, 1000);
for (const p of Object.keys(pollers)) poll(p);
