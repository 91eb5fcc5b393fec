import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Logger } from '../../logger.ts';
import { startSyncSchedule } from './schedule.ts';
import type { RunSyncOptions, SyncRunResult } from './sync-service.ts';

/** A logger that hands each "sync schedule ..." record to the test. */
function capture() {
  const waiters: Array<(r: { schedule: string; next: string[]; msg: string }) => void> = [];
  const log = {
    info: (obj: { schedule?: string; next?: string[] }, msg: string) => {
      if (obj.schedule !== undefined) waiters.shift()?.({ schedule: obj.schedule, next: obj.next ?? [], msg });
    },
    warn: () => undefined,
    debug: () => undefined,
  } as unknown as Logger;
  return { log, next: () => new Promise<{ schedule: string; next: string[]; msg: string }>((r) => waiters.push(r)) };
}

test('the schedule follows the settings: nightly full at HH:MM, incremental every N minutes, off when disabled', async () => {
  const { log, next } = capture();
  let settings: Record<string, unknown> = {
    'sync.primary-source': 'ldap', 'sync.schedule.enabled': true, 'sync.schedule.full-time': '01:15', 'sync.schedule.incremental-minutes': 10,
  };
  const runs: RunSyncOptions[] = [];
  // The schedule's timers do not keep a process alive (unref); this test's waiting must.
  const keepAlive = setInterval(() => undefined, 1000);
  const first = next();
  const stop = startSyncSchedule({ log, snapshot: async () => settings, run: async (o) => (runs.push(o), {} as SyncRunResult) }, 20);
  try {
    const set = await first;
    assert.equal(set.schedule, '15 1 * * *|10');
    const full = new Date(set.next[0]!);
    assert.deepEqual([full.getHours(), full.getMinutes()], [1, 15], 'local time');
    assert.ok(new Date(set.next[1]!).getTime() - Date.now() <= 61_000, 'the incremental job checks every minute');

    const off = next();
    settings = { ...settings, 'sync.schedule.enabled': false };
    assert.equal((await off).msg, 'sync schedule off');

    const moved = next();
    settings = { ...settings, 'sync.schedule.enabled': true, 'sync.schedule.full-time': '02:00', 'sync.schedule.incremental-minutes': 0 };
    const m = await moved;
    assert.equal(m.schedule, '0 2 * * *|0');
    assert.equal(m.next.length, 1, 'incremental syncs off');

    const noLdap = next();
    settings = { ...settings, 'sync.primary-source': 'internal' };
    assert.equal((await noLdap).msg, 'sync schedule off', 'nothing to sync without an LDAP source');
    assert.equal(runs.length, 0, 'nothing ran yet');
  } finally {
    stop();
    clearInterval(keepAlive);
  }
});
