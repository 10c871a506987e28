// The Meridian console: reads this region's live overview (GET /v1/overview as Server-Sent Events,
// one document a second with every region's /v1/status), turns consecutive documents into rates,
// and draws them. No framework, no build step; uPlot draws the charts.

const HISTORY = 300; // points kept per chart: five minutes at one a second
const PALETTE = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#db2777', '#0891b2', '#65a30d', '#475569'];

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'title' || k === 'scope') e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c ?? ''));
  return e;
};
const fmt = (v, digits = 0) => (v === null || v === undefined || Number.isNaN(v)) ? '–'
  : Number(v).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const td = (v, cls) => el('td', { class: cls }, v);
const num = (v, digits) => td(fmt(v, digits), 'num');

let previous = null;   // the overview before the current one
let failoverPolicy = null;
const history = { t: [], lag: new Map(), rate: new Map(), latency: new Map() };
const charts = {};

// ---- rates from two overviews -------------------------------------------------------------

function statusesByRegion(overview) {
  const out = new Map();
  for (const s of overview.statuses) out.set(s.region, s);
  return out;
}

/** The cumulative count at bound b, from a bucket map listing only bounds where the count grew. */
function cumulativeAt(buckets, bound) {
  let at = 0;
  for (const [b, n] of Object.entries(buckets || {})) {
    if (Number(b) <= bound) at = Math.max(at, n);
  }
  return at;
}

/** The q-quantile (ms, to the bucket's upper bound) of the requests between two request lists. */
function quantileBetween(now, before, q) {
  const bounds = new Set();
  let total = 0;
  for (const r of now) {
    total += r.count - (before.find((b) => b.keyspace === r.keyspace && b.operation === r.operation)?.count || 0);
    Object.keys(r.buckets || {}).forEach((b) => bounds.add(Number(b)));
  }
  if (total <= 0) return null;
  const sorted = [...bounds].sort((a, b) => a - b);
  for (const bound of sorted) {
    let under = 0;
    for (const r of now) {
      const b = before.find((x) => x.keyspace === r.keyspace && x.operation === r.operation);
      under += cumulativeAt(r.buckets, bound) - (b ? cumulativeAt(b.buckets, bound) : 0);
    }
    if (under >= q * total) return bound;
  }
  return sorted.length ? sorted[sorted.length - 1] : null; // beyond the last bound: at least it
}

function regionRates(now, before) {
  if (!now || now.error || !before || before.error) return null;
  const dt = (now.at_ms - before.at_ms) / 1000;
  if (dt <= 0) return null;
  const sum = (list, f) => list.reduce((a, r) => a + f(r), 0);
  const count = sum(now.requests, (r) => r.count) - sum(before.requests, (r) => r.count);
  const ops = new Map();
  for (const r of now.requests) {
    const list = ops.get(r.operation) || [];
    list.push(r);
    ops.set(r.operation, list);
  }
  const p99ByOperation = new Map();
  for (const [op, list] of ops) {
    p99ByOperation.set(op, quantileBetween(list, before.requests.filter((b) => b.operation === op), 0.99));
  }
  const sent = new Map();
  for (const p of now.replication?.peers || []) {
    const b = (before.replication?.peers || []).find((x) => x.region === p.region);
    if (b) sent.set(p.region, (p.bytes_sent - b.bytes_sent) / dt);
  }
  const byKeyspace = new Map();
  for (const r of now.requests) {
    const b = before.requests.find((x) => x.keyspace === r.keyspace && x.operation === r.operation);
    byKeyspace.set(r.keyspace, (byKeyspace.get(r.keyspace) || 0) + (r.count - (b ? b.count : 0)) / dt);
  }
  const conflictsByKeyspace = new Map();
  for (const [k, n] of Object.entries(now.replication?.conflicts_by_keyspace || {})) {
    conflictsByKeyspace.set(k, (n - (before.replication?.conflicts_by_keyspace?.[k] || 0)) / dt * 60);
  }
  return {
    requestsPerSecond: count / dt,
    errorsPerSecond: (sum(now.requests, (r) => r.errors) - sum(before.requests, (r) => r.errors)) / dt,
    p99: quantileBetween(now.requests, before.requests, 0.99),
    p99ByOperation,
    bytesPerSecond: sent,
    byKeyspace,
    conflictsByKeyspace,
    conflictsPerMinute: now.replication && before.replication
      ? (now.replication.conflicts_detected - before.replication.conflicts_detected) / dt * 60 : null,
  };
}

