// End-to-end test of the web dashboard: Debian's chromium (headless, driven by
// playwright-core) signs in to a real og-schedd, submits job scripts from the page, follows
// one's output live and watches it run on the mesh's workers to a verified result, without
// reloading; groups an array; moves funds; then signs in as a provider (its page, its
// charts, no buttons it may not use) and looks at all of it at a phone's width.
// Environment: OG_SCHEDD_URL, OG_TOKEN_FILE (og-mesh up, with a validator), OG_WORKER_TOKEN_FILE
// (a worker's credential), OG_BIN (og-sbatch's directory), OG_ARTIFACT_DIR (screenshots).
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.OG_PLAYWRIGHT ?? 'playwright-core');

const url = process.env.OG_SCHEDD_URL;
const token = readFileSync(process.env.OG_TOKEN_FILE, 'utf8').trim();
const workerToken = readFileSync(process.env.OG_WORKER_TOKEN_FILE, 'utf8').trim();
const artifacts = process.env.OG_ARTIFACT_DIR ?? '.';
mkdirSync(artifacts, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.OG_CHROMIUM ?? '/usr/bin/chromium',
  // Root has no user namespace sandbox for chromium here; the page is our own, on loopback.
  args: ['--no-sandbox', '--disable-gpu'],
});
const step = (name) => console.log(`dashboard test: ${name}`);

// A job the page cannot submit (its scoring script travels in its signed files): og-sbatch
// submits it, on two replicas that each pick their own words, scored by the share of them
// found in its vocabulary.
function newUser(name) {
  const file = `${process.env.OG_MESH_DIR}/${name}.token`;
  writeFileSync(file, execFileSync(`${process.env.OG_BIN}/og-schedd`,
    ['--state', `${process.env.OG_MESH_DIR}/schedd`, '--add-user', name], { encoding: 'utf8' }), { mode: 0o600 });
  execFileSync(`${process.env.OG_BIN}/og-wallet`, ['--token-file', file, 'deposit', '100']);
  return file;
}

