/** Printers, test prints and scheduled group quotas, on both engines, plus their CLI and API twins. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { SpoolError } from '../src/errors.ts';
import { buildHttpServer } from '../src/http/server.ts';
import { cliEnv, openTestApp, testEngines, type TestApp } from './helpers/stores.ts';
import { runCli } from './helpers/cli.ts';

const ACTOR = 'test';

async function rejectsWith(p: Promise<unknown>, code: string, status?: number): Promise<SpoolError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof SpoolError, `expected a SpoolError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (status !== undefined) assert.equal(e.status, status);
    return e;
  }
  assert.fail(`expected ${code}`);
}

for (const engine of testEngines()) {
  describe(`printing on ${engine}`, () => {
    let app: TestApp;
    before(async () => {
      app = await openTestApp(engine);
    });
    after(async () => app.dispose());

    test('printers: add, list, rename, re-price, disable; bad names, costs and duplicates are refused', async () => {
      const { printing } = app.services;
      const p = await printing.addPrinter({ name: ' Library Colour ', cost: '0.25' }, ACTOR);
      assert.equal(p.name, 'Library Colour');
      assert.equal(p.costPerPageCents, 25);
      await rejectsWith(printing.addPrinter({ name: 'Library Colour', cost: '0.10' }, ACTOR), 'printers.duplicate', 409);
      await rejectsWith(printing.addPrinter({ name: 'Cheap', cost: '-0.10' }, ACTOR), 'printers.invalid_cost');
      await rejectsWith(printing.addPrinter({ name: 'Odd', cost: '0.105' }, ACTOR), 'accounts.invalid_amount');
      await rejectsWith(printing.addPrinter({ name: '  ', cost: '0.10' }, ACTOR), 'printers.invalid_name');
      // A bad cost in an update changes nothing, not even the valid name beside it.
      await rejectsWith(printing.updatePrinter(p.id, { name: 'Renamed', cost: 'ten' }, ACTOR), 'accounts.invalid_amount');
      assert.equal((await printing.requirePrinter(p.id)).name, 'Library Colour');
      const u = await printing.updatePrinter('Library Colour', { name: 'Library', cost: 0.15, disabled: true }, ACTOR);
      assert.deepEqual([u.name, u.costPerPageCents, u.disabled], ['Library', 15, true]);
      assert.equal((await printing.listPrinters({ includeDisabled: false })).some((x) => x.id === p.id), false);
      await rejectsWith(printing.requirePrinter('nope'), 'printers.not_found', 404);
      const audit = await app.services.audit.list({ limit: 10, action: 'printers.update' });
      assert.equal(audit.length, 1, 'the refused update was not audited');
    });

    test('a test print is one page, recorded and charged at the printer cost in one step', async () => {
      const { printing, users } = app.services;
      await users.add({ username: 'ann', initialBalance: '1.00', restricted: true }, ACTOR);
      const printer = await printing.addPrinter({ name: 'Hall', cost: '0.10' }, ACTOR);
      const r = await printing.testPrint('ann', printer.id, 'user:ann');
      assert.deepEqual({ pages: r.pages, costCents: r.costCents, balanceCents: r.balanceCents, printer: r.printer }, { pages: 1, costCents: 10, balanceCents: 90, printer: 'Hall' });
      const d = await users.show('ann');
      assert.equal(d.account?.balanceCents, 90);
      assert.equal(d.jobs.length, 1);
      assert.deepEqual([d.jobs[0]?.status, d.jobs[0]?.costCents, d.jobs[0]?.printerName], ['printed', 10, 'Hall']);
      assert.equal(d.transactions[0]?.amountCents, -10);
      assert.match(d.transactions[0]?.reason ?? '', new RegExp(`Print job #${r.jobId}`));
    });

    test('a restricted user without credit is refused clearly; nothing is charged; the refusal is kept', async () => {
      const { printing, users } = app.services;
      await users.add({ username: 'broke', initialBalance: '0.05', restricted: true }, ACTOR);
      const printer = await printing.addPrinter({ name: 'Dear', cost: '0.10' }, ACTOR);
      const e = await rejectsWith(printing.testPrint('broke', printer.id, 'user:broke'), 'accounts.insufficient_credit', 402);
      assert.match(e.message, /costs 0\.10 and the balance is 0\.05/);
      const d = await users.show('broke');
      assert.equal(d.account?.balanceCents, 5);
      assert.equal(d.transactions.length, 1, 'only the initial credit');
      assert.deepEqual(d.jobs.map((j) => j.status), ['refused']);
    });

    test('unrestricted users may go below zero; zero-cost printers charge nothing', async () => {
      const { printing, users } = app.services;
      await users.add({ username: 'staff', restricted: false }, ACTOR);
      const printer = await printing.addPrinter({ name: 'Office', cost: '0.30' }, ACTOR);
      assert.equal((await printing.testPrint('staff', printer.id, ACTOR)).balanceCents, -30);
      const free = await printing.addPrinter({ name: 'Free', cost: '0' }, ACTOR);
      assert.equal((await printing.testPrint('staff', free.id, ACTOR)).balanceCents, -30);
      const d = await users.show('staff');
      assert.equal(d.jobs.length, 2);
      assert.equal(d.transactions.length, 1, 'no zero transaction for a free page');
    });

    test('disabled users and disabled printers are refused', async () => {
      const { printing, users } = app.services;
      await users.add({ username: 'gone', initialBalance: '5.00' }, ACTOR);
      const printer = await printing.addPrinter({ name: 'Lobby', cost: '0.10' }, ACTOR);
      await users.setDisabled('gone', true, ACTOR);
      await rejectsWith(printing.testPrint('gone', printer.id, ACTOR), 'printing.user_disabled', 403);
      await users.setDisabled('gone', false, ACTOR);
      await printing.updatePrinter(printer.id, { disabled: true }, ACTOR);
      await rejectsWith(printing.testPrint('gone', printer.id, ACTOR), 'printing.printer_disabled', 409);
      assert.equal((await users.show('gone')).account?.balanceCents, 500);
    });

    test('concurrent test prints never take a restricted account below zero', async () => {
      const { printing, users } = app.services;
      await users.add({ username: 'race', initialBalance: '0.30', restricted: true }, ACTOR);
      const printer = await printing.addPrinter({ name: 'Race', cost: '0.10' }, ACTOR);
      const results = await Promise.allSettled(Array.from({ length: 6 }, () => printing.testPrint('race', printer.id, ACTOR)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
      assert.equal((await users.show('race')).account?.balanceCents, 0);
    });
  });

  describe(`group quotas on ${engine}`, () => {
    let app: TestApp;
    let now = new Date('2026-03-02T08:00:00Z'); // a Monday
    before(async () => {
      app = await openTestApp(engine, {}, () => now);
    });
    after(async () => app.dispose());

    async function group(name: string, members: string[]): Promise<number> {
      const t = new Date().toISOString();
      const id = await app.deps.repos.groups.insert({ name, source: 'internal' }, t);
      const ids: number[] = [];
      for (const m of members) ids.push((await app.deps.repos.users.findByUsername(m))?.id ?? (await app.services.users.add({ username: m }, ACTOR)).id);
      await app.deps.repos.groups.addMembers(id, ids);
      return id;
    }
    const balance = async (u: string): Promise<number> => (await app.services.users.show(u)).account?.balanceCents ?? NaN;

    test('each due quota is granted once per period, to enabled members only', async () => {
      await group('students', ['s1', 's2', 's3']);
      await group('library', ['s1']);
      await app.services.groups.setPolicy('students', { quota: '2.00', quotaPeriod: 'week' }, ACTOR);
      await app.services.groups.setPolicy('library', { quota: '0.50', quotaPeriod: 'day' }, ACTOR);
      await app.services.users.setDisabled('s3', true, ACTOR);

      const first = await app.services.quota.run('system:quota');
      assert.deepEqual(first.grants.map((g) => [g.group, g.users, g.amountCents]).sort(), [['library', 1, 50], ['students', 2, 200]]);
      assert.deepEqual([await balance('s1'), await balance('s2'), await balance('s3')], [250, 200, 0]);
      const tx = (await app.services.users.show('s2')).transactions[0];
      assert.deepEqual([tx?.amountCents, tx?.balanceAfterCents, tx?.reason], [200, 200, 'Weekly quota of group students']);

      const again = await app.services.quota.run('system:quota');
      assert.equal(again.grants.length, 0);
      assert.equal(again.notDue, 2);

      now = new Date('2026-03-03T08:00:00Z'); // Tuesday: the daily quota again, not the weekly one
      const tuesday = await app.services.quota.run('system:quota');
      assert.deepEqual(tuesday.grants.map((g) => g.group), ['library']);
      assert.equal(await balance('s1'), 300);

      now = new Date('2026-03-09T00:00:01Z'); // next Monday
      const monday = await app.services.quota.run('system:quota');
      assert.deepEqual(monday.grants.map((g) => g.group).sort(), ['library', 'students']);
      assert.equal(await balance('s2'), 400);
      assert.equal((await app.services.audit.list({ limit: 50, action: 'groups.quota-granted' })).length, 5);
    });

    test('two runs at the same moment grant a period once', async () => {
      await group('staff', ['t1', 't2']);
      await app.services.groups.setPolicy('staff', { quota: '1.00', quotaPeriod: 'month' }, ACTOR);
      const [a, b] = await Promise.all([app.services.quota.run('node-a'), app.services.quota.run('node-b')]);
      const staffGrants = [...a.grants, ...b.grants].filter((g) => g.group === 'staff');
      assert.equal(staffGrants.length, 1);
      assert.equal(await balance('t1'), 100);
    });
  });
}

describe('printers and quota from the CLI and the API', () => {
  let app: TestApp;
  let http: FastifyInstance;
  let token: string;
  before(async () => {
    app = await openTestApp('sqlite');
    http = (await buildHttpServer(app)).app;
    token = (await app.services.auth.createToken('api', 'tests', ACTOR)).token;
  });
  after(async () => {
    await http.close();
    await app.dispose();
  });

  test('spool printers add/list/set/disable/test-print and spool quota run', async () => {
    const env = cliEnv(app.db);
    const add = await runCli(['printers', 'add', 'Library', '--cost', '0.10', '--json'], env);
    assert.equal(add.code, 0, add.stderr);
    assert.equal(add.json<{ costPerPageCents: number }>().costPerPageCents, 10);
    const bad = await runCli(['printers', 'add', 'Other', '--cost', 'free'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not an amount of money/);
    assert.equal((await runCli(['printers', 'set', 'Library', '--cost', '0.20'], env)).code, 0);
    await app.services.users.add({ username: 'cli-user', initialBalance: '1.00' }, ACTOR);
    const tp = await runCli(['printers', 'test-print', 'cli-user', 'Library', '--json'], env);
    assert.equal(tp.code, 0, tp.stderr);
    assert.equal(tp.json<{ balanceCents: number }>().balanceCents, 80);
    assert.equal((await runCli(['printers', 'disable', 'Library'], env)).code, 0);
    const list = await runCli(['printers', 'list', '--json'], env);
    assert.deepEqual(list.json<Array<{ name: string; disabled: boolean }>>().map((p) => [p.name, p.disabled]), [['Library', true]]);
    const q = await runCli(['quota', 'run', '--json'], env);
    assert.equal(q.code, 0, q.stderr);
    assert.deepEqual(q.json(), { grants: [], notDue: 0 });
  });

  test('/api/v1/printers, test print (402 without credit) and quota run', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const add = await http.inject({ method: 'POST', url: '/api/v1/printers', headers: auth, payload: { name: 'Api Printer', cost: '0.50' } });
    assert.equal(add.statusCode, 201, add.body);
    const id = add.json<{ id: number }>().id;
    const patch = await http.inject({ method: 'PATCH', url: `/api/v1/printers/${id}`, headers: auth, payload: { cost: '0.75' } });
    assert.equal(patch.json<{ costPerPageCents: number }>().costPerPageCents, 75);
    await app.services.users.add({ username: 'api-user', initialBalance: '1.00', restricted: true }, ACTOR);
    const ok = await http.inject({ method: 'POST', url: `/api/v1/printers/${id}/test-print`, headers: auth, payload: { username: 'api-user' } });
    assert.equal(ok.statusCode, 201, ok.body);
    assert.equal(ok.json<{ balanceCents: number }>().balanceCents, 25);
    const refused = await http.inject({ method: 'POST', url: `/api/v1/printers/${id}/test-print`, headers: auth, payload: { username: 'api-user' } });
    assert.equal(refused.statusCode, 402);
    assert.equal(refused.json<{ error: { code: string } }>().error.code, 'accounts.insufficient_credit');
    const q = await http.inject({ method: 'POST', url: '/api/v1/quota/run', headers: auth });
    assert.equal(q.statusCode, 200, q.body);
    const spec = await http.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    assert.ok(spec.json<{ paths: Record<string, unknown> }>().paths['/api/v1/printers/{id}/test-print']);
  });
});
