// The MatchKraft component in Node.js (jco + preview2-shim) against a running
// API, normally the simulator that tests/other_hosts.rs starts.
//
//   MATCHKRAFT_BASE_URL=http://127.0.0.1:PORT/api/v2 MATCHKRAFT_API_KEY=sim-key \
//   node --test test/
//
// The component is loaded from $MATCHKRAFT_JCO_OUT (default `.jco/matchkraft`),
// where `node transpile.mjs` put it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
// The shim the transpiled module imports, resolved from the same node_modules,
// so this is the very module instance the component reads its environment from.
import { _setEnv } from '@bytecodealliance/preview2-shim/cli';

const here = dirname(fileURLToPath(import.meta.url));
const baseUrl = process.env.MATCHKRAFT_BASE_URL;
const apiKey = process.env.MATCHKRAFT_API_KEY;
assert.ok(baseUrl && apiKey, 'set MATCHKRAFT_BASE_URL and MATCHKRAFT_API_KEY');

// preview2-shim hands the guest a snapshot of the whole of `process.env` by
// default; give it only what it needs, as the other hosts do.
const withKey = (key) => _setEnv({ MATCHKRAFT_BASE_URL: baseUrl, MATCHKRAFT_API_KEY: key });
withKey(apiKey);

const out = resolve(process.env.MATCHKRAFT_JCO_OUT ?? join(here, '..', '.jco', 'matchkraft'));
const { api, webhooks } = await import(pathToFileURL(join(out, 'matchkraft_component.js')).href);

/** The error a component function threw (jco throws `err` results as `ComponentError`). */
function thrownBy(f) {
  try {
    f();
  } catch (e) {
    assert.ok(Object.hasOwn(e, 'payload'), `not a ComponentError: ${e?.stack ?? e}`);
    return e.payload;
  }
  assert.fail('expected the call to return `err`');
}

/** Submits, polls `status` until the job is terminal, then fetches the results. */
async function run(jobName, records) {
  const job = api.submit(jobName, records);
  assert.equal(job.jobType, records.tag);
  assert.equal(job.status.tag, 'pending');
  assert.equal(job.name, jobName);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const current = api.status(records.tag, job.id);
    assert.equal(current.id, job.id);
    if (current.status.tag === 'completed' || current.status.tag === 'failed') break;
    assert.ok(Date.now() < deadline, `job did not finish: ${JSON.stringify(current)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const results = api.results(records.tag, job.id);
  assert.equal(results.job.id, job.id);
  assert.deepEqual(results.job.status, { tag: 'completed' });
  assert.equal(results.records.tag, records.tag);
  return results.records.val;
}

test('email validation: submit, poll status, typed results', async () => {
  const rows = await run('node-jco', {
    tag: 'email-validation',
    val: ['john@gmail.com', 'test@domain.com'],
  });
  assert.equal(rows.length, 2);
  const [john, catchAll] = rows;
  assert.equal(john.email, 'john@gmail.com');
  assert.deepEqual(john.status, { tag: 'valid' });
  assert.equal(john.verified, true);
  assert.equal(john.reason, 'mailbox exists');
  assert.equal(JSON.parse(john.raw).email, 'john@gmail.com');
  assert.equal(catchAll.email, 'test@domain.com');
  assert.deepEqual(catchAll.status, { tag: 'catch-all' });
  assert.equal(catchAll.verified, false);
  console.log(`node: john@gmail.com -> ${john.status.tag}`);
});

test('email finder: records and options cross the boundary', async () => {
  const [found] = await run('node-jco-finder', {
    tag: 'email-finder',
    val: [{ firstName: 'Arseniy', lastName: 'Grusha', website: 'https://dataprana.io' }],
  });
  assert.equal(found.email, 'arseniy@dataprana.io');
  assert.equal(found.confidence, 97);
});

test('a wrong key is permanent-unauthorized', () => {
  withKey('not-the-key');
  try {
    const error = thrownBy(() =>
      api.submit('node-jco-bad-key', { tag: 'email-validation', val: ['john@gmail.com'] }),
    );
    assert.equal(error.tag, 'permanent-unauthorized');
    assert.equal(typeof error.val, 'string');
    assert.ok(!error.val.includes('not-the-key'), 'the error must not echo the key');
  } finally {
    withKey(apiKey);
  }
});

test('invalid input names the record and sends nothing', () => {
  const error = thrownBy(() =>
    api.submit('node-jco-invalid', { tag: 'email-validation', val: ['john@gmail.com', 'not an email'] }),
  );
  assert.equal(error.tag, 'permanent-invalid-input');
  assert.equal(error.val.index, 1);
});

test('an unknown job is permanent-not-found', () => {
  const error = thrownBy(() => api.status('email-validation', '00000000-0000-4000-8000-000000000000'));
  assert.equal(error.tag, 'permanent-not-found');
});

test('webhooks: parse-webhook and results-path', () => {
  const id = '20f70187-b941-4bb0-b10f-599b025fc425';
  const body = JSON.stringify({ event: 'job.completed', jobId: id, jobType: 'email-validation', status: 'COMPLETED' });
  const event = webhooks.parseWebhook(new TextEncoder().encode(body));
  assert.deepEqual(event, {
    event: 'job.completed',
    jobId: id,
    jobType: 'email-validation',
    jobTypeName: 'email-validation',
    status: { tag: 'completed' },
  });
  const error = thrownBy(() => webhooks.parseWebhook(new TextEncoder().encode('{"event":"job.completed"}')));
  assert.equal(error.tag, 'permanent-invalid-input');
  assert.equal(webhooks.resultsPath('email-validation', id), `/email-validation/results/${id}`);
});
