// Promptune console: static, no build step. Talks to the gateway's /v1 API with the API key kept in sessionStorage.
'use strict';

const ROLES = ['viewer', 'trainer', 'operator', 'admin'];
const session = {
  get key() { return sessionStorage.getItem('promptune.key'); },
  get name() { return sessionStorage.getItem('promptune.name'); },
  get role() { return sessionStorage.getItem('promptune.role') || 'viewer'; },
  save(key, name, role) {
    sessionStorage.setItem('promptune.key', key);
    sessionStorage.setItem('promptune.name', name);
    sessionStorage.setItem('promptune.role', role);
  },
  clear() { ['key', 'name', 'role'].forEach(k => sessionStorage.removeItem('promptune.' + k)); },
  atLeast(role) { return ROLES.indexOf(this.role) >= ROLES.indexOf(role); },
};

// ---- DOM helpers (text only; nothing from the API is ever parsed as HTML) -------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, v);
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}
const $ = id => document.getElementById(id);
const short = id => (id || '').slice(0, 8);
const fmt = (x, d = 4) => (x === undefined || x === null || Number.isNaN(x)) ? '–' : Number(x).toFixed(d);
const when = t => t ? new Date(t).toLocaleString() : '–';

let toastTimer;
function toast(msg, isError) {
  const t = $('toast');
  t.textContent = msg;
  t.className = isError ? 'error' : '';
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, isError ? 8000 : 4000);
}

// ---- API ------------------------------------------------------------------------------------------------------
class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || ('HTTP ' + status));
    this.status = status;
    this.code = e.code || 'HTTP_' + status;
    this.details = e.details || {};
  }
}

async function api(method, path, body) {
  const headers = { Authorization: 'Bearer ' + session.key, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) {
    if (res.status === 401 && path !== '/v1/whoami') { logout('Your key was rejected; log in again.'); }
    throw new ApiError(res.status, json);
  }
  return json;
}

/** Follows a server-sent-event stream over fetch (so the key travels in a header, not the URL). */
async function followEvents(path, onEvent, signal) {
  let last = 0;
  for (let attempt = 0; attempt < 20 && !signal.aborted; attempt++) {
    let ended = false;
    try {
      const res = await fetch(path + (last ? '?from=' + (last + 1) : ''),
        { headers: { Authorization: 'Bearer ' + session.key, Accept: 'text/event-stream' }, signal });
      if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true }).replace(/\r\n/g, '\n');
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let name = 'message', data = '', id = null;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const c = line.indexOf(':');
            const field = c < 0 ? line : line.slice(0, c);
            const val = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
            if (field === 'event') name = val;
            else if (field === 'data') data += (data ? '\n' : '') + val;
            else if (field === 'id') id = val;
          }
          if (!data) continue;
          if (id) last = Math.max(last, Number(id));
          if (name === 'end' || name === 'error') ended = true;
          onEvent(name, JSON.parse(data));
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof ApiError) { onEvent('error', { error: { code: e.code, message: e.message } }); return; }
    }
    if (ended) return;
    await new Promise(r => setTimeout(r, 1000 * Math.min(5, attempt + 1)));
  }
}

