// Promptune console, quality views (issue 14): a version's evaluations, an ensemble's members with theirs, evaluation
// jobs, ensemble jobs' member metrics, and why a promotion gate refused a promotion. Loaded before console.js; uses
// its helpers (h, api, fmt, short, when, toast, session, resetView, stateBadge) only when called.
'use strict';

/** The evaluations of one version as a table (newest last, as the registry lists them). */
async function qualityEvaluationsTable(ref, testid) {
  const page = await api('GET', '/v1/evaluations?page_size=200&version=' + encodeURIComponent(ref));
  const table = h('table', { 'data-testid': testid || 'evaluations-table' }, h('tr', {},
    ['Dataset', 'Split', 'Metric', 'Value', 'Examples', 'Job', 'By', 'When'].map(t => h('th', {}, t))));
  for (const e of page.items) {
    table.append(h('tr', { 'data-testid': 'evaluation-row' },
      h('td', { class: 'mono', title: e.dataset_id }, short(e.dataset_id)), h('td', {}, e.split),
      h('td', {}, e.metric), h('td', { 'data-testid': 'evaluation-value' }, fmt(e.value)),
      h('td', {}, e.examples || '–'),
      h('td', { class: 'mono' }, e.job_id ? h('a', { href: '#/jobs/' + encodeURIComponent(e.job_id) }, short(e.job_id)) : '–'),
      h('td', {}, e.created_by || '–'), h('td', {}, when(e.create_time))));
  }
  if (!page.items.length) table.append(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No evaluations yet.')));
  return table;
}

/** A form that queues an evaluation job of `ref` (trainer role). */
function qualityEvaluateForm(ref) {
  const dataset = h('input', { id: 'evaluate-dataset', placeholder: 'dataset id or name', size: 24, required: true });
  const split = h('select', { id: 'evaluate-split' }, h('option', { value: 'validation' }, 'validation'),
    h('option', { value: 'train' }, 'train'));
  const mode = h('select', { id: 'evaluate-mode' }, h('option', { value: '' }, 'task default'),
    h('option', { value: 'rank_classification' }, 'rank classification'),
    h('option', { value: 'exact_match' }, 'exact match'));
  const max = h('input', { id: 'evaluate-max', type: 'number', min: 0, placeholder: 'all examples', size: 8 });
  return h('form', { class: 'panel', id: 'evaluate-form', onsubmit: async ev => {
    ev.preventDefault();
    try {
      const job = await api('POST', '/v1/evaluation-jobs', { version: ref, dataset: dataset.value.trim(),
        split: split.value, mode: mode.value || undefined, max_examples: max.value ? Number(max.value) : undefined });
      toast('Evaluation job ' + short(job.id) + ' queued.');
      location.hash = '#/jobs/' + encodeURIComponent(job.id);
    } catch (e) { toast(e.message, true); }
  } }, 'Evaluate on ', dataset, ' ', split, ' ', mode, ' ', max, ' ', h('button', { type: 'submit', class: 'primary' },
    'Evaluate'));
}

/** #/versions/{ref}: one version, its evaluations, and for an ensemble its members with their evaluations. */
async function versionView(ref) {
  const v = resetView();
  const ver = await api('GET', '/v1/versions/' + encodeURIComponent(ref));
  const ensemble = ver.kind === 'ensemble' && ver.ensemble;
  v.append(h('p', {}, h('a', { href: '#/prompts/' + encodeURIComponent(ver.prompt_name) }, '← ' + ver.prompt_name)),
    h('h2', {}, ver.prompt_name + ':' + ver.number, ' ', h('span', { class: 'badge' }, ensemble
      ? 'ensemble of ' + ver.ensemble.members.length + ' (' + ver.ensemble.rule + ')' : 'prompt')),
    h('dl', { class: 'grid' },
      h('dt', {}, 'id'), h('dd', { class: 'mono' }, ver.id),
      ensemble ? null : [h('dt', {}, 'shape'), h('dd', {}, ver.length + '×' + ver.d_model)],
      h('dt', {}, 'metrics'), h('dd', {}, Object.entries(ver.metrics || {}).map(([k, x]) => k + ' ' + fmt(x))
        .join(', ') || '–'),
      h('dt', {}, 'training job'), h('dd', { class: 'mono' }, ver.training_job_id
        ? h('a', { href: '#/jobs/' + encodeURIComponent(ver.training_job_id) }, short(ver.training_job_id)) : '–'),
      h('dt', {}, 'created'), h('dd', {}, (ver.created_by || '–') + ', ' + when(ver.create_time))));
  v.append(h('h3', {}, 'Evaluations'), await qualityEvaluationsTable(ver.id, 'version-evaluations'));
  if (session.atLeast('trainer')) v.append(qualityEvaluateForm(ver.id));
  if (ensemble) {
    v.append(h('h3', {}, 'Members'));
    const members = h('div', { id: 'ensemble-members' });
    v.append(members);
    for (let i = 0; i < ver.ensemble.members.length; i++) {
      const m = ver.ensemble.members[i];
      const panel = h('div', { class: 'panel', 'data-testid': 'ensemble-member' },
        h('h4', {}, 'member ' + i + ': ', h('a', { href: '#/versions/' + encodeURIComponent(m.version_id) },
          m.prompt_name + ':' + m.number), ' ', h('span', { class: 'muted' }, m.length + ' tokens')));
      members.append(panel);
      try { panel.append(await qualityEvaluationsTable(m.version_id, 'member-evaluations')); }
      catch (e) { panel.append(h('p', { class: 'error' }, e.message)); }
    }
  }
}

/**
 * Why a promotion was refused: for GATE_FAILED a panel with the gate, what it requires, what the version has and
 * what the environment's current version has (the gateway's message names every failing gate). Other errors: a toast.
 */
function qualityShowRefusal(err, where) {
  const old = document.getElementById('gate-refusal');
  if (old) old.remove();
  if (!err || err.code !== 'GATE_FAILED') { toast(err.message, true); return; }
  const d = err.details || {};
  const panel = h('div', { class: 'panel refusal', id: 'gate-refusal', role: 'alert' },
    h('h4', { class: 'error' }, 'Promotion refused by gate ', h('code', {}, d.gate || '?')),
    h('dl', { class: 'grid' },
      h('dt', {}, 'metric'), h('dd', {}, (d.metric || '?') + ' on ' + (d.dataset_id || '?') + '/' + (d.split || '?')),
      h('dt', {}, 'required'), h('dd', {}, d.required || '(no threshold)'),
      h('dt', {}, 'found'), h('dd', { 'data-testid': 'gate-found' }, d.found || 'no evaluation recorded'),
      h('dt', {}, 'current'), h('dd', {}, d.current || 'none')),
    h('p', { 'data-testid': 'gate-message' }, err.message),
    h('p', { class: 'muted' }, 'Evaluate the version on that dataset (its version page), or have an admin promote '
      + 'with force (audited).'),
    h('button', { type: 'button', onclick: () => panel.remove() }, 'Dismiss'));
  (where || document.getElementById('view')).prepend(panel);
  toast('Promotion refused by gate ' + (d.gate || '') + '.', true);
}

/**
 * The job page's quality panel: an evaluation job's spec, progress and outcome, or an ensemble job's member metrics
 * (each evaluation's member values and mean, and the published members). `onEvent` takes the progress events.
 */
function qualityJobPanel(job) {
  const panel = h('div', { id: 'job-quality' });
  const evals = [];
  let progress = null;
  let members = job.published_member_version_ids || null;
  const render = () => {
    const parts = [];
    if (job.kind === 'evaluation') {
      const ev = job.evaluation || {};
      const o = job.evaluation_outcome;
      parts.push(h('h3', {}, 'Evaluation'), h('dl', { class: 'grid', id: 'evaluation-spec' },
        h('dt', {}, 'version'), h('dd', {}, h('a', { href: '#/versions/' + encodeURIComponent(ev.version || '') }, ev.version || '–')),
        h('dt', {}, 'dataset'), h('dd', {}, (ev.dataset || '–') + ' / ' + (ev.split || 'validation')),
        h('dt', {}, 'mode'), h('dd', {}, ev.mode || 'task default'),
        progress ? [h('dt', {}, 'progress'), h('dd', { id: 'evaluation-progress' }, progress.examples_done + ' / '
          + progress.examples_total + ' examples, ' + progress.correct + ' correct')] : null,
        o ? [h('dt', {}, 'result'), h('dd', { id: 'evaluation-outcome' }, o.metric + ' ' + fmt(o.value) + ' over '
          + o.examples + ' examples (evaluation ' + o.evaluation_id + ')')] : null));
      if (o && o.member_values) {
        parts.push(h('table', { id: 'evaluation-members' }, h('tr', {}, h('th', {}, 'Member'), h('th', {}, o.metric)),
          o.member_values.map((x, i) => h('tr', {}, h('td', {}, 'member ' + i), h('td', {}, fmt(x)))),
          h('tr', {}, h('td', {}, h('b', {}, 'ensemble')), h('td', {}, h('b', {}, fmt(o.value))))));
      }
    }
    const ensembleSize = (job.spec && job.spec.ensemble_size) || (members ? members.length : 0)
      || (evals.length ? evals[0].member_values.length : 0);
    if (job.kind !== 'evaluation' && ensembleSize > 1) {
      parts.push(h('h3', {}, 'Ensemble of ' + ensembleSize + ' prompts'));
      const t = h('table', { id: 'member-metrics' }, h('tr', {}, h('th', {}, 'Step'), h('th', {}, 'Ensemble'),
        [...Array(ensembleSize).keys()].map(i => h('th', {}, 'member ' + i)), h('th', {}, 'Member mean')));
      for (const e of evals) {
        t.append(h('tr', { 'data-testid': 'member-metrics-row' }, h('td', {}, e.step + (e.best ? ' ★' : '')),
          h('td', {}, fmt(e.value)), e.member_values.map(x => h('td', {}, fmt(x))), h('td', {}, fmt(e.member_mean))));
      }
      if (!evals.length) t.append(h('tr', {}, h('td', { colspan: ensembleSize + 3, class: 'muted' }, 'No evaluation yet.')));
      parts.push(t);
      if (members) {
        parts.push(h('p', {}, 'Published members: ', members.map((id, i) => [i ? ', ' : '',
          h('a', { class: 'mono', href: '#/versions/' + encodeURIComponent(id) }, short(id))]),
          job.published_version_id ? [' · ensemble ', h('a', { class: 'mono', href: '#/versions/'
            + encodeURIComponent(job.published_version_id) }, short(job.published_version_id))] : null));
      }
    }
    panel.replaceChildren(...parts);
  };
  render();
  return {
    el: panel,
    onEvent(name, e) {
      if (name === 'eval' && e.member_values) evals.push(e);
      else if (name === 'evaluation_progress') progress = e;
      else if (name === 'published' && e.member_version_ids) members = e.member_version_ids;
      else return;
      render();
    },
    update(j) { job = j; members = j.published_member_version_ids || members; render(); },
  };
}