// ---- what each region and link is --------------------------------------------------------

function failoverRegion(overview, name) {
  return overview.failovers?.regions?.find((r) => r.name === name) || null;
}

/** The region's state: its control-plane status, or what this region's detector says of it. */
function regionState(overview, name, status) {
  const control = failoverRegion(overview, name);
  const detector = overview.failovers?.peers?.find((p) => p.name === name);
  if (control && control.status !== 'active') return control.status;
  if (detector?.suspected) return 'suspected';
  if (!status || status.error) return 'unreachable';
  return control ? 'active' : 'up';
}

/**
 * How one region's detector sees a peer: 'cut' once a probe failed, 'silent' when no probe was
 * answered for three probe intervals plus two round trips (a cut link shows here before the probe
 * in flight times out), else 'up'; null when the region did not answer.
 */
function seenFrom(status, peer) {
  if (!status || status.error) return null;
  const p = status.peers.find((x) => x.region === peer);
  if (!p) return null;
  if (!p.reachable) return 'cut';
  const quiet = Math.max(1000, 3 * status.probe_interval_ms + 2 * (p.rtt_avg_ms || 0));
  return p.silent_ms !== null && p.silent_ms !== undefined && p.silent_ms > quiet ? 'silent' : 'up';
}

/** A direction's state, from both ends' detectors (a probe is a round trip: either end sees the link). */
function linkState(statuses, source, target) {
  const seen = [seenFrom(statuses.get(source), target), seenFrom(statuses.get(target), source)];
  for (const state of ['cut', 'silent', 'up']) {
    if (seen.includes(state)) return state;
  }
  return 'unknown';
}

function canaryP99(statuses, source, target) {
  const t = statuses.get(target);
  const src = t && !t.error ? t.canary?.sources?.find((x) => x.source === source) : null;
  return src ? src.p99_ms : null;
}

// ---- drawing ----------------------------------------------------------------------------

function renderHeader(overview, statuses) {
  $('served-by').textContent = `· console of ${overview.region}`;
  document.title = `Meridian · ${overview.region}`;
  const f = overview.failovers;
  $('epoch').textContent = f ? f.epoch : '–';
  $('policy').textContent = f ? f.policy : 'no failover';
  $('leader').textContent = f?.control_leader || '–';
  $('updated').textContent = new Date(overview.at_ms).toLocaleTimeString();
  failoverPolicy = f?.policy || null;
}

function renderRegions(overview, statuses, rates) {
  const body = $('region-table').tBodies[0];
  body.replaceChildren();
  for (const r of overview.regions) {
    const s = statuses.get(r.name);
    const rate = rates.get(r.name);
    const state = regionState(overview, r.name, s);
    const lease = !s || s.error || !s.lease ? '–' : s.lease.held ? 'held' : 'none';
    body.append(el('tr', { 'data-region': r.name, 'data-state': state },
      el('th', { scope: 'row' }, r.name, el('span', { class: 'muted' }, r.location ? ` ${r.location}` : ''),
        r.witness ? el('span', { class: 'badge' }, 'witness') : ''),
      el('td', {}, el('span', { class: `state ${state}` }, state),
        s?.error ? el('span', { class: 'muted small', title: s.error }, ` ${s.error}`) : ''),
      td(lease),
      num(rate?.requestsPerSecond, 1), num(rate?.p99, 1), num(rate?.errorsPerSecond, 1),
      num(s && !s.error ? s.replication?.unreplicated_writes : null),
      num(rate?.conflictsPerMinute, 1)));
  }
}

function directions(overview) {
  const data = overview.regions.filter((r) => !r.witness).map((r) => r.name);
  const out = [];
  for (const a of overview.regions.map((r) => r.name)) {
    for (const b of overview.regions.map((r) => r.name)) {
      if (a !== b) out.push([a, b, data.includes(a) && data.includes(b)]);
    }
  }
  return out;
}