// ---- charts ---------------------------------------------------------------------------------------------------
/** A line chart of [x, y] points as inline SVG; id and data-points let tests read it. */
function lineChart(id, title, points, opts = {}) {
  const W = opts.width || 520, H = opts.height || 220, L = 52, R = 12, T = 10, B = 28;
  const svg = s('svg', { id, width: W, height: H, viewBox: `0 0 ${W} ${H}`, 'data-points': points.length,
    role: 'img', 'aria-label': title });
  const box = h('div', { class: 'chart' }, h('h4', {}, title), svg);
  if (!points.length) {
    svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', fill: '#667085' }, 'waiting for data…'));
    return box;
  }
  const xs = points.map(p => p[0]), ys = points.map(p => p[1]);
  let x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (opts.yMin !== undefined) y0 = Math.min(y0, opts.yMin);
  if (opts.yMax !== undefined) y1 = Math.max(y1, opts.yMax);
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) { y1 += 0.5; y0 -= 0.5; }
  const px = x => L + (x - x0) / (x1 - x0) * (W - L - R);
  const py = y => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  svg.append(s('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: '#d0d5dd' }));
  svg.append(s('line', { x1: L, y1: T, x2: L, y2: H - B, stroke: '#d0d5dd' }));
  for (const t of [y0, (y0 + y1) / 2, y1]) {
    svg.append(s('text', { x: L - 4, y: py(t) + 4, 'text-anchor': 'end', 'font-size': 10, fill: '#667085' },
      fmt(t, 3)));
  }
  svg.append(s('text', { x: L, y: H - 8, 'font-size': 10, fill: '#667085' }, 'step ' + x0));
  svg.append(s('text', { x: W - R, y: H - 8, 'text-anchor': 'end', 'font-size': 10, fill: '#667085' }, 'step ' + x1));
  svg.append(s('polyline', { points: points.map(p => px(p[0]).toFixed(1) + ',' + py(p[1]).toFixed(1)).join(' '),
    fill: 'none', stroke: opts.color || '#3056d3', 'stroke-width': 1.6 }));
  if (points.length <= 60) {
    for (const p of points) svg.append(s('circle', { cx: px(p[0]), cy: py(p[1]), r: 2.2, fill: opts.color || '#3056d3' }));
  }
  const lastP = points[points.length - 1];
  svg.append(s('text', { x: W - R, y: T + 10, 'text-anchor': 'end', 'font-size': 11 },
    'last ' + fmt(lastP[1], 4) + ' @ ' + lastP[0]));
  return box;
}

// ---- views ----------------------------------------------------------------------------------------------------
let cleanup = [];
function resetView() {
  cleanup.forEach(f => f());
  cleanup = [];
  const v = $('view');
  v.replaceChildren();
  return v;
}

function stateBadge(state) {
  return h('span', { class: 'badge state-' + state, 'data-testid': 'job-state' }, state || '?');
}

async function jobsView() {
  const v = resetView();
  v.append(h('h2', {}, 'Jobs'));
  const table = h('table', { id: 'jobs-table' });
  v.append(table);
  const load = async () => {
    const page = await api('GET', '/v1/jobs?page_size=100');
    table.replaceChildren(h('tr', {}, ['Job', 'State', 'Step', 'Last loss', 'Best metric', 'Output prompt',
      'Submitted by', 'Created'].map(t => h('th', {}, t))));
    for (const j of page.items) {
      const spec = j.spec || {};
      table.append(h('tr', { class: 'clickable', 'data-testid': 'job-row', 'data-job': j.id,
        onclick: () => { location.hash = '#/jobs/' + encodeURIComponent(j.id); } },
        h('td', { class: 'mono' }, short(j.id)), h('td', {}, stateBadge(j.state)),
        h('td', {}, j.step + (spec.max_steps ? ' / ' + spec.max_steps : '')), h('td', {}, fmt(j.last_loss)),
        h('td', {}, j.best_step ? fmt(j.best_metric) + ' @ ' + j.best_step : '–'),
        h('td', {}, j.kind === 'evaluation' ? 'evaluate ' + ((j.evaluation || {}).version || '?') : spec.output_prompt || '–'),
        h('td', {}, j.submitted_by || '–'), h('td', {}, when(j.create_time))));
    }
    if (!page.items.length) table.append(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No jobs yet.')));
  };
  await load();
  const timer = setInterval(() => load().catch(() => {}), 5000);
  cleanup.push(() => clearInterval(timer));
}

async function jobView(id) {
  const v = resetView();
  let job = await api('GET', '/v1/jobs/' + encodeURIComponent(id));
  const loss = [], metric = [];
  let metricName = 'dev metric';
  const head = h('div');
  const charts = h('div', { class: 'charts' });
  const log = h('p', { class: 'muted', id: 'job-stream-status' }, 'connecting to the progress stream…');
  const quality = qualityJobPanel(job);
  v.append(h('p', {}, h('a', { href: '#/jobs' }, '← all jobs')), head, quality.el, charts, log);

  const renderHead = () => {
    const spec = job.spec || {};
    const pct = spec.max_steps ? Math.min(100, 100 * job.step / spec.max_steps) : 0;
    head.replaceChildren(...[h('h2', {}, 'Job ', h('span', { class: 'mono' }, job.id), ' ', stateBadge(job.state)),
      h('div', { class: 'progress', title: pct.toFixed(0) + '%' }, h('div', { style: `width:${pct}%` })),
      h('dl', { class: 'grid' },
        h('dt', {}, 'step'), h('dd', { id: 'job-step' }, String(job.step) + (spec.max_steps ? ' / ' + spec.max_steps : '')),
        h('dt', {}, 'dataset'), h('dd', {}, spec.dataset || '–'),
        h('dt', {}, 'prompt length'), h('dd', {}, spec.prompt_length || 'default'),
        h('dt', {}, 'output prompt'), h('dd', {}, spec.output_prompt || '–'),
        h('dt', {}, 'best ' + metricName), h('dd', {}, job.best_step ? fmt(job.best_metric) + ' at step ' + job.best_step : '–'),
        h('dt', {}, 'published'), h('dd', {}, job.published_version_id
          ? h('a', { href: '#/prompts/' + encodeURIComponent(spec.output_prompt || '') }, short(job.published_version_id))
          : '–'),
        job.reason ? [h('dt', {}, 'reason'), h('dd', {}, job.reason)] : null),
      session.atLeast('trainer') && (job.state === 'queued' || job.state === 'running')
        ? h('p', {}, h('button', { id: 'cancel-job', onclick: async () => {
          try { job = await api('POST', '/v1/jobs/' + encodeURIComponent(id) + '/cancel', {}); renderHead(); toast('Job cancelled.'); } catch (e) { toast(e.message, true); }
        } }, 'Cancel job')) : null].filter(Boolean));
  };
  const renderCharts = () => {
    charts.replaceChildren(lineChart('loss-chart', 'training loss', loss, { color: '#3056d3' }),
      lineChart('metric-chart', 'dev ' + metricName, metric, { color: '#1a7f37', yMin: 0, yMax: 1 }));
  };
  renderHead();
  renderCharts();
  const ctl = new AbortController();
  cleanup.push(() => ctl.abort());
  let pending = false;
  const redraw = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; renderCharts(); renderHead(); });
  };
  followEvents('/v1/jobs/' + encodeURIComponent(id) + '/stream', (name, e) => {
    quality.onEvent(name, e);
    if (name === 'step') { loss.push([e.step, e.loss]); job.step = Math.max(job.step, e.step); job.last_loss = e.loss; }
    else if (name === 'eval') { metricName = e.metric || metricName; metric.push([e.step, e.value]); }
    else if (name === 'state') { job.state = e.state; if (e.reason) job.reason = e.reason; }
    else if (name === 'published') { job.published_version_id = e.version_id; }
    else if (name === 'end') {
      log.textContent = 'job ended';
      api('GET', '/v1/jobs/' + encodeURIComponent(id)).then(j => { job = j; renderHead(); quality.update(j); }).catch(() => {});
    } else if (name === 'error') { log.textContent = 'stream error: ' + (e.error && e.error.message); return; }
    if (name !== 'end') log.textContent = 'live · ' + loss.length + ' steps, ' + metric.length + ' evaluations';
    redraw();
  }, ctl.signal);
}

