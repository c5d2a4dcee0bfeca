// The OpenGrid dashboard: one page over og-schedd's REST API (/og/v1), with the user's own
// token. Everything the API returns is inserted as text, never as HTML.

const REFRESH_MS = 2000;
const QUEUE_ROWS = 500;  // the queue page shows the newest this many
const ACTIVE = new Set(['PENDING', 'RUNNING', 'COMPLETING']);
const STATES = ['PENDING', 'RUNNING', 'COMPLETING', 'COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT',
  'NODE_FAIL', 'OUT_OF_MEMORY'];
const EXAMPLE_SCRIPT = `#!/bin/bash
#SBATCH --job-name=hello
#SBATCH --ntasks=1
#SBATCH --time=5
echo "hello from replica on $(hostname)"
`;

// ---- small helpers ------------------------------------------------------------------------

// el('td', {class: 'x'}, 'text', child): an element whose strings become text nodes.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) node.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return node;
}

const time = (s) => (s > 0 ? new Date(s * 1000).toISOString().replace('T', ' ').slice(0, 19) + 'Z' : '—');
const short = (hex) => (hex ? hex.slice(0, 12) + '…' : '—');
// How many replicas must agree: --quorum, else a majority (og-schedd's default).
const quorumOf = (job) => job.quorum || Math.floor(job.replicas / 2) + 1;
const reasonText = (reason) => (reason && reason !== 'None' ? reason : '');
const displayId = (j) => (j.array_task_id === null || j.array_task_id === undefined ? `${j.job_id}` : `${j.array_job_id}_${j.array_task_id}`);
const nowS = () => Math.floor(Date.now() / 1000);
// squeue's TIME: D-HH:MM:SS, without the day (and hours) when there are none.
function elapsed(seconds) {
  if (!(seconds > 0)) return '0:00';
  const d = Math.floor(seconds / 86400), h = Math.floor(seconds / 3600) % 24, m = Math.floor(seconds / 60) % 60, s = seconds % 60;
  const two = (n) => String(n).padStart(2, '0');
  return d ? `${d}-${two(h)}:${two(m)}:${two(s)}` : h ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}
const jobElapsed = (j) => (j.start_time > 0 ? (j.end_time > 0 ? j.end_time : nowS()) - j.start_time : 0);
// What the job's running replicas have cost so far at their match prices (settled: its cost).
function runningCost(job) {
  let sum = 0;
  for (const r of job.replica_leases ?? []) {
    if (!(r.start_time > 0)) continue;
    const end = r.end_time > 0 ? r.end_time : nowS();
    sum += Number(r.price_per_hour) * Math.max(end - r.start_time, 0) / 3600;
  }
  return sum.toFixed(6);
}
// What the signed-in credential may do: a worker reads what it ran; users act on their own.
const mayActOn = (job) => session.role === 'admin' || (session.role === 'user' && job.user_name === session.user);
const stateBadge = (state) => el('span', { class: `state s-${state.toLowerCase()}`, 'data-state': state }, state);

// A wide table scrolls sideways on a narrow screen instead of widening the page.
const scroller = (node) => el('div', { class: 'scroll' }, node);

function table(headers, rows, attrs = {}) {
  return el('table', attrs,
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, rows));
}

function definitionList(pairs) {
  return el('dl', {}, pairs.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

const hexToBytes = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
const bytesToHex = (bytes) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
const base64urlToHex = (s) => bytesToHex(Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)));

// ---- session and API ----------------------------------------------------------------------

const session = {
  get token() { return sessionStorage.getItem('og.token') ?? ''; },
  set token(t) { t ? sessionStorage.setItem('og.token', t) : sessionStorage.removeItem('og.token'); },
  user: '',
  role: '',
};

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${session.token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status === 401) { signOut('Your token was not accepted: sign in again.'); throw new ApiError(401, 'unauthenticated', 'signed out'); }
  const text = await r.text();
  let data = {};
  try { data = text ? JSON.parse(text) : {}; } catch { data = { error: { code: 'bad_answer', message: text } }; }
  if (!r.ok) throw new ApiError(r.status, data.error?.code ?? String(r.status), data.error?.message ?? text);
  return data;
}

// A slice of a job's output or error file (GET /og/v1/jobs/ID/output; `where`: offset= or
// last=): the bytes, and where they lie in the file.
async function outputSlice(jobId, stream, where) {
  const r = await fetch(`/og/v1/jobs/${jobId}/output?stream=${stream}&${where}`,
    { headers: { Authorization: `Bearer ${session.token}` } });
  if (!r.ok) throw new ApiError(r.status, 'output', await r.text());
  const h = (name) => r.headers.get(name) ?? '';
  return {
    bytes: new Uint8Array(await r.arrayBuffer()), lease: Number(h('OG-Output-Lease')), start: Number(h('OG-Output-Start')),
    end: Number(h('OG-Output-End')), done: h('OG-Output-Done') === '1', file: h('OG-Output-File'),
  };
}