function submitScoredJob(tokenFile) {
  const dir = mkdtempSync(`${tmpdir()}/og-scored-`);
  mkdirSync(`${dir}/score`);
  writeFileSync(`${dir}/score/vocab.txt`, 'alpha\nbravo\ncharlie\ndelta\necho\nfoxtrot\n');
  writeFileSync(`${dir}/score/score.py`, '#!/usr/bin/python3\nimport json, os, sys\n' +
    'vocab = set(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "vocab.txt")).read().split())\n' +
    'def share(d):\n    words = open(os.path.join(d, "answer.txt")).read().split()\n' +
    '    return sum(w in vocab for w in words) / len(words) if words else 0.0\n' +
    'print(json.dumps({d: share(d) for d in sys.argv[1:]}))\n', { mode: 0o755 });
  writeFileSync(`${dir}/job.sh`, '#!/bin/bash\n#SBATCH --job-name=scored\n#SBATCH --time=2\n#OG --replicas=2\n#OG --max-price=40\n' +
    '#OG --input=score\n#OG --verify=score:score/score.py:0.6\nshuf -r -n 8 score/vocab.txt > answer.txt\n');
  return execFileSync(`${process.env.OG_BIN}/og-sbatch`, ['--parsable', 'job.sh'],
    { cwd: dir, env: { ...process.env, OG_TOKEN_FILE: tokenFile, OG_KEY_DIR: `${dir}/keys` }, encoding: 'utf8' }).trim();
}
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
try {
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));

  step('a wrong token is refused with a message');
  await page.goto(`${url}/`);
  await page.fill('#token', 'not-a-token');
  await page.click('#sign-in button[type=submit]');
  await page.waitForSelector('#problem:not([hidden])');
  assert.match(await page.textContent('#problem'), /token was not accepted/);

  step('signing in shows the queue, empty');
  await page.fill('#token', token);
  await page.click('#sign-in button[type=submit]');
  await page.waitForSelector('text=No jobs match.');
  assert.match(await page.textContent('#who'), /\(user\)/);

  step('partitions list the mesh\'s providers with price, reputation and isolation');
  await page.click('nav a[data-view=partitions]');
  await page.waitForSelector('#partitions tbody tr');
  const listed = await page.$$eval('#partitions tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
  const partitions = listed.filter((p) => p[12] === 'runs jobs');
  assert.equal(partitions.length, 2, JSON.stringify(listed));
  assert.deepEqual(listed.filter((p) => p[12].startsWith('validator')).map((p) => p[0]), ['validator-1']);
  for (const p of partitions) {
    assert.match(p[0], /^worker-\d$/);
    assert.match(p[6], /^\d+\.\d{6}$/, `price in ${p}`);
    assert.ok(['jail', 'rlimit', 'none'].includes(p[9]), `isolation in ${p}`);
  }

  step('the wallet shows the faucet deposit, and takes another');
  await page.click('nav a[data-view=wallet]');
  await page.waitForSelector('#wallet dd');
  assert.match(await page.textContent('#wallet'), /Balance1000\.000000/);
  await page.fill('#amount', '5');
  await page.click('#deposit');
  await page.waitForFunction(() => /Balance1005\.000000/.test(document.querySelector('#wallet')?.textContent));
  await page.fill('#amount', '2.5');
  await page.click('#withdraw');
  await page.waitForFunction(() => /Balance1002\.500000/.test(document.querySelector('#wallet')?.textContent));

  step('a script with a bad directive is refused, naming the line');
  await page.click('nav a[data-view=submit]');
  await page.fill('#script', '#!/bin/bash\n#SBATCH --time=soon\necho hi\n');
  await page.click('#submit');
  await page.waitForSelector('#problem:not([hidden])');
  assert.match(await page.textContent('#problem'), /^dashboard\.sh:2: --time: invalid time "soon"/);

  step('a job submitted from the page runs to a verified result');
  await page.fill('#script', '#!/bin/bash\n#SBATCH --job-name=from-the-page\n#SBATCH --time=2\n#OG --replicas=2\n#OG --max-price=40\n' +
    'echo "made by $1" > result.txt\necho done\n');
  await page.fill('#args', 'playwright');
  await page.click('#submit');
  await page.waitForFunction(() => /^#\/jobs\/\d+$/.test(location.hash));
  const jobId = page.url().match(/#\/jobs\/(\d+)$/)[1];
  // The page updates itself: no reload from here on.
  await page.waitForSelector('#job .state[data-state=COMPLETED]', { timeout: 60000 });
  await page.waitForFunction(() => document.querySelector('#verdict')?.textContent.startsWith('accepted'));
  assert.match(await page.textContent('#verdict'), /accepted: 2 of 2 replicas agree on root [0-9a-f]{12}… \(quorum 2\)/);
  const replicas = await page.$$eval('#replicas tbody tr', (rows) => rows.map((r) => r.cells[1].textContent));
  assert.deepEqual([...replicas].sort(), ['worker-1', 'worker-2']);
  const timeline = await page.textContent('#timeline');
  // Drawn from the job's journal, in order.
  for (const event of ['submitted by', 'assigned to worker-1', 'assigned to worker-2', 'reported COMPLETED, exit 0',
    'verified: a quorum agreed on root'])
    assert.ok(timeline.includes(event), `timeline lacks "${event}": ${timeline}`);
  // Providers ask 36 per CPU-hour (run-dashboard-test.sh): the job cost something, 1% of it the fee.
  const summary = await page.$$eval('#job dl dt', (dts) => Object.fromEntries(dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
  const cost = Number(summary['Cost']), fee = Number(summary['Protocol fee']);
  assert.ok(cost > 0 && fee > 0 && Math.abs(cost / 100 - fee) < 0.00001 + cost / 1000, `cost ${cost}, fee ${fee}`);
  assert.equal(summary['Settled'], 'yes');
  assert.match(await page.textContent('#manifests details[open]'), /result\.txt/);

  step('an output file downloads with its content');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('#manifests details[open] tr:has-text("result.txt") button'),
  ]);
  assert.equal(readFileSync(await download.path(), 'utf8'), 'made by playwright\n');
  await page.screenshot({ path: `${artifacts}/dashboard-job.png`, fullPage: true });

  step('a running job\'s output shows live, with its elapsed time and cost so far');
  await page.click('nav a[data-view=submit]');
  await page.fill('#script', '#!/bin/bash\n#SBATCH --job-name=ticks\n#SBATCH --time=2\n#OG --replicas=1\n#OG --max-price=40\n' +
    'echo tick 1\nsleep 8\necho tick 2\n');
  await page.fill('#args', '');
  await page.click('#submit');
  await page.waitForFunction((previous) => /^#\/jobs\/\d+$/.test(location.hash) && !location.hash.endsWith(`/${previous}`), jobId);
  await page.waitForFunction(() => document.querySelector('#log')?.textContent.includes('tick 1'), null, { timeout: 30000 });
  assert.equal(await page.getAttribute('#job .state', 'data-state'), 'RUNNING', 'seen before the job ended');
  assert.ok(!(await page.textContent('#log')).includes('tick 2'));
  const running = await page.$$eval('#job dl dt', (dts) => Object.fromEntries(dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
  assert.match(running['Cost'], /^\d+\.\d{6} so far/);
  assert.match(running['Elapsed'], /^\d+:\d\d$/);
  await page.screenshot({ path: `${artifacts}/dashboard-live-log.png`, fullPage: true });
  await page.waitForFunction(() => document.querySelector('#log')?.textContent === 'tick 1\ntick 2\n', null, { timeout: 30000 });
  await page.waitForSelector('#job .state[data-state=COMPLETED]');

  step('an array is one row in the queue, its tasks unfold under it');
  await page.click('nav a[data-view=submit]');
  await page.fill('#script', '#!/bin/bash\n#SBATCH --job-name=sweep\n#SBATCH --array=0-2\n#SBATCH --time=2\n#OG --replicas=1\n' +
    '#OG --max-price=40\necho task $SLURM_ARRAY_TASK_ID\n');
  await page.click('#submit');
  await page.waitForFunction(() => /^#\/jobs\/\d+$/.test(location.hash));
  const arrayId = page.url().match(/#\/jobs\/(\d+)$/)[1];
  await page.waitForFunction((id) => document.querySelector('#job h1')?.textContent === `Job ${id}_0`, arrayId);
  await page.click('nav a[data-view=queue]');
  await page.waitForSelector(`#jobs tr.array[data-array="${arrayId}"]`);
  assert.match(await page.textContent(`#jobs tr.array[data-array="${arrayId}"]`), new RegExp(`${arrayId}_\\[0-2\\].*sweep.*3 tasks`));
  assert.equal(await page.locator('#jobs tr.task').count(), 0);
  await page.click(`#jobs tr.array[data-array="${arrayId}"] button.toggle`);
  await page.waitForFunction(() => document.querySelectorAll('#jobs tr.task').length === 3);
  assert.deepEqual(await page.$$eval('#jobs tr.task td:first-child', (tds) => tds.map((td) => td.textContent)),
    [0, 1, 2].map((t) => `${arrayId}_${t}`));

  step('the queue shows it, and filters by state');
  await page.goto(`${url}/#/queue?state=COMPLETED`);
  await page.waitForSelector(`#jobs tr[data-job="${jobId}"]`);
  const cells = await page.$$eval(`#jobs tr[data-job="${jobId}"] td`, (tds) => tds.map((td) => td.textContent));
  assert.equal(cells[1], 'from-the-page');
  assert.equal(cells[3], 'COMPLETED');
  assert.equal(cells[6], '2 of 2');
  await page.screenshot({ path: `${artifacts}/dashboard-queue.png` });
  await page.goto(`${url}/#/queue?state=PENDING`);
  await page.waitForSelector('text=No jobs match.');

  step('at a phone\'s width (390 px) nothing overflows and Sign out stays in the header');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${url}/#/queue`);
  await page.waitForSelector('#jobs');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'the page is wider than the phone');
  const header = await page.locator('header').boundingBox(), signOut = await page.locator('#sign-out').boundingBox();
  assert.ok(signOut.y >= header.y && signOut.y + signOut.height <= header.y + header.height, 'Sign out left the header');
  await page.screenshot({ path: `${artifacts}/dashboard-phone-queue.png`, fullPage: true });
  await page.goto(`${url}/#/jobs/${jobId}`);
  await page.waitForSelector('#job .state[data-state=COMPLETED]');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'the job page is wider than the phone');
  await page.screenshot({ path: `${artifacts}/dashboard-phone-job.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });

  step('a provider sees its page: earnings and use charts, the jobs it ran; no buttons it may not use');
  await page.click('#sign-out');
  await page.fill('#token', workerToken);
  await page.click('#sign-in button[type=submit]');
  await page.waitForSelector('#jobs');
  assert.ok(await page.locator('nav a[data-view=submit]').isHidden(), 'a worker submits nothing');
  await page.click('nav a[data-view=provider]');
  await page.waitForSelector('#provider #earnings-chart svg rect', { state: 'attached' });
  await page.waitForSelector('#served tbody tr');
  const earned = await page.$$eval('#provider dl dt', (dts) => Object.fromEntries(dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
  assert.match(earned['Earned, last 30 days'], /^\d+\.\d{6} from [1-9]\d* job\(s\)$/);
  assert.ok(Number(earned['Earned, last 30 days'].split(' ')[0]) > 0, JSON.stringify(earned));
  assert.match(earned['Partitions'], /worker-\d \(UP, 1 CPU, no GPU, reputation/);
  assert.equal(await page.locator('#earnings-chart rect').count(), 30);
  assert.ok(await page.locator('#use-chart rect').count() === 30);
  await page.screenshot({ path: `${artifacts}/dashboard-provider.png`, fullPage: true });
  await page.goto(`${url}/#/jobs/${jobId}`);
  await page.waitForSelector('#job .state');
  assert.equal(await page.locator('#cancel').count(), 0);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${url}/#/provider`);
  await page.waitForSelector('#provider #use-chart svg', { state: 'attached' });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'the provider page is wider than the phone');
  await page.screenshot({ path: `${artifacts}/dashboard-phone-provider.png`, fullPage: true });

  step('a job verified by score shows who validated it and what each replica scored');
  // Submitted by a user of its own: og-sbatch signs with a key of its own, and the page's
  // key is the signed-in user's.
  const scorer = newUser('scorer');
  const scoredId = submitScoredJob(scorer);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.click('#sign-out');
  await page.fill('#token', readFileSync(scorer, 'utf8').trim());
  await page.click('#sign-in button[type=submit]');
  await page.waitForSelector('#jobs');
  await page.goto(`${url}/#/jobs/${scoredId}`);
  await page.waitForSelector('#job .state[data-state=COMPLETED]', { timeout: 60000 });
  await page.waitForSelector('#validators tbody tr.median');
  const scores = await page.$$eval('#validators tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
  assert.equal(scores.length, 2, JSON.stringify(scores));
  assert.deepEqual([scores[0][1], scores[0][2]], ['validator-1', 'DONE']);
  assert.deepEqual(scores[0].slice(3, 5), ['1.00', '1.00']);
  assert.deepEqual(scores[1].slice(1, 5), ['median', '', '1.00', '1.00']);
  assert.match(await page.textContent('#verdict'), /^accepted by score: replica \d+ scored best \(1\.00\) of 2, by 1 validator\(s\)$/);
  await page.screenshot({ path: `${artifacts}/dashboard-validators.png`, fullPage: true });

  assert.deepEqual(pageErrors, [], 'the page threw');
  step(`passed (screenshots in ${artifacts})`);
} catch (err) {
  // What the page said, and how it looked, when the test failed.
  console.error(`dashboard test: failed at ${page.url()}; the page said: ${await page.textContent('#problem').catch(() => '?')}`);
  await page.screenshot({ path: `${artifacts}/dashboard-failure.png`, fullPage: true }).catch(() => {});
  throw err;
} finally {
  await browser.close();
}