async function promptsView() {
  const v = resetView();
  v.append(h('h2', {}, 'Prompts'));
  const page = await api('GET', '/v1/prompts?page_size=200');
  const table = h('table', { id: 'prompts-table' }, h('tr', {}, ['Name', 'Task', 'Versions', 'Owner', 'Created']
    .map(t => h('th', {}, t))));
  for (const p of page.items) {
    table.append(h('tr', { class: 'clickable', 'data-testid': 'prompt-row', 'data-prompt': p.name,
      onclick: () => { location.hash = '#/prompts/' + encodeURIComponent(p.name); } },
      h('td', {}, p.name), h('td', {}, p.task || '–'), h('td', {}, p.latest_version), h('td', {}, p.owner || '–'),
      h('td', {}, when(p.create_time))));
  }
  if (!page.items.length) table.append(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No prompts yet.')));
  v.append(table);
}

async function promptView(name) {
  const v = resetView();
  const enc = encodeURIComponent(name);
  const [prompt, envs, aliases, versions] = await Promise.all([api('GET', '/v1/prompts/' + enc),
    api('GET', '/v1/environments'), api('GET', '/v1/prompts/' + enc + '/environments'),
    api('GET', '/v1/prompts/' + enc + '/versions?page_size=100')]);
  const byEnv = Object.fromEntries(aliases.map(a => [a.environment, a]));
  const operator = session.atLeast('operator'), admin = session.atLeast('admin');
  v.append(h('p', {}, h('a', { href: '#/prompts' }, '← all prompts')),
    h('h2', {}, prompt.name, ' ', h('span', { class: 'badge' }, prompt.task || 'no task')),
    h('p', { class: 'muted' }, prompt.description || ''));

  const reason = h('input', { id: 'promote-reason', placeholder: 'reason (goes into the audit log)', size: 40 });
  const force = h('input', { id: 'promote-force', type: 'checkbox' });
  const act = async (what, path, body) => {
    try {
      const r = await api('POST', path, body);
      toast(r && r.changed === false ? what + ': the environment already holds that version; nothing changed.'
        : what + ' done.');
      await promptView(name);
    } catch (e) { qualityShowRefusal(e, v); }
  };

  const envTable = h('table', { id: 'env-table' }, h('tr', {}, ['Environment', 'Version', 'Updated', 'By', '']
    .map(t => h('th', {}, t))));
  for (const e of envs) {
    const a = byEnv[e.name];
    envTable.append(h('tr', { 'data-testid': 'env-row', 'data-env': e.name },
      h('td', {}, e.name), h('td', { 'data-testid': 'env-version' }, a ? 'v' + a.version_number : '–'),
      h('td', {}, a ? when(a.update_time) : '–'), h('td', {}, a ? a.updated_by || '–' : '–'),
      h('td', {}, operator && a ? h('button', { 'data-testid': 'rollback-' + e.name, onclick: () =>
        act('Rollback of ' + e.name, '/v1/prompts/' + enc + '/environments/' + encodeURIComponent(e.name) + '/rollback',
          { reason: reason.value || undefined }) }, 'Roll back') : null)));
  }
  v.append(h('h3', {}, 'Environments'), envTable);
  if (operator) {
    v.append(h('p', {}, reason, ' ', admin ? h('label', {}, force, ' force (skip order checks and gates)') : null));
  }

  const vt = h('table', { id: 'versions-table' }, h('tr', {}, ['Version', 'Id', 'Length', 'Init', 'Metrics', 'Job',
    'Created', operator ? 'Promote to' : '', ''].map(t => h('th', {}, t))));
  for (const ver of versions.items) {
    const metrics = Object.entries(ver.metrics || {})
      .map(([k, x]) => k + ' ' + (Number.isInteger(x) ? x : fmt(x))).join(', ') || '–';
    vt.append(h('tr', { 'data-testid': 'version-row', 'data-version': ver.number },
      h('td', {}, 'v' + ver.number), h('td', { class: 'mono' }, short(ver.id)), h('td', {}, ver.length + '×' + ver.d_model),
      h('td', {}, ver.init_method || '–'), h('td', {}, metrics),
      h('td', { class: 'mono' }, ver.training_job_id ? h('a', { href: '#/jobs/' + encodeURIComponent(ver.training_job_id) }, short(ver.training_job_id)) : '–'),
      h('td', {}, when(ver.create_time)),
      h('td', {}, operator ? envs.map(e => h('button', { 'data-testid': 'promote-' + e.name + '-' + ver.number,
        disabled: byEnv[e.name] && byEnv[e.name].version_id === ver.id, onclick: () =>
          act('Promotion of v' + ver.number + ' to ' + e.name, '/v1/prompts/' + enc + '/environments/' +
            encodeURIComponent(e.name) + '/promote', { version: ver.number, reason: reason.value || undefined,
              force: force.checked || undefined, expected_current_version_id: byEnv[e.name] ? byEnv[e.name].version_id : '' }) },
        e.name)) : null),
      h('td', {}, h('button', { 'data-testid': 'lineage-' + ver.number, onclick: () => showLineage(ver.id, lineageBox) }, 'lineage'),
        h('a', { href: '#/versions/' + encodeURIComponent(ver.id), 'data-testid': 'version-details-' + ver.number },
          ver.kind === 'ensemble' ? 'members & evaluations' : 'evaluations'), ' ',
        ver.kind === 'ensemble' ? null : h('a', { href: '#/versions/' + encodeURIComponent(ver.id) + '/inspect',
          'data-testid': 'inspect-' + ver.number }, 'nearest tokens'))));
  }
  v.append(h('h3', {}, 'Versions'), vt);
  const lineageBox = h('div', { class: 'panel lineage', id: 'lineage' }, h('span', { class: 'muted' },
    'Pick a version to see its lineage.'));
  v.append(h('h3', {}, 'Lineage'), lineageBox);
  if (versions.items.length) showLineage(versions.items[0].id, lineageBox);
}

/** The lineage graph around a version: parents on the left, children on the right. */
async function showLineage(versionId, box) {
  let lin;
  try { lin = await api('GET', '/v1/versions/' + encodeURIComponent(versionId) + '/lineage?direction=both'); } catch (e) {
    box.replaceChildren(h('span', { class: 'error' }, e.message));
    return;
  }
  const nodes = new Map(lin.versions.map(x => [x.id, { v: x, depth: 0 }]));
  for (const e of lin.edges) {
    if (e.parent_version_id && !nodes.has(e.parent_version_id)) nodes.set(e.parent_version_id, { v: { id: e.parent_version_id }, depth: 0 });
    if (!e.parent_version_id && e.parent_external_ref) nodes.set('ext:' + e.parent_external_ref, { v: { id: 'ext:' + e.parent_external_ref, external: e.parent_external_ref }, depth: 0 });
  }
  const parentOf = e => e.parent_version_id || ('ext:' + e.parent_external_ref);
  for (let i = 0; i < nodes.size; i++) {
    for (const e of lin.edges) {
      const p = nodes.get(parentOf(e)), c = nodes.get(e.child_version_id);
      if (p && c && c.depth < p.depth + 1) c.depth = p.depth + 1;
    }
  }
  const cols = new Map();
  for (const n of nodes.values()) { if (!cols.has(n.depth)) cols.set(n.depth, []); cols.get(n.depth).push(n); }
  const NW = 150, NH = 34, GX = 130, GY = 18;
  const maxRows = Math.max(...[...cols.values()].map(c => c.length));
  const W = cols.size * (NW + GX) + 20, H = maxRows * (NH + GY) + 20;
  const svg = s('svg', { width: W, height: H, 'data-nodes': nodes.size, 'data-edges': lin.edges.length });
  svg.append(s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 6,
    markerHeight: 6, orient: 'auto-start-reverse' }, s('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#667085' }))));
  for (const [d, list] of cols) list.forEach((n, i) => { n.x = 10 + d * (NW + GX); n.y = 10 + i * (NH + GY); });
  for (const e of lin.edges) {
    const p = nodes.get(parentOf(e)), c = nodes.get(e.child_version_id);
    if (!p || !c) continue;
    svg.append(s('line', { x1: p.x + NW, y1: p.y + NH / 2, x2: c.x, y2: c.y + NH / 2, stroke: '#667085',
      'marker-end': 'url(#arrow)' }));
    svg.append(s('text', { x: (p.x + NW + c.x) / 2, y: (p.y + c.y) / 2 + NH / 2 - 5, 'text-anchor': 'middle',
      fill: '#667085' }, (e.relation || '').replace(/_/g, ' ')));
  }
  for (const n of nodes.values()) {
    const label = n.v.external ? 'external' : n.v.prompt_name ? n.v.prompt_name + ':' + n.v.number : short(n.v.id);
    const g = s('g', { 'data-testid': 'lineage-node', 'data-version-id': n.v.id });
    g.append(s('rect', { x: n.x, y: n.y, width: NW, height: NH, rx: 6, fill: n.v.id === versionId ? '#eef2ff' : '#fff',
      stroke: n.v.id === versionId ? '#3056d3' : '#d0d5dd' }));
    g.append(s('text', { x: n.x + 8, y: n.y + 14 }, label.length > 20 ? label.slice(0, 19) + '…' : label));
    g.append(s('text', { x: n.x + 8, y: n.y + 27, fill: '#667085' }, n.v.external ? n.v.external.slice(0, 20) : short(n.v.id)));
    svg.append(g);
  }
  box.replaceChildren(h('p', { class: 'muted' }, 'Lineage of ', h('code', {}, short(versionId)),
    ' — arrows point from what a version came from to the version.'), svg);
}