// Follows one stream of a job into a <pre>, as og-tail -f does: the first read takes the
// file's last MAX_LOG bytes, each refresh appends what came (one call at a time), a replica
// replaced by another starts over, and once nothing more can come it stops asking.
const MAX_LOG = 200000;
function logFollower(jobId, stream, pre) {
  let lease = 0, offset = -1, text = '', decoder = new TextDecoder(), finished = false, inFlight = null;
  async function follow() {
    for (let round = 0; round < 4 && !finished; round++) {
      let slice;
      try {
        const where = offset < 0 ? `last=${MAX_LOG}` : `offset=${offset}&lease=${lease}`;
        slice = await outputSlice(jobId, stream, where);
      } catch (e) {
        if (e.status !== 403 && e.status !== 404) throw e;
        pre.textContent = '(a job\'s output is shown to its owner only)';
        finished = true;
        return null;
      }
      if (lease && slice.lease !== lease) { offset = -1; text = ''; decoder = new TextDecoder(); }
      lease = slice.lease;
      if (offset < 0) {
        if (slice.start > 0) text = `[… the first ${slice.start} bytes are not shown …]\n`;
      } else if (slice.start > offset) text += `\n[… ${slice.start - offset} bytes not sent in time …]\n`;
      text += decoder.decode(slice.bytes, { stream: true });
      offset = slice.start + slice.bytes.length;
      if (text.length > MAX_LOG) text = '[… earlier output cut …]\n' + text.slice(-MAX_LOG);
      const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      pre.textContent = text || (slice.lease ? '(nothing written yet)' : '(not started yet)');
      if (atEnd) pre.scrollTop = pre.scrollHeight;  // keep following unless the reader scrolled up
      finished = slice.done && offset >= slice.end;
      if (slice.bytes.length === 0 || offset >= slice.end) return slice;
    }
    return null;
  }
  // The page's timer and a button may both refresh: the second waits for the first.
  return () => (inFlight ??= follow().finally(() => { inFlight = null; }));
}

function showProblem(message) {
  const p = document.getElementById('problem');
  p.textContent = message ?? '';
  p.hidden = !message;
}

// Shows hash, also when it is already the address (no hashchange then).
function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

let problemAfterRender = '';
function signOut(message) {
  if (session.user) sessionStorage.removeItem(keyStorageName());
  session.token = '';
  session.user = '';
  problemAfterRender = message;
  go('#/signin');
}

// ---- the requester's signing key (Ed25519 in WebCrypto) -----------------------------------

// A raw 32-byte Ed25519 seed wrapped as PKCS#8 (RFC 8410), the form WebCrypto imports.
const PKCS8_ED25519_PREFIX = '302e020100300506032b657004220420';
const keyStorageName = () => `og.key.${session.user}`;

async function importSeed(seedHex) {
  if (!/^[0-9a-fA-F]{64}$/.test(seedHex)) throw new Error('a signing key is 64 hex digits (the private.key file og-keygen wrote)');
  const key = await crypto.subtle.importKey('pkcs8', hexToBytes(PKCS8_ED25519_PREFIX + seedHex), { name: 'Ed25519' }, true, ['sign']);
  const jwk = await crypto.subtle.exportKey('jwk', key);
  return { key, publicHex: base64urlToHex(jwk.x) };
}