function renderLinks(overview, statuses, rates) {
  const body = $('link-table').tBodies[0];
  body.replaceChildren();
  for (const [a, b] of directions(overview)) {
    const s = statuses.get(a);
    const peer = s && !s.error ? s.peers.find((p) => p.region === b) : null;
    const stream = s && !s.error ? s.replication?.peers?.find((p) => p.region === b) : null;
    const state = linkState(statuses, a, b);
    const bps = rates.get(a)?.bytesPerSecond?.get(b);
    body.append(el('tr', { 'data-link': `${a}>${b}`, 'data-state': state },
      el('th', { scope: 'row' }, `${a} → ${b}`),
      el('td', {}, el('span', { class: `state ${state}` }, state)),
      num(peer?.rtt_ms, 1), num(stream?.lag_ms), num(stream?.lag_entries), num(canaryP99(statuses, a, b)),
      num(bps === undefined ? null : bps / 1024, 1)));
  }
  renderMap(overview, statuses);
}

function renderMap(overview, statuses) {
  const svg = $('map');
  const ns = 'http://www.w3.org/2000/svg';
  const names = overview.regions.map((r) => r.name);
  const cx = 180; const cy = 120; const radius = 85;
  const at = new Map(names.map((n, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / names.length;
    return [n, [cx + radius * Math.cos(angle) * 1.45, cy + radius * Math.sin(angle)]];
  }));
  svg.replaceChildren();
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const [a, b] = [names[i], names[j]];
      const states = [linkState(statuses, a, b), linkState(statuses, b, a)];
      const state = ['cut', 'silent', 'unknown', 'up'].find((x) => states.includes(x));
      const line = document.createElementNS(ns, 'line');
      const [x1, y1] = at.get(a); const [x2, y2] = at.get(b);
      Object.entries({ x1, y1, x2, y2, class: `link ${state}` }).forEach(([k, v]) => line.setAttribute(k, v));
      const title = document.createElementNS(ns, 'title');
      title.textContent = `${a} – ${b}: ${state}`;
      line.append(title);
      svg.append(line);
      const rtt = statuses.get(a)?.peers?.find((p) => p.region === b)?.rtt_ms ?? statuses.get(b)?.peers?.find((p) => p.region === a)?.rtt_ms;
      const label = document.createElementNS(ns, 'text');
      label.setAttribute('x', (x1 + x2) / 2); label.setAttribute('y', (y1 + y2) / 2 - 4);
      label.setAttribute('class', 'rtt');
      label.textContent = state === 'cut' || state === 'silent' ? state : rtt !== undefined && rtt !== null ? `${Math.round(rtt)} ms` : '';
      svg.append(label);
    }
  }
  for (const r of overview.regions) {
    const [x, y] = at.get(r.name);
    const state = regionState(overview, r.name, statuses.get(r.name));
    const dot = document.createElementNS(ns, 'circle');
    Object.entries({ cx: x, cy: y, r: 11, class: `node ${state}` }).forEach(([k, v]) => dot.setAttribute(k, v));
    const label = document.createElementNS(ns, 'text');
    label.setAttribute('x', x); label.setAttribute('y', y < cy ? y - 17 : y + 27); // above the top node, under the others
    label.setAttribute('class', 'name');
    label.textContent = r.name;
    svg.append(dot, label);
  }
}

function declared(k) {
  const parts = [];
  const o = k.options || {};
  if (o.primary) parts.push(`written in ${o.primary}`);
  if (o.sync) parts.push(`${o.sync} commit`);
  if (o.resolver) parts.push(`conflicts: ${o.resolver}`);
  if (o.type) parts.push(`type ${o.type}`);
  if (k.rpo_budget_ms !== null && k.rpo_budget_ms !== undefined) {
    parts.push(`RPO ≤ ${k.rpo_budget_ms} ms (${k.on_budget_exceeded || 'wait'})`);
  }
  return parts.join('; ') || '–';
}