async function datasetsView() {
  const v = resetView();
  v.append(h('h2', {}, 'Datasets'));
  const page = await api('GET', '/v1/datasets?page_size=200');
  const table = h('table', { id: 'datasets-table' }, h('tr', {}, ['Name', 'Id', 'Format', 'Fields', 'Train',
    'Validation', 'Created'].map(t => h('th', {}, t))));
  for (const d of page.items) {
    table.append(h('tr', {}, h('td', {}, d.name), h('td', { class: 'mono' }, short(d.id)), h('td', {}, d.format || '–'),
      h('td', {}, (d.fields || []).join(', ')), h('td', {}, d.num_train), h('td', {}, d.num_validation),
      h('td', {}, when(d.create_time))));
  }
  if (!page.items.length) table.append(h('tr', {}, h('td', { colspan: 7, class: 'muted' },
    'No datasets yet. Upload one with: promptune datasets upload FILE --name NAME')));
  v.append(table);
}

async function systemView() {
  const v = resetView();
  v.append(h('h2', {}, 'System'));
  const grid = h('div', { id: 'system-numbers', class: 'system-numbers' });
  const note = h('p', { class: 'muted', id: 'system-note' });
  v.append(grid, note);
  const num = (x, digits) => (x === null || x === undefined) ? '–' : Number(x).toFixed(digits);
  const tile = (id, label, value) => h('div', { class: 'tile', 'data-testid': 'system-' + id },
    h('div', { class: 'tile-value', id: 'system-' + id }, value), h('div', { class: 'tile-label' }, label));
  const load = async () => {
    const s = await api('GET', '/v1/system');
    grid.replaceChildren(
      tile('queue-depth', 'queued jobs', num(s.queue_depth, 0)),
      tile('jobs-running', 'jobs running', num(s.jobs_running, 0)),
      tile('tokens-per-second', 'runtime tokens/s', num(s.tokens_per_second, 1)),
      tile('callers-per-batch', 'callers merged per batch', num(s.callers_per_batch ?? s.callers_per_batch_since_start, 2)));
    const down = (s.sources || []).filter(x => !x.ok).map(x => x.service + ': ' + x.error);
    note.textContent = (s.window_seconds ? 'Rates over the last ' + Math.round(s.window_seconds) + ' s. '
      : 'Rates appear after the next refresh. ') + (s.callers_per_batch === null || s.callers_per_batch === undefined
      ? 'Callers per batch: since the runtime started. ' : '') + 'Sampled ' + when(s.sampled_at) + '.'
      + (down.length ? ' Not answering: ' + down.join('; ') : '');
    note.dataset.sampledAt = s.sampled_at;
  };
  await load();
  const timer = setInterval(() => load().catch(e => { note.textContent = e.message; }), 3000);
  cleanup.push(() => clearInterval(timer));
}