// The user's key: the one pasted at sign-in, else one this browser made and registered.
async function signingKey() {
  if (!crypto.subtle) throw new Error('this page is not a secure context (use https://, or http:// on 127.0.0.1): browsers sign only there');
  // A pasted key lives as long as this tab (sessionStorage); one the browser made itself
  // has no other copy, so it stays in this browser (localStorage).
  let seed = sessionStorage.getItem(keyStorageName()) ?? localStorage.getItem(keyStorageName());
  const held = (await api('GET', '/og/v1/users/me/key')).public_key ?? '';
  if (!seed && held) {
    throw new Error('og-schedd holds a signing key for you that this browser does not have: sign in again and paste it ' +
      '(the private.key in og-sbatch\'s key directory, $OG_KEY_DIR)');
  }
  if (!seed) {
    const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
    const pkcs8 = bytesToHex(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
    if (!pkcs8.startsWith(PKCS8_ED25519_PREFIX) || pkcs8.length !== PKCS8_ED25519_PREFIX.length + 64) {
      throw new Error('this browser exports Ed25519 keys in a form the dashboard does not read: paste og-sbatch\'s key at sign-in');
    }
    seed = pkcs8.slice(PKCS8_ED25519_PREFIX.length);
    await importSeed(seed);  // usable before it is kept
    localStorage.setItem(keyStorageName(), seed);
  }
  const { key, publicHex } = await importSeed(seed);
  if (!held) await api('PUT', '/og/v1/users/me/key', { public_key: publicHex });
  else if (held !== publicHex) {
    throw new Error(`og-schedd holds another signing key for ${session.user} (${short(held)}) than this browser's ` +
      `(${short(publicHex)}): sign in again with the private.key you registered`);
  }
  return { key, publicHex };
}

// ---- views --------------------------------------------------------------------------------

function signInView() {
  const token = el('input', { id: 'token', type: 'password', autocomplete: 'off', required: true, size: 48 });
  const key = el('input', { id: 'signing-key', type: 'password', autocomplete: 'off', size: 48 });
  const form = el('form', { id: 'sign-in' },
    el('h1', {}, 'Sign in'),
    el('label', {}, 'Token ', token),
    el('p', { class: 'hint' }, 'The credential og-sbatch uses: the file in $OG_TOKEN_FILE (og-mesh up prints it).'),
    el('label', {}, 'Signing key (optional) ', key),
    el('p', { class: 'hint' }, 'To sign jobs with the key og-sbatch registered, paste its private.key: it is kept ' +
      'until you sign out or close this tab. Without one, this browser makes its own key the first time you submit ' +
      '(if none is registered yet) and keeps it, as its only copy: use a browser profile of your own.'),
    el('button', { type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    session.token = token.value.trim();
    try {
      const me = await api('GET', '/og/v1/ping');
      session.user = me.user;
      session.role = me.role;
      if (key.value.trim()) {
        await importSeed(key.value.trim());
        sessionStorage.setItem(keyStorageName(), key.value.trim());
      }
      go('#/queue');
    } catch (err) {
      if (err.status !== 401) showProblem(err.message);
    }
  });
  return { node: form };
}

const expanded = new Set();  // arrays whose tasks the queue shows, kept across refreshes

function queueView(params) {
  const filters = {
    state: el('select', { name: 'state' }, el('option', { value: '' }, 'any state'), STATES.map((s) => el('option', { value: s }, s))),
    user: el('input', { name: 'user', placeholder: 'user' }),
    name: el('input', { name: 'name', placeholder: 'job name' }),
    partition: el('input', { name: 'partition', placeholder: 'partition' }),
  };
  for (const [k, input] of Object.entries(filters)) input.value = params.get(k) ?? '';
  const form = el('form', { id: 'filters' }, Object.values(filters), el('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, input] of Object.entries(filters)) if (input.value.trim()) q.set(k, input.value.trim());
    location.hash = `#/queue?${q}`;
  });
  const body = el('div');
  const node = el('section', {}, el('h1', {}, 'Queue'), form, body);
  async function refresh() {
    const q = new URLSearchParams();
    for (const k of Object.keys(filters)) if (params.get(k)) q.set(k, params.get(k));
    q.set('newest', String(QUEUE_ROWS));  // a long queue is not sent whole every 2 s
    const { jobs, matched } = await api('GET', `/og/v1/jobs?${q}`);
    jobs.sort((a, b) => b.job_id - a.job_id);
    const row = (j, attrs = {}) => el('tr', { 'data-job': j.job_id, ...attrs },
      el('td', {}, el('a', { href: `#/jobs/${j.job_id}` }, displayId(j))),
      el('td', {}, j.name), el('td', {}, j.user_name), el('td', {}, stateBadge(j.job_state)),
      el('td', {}, reasonText(j.state_reason)), el('td', {}, j.nodes || j.partition || ''),
      el('td', {}, `${quorumOf(j)} of ${j.replicas}`), el('td', {}, j.cpus), el('td', {}, elapsed(jobElapsed(j))),
      el('td', {}, time(j.submit_time)), el('td', {}, j.cost));
    // An array is one row (as squeue shows 42_[2-5]) whose tasks unfold under it.
    const rows = [];
    const arrays = new Map();
    for (const j of jobs) {
      if (j.array_job_id) {
        if (!arrays.has(j.array_job_id)) { arrays.set(j.array_job_id, []); rows.push(j.array_job_id); }
        arrays.get(j.array_job_id).push(j);
      } else rows.push(j);
    }
    const body_rows = rows.flatMap((entry) => {
      if (typeof entry !== 'number') return [row(entry)];
      const tasks = arrays.get(entry).sort((a, b) => a.array_task_id - b.array_task_id);
      if (tasks.length === 1) return [row(tasks[0])];
      const counts = {};
      for (const t of tasks) counts[t.job_state] = (counts[t.job_state] ?? 0) + 1;
      const open = expanded.has(entry);
      const toggle = el('button', { type: 'button', class: 'toggle', 'aria-expanded': String(open),
        onclick: () => { open ? expanded.delete(entry) : expanded.add(entry); refresh(); } }, open ? '▾' : '▸');
      const ids = tasks.map((t) => t.array_task_id);
      const group = el('tr', { class: 'array', 'data-array': entry },
        el('td', {}, toggle, ` ${entry}_[${ids[0]}-${ids[ids.length - 1]}]`), el('td', {}, tasks[0].name), el('td', {}, tasks[0].user_name),
        el('td', {}, Object.entries(counts).map(([state, n]) => [stateBadge(state), ` ${n} `])), el('td', {}, `${tasks.length} tasks`),
        el('td', {}, [...new Set(tasks.map((t) => t.nodes).filter(Boolean))].join(',')), el('td', {}, `${quorumOf(tasks[0])} of ${tasks[0].replicas}`),
        el('td', {}, tasks.reduce((n, t) => n + t.cpus, 0)), el('td', {}, elapsed(Math.max(...tasks.map(jobElapsed)))),
        el('td', {}, time(Math.min(...tasks.map((t) => t.submit_time)))),
        el('td', {}, tasks.reduce((n, t) => n + Number(t.cost), 0).toFixed(6)));
      return [group, ...(open ? tasks.map((t) => row(t, { class: 'task' })) : [])];
    });
    body.replaceChildren(
      jobs.length
        ? scroller(table(['Job', 'Name', 'User', 'State', 'Reason', 'Partitions', 'Quorum', 'CPUs', 'Time', 'Submitted', 'Cost'], body_rows, { id: 'jobs' }))
        : el('p', { class: 'empty' }, 'No jobs match.'),
      matched > jobs.length ? el('p', { class: 'hint', id: 'more' }, `The newest ${jobs.length} of ${matched} jobs; filter to see others.`) : '');
  }
  return { node, refresh };
}

// The job's history from its journal (GET /og/v1/jobs/ID/events): holds, requeues, lost
// and extra replicas, verification and payment, in the order they happened.
function timeline(events) {
  if (!events) return el('p', { class: 'hint', id: 'timeline' }, 'The history is shown to the job\'s owner and admins.');
  return el('ol', { id: 'timeline' }, events.map((e) =>
    el('li', { class: `event-${e.name}` }, el('time', {}, time(e.time)), ' ', e.text)));
}

// The validators' median score per replica (--verify=score), from the verdict's event.
function scoresOf(events) {
  const decided = (events ?? []).find((e) => (e.name === 'verified' || e.name === 'scores_rejected') && e.context?.scores);
  return decided?.context.scores ?? {};
}

function verdict(job, events) {
  const replicas = job.replica_leases ?? [];
  if (job.verify?.startsWith('score:')) {
    const scores = scoresOf(events);
    const best = replicas.find((r) => r.root && r.root === job.canonical_root);
    if (best) return `accepted by score: replica ${best.lease_id} scored best (${(scores[best.lease_id] ?? 0).toFixed(2)}) of ${replicas.length}, by ${(job.validations ?? []).filter((v) => v.state === 'DONE').length} validator(s)`;
    if (ACTIVE.has(job.job_state)) return `waiting for ${replicas.length ? 'validators to score the replicas' : 'replicas'} (${job.verify})`;
    return `no result accepted (${job.state_reason || job.job_state})`;
  }
  if (job.canonical_root) {
    const agreeing = replicas.filter((r) => r.root === job.canonical_root).length;
    return `accepted: ${agreeing} of ${replicas.length} replicas agree on root ${short(job.canonical_root)} (quorum ${quorumOf(job)})`;
  }
  if (ACTIVE.has(job.job_state)) return `waiting for ${quorumOf(job)} agreeing replica(s)`;
  return `no result accepted (${job.state_reason || job.job_state})`;
}

async function download(jobId, path) {
  const r = await fetch(`/og/v1/jobs/${jobId}/files/${path.split('/').map(encodeURIComponent).join('/')}`,
    { headers: { Authorization: `Bearer ${session.token}` } });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  const url = URL.createObjectURL(await r.blob());
  el('a', { href: url, download: path.split('/').pop() }).click();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// --verify=score: who validated, and the score each gave each replica.
function validatorsPart(job, replicas, events) {
  if (!job.verify?.startsWith('score:')) return [];
  const tasks = job.validations ?? [];
  const median = scoresOf(events);
  const score = (value) => (value === undefined ? '—' : Number(value).toFixed(2));
  return [
    el('h2', {}, 'Validators'),
    tasks.length
      ? scroller(table(['Lease', 'Validator partition', 'State', ...replicas.map((r) => `Score of ${r.lease_id}`), 'Ended'],
        [...tasks.map((v) => el('tr', {},
          el('td', {}, v.lease_id), el('td', {}, v.partition), el('td', {}, stateBadge(v.state)),
          ...replicas.map((r) => el('td', {}, score(v.scores?.[r.lease_id]))), el('td', {}, time(v.end_time)))),
        ...(Object.keys(median).length ? [el('tr', { class: 'median' }, el('td', {}, ''), el('td', {}, 'median'), el('td', {}, ''),
          ...replicas.map((r) => el('td', { class: r.root && r.root === job.canonical_root ? 'agrees' : '' }, score(median[r.lease_id]))),
          el('td', {}, ''))] : [])], { id: 'validators' }))
      : el('p', { class: 'empty' }, 'No validator has been asked yet: the replicas are scored once all have reported.'),
  ];
}

function jobView(id) {
  const title = el('h1', {}, `Job ${id}`);
  const body = el('div');
  // The job's output, live while it runs (as og-tail -f), kept outside what each refresh
  // redraws so that it can be read and scrolled.
  const out = el('pre', { id: 'log', class: 'log' }), err = el('pre', { id: 'errlog', class: 'log' });
  const errPart = el('div', { hidden: true }, el('h2', {}, 'Errors (its --error file)'), err);
  const followOut = logFollower(id, 'out', out), followErr = logFollower(id, 'err', err);
  const rest = el('div');  // timeline, replicas, manifests: below the output
  const node = el('section', { id: 'job' }, title, body, el('h2', {}, 'Output'), out, errPart, rest);
  async function refresh() {
    const job = (await api('GET', `/og/v1/jobs/${id}`)).jobs[0];
    title.textContent = `Job ${displayId(job)}`;
    const events = await api('GET', `/og/v1/jobs/${id}/events`).then((r) => r.events, () => null);
    const replicas = job.replica_leases ?? [];
    const actions = el('p', { class: 'actions' });
    if (ACTIVE.has(job.job_state) && mayActOn(job)) {
      actions.append(el('button', {
        type: 'button', id: 'cancel',
        onclick: async () => { try { await api('DELETE', `/og/v1/jobs/${id}`); await refresh(); } catch (e) { showProblem(e.message); } },
      }, 'Cancel job'));
    }
    const accepted = replicas.find((r) => r.root && r.root === job.canonical_root)?.manifest;
    body.replaceChildren(
      el('p', {}, el('strong', {}, job.name), ' ', stateBadge(job.job_state), ' ', reasonText(job.state_reason)),
      actions,
      el('h2', {}, 'Verdict'), el('p', { id: 'verdict' }, verdict(job, events)),
      definitionList([
        ['User', job.user_name], ['Partitions', job.nodes || '—'],
        ['Resources', `${job.tasks} task(s) × ${job.cpus_per_task} CPU, ${job.memory_mb ? `${job.memory_mb} MB` : 'memory as offered'}`],
        ['GPUs', job.gpus ? `${job.gpus}${job.gpus_per_node ? `, ${job.gpus_per_node} per node` : ''}${job.gpus_per_task ? `, ${job.gpus_per_task} per task` : ''} at most ${job.max_gpu_price}/GPU-h` : 'none'],
        ['Replicas / quorum', `${job.replicas} / ${quorumOf(job)}`], ['Isolation', job.isolation || job.isolation_required || 'any'],
        ['Time limit', job.time_limit_s < 0 ? 'none' : `${job.time_limit_s} s`], ['Elapsed', elapsed(jobElapsed(job))],
        ['Exit code', job.exit_code],
        ['Cost', job.settled ? job.cost : `${runningCost(job)} so far (at most ${job.max_price}/CPU-h; settled when it ends)`], ['Protocol fee', job.fee],
        ...(job.verify?.startsWith('score:') ? [['Validators\u2019 pay', job.settled ? job.validator_pay : 'when it settles']] : []),
        ['Paid to', job.paid_to || '—'], ['Settled', job.settled ? 'yes' : 'no'],
        ['Signed by', short(job.signer)],
      ]));
    // The log after the details: a problem reading it is said, the page still drawn.
    try {
      const outSlice = await followOut();
      if (outSlice?.file) out.title = outSlice.file;
      if (job.standard_error) {
        errPart.hidden = false;
        await followErr();
      }
    } catch (e) {
      showProblem(`the job's output: ${e.message}`);
    }
    rest.replaceChildren(
      el('h2', {}, 'Timeline'), timeline(events),
      el('h2', {}, 'Replicas'),
      replicas.length
        ? scroller(table(['Lease', 'Provider partition', 'State', 'Outcome', 'Exit', 'Result root', 'Price/h', 'Started', 'Ended'],
          replicas.map((r) => el('tr', {},
            el('td', {}, r.lease_id), el('td', {}, r.partition), el('td', {}, stateBadge(r.state)), el('td', {}, r.outcome),
            el('td', {}, r.exit_code), el('td', { class: r.root && r.root === job.canonical_root ? 'agrees' : '' }, short(r.root)),
            el('td', {}, r.price_per_hour), el('td', {}, time(r.start_time)), el('td', {}, time(r.end_time)))), { id: 'replicas' }))
        : el('p', { class: 'empty' }, 'No replica has started yet.'),
      ...validatorsPart(job, replicas, events),
      el('h2', {}, 'Manifests'),
      el('div', { id: 'manifests' }, replicas.filter((r) => r.manifest).map((r) => el('details', { open: r.manifest === accepted },
        el('summary', {}, `replica ${r.lease_id} on ${r.partition}: root ${short(r.manifest.root)}`),
        scroller(table(['File', 'Bytes', 'SHA-256', ''], r.manifest.files.map((f) => el('tr', {},
          el('td', {}, f.path), el('td', {}, f.size), el('td', { title: f.sha256 }, short(f.sha256)),
          el('td', {}, r.manifest === accepted
            ? el('button', { type: 'button', onclick: () => download(id, f.path).catch((e) => showProblem(e.message)) }, 'Download')
            : '')))))))));
  }
  return { node, refresh };
}

function partitionsView() {
  const body = el('div');
  const node = el('section', {}, el('h1', {}, 'Partitions'), body);
  async function refresh() {
    const { partitions } = await api('GET', '/og/v1/partitions');
    body.replaceChildren(scroller(table(
      ['Partition', 'Provider', 'State', 'CPUs used', 'Memory used', 'GPUs (used/offered, type)', '¤/CPU-h', '¤/GPU-h', 'Reputation', 'Isolation', 'Egress', 'Seen', 'Role'],
      partitions.map((p) => el('tr', { 'data-partition': p.name },
        el('td', {}, p.name), el('td', {}, p.operator || p.owner), el('td', {}, p.state),
        el('td', {}, `${p.cpus_allocated}/${p.cpus}`), el('td', {}, `${p.memory_allocated_mb}/${p.memory_mb} MB`),
        el('td', {}, p.gpus ? `${p.gpus_allocated}/${p.gpus} ${p.gpu_type}` : '—'),
        el('td', {}, p.price_per_cpu_hour), el('td', {}, p.price_per_gpu_hour), el('td', {}, p.reputation),
        el('td', {}, p.isolation), el('td', {}, p.egress ? 'yes' : 'no'), el('td', {}, `${(p.last_seen_ms_ago / 1000).toFixed(1)} s ago`),
        el('td', {}, p.validator ? 'validator (scores results)' : 'runs jobs'))),
      { id: 'partitions' })));
  }
  return { node, refresh };
}

function walletView() {
  const body = el('div');
  const amount = el('input', { id: 'amount', inputmode: 'decimal', placeholder: 'amount, e.g. 25', size: 14, required: true });
  const move = (action) => async () => {
    showProblem('');
    try {
      await api('POST', `/og/v1/wallet/${action}`, { amount: amount.value.trim(), request_id: crypto.randomUUID?.() ?? `${Date.now()}-${Math.random()}` });
      amount.value = '';
      await refresh();
    } catch (e) { showProblem(e.message); }
  };
  const form = el('form', { id: 'move-funds', onsubmit: (e) => e.preventDefault() }, amount,
    el('button', { type: 'button', id: 'deposit', onclick: move('deposit') }, 'Deposit'),
    el('button', { type: 'button', id: 'withdraw', onclick: move('withdraw') }, 'Withdraw'));
  const node = el('section', {}, el('h1', {}, 'Wallet'), form, body);
  async function refresh() {
    const [w, history] = await Promise.all([api('GET', '/og/v1/wallet'), api('GET', '/og/v1/wallet/history?limit=20')]);
    const pairs = [['Account', w.name], ['Balance', w.balance], ['In escrow', w.escrow], ['Bond', w.bond], ['Unbonding', w.unbonding]];
    if (w.chain) {
      pairs.push(['Chain address', w.chain.address], ['Chain budget', w.chain.budget], ['Chain credits', w.chain.credits],
        ['Payments pending / held', `${w.chain.payments_pending} / ${w.chain.payments_held}`]);
    }
    body.replaceChildren(el('div', { id: 'wallet' }, definitionList(pairs)), el('h2', {}, 'Recent transfers'),
      scroller(table(['Time', 'From', 'To', 'Amount', 'Memo'], history.entries.map((e) => el('tr', {},
        el('td', {}, time(e.time)), el('td', {}, e.from), el('td', {}, e.to), el('td', {}, e.amount), el('td', {}, e.memo))), { id: 'transfers' })));
  }
  return { node, refresh };
}

// ---- charts: SVG drawn here, one bar per day -------------------------------------------------

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const c of children.flat()) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

// Bars for `values` (one per label), the largest labelled; `format` writes a value.
function barChart(id, title, labels, values, format, top) {
  const W = 640, H = 170, left = 8, bottom = 20, peak = top ?? (Math.max(0, ...values) || 1);
  const step = (W - left) / Math.max(values.length, 1);
  const bars = values.map((v, i) => {
    const h = Math.round((H - bottom - 14) * Math.min(v / peak, 1));
    return svg('rect', { x: left + i * step + 1, y: H - bottom - h, width: Math.max(step - 2, 1), height: Math.max(h, v > 0 ? 1 : 0), class: 'bar' },
      svg('title', {}, `${labels[i]}: ${format(v)}`));
  });
  return el('figure', { id, class: 'chart' }, el('figcaption', {}, title),
    svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title, preserveAspectRatio: 'none' },
      svg('line', { x1: left, y1: H - bottom, x2: W, y2: H - bottom, class: 'axis' }),
      bars,
      svg('text', { x: left, y: 11, class: 'label' }, `max ${format(peak)}`),
      svg('text', { x: left, y: H - 5, class: 'label' }, labels[0] ?? ''),
      svg('text', { x: W, y: H - 5, class: 'label', 'text-anchor': 'end' }, labels[labels.length - 1] ?? '')));
}