function renderKeyspaces(overview, statuses, rates) {
  const body = $('keyspace-table').tBodies[0];
  body.replaceChildren();
  const asynchronous = (p) => !['strong', 'local'].includes(p);
  let worstCanary = null;
  for (const [a, b, data] of directions(overview)) {
    const p99 = data ? canaryP99(statuses, a, b) : null;
    if (p99 !== null && p99 !== undefined && (worstCanary === null || p99 > worstCanary.ms)) worstCanary = { ms: p99, link: `${a} → ${b}` };
  }
  for (const k of overview.keyspaces) {
    let unreplicated = 0; let oldest = 0; let any = false; let perSecond = 0; let writer = '–'; let conflicts = null;
    for (const s of statuses.values()) {
      if (s.error) continue;
      const e = s.exposure?.keyspaces?.find((x) => x.keyspace === k.name);
      if (e) { any = true; unreplicated += e.writes; oldest = Math.max(oldest, e.oldest_age_ms); }
      const g = s.strong?.find((x) => x.keyspace === k.name);
      if (g?.leader) writer = `leader ${g.leader}`;
      perSecond += rates.get(s.region)?.byKeyspace?.get(k.name) || 0;
      const c = rates.get(s.region)?.conflictsByKeyspace;
      if (c && asynchronous(k.policy)) conflicts = (conflicts || 0) + (c.get(k.name) || 0);
    }
    if (k.policy === 'primary') writer = k.options?.primary || writer;
    if (k.policy === 'home-region' || k.policy === 'multi-master' || k.policy === 'crdt' || k.policy === 'event-log') {
      writer = k.policy === 'multi-master' || k.policy === 'crdt' ? 'every region' : 'each key\'s home';
    }
    const over = k.rpo_budget_ms !== null && k.rpo_budget_ms !== undefined && oldest > k.rpo_budget_ms;
    body.append(el('tr', { 'data-keyspace': k.name },
      el('th', { scope: 'row' }, k.name), td(k.policy), td((k.residency || []).join(', ') || 'everywhere'),
      td(declared(k)),
      el('td', { class: 'num', title: worstCanary && asynchronous(k.policy) ? worstCanary.link : null },
        asynchronous(k.policy) && worstCanary ? fmt(worstCanary.ms) : '–'),
      num(any ? unreplicated : null),
      el('td', { class: `num${over ? ' over' : ''}` }, any ? fmt(oldest) : '–'),
      num(conflicts, 1), num(perSecond, 1), td(writer)));
  }
}

// ---- charts -----------------------------------------------------------------------------

function push(series, key, t, value) {
  if (!series.has(key)) series.set(key, new Array(history.t.length - 1).fill(null));
  series.get(key).push(value === undefined ? null : value);
}

function record(overview, statuses, rates) {
  const t = overview.at_ms / 1000;
  history.t.push(t);
  for (const [a, b, data] of directions(overview)) {
    if (!data) continue;
    const s = statuses.get(a);
    const stream = s && !s.error ? s.replication?.peers?.find((p) => p.region === b) : null;
    push(history.lag, `${a} → ${b}`, t, stream ? stream.lag_ms : null);
  }
  for (const r of overview.regions.filter((x) => !x.witness)) {
    const rate = rates.get(r.name);
    push(history.rate, r.name, t, rate ? rate.requestsPerSecond : null);
    for (const [op, p99] of rate?.p99ByOperation || []) push(history.latency, `${r.name} ${op}`, t, p99);
  }
  for (const series of [history.lag, history.rate, history.latency]) {
    for (const values of series.values()) {
      while (values.length < history.t.length) values.push(null);
    }
  }
  while (history.t.length > HISTORY) {
    history.t.shift();
    for (const series of [history.lag, history.rate, history.latency]) series.forEach((v) => v.shift());
  }
}

function draw(id, series, unit) {
  const host = $(id);
  if (typeof uPlot === 'undefined' || host.clientWidth === 0) return;
  const keys = [...series.keys()].sort();
  const data = [history.t, ...keys.map((k) => series.get(k))];
  const signature = keys.join('|');
  const width = host.clientWidth;
  let chart = charts[id];
  if (!chart || chart.signature !== signature) {
    chart?.plot.destroy();
    const opts = {
      width, height: 200,
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(max || 0, 1) * 1.1] } },
      axes: [{}, { label: unit, size: 60 }],
      series: [{}, ...keys.map((k, i) => ({ label: k, stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: false }))],
      legend: { live: true },
    };
    chart = charts[id] = { plot: new uPlot(opts, data, host), signature, width };
  } else {
    chart.plot.setData(data);
    if (chart.width !== width) { chart.plot.setSize({ width, height: 200 }); chart.width = width; }
  }
}

function drawCharts() {
  draw('chart-lag', history.lag, 'ms');
  draw('chart-rate', history.rate, 'requests/s');
  draw('chart-latency', history.latency, 'ms');
}

// ---- failover -------------------------------------------------------------------------------

let renderedDecisions = '';