// ---- routing and login ----------------------------------------------------------------------------------------
async function route() {
  if (!session.key) { showLogin(); return; }
  $('login-view').hidden = true;
  $('nav').hidden = false;
  $('who').hidden = false;
  $('who-name').textContent = session.name;
  $('who-role').textContent = session.role;
  const parts = (location.hash || '#/jobs').slice(2).split('/').map(decodeURIComponent);
  document.querySelectorAll('nav a').forEach(a => a.classList.toggle('active', a.id === 'nav-' + parts[0]));
  try {
    if (parts[0] === 'jobs' && parts[1]) await jobView(parts[1]);
    else if (parts[0] === 'prompts' && parts[1]) await promptView(parts[1]);
    else if (parts[0] === 'versions' && parts[1] && parts[2] === 'inspect') await inspectView(parts[1]);
    else if (parts[0] === 'versions' && parts[1]) await versionView(parts[1]);
    else if (parts[0] === 'prompts') await promptsView();
    else if (parts[0] === 'datasets') await datasetsView();
    else if (parts[0] === 'system') await systemView();
    else await jobsView();
  } catch (e) {
    resetView().append(h('p', { class: 'error', id: 'view-error' }, e.message));
  }
}

function showLogin(message) {
  resetView();
  $('nav').hidden = true;
  $('who').hidden = true;
  $('login-view').hidden = false;
  $('login-error').hidden = !message;
  $('login-error').textContent = message || '';
  $('login-key').focus();
}

function logout(message) {
  session.clear();
  showLogin(message);
}

$('login-form').addEventListener('submit', async ev => {
  ev.preventDefault();
  const key = $('login-key').value.trim();
  try {
    const res = await fetch('/v1/whoami', { headers: { Authorization: 'Bearer ' + key } });
    const body = await res.json();
    if (!res.ok) throw new ApiError(res.status, body);
    session.save(key, body.name, body.role);
    $('login-key').value = '';
    if (!location.hash) location.hash = '#/jobs'; else route();
  } catch (e) {
    showLogin(e.message);
  }
});
$('logout').addEventListener('click', () => logout());
window.addEventListener('hashchange', route);
route();