// The provider's page: what it earned per day, how busy its partitions were, its
// reputation, and the jobs it ran (beyond the queue's few minutes: from accounting).
function providerView() {
  const DAYS = 30;
  const body = el('div');
  const node = el('section', { id: 'provider' }, el('h1', {}, 'Provider'), body);
  let lastRefresh = 0;
  async function refresh() {
    // Thirty days of accounting is no 2-second read: every 30 s is enough for this page.
    if (Date.now() - lastRefresh < 30000) return;
    lastRefresh = Date.now();
    const since = nowS() - DAYS * 86400;
    // Without payments (og-schedd --ledger none) there are no earnings or wallet: the rest shows.
    const [e, p, a, w] = await Promise.allSettled([
      api('GET', `/og/v1/wallet/earnings?days=${DAYS}`), api('GET', '/og/v1/partitions'),
      api('GET', `/og/v1/accounting?since=${since}`), api('GET', '/og/v1/wallet')]);
    if (p.status === 'rejected') throw p.reason;
    if (a.status === 'rejected') throw a.reason;
    const { partitions } = p.value, { jobs } = a.value;
    const earnings = e.status === 'fulfilled' ? e.value
      : { earned: '—', jobs: 0, slashed: '—', days: [...Array(DAYS).keys()].map((i) => ({ day: new Date((nowS() - (DAYS - 1 - i) * 86400) * 1000).toISOString().slice(0, 10), earned: '0' })) };
    const wallet = w.status === 'fulfilled' ? w.value : { bond: '—', balance: '—' };
    const mine = partitions.filter((p) => p.owner === session.user);
    const names = new Set(mine.map((p) => p.name));
    const ran = jobs.filter((j) => (j.nodes || '').split(',').some((n) => names.has(n)));
    // CPU-seconds its partitions gave each day, against what they offer now.
    const offered = mine.reduce((n, p) => n + p.cpus, 0) * 86400;
    const days = earnings.days.map((d) => d.day);
    const used = days.map(() => 0);
    const firstDay = Date.parse(`${days[0]}T00:00:00Z`) / 1000;
    for (const j of ran) {
      const start = j.start_time, end = j.end_time > 0 ? j.end_time : nowS();
      for (let i = 0; i < days.length; i++) {
        const a = Math.max(start, firstDay + i * 86400), b = Math.min(end, firstDay + (i + 1) * 86400);
        if (b > a) used[i] += (b - a) * j.cpus;
      }
    }
    body.replaceChildren(
      definitionList([
        ['Partitions', mine.length ? mine.map((p) => `${p.name} (${p.state}, ${p.cpus} CPU${p.cpus === 1 ? '' : 's'}, ${p.gpus ? `${p.gpus} ${p.gpu_type || ''} GPU(s)` : 'no GPU'}, reputation ${p.reputation})`).join('; ') : 'none registered by you'],
        [`Earned, last ${DAYS} days`, `${earnings.earned} from ${earnings.jobs} job(s)`], ['Slashed', earnings.slashed],
        ['Bond', wallet.bond], ['Balance', wallet.balance]]),
      el('div', { class: 'charts' },
        barChart('earnings-chart', `Earnings per day (after the ${'1%'} protocol fee)`, days, earnings.days.map((d) => Number(d.earned)), (v) => v.toFixed(6)),
        barChart('use-chart', 'CPU use per day, of what your partitions offer', days, used.map((u) => (offered ? (100 * u) / offered : 0)), (v) => `${v.toFixed(1)}%`, 100)),
      el('h2', {}, 'Jobs your partitions ran'),
      ran.length
        ? scroller(table(['Job', 'User', 'State', 'Partitions', 'CPUs', 'Time', 'Ended'], ran.slice(-100).reverse().map((j) => el('tr', { 'data-job': j.job_id },
          el('td', {}, el('a', { href: `#/jobs/${j.job_id}` }, displayId(j))), el('td', {}, j.user_name), el('td', {}, stateBadge(j.job_state)),
          el('td', {}, j.nodes), el('td', {}, j.cpus), el('td', {}, elapsed(jobElapsed(j))), el('td', {}, time(j.end_time)))), { id: 'served' }))
        : el('p', { class: 'empty' }, `No job ran on your partitions in the last ${DAYS} days.`));
  }
  return { node, refresh };
}