function renderFailover(overview) {
  const f = overview.failovers;
  const summary = $('failover-summary');
  if (!f) {
    summary.textContent = 'Regions do not fail over in this deployment.';
    return;
  }
  const lease = f.lease ? `${overview.region}'s write lease: ${f.lease.held ? `held, ${f.lease.remaining_ms} ms left of ${f.lease.duration_ms}` : 'not held'}` : '';
  summary.textContent = `Epoch ${f.epoch}; policy ${f.policy}; control leader ${f.control_leader || 'unknown'}. ${lease}.`
    + (f.lost?.length ? ` ${f.lost.length} range(s) of writes recorded lost in failovers.` : '');
  const keyspaces = [...new Set(f.regions.flatMap((r) => Object.keys(r.acting_for || {})))].sort();
  const head = $('acting-table').tHead;
  head.replaceChildren(el('tr', {}, el('th', { scope: 'col' }, 'Region'), el('th', { scope: 'col' }, 'Status'),
    el('th', { scope: 'col' }, 'Suspects'), ...keyspaces.map((k) => el('th', { scope: 'col' }, k))));
  const body = $('acting-table').tBodies[0];
  body.replaceChildren();
  for (const r of f.regions) {
    body.append(el('tr', { 'data-region': r.name },
      el('th', { scope: 'row' }, r.name, r.witness ? el('span', { class: 'badge' }, 'witness') : ''),
      el('td', {}, el('span', { class: `state ${r.status}` }, r.status)),
      td((r.suspects || []).join(', ') || '–'),
      ...keyspaces.map((k) => {
        const who = r.acting_for?.[k];
        return el('td', { class: who && who !== r.name ? 'moved' : '' }, who ?? (k in (r.acting_for || {}) ? 'nobody' : '–'));
      })));
  }
  const decisions = [...(f.decisions || [])].sort((a, b) => b.id - a.id);
  const signature = JSON.stringify(decisions);
  if (signature === renderedDecisions) return; // keep focus on a button while nothing changed
  renderedDecisions = signature;
  const list = $('decisions');
  list.replaceChildren();
  if (!decisions.length) list.append(el('li', { class: 'muted' }, 'No failover decision yet.'));
  for (const d of decisions) {
    const item = el('li', { 'data-decision': d.id, 'data-status': d.status, 'data-region': d.region },
      el('strong', {}, `#${d.id} ${d.region}: `), el('span', { class: `state ${d.status}` }, d.status),
      ` (${d.trigger}) raised ${new Date(d.raised_at_millis).toLocaleTimeString()}`);
    if (d.rpo) item.append(el('span', { class: 'muted' }, `; ${d.rpo.writes_lost} write(s) lost, ${d.rpo.acknowledged ?? 0} of them acknowledged`));
    if (d.evidence?.length) item.append(el('ul', { class: 'evidence', 'aria-label': 'Evidence' }, ...d.evidence.map((e) => el('li', {}, e))));
    if (d.history?.length) {
      item.append(el('ol', { class: 'timeline', 'aria-label': 'Timeline' },
        ...d.history.map((h) => el('li', {}, el('time', {}, new Date(h.at_millis).toLocaleTimeString()), ` ${h.what}`))));
    }
    if (d.status === 'pending') {
      item.append(el('div', { class: 'actions' },
        el('button', { type: 'button', class: 'approve', 'data-action': 'approve', 'data-id': d.id, onclick: () => answer(d.id, 'approve') },
          `Approve failover of ${d.region}`),
        el('button', { type: 'button', class: 'reject', 'data-action': 'reject', 'data-id': d.id, onclick: () => answer(d.id, 'reject') },
          'Reject')));
    }
    list.append(item);
  }
}

async function answer(id, verb) {
  const out = $('action-result');
  const question = verb === 'approve'
    ? `Approve decision #${id}? Its region is fenced and its keys move to other regions.`
    : `Reject decision #${id}? The region keeps its keys and nobody writes them while it is down.`;
  if (!window.confirm(question)) return;
  out.textContent = `${verb === 'approve' ? 'Approving' : 'Rejecting'} #${id}…`;
  try {
    const response = await api(`../v1/failovers/${encodeURIComponent(id)}/${verb}`, { method: 'POST' });
    const body = await response.json().catch(() => ({}));
    out.textContent = response.ok ? `#${id} ${verb === 'approve' ? 'approved' : 'rejected'}: ${body.detail || 'done'} (epoch ${body.epoch}).`
      : `Refused (${response.status}): ${body.detail || body.title || 'no reason given'}`;
    out.dataset.state = response.ok ? 'ok' : 'error';
  } catch (e) {
    out.textContent = `No answer from ${location.host}: ${e.message}`;
    out.dataset.state = 'error';
  }
}

