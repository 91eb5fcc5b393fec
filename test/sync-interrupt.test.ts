/**
 * A failed or interrupted sync leaves Spool consistent and the next sync completes the work: the directory
 * connection cut in the middle of a read (through a loopback TCP proxy), and the `spool sync now` process killed
 * in the middle of writing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateDirectory } from './harness/directory-data.ts';
import { startSlapd, type SlapdServer } from './harness/slapd.ts';
import { cliEnv, openTestApp, testEngines, type TestApp } from './helpers/stores.ts';
import { configure, slapdSettings, storeCounts, storeDigest } from './sync-support.ts';

const BASE = 'dc=example,dc=com';
const USERS = 1500;
const dir = generateDirectory({ baseDn: BASE, users: USERS, groups: 5, escapedDns: false });

/**
 * A loopback proxy to slapd that, when armed, cuts every connection after `cutAfter` bytes from the server, or only
 * the `connection`-th one opened after `cutOnly` was set.
 */
async function startProxy(target: number): Promise<{ port: number; cutAfter: number | null; cutOnly: { connection: number; after: number } | null; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const state = { cutAfter: null as number | null, cutOnly: null as { connection: number; after: number } | null, opened: 0 };
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: target });
    sockets.add(client).add(upstream);
    const nth = ++state.opened;
    const only = state.cutOnly;
    const cutAfter = only ? (nth === only.connection ? only.after : null) : state.cutAfter;
    let sent = 0;
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      sent += d.length;
      if ((cutAfter ?? state.cutAfter) !== null && sent > (cutAfter ?? state.cutAfter)!) {
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(d);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return Object.assign(state, {
    port,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  });
}

/** Every user has exactly one account and nothing refers to a user that is gone. */
async function assertConsistent(app: TestApp): Promise<void> {
  const db = app.store.db;
  const orphans = await db.selectFrom('users').leftJoin('accounts', 'accounts.userId', 'users.id').where('accounts.userId', 'is', null).select('users.username').execute();
  assert.deepEqual(orphans, [], 'every user has an account');
  const dangling = await db.selectFrom('memberships').leftJoin('users', 'users.id', 'memberships.userId').where('users.id', 'is', null).select('memberships.userId').execute();
  assert.deepEqual(dangling, []);
}

for (const engine of testEngines()) {
  describe(`interrupted syncs on ${engine}`, () => {
    let slapd: SlapdServer;
    let proxy: Awaited<ReturnType<typeof startProxy>>;
    let app: TestApp;
    before(async () => {
      [slapd, app] = await Promise.all([startSlapd({ baseDn: BASE, data: dir }), openTestApp(engine)]);
      proxy = await startProxy(slapd.port);
      await configure(app, { ...slapdSettings(slapd, 'none'), 'ldap.hosts': [`127.0.0.1:${proxy.port}`], 'ldap.page-size': 100, 'ldap.timeout-ms': 5000 });
    });
    after(async () => {
      await proxy?.close();
      await app?.dispose();
      await slapd?.stop();
    });

    test('the directory connection cut mid-read: the sync fails clearly, nothing is written, the next sync completes', async () => {
      const before = await storeDigest(app);
      proxy.cutAfter = 200_000; // a few pages into the user search
      const r = await app.services.sync.run({});
      proxy.cutAfter = null;
      assert.equal(r.status, 'failed');
      assert.match(r.message ?? '', /connection|closed|reset/i);
      assert.equal(await storeDigest(app), before);
      const [run] = await app.services.sync.runs(1);
      assert.equal(run?.status, 'failed');
      const next = await app.services.sync.run({});
      assert.equal(next.status, 'succeeded', next.message);
      assert.equal(next.users.added, USERS);
      await assertConsistent(app);
    });

    test('a first sync that loses the directory while reading the groups keeps the users it wrote meanwhile; the next sync adds the memberships', async () => {
      // A first sync writes its users while a thread of its own reads the groups (run-source.ts, writesUsersEarly):
      // the sync worker connects first, the group reader second; the group reader's connection is cut.
      await app.store.db.deleteFrom('users').execute();
      await app.store.db.deleteFrom('groups').execute();
      Object.assign(proxy, { opened: 0, cutOnly: { connection: 2, after: 2_000 } });
      const r = await app.services.sync.run({});
      proxy.cutOnly = null;
      assert.equal(r.status, 'failed');
      assert.match(r.message ?? '', /connection|closed|reset/i);
      const mid = await storeCounts(app);
      assert.deepEqual([mid.users, mid.memberships], [USERS, 0]);
      await assertConsistent(app);
      const log = await app.services.sync.log(r.runId!, {});
      assert.ok(log.lines.some((l) => /^Added \d+ new user\(s\) with their accounts in [\d.]+ s while the groups were read; their group memberships follow\.$/.test(l.message) && l.message.startsWith(`Added ${USERS} `)), JSON.stringify(log.lines.map((l) => l.message)));
      const next = await app.services.sync.run({});
      assert.equal(next.status, 'succeeded', next.message);
      assert.deepEqual([next.users.added, next.users.unchanged, next.memberships.added], [0, USERS, USERS * 2]);
      await assertConsistent(app);
    });

    test('spool sync now killed while writing: the store stays consistent and the next sync completes the work', async () => {
      // Start from an empty store of directory users again.
      await app.store.db.deleteFrom('users').execute();
      await app.store.db.deleteFrom('groups').execute();
      const child = spawn(process.execPath, [path.resolve(import.meta.dirname, '../bin/spool.js'), 'sync', 'now', '--json'], {
        env: { ...cliEnv(app.db), SPOOL_SYNC_BATCH: '20', SPOOL_SYNC_WORKER: 'off' },
        stdio: 'ignore',
      });
      const exited = once(child, 'exit');
      let seen = 0;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        seen = (await storeCounts(app)).users;
        if (seen > 0) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      child.kill('SIGKILL');
      await exited;
      const mid = await storeCounts(app);
      assert.ok(mid.users > 0 && mid.users < USERS, `killed part-way (${mid.users} of ${USERS} users written)`);
      await assertConsistent(app);
      const r = await app.services.sync.run({});
      assert.equal(r.status, 'succeeded', r.message);
      assert.equal(r.users.added, USERS - mid.users);
      const end = await storeCounts(app);
      assert.equal(end.users, USERS);
      assert.equal(end.memberships, USERS * 2);
      await assertConsistent(app);
      const runs = await app.services.sync.runs(5);
      assert.equal(runs[1]?.status, 'failed', 'the killed run is marked failed');
      assert.match(runs[1]?.error ?? '', /Interrupted/);
    });
  });
}