function submitView() {
  const script = el('textarea', { id: 'script', rows: 14, cols: 80, spellcheck: 'false' });
  script.value = sessionStorage.getItem('og.draft') ?? EXAMPLE_SCRIPT;
  const args = el('input', { id: 'args', placeholder: 'arguments (separated by spaces)', size: 60 });
  const notes = el('ul', { id: 'warnings' });
  const form = el('form', { id: 'submit-form' },
    el('h1', {}, 'Submit a job script'),
    el('p', { class: 'hint' }, '#SBATCH and #OG directives as og-sbatch reads them. Jobs are signed in this browser.'),
    script, el('label', {}, 'Arguments ', args), notes, el('button', { type: 'submit', id: 'submit' }, 'Submit'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showProblem('');
    sessionStorage.setItem('og.draft', script.value);
    try {
      const { key, publicHex } = await signingKey();
      const parsed = await api('POST', '/og/v1/jobs/parse',
        { script: script.value, args: args.value.split(/\s+/).filter(Boolean), signer: publicHex });
      notes.replaceChildren(...parsed.warnings.map((w) => el('li', {}, w)));
      const signature = await crypto.subtle.sign({ name: 'Ed25519' }, key, hexToBytes(parsed.signing_payload_hex));
      const job = { ...parsed.job, signature: bytesToHex(signature) };
      const r = await api('POST', '/og/v1/jobs', { job });
      location.hash = `#/jobs/${r.job_id}`;
    } catch (err) {
      showProblem(err.message);
    }
  });
  return { node: form };
}