// ---- conflicts ----------------------------------------------------------------------------

let conflictNext = null;

function side(s) {
  if (!s) return '–';
  const value = s.value !== undefined ? JSON.stringify(s.value) : s.value_base64 !== undefined ? `(${s.value_base64.length * 3 / 4} bytes)` : '';
  return `${s.op || ''} ${value} from ${s.origin}#${s.seq}`.trim();
}

async function loadConflicts(after) {
  const keyspace = $('conflict-keyspace').value;
  const limit = Math.max(1, Math.min(1000, Number($('conflict-limit').value) || 50));
  const note = $('conflict-note');
  if (!keyspace) return;
  note.textContent = 'Loading…';
  const query = new URLSearchParams({ limit: String(limit) });
  if (after !== null && after !== undefined) query.set('after', String(after));
  try {
    const response = await api(`../v1/conflicts/${encodeURIComponent(keyspace)}?${query}`);
    const body = await response.json();
    if (!response.ok) {
      note.textContent = `Refused (${response.status}): ${body.detail || body.title}`;
      return;
    }
    const rows = $('conflict-table').tBodies[0];
    rows.replaceChildren();
    for (const c of body.items) {
      rows.append(el('tr', {}, num(c.seq), td(c.key), td(c.lost ? `lost in a failover${c.acknowledged === false ? ' (never acknowledged)' : ''}` : c.rule),
        td(side(c.winner)), td(side(c.loser)), td(c.detected_by)));
    }
    conflictNext = body.next;
    $('conflict-more').disabled = body.next === null || body.next === undefined;
    note.textContent = body.items.length ? `${body.items.length} conflict(s) in ${keyspace}${body.next ? '; more on the next page' : ''}.`
      : `No conflict in ${keyspace}${after ? ' after this point' : ''}.`;
  } catch (e) {
    note.textContent = `No answer: ${e.message}`;
  }
}

function fillConflictKeyspaces(overview) {
  const select = $('conflict-keyspace');
  if (select.options.length) return;
  const names = overview.keyspaces.filter((k) => !['strong', 'local'].includes(k.policy)).map((k) => k.name);
  for (const n of names) select.append(el('option', { value: n }, n));
}

// ---- cost ---------------------------------------------------------------------------------

const COST_EVERY_MS = 10_000;

async function loadCost() {
  const summary = $('cost-summary');
  try {
    const response = await api('../v1/cost');
    const cost = await response.json();
    if (!response.ok) {
      summary.textContent = `Refused (${response.status}): ${cost.detail || cost.title}`;
      return;
    }
    const kb = (v) => num(v / 1000, 2);
    const money = (v) => td(`${fmt(v, 2)} ${cost.currency}`, 'num');
    const pairs = $('cost-pairs').tBodies[0];
    pairs.replaceChildren();
    for (const p of cost.pairs) {
      pairs.append(el('tr', { 'data-pair': `${p.from}>${p.to}`, class: p.complete ? null : 'muted' },
        td(`${p.from} → ${p.to}${p.complete ? '' : ' (one end did not answer)'}`), kb(p.bytes_per_s), kb(p.by_transport.replication),
        kb(p.by_transport.consensus), kb(p.by_transport.http), td(`${fmt(p.per_gb, 3)} ${cost.currency}`, 'num'), money(p.monthly)));
    }
    const keyspaces = $('cost-keyspaces').tBodies[0];
    keyspaces.replaceChildren();
    for (const k of cost.keyspaces) {
      const costliest = Object.entries(k.by_pair).sort((a, b) => b[1] - a[1])[0];
      keyspaces.append(el('tr', { 'data-keyspace': k.keyspace }, td(k.keyspace), kb(k.bytes_per_s), money(k.monthly),
        td(costliest ? costliest[0].replace('>', ' → ') : '–')));
    }
    const missing = Object.entries(cost.unavailable).map(([r, why]) => `${r} (${why})`);
    const window = Math.max(0, ...cost.pairs.map((p) => p.window_s));
    summary.textContent = `${fmt(cost.monthly, 2)} ${cost.currency} a month at the rate of the last ${fmt(window / 60, 1)} minutes.`
      + (missing.length ? ` Not answering: ${missing.join('; ')}.` : '');
  } catch (e) {
    summary.textContent = `No answer: ${e.message}`;
  }
}

