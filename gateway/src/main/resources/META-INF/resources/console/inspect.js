// Promptune console: "What a prompt encodes" (paper, Interpretability). For one version, each prompt row's nearest
// vocabulary tokens by cosine similarity, a mark when one is a class label, and beside it a random row of the same
// L2 norm (seeded from the version id) with its nearest tokens: trained rows that sit close to real words stand out
// against random ones, which do not. Data: GET /v1/versions/{ref}/nearest-tokens. Route: #/versions/{ref}/inspect.
// Loaded before console.js; uses its helpers (h, api, resetView, fmt, toast) at call time.
'use strict';

const INSPECT_CSS = `
.inspect-table td { vertical-align: top; }
.inspect-table .tok { display: inline-block; margin: 0 .25rem .2rem 0; padding: 0 .35rem; border-radius: .3rem;
  background: #eef2ff; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .8rem; white-space: pre; }
.inspect-table .tok.label { background: #e7f6ec; color: #1a7f37; font-weight: 600; }
.inspect-table .baseline .tok { background: #f2f4f7; color: #667085; }
.inspect-table .tok .cos { color: #667085; margin-left: .3rem; }
.inspect-table .label-mark { color: #1a7f37; font-weight: 600; }
.inspect-summary { display: flex; gap: 1rem; flex-wrap: wrap; margin: 1rem 0; }
.inspect-summary .tile { background: #fff; border: 1px solid #d0d5dd; border-radius: 6px; padding: .6rem 1rem; }
.inspect-summary .tile-value { font-size: 1.6rem; font-variant-numeric: tabular-nums; }
.inspect-summary .tile-label { color: #667085; font-size: .85rem; }
`;

function inspectStyle() {
  if (document.getElementById('inspect-style')) return;
  const st = document.createElement('style');
  st.id = 'inspect-style';
  st.textContent = INSPECT_CSS;
  document.head.append(st);
}

/** A token chip: the piece (whitespace made visible) and its cosine; green when it is a class label. */
function inspectToken(t, testid) {
  const piece = (t.piece || '').replace(/[\s\u0000-\u001f]/g, c => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'));
  return h('span', { class: 'tok' + (t.label ? ' label' : ''), 'data-testid': testid, 'data-token-id': t.token_id,
    'data-cosine': t.cosine, 'data-label': t.label || undefined, title: 'token ' + t.token_id +
      (t.label ? ' = class label "' + t.label + '"' : '') },
  piece, h('span', { class: 'cos' }, fmt(t.cosine, 3)));
}

function inspectTile(id, value, label) {
  return h('div', { class: 'tile' }, h('div', { class: 'tile-value', id }, value),
    h('div', { class: 'tile-label' }, label));
}

async function inspectView(ref, k, labels) {
  inspectStyle();
  const v = resetView();
  const q = new URLSearchParams({ k: String(k || 5) });
  if (labels !== undefined && labels !== null) q.set('labels', labels);
  v.append(h('p', { class: 'muted' }, 'Loading the nearest tokens of ' + ref + '…'));
  const r = await api('GET', '/v1/versions/' + encodeURIComponent(ref) + '/nearest-tokens?' + q);
  v.replaceChildren();

  const kInput = h('input', { id: 'inspect-k', type: 'number', min: 1, max: 100, value: r.k, size: 4 });
  const labelsInput = h('input', { id: 'inspect-labels', value: (r.labels || []).join(','), size: 32,
    placeholder: 'class labels, comma separated' });
  const form = h('form', { id: 'inspect-form', onsubmit: ev => {
    ev.preventDefault();
    inspectView(ref, kInput.value, labelsInput.value).catch(e => toast(e.message, true));
  } }, h('label', {}, 'k ', kInput), ' ', h('label', {}, 'labels ', labelsInput), ' ',
  h('button', { type: 'submit', id: 'inspect-apply' }, 'Show'));

  const name = r.prompt_name + ':' + r.number;
  v.append(h('p', {}, h('a', { href: '#/prompts/' + encodeURIComponent(r.prompt_name) }, '← ' + r.prompt_name)),
    h('h2', {}, 'What ', name, ' encodes ', h('span', { class: 'badge' }, r.length + '×' + r.d_model)),
    h('p', { class: 'muted' }, 'Each prompt row beside its ', r.k, ' nearest vocabulary tokens by cosine similarity, ',
      'and, as a baseline, a random vector of the same length (L2 norm) with its nearest tokens. In the paper, ',
      'trained rows cluster around meaningful words, often the class labels, with high similarity; random rows do ',
      'not. Labels: ', (r.labels || []).length ? r.labels.join(', ') + ' (from ' + r.labels_source.replace(/_/g, ' ')
        + ')' : 'none'), form);

  const s = r.summary;
  v.append(h('div', { class: 'inspect-summary' },
    inspectTile('inspect-mean-top1', fmt(s.mean_top1_cosine, 3), 'mean top-1 cosine, prompt rows'),
    inspectTile('inspect-baseline-mean-top1', fmt(s.baseline_mean_top1_cosine, 3), 'mean top-1 cosine, random rows'),
    inspectTile('inspect-label-rows', s.rows_with_label_match + ' / ' + r.rows.length,
      'prompt rows with a class label nearby'),
    inspectTile('inspect-baseline-label-rows', s.baseline_rows_with_label_match + ' / ' + r.rows.length,
      'random rows with a class label nearby')));

  const table = h('table', { id: 'inspect-table', class: 'inspect-table', 'data-rows': r.rows.length },
    h('tr', {}, ['Row', 'Norm', 'Nearest tokens (cosine)', 'Label', 'Random row, same norm (cosine)']
      .map(t => h('th', {}, t))));
  for (const row of r.rows) {
    const base = r.baseline.rows[row.index];
    table.append(h('tr', { 'data-testid': 'inspect-row', 'data-row': row.index },
      h('td', {}, row.index),
      h('td', { 'data-testid': 'row-norm' }, fmt(row.norm, 3)),
      h('td', { class: 'trained' }, row.tokens.map(t => inspectToken(t, 'inspect-token'))),
      h('td', { 'data-testid': 'label-mark', class: 'label-mark', 'data-match': String(row.label_match) },
        row.label_match ? '✓ label' : ''),
      h('td', { class: 'baseline', 'data-testid': 'baseline-cell', 'data-norm': base.norm },
        base.tokens.map(t => inspectToken(t, 'baseline-token')))));
  }
  v.append(table, h('p', { class: 'muted', id: 'inspect-seed' }, 'Random rows: seed ', r.baseline.seed, '; ',
    r.baseline.method, '.'));
}