// ---- routing and refresh ------------------------------------------------------------------

let current = null;
let generation = 0;

async function render() {
  const [path, query] = (location.hash.slice(1) || '/queue').split('?');
  const params = new URLSearchParams(query ?? '');
  showProblem(problemAfterRender);
  problemAfterRender = '';
  if (!session.token || !session.user) {
    if (session.token && !session.user) {
      try { Object.assign(session, await api('GET', '/og/v1/ping').then((me) => ({ user: me.user, role: me.role }))); } catch { /* signed out */ }
    }
    if (!session.user) current = signInView();
  }
  if (session.user) {
    const job = path.match(/^\/jobs\/(\d+)$/);
    if (job) current = jobView(job[1]);
    else if (path === '/partitions') current = partitionsView();
    else if (path === '/wallet') current = walletView();
    else if (path === '/provider') current = providerView();
    else if (path === '/submit') current = submitView();
    else current = queueView(params);
  }
  generation++;
  document.getElementById('who').textContent = session.user ? `${session.user} (${session.role})` : '';
  document.getElementById('sign-out').hidden = !session.user;
  // Only what the credential may do: a worker submits nothing; providers have their page.
  document.querySelector('#nav a[data-view=submit]').hidden = session.role === 'worker';
  document.querySelector('#nav a[data-view=provider]').hidden = !(session.role === 'worker' || session.role === 'admin');
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', path.startsWith(`/${a.dataset.view}`));
  document.getElementById('view').replaceChildren(current.node);
  await refresh();
}

let refreshing = -1;  // the view generation whose refresh is in flight
async function refresh() {
  const mine = generation;
  if (!current?.refresh || refreshing === mine) return;
  refreshing = mine;
  try {
    await current.refresh();
    if (mine === generation) document.getElementById('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    if (err.status !== 401) showProblem(err.message);
  } finally {
    if (refreshing === mine) refreshing = -1;
  }
}

window.addEventListener('hashchange', render);
document.getElementById('sign-out').addEventListener('click', () => signOut(''));
setInterval(refresh, REFRESH_MS);
render();