/** Fills the what-if form's choices once: asynchronously replicated keyspaces, data regions. */
function fillWhatIf(overview) {
  const keyspaces = $('whatif-keyspace');
  if (keyspaces.options.length) return;
  for (const k of overview.keyspaces.filter((x) => !['strong', 'local'].includes(x.policy))) {
    keyspaces.append(el('option', { value: k.name, 'data-policy': k.policy }, `${k.name} (${k.policy})`));
  }
  for (const r of overview.regions.filter((x) => !x.witness)) {
    $('whatif-from').append(el('option', { value: r.name }, r.name));
    $('whatif-to').append(el('option', { value: r.name }, r.name));
  }
  if ($('whatif-to').options.length > 1) $('whatif-to').selectedIndex = 1;
  syncWhatIf();
}

/** A move needs a region to move from; a primary does not. */
function syncWhatIf() {
  const primary = $('whatif-change').value === 'primary';
  $('whatif-from').disabled = primary;
  $('whatif-to').previousElementSibling.textContent = primary ? 'In' : 'To';
}

async function loadWhatIf() {
  const summary = $('whatif-summary');
  const keyspace = $('whatif-keyspace').value;
  if (!keyspace) return;
  const query = new URLSearchParams({ keyspace });
  if ($('whatif-change').value === 'primary') query.set('primary', $('whatif-to').value);
  else { query.set('move', $('whatif-from').value); query.set('to', $('whatif-to').value); }
  summary.textContent = 'Estimating…';
  try {
    const response = await api(`../v1/cost/what-if?${query}`);
    const w = await response.json();
    const rows = $('whatif-regions').tBodies[0];
    const notes = $('whatif-assumptions');
    rows.replaceChildren();
    notes.replaceChildren();
    if (!response.ok) {
      summary.textContent = `Refused (${response.status}): ${w.detail || w.title}`;
      return;
    }
    const c = w.cost;
    const sign = c.change_monthly >= 0 ? '+' : '−';
    summary.textContent = `What if we ${w.change}: ${fmt(c.before_monthly, 2)} → ${fmt(c.after_monthly, 2)} ${w.currency} a month`
      + ` (${sign}${fmt(Math.abs(c.change_monthly), 2)}; measured now ${fmt(c.measured_monthly, 2)}), `
      + `${fmt(c.before_bytes_per_s / 1000, 2)} → ${fmt(c.after_bytes_per_s / 1000, 2)} KB/s between regions,`
      + ` from the last ${fmt(w.window_s / 60, 1)} minutes.`;
    const change = (a, b) => td(a === null || a === undefined ? '–' : `${fmt(a, 1)} → ${b === null || b === undefined ? '?' : fmt(b, 1)}`, 'num');
    for (const r of w.regions) {
      rows.append(el('tr', { 'data-region': r.region }, td(r.region), num(r.reads_per_s, 2), num(r.writes_per_s, 2),
        change(r.read_ms_before, r.read_ms_after), change(r.write_ms_before, r.write_ms_after),
        td(`${fmt(100 * r.forwarded_before)}% → ${fmt(100 * r.forwarded_after)}%`, 'num')));
    }
    for (const a of w.assumptions) notes.append(el('li', {}, a));
    for (const [r, why] of Object.entries(w.unavailable)) notes.append(el('li', {}, `${r} did not answer (${why}): its requests are not counted`));
  } catch (e) {
    summary.textContent = `No answer: ${e.message}`;
  }
}

// ---- the stream ---------------------------------------------------------------------------

function onOverview(overview) {
  const statuses = statusesByRegion(overview);
  const before = previous ? statusesByRegion(previous) : new Map();
  const rates = new Map();
  for (const [name, s] of statuses) rates.set(name, regionRates(s, before.get(name)));
  renderHeader(overview, statuses);
  renderRegions(overview, statuses, rates);
  renderLinks(overview, statuses, rates);
  renderKeyspaces(overview, statuses, rates);
  renderFailover(overview);
  fillConflictKeyspaces(overview);
  fillWhatIf(overview);
  record(overview, statuses, rates);
  drawCharts();
  if (!previous) performance.mark('first-overview'); // the page's time to its first figures
  previous = overview;
  document.body.dataset.overviews = String(Number(document.body.dataset.overviews || 0) + 1);
}

// ---- access tokens (auth.tokens: required; docs/security.md) ----------------------------------

const TOKEN_KEY = 'meridian-token';
let tokenDeclined = false;

function withToken(options = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { ...options, headers: { ...(options.headers || {}), Authorization: `Bearer ${token}` } } : options;
}

/** Asks once per page for a token, kept in this tab only (sessionStorage). */
function askToken(why) {
  if (tokenDeclined) return false;
  const token = window.prompt(`${why || 'This region requires an access token.'}\n\nPaste an access token: `
    + "./meridian tokens create NAME --read '*' makes one (add --admin for the failover buttons). It is kept in this tab only.");
  if (token && token.trim()) {
    sessionStorage.setItem(TOKEN_KEY, token.trim());
    return true;
  }
  tokenDeclined = true;
  return false;
}

/** fetch with the tab's token; on a 401, asks for a token and tries once more. */
async function api(url, options = {}) {
  const sent = sessionStorage.getItem(TOKEN_KEY);
  let response = await fetch(url, withToken(options));
  if (response.status === 401) {
    const now = sessionStorage.getItem(TOKEN_KEY);
    if (now && now !== sent) return fetch(url, withToken(options)); // another part of the page was given one meanwhile
    const body = await response.clone().json().catch(() => ({}));
    sessionStorage.removeItem(TOKEN_KEY);
    if (askToken(body.detail)) response = await fetch(url, withToken(options));
  }
  return response;
}

function showOverview(data) {
  const connection = $('connection');
  connection.textContent = 'live';
  connection.dataset.state = 'live';
  try {
    onOverview(JSON.parse(data));
  } catch (err) {
    connection.textContent = `could not show an overview: ${err.message}`;
    connection.dataset.state = 'error';
    console.error(err);
  }
}

function lost() {
  const connection = $('connection');
  connection.textContent = `lost the connection to ${location.host}; retrying`;
  connection.dataset.state = 'lost';
}

function connect() {
  if (sessionStorage.getItem(TOKEN_KEY)) {
    streamWithToken();
    return;
  }
  const source = new EventSource('../v1/overview');
  source.addEventListener('overview', (e) => showOverview(e.data));
  source.onerror = async () => {
    lost();
    // An EventSource cannot send a token, nor say why it failed: a region that requires tokens answers 401.
    const probe = await fetch('../v1/overview').catch(() => null);
    if (probe && probe.status === 401) {
      source.close();
      const body = await probe.json().catch(() => ({}));
      if (sessionStorage.getItem(TOKEN_KEY) || askToken(body.detail)) streamWithToken();
      else needsToken();
    }
  };
}

/** The overview's Server-Sent Events read with fetch, which can send the token; reconnects after a second. */
async function streamWithToken() {
  for (;;) {
    try {
      const response = await api('../v1/overview', { headers: { Accept: 'text/event-stream' } });
      if (response.status === 401 || response.status === 403) {
        needsToken();
        return;
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replaceAll('\r\n', '\n');
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const lines = buffer.slice(0, end).split('\n');
          buffer = buffer.slice(end + 2);
          const event = (lines.find((l) => l.startsWith('event:')) || 'event:message').slice(6).trim();
          const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
          if (event === 'overview' && data) showOverview(data);
        }
      }
    } catch (e) {
      console.warn(e);
    }
    lost();
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function needsToken() {
  const connection = $('connection');
  connection.textContent = 'this region requires an access token: reload the page to enter one';
  connection.dataset.state = 'error';
}

$('conflict-form').addEventListener('submit', (e) => { e.preventDefault(); loadConflicts(null); });
$('conflict-more').addEventListener('click', () => loadConflicts(conflictNext));
$('whatif-form').addEventListener('submit', (e) => { e.preventDefault(); loadWhatIf(); });
$('whatif-change').addEventListener('change', syncWhatIf);
window.addEventListener('resize', drawCharts);
connect();
loadCost();
setInterval(loadCost, COST_EVERY_MS);
