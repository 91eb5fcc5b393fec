/**
 * Worker side of run-in-worker.ts: one full sync pass (read, store snapshot, plan, apply) on the worker's own
 * database connection, reporting phases, log lines and the result to the main thread. The same entry serves a
 * first sync's group reader (group-reader.ts), which the sync worker starts: workerData tells which.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { openLdapConnection } from '../../directory/ldap/index.ts';
import { openStore } from '../../store/database.ts';
import type { SyncLogLine } from '../../store/sync-runs-repo.ts';
import { ldapSourceFromSettings } from './ldap-source.ts';
import { startGroupReader, unpackStrings, type GroupReaderData, type GroupReaderJob, type GroupReaderMessage } from './group-reader.ts';
import { errorMessage, type SyncWorkerCommand, type SyncWorkerInput, type SyncWorkerMessage } from './run-in-worker.ts';
import { readGroupPass } from './read-groups.ts';
import { runSource } from './run-source.ts';

const post = (m: SyncWorkerMessage): void => parentPort!.postMessage(m);

async function main(input: SyncWorkerInput): Promise<void> {
  if (process.env.SPOOL_SYNC_DEBUG) process.stderr.write(`[sync worker] running (${new Date().toISOString().slice(11, 23)})\n`);
  const preloaded = input.preload ? new Promise<SyncWorkerCommand['store']>((resolve) => parentPort!.once('message', (m: SyncWorkerCommand) => resolve(m.store))) : undefined;
  const store = await openStore({ databaseUrl: input.store.databaseUrl, dataDir: input.store.dataDir, migrate: false, poolSize: 2 });
  let lines: SyncLogLine[] = [];
  const flush = (): void => {
    if (lines.length) post({ type: 'log', lines });
    lines = [];
  };
  let lastPhase = 0;
  let debugPhase = '';
  let elu = performance.eventLoopUtilization();
  const started = Date.now();
  try {
    const src = await ldapSourceFromSettings(input.settings, input.source);
    const o = input.options;
    const result = await runSource(src, {
      db: store.db, engine: store.engine, now: new Date(o.now), actor: o.actor, mode: o.mode, dryRun: o.dryRun, allowMassDelete: o.allowMassDelete,
      cursor: o.cursor, settings: input.settings, defaults: o.defaults, pinKey: o.pinKey, exclusiveConnection: true, preloaded,
      startGroupReader: () => startGroupReader(input.settings, input.source), onUsersWritten: () => post({ type: 'users-written' }),
      log: (l) => {
        // Stamped here: the main thread writes the lines in batches (the clock is the worker's own: o.now is the run's start).
        lines.push({ ...l, at: new Date().toISOString() });
        if (lines.length >= 500) flush();
      },
      onPhase: (phase, extra) => {
        const now = Date.now();
        // SPOOL_SYNC_DEBUG=1: phase timings and memory on stderr, for tuning big syncs.
        if (process.env.SPOOL_SYNC_DEBUG && phase !== debugPhase) {
          const m = process.memoryUsage();
          // How busy this thread was in the phase that just ended (1 = never waited on the directory or the disk).
          const busy = performance.eventLoopUtilization(elu).utilization;
          elu = performance.eventLoopUtilization();
          process.stderr.write(`[sync worker] ${((now - started) / 1000).toFixed(2)} s ${phase}: heap ${(m.heapUsed / 1e6).toFixed(0)}/${(m.heapTotal / 1e6).toFixed(0)} MB, rss ${(m.rss / 1e6).toFixed(0)} MB; previous phase busy ${(busy * 100).toFixed(0)}% (${new Date(now).toISOString().slice(11, 23)})\n`);
          debugPhase = phase;
        }
        if (now - lastPhase < 200 && !/^(planning|applying)$/.test(phase)) return;
        lastPhase = now;
        flush();
        post({ type: 'phase', phase, extra: extra ?? {} });
      },
    });
    flush();
    post({ type: 'done', result });
  } finally {
    flush(); // a failed pass's lines too: they go before its error
    await store.close();
  }
}

/** A group reader (group-reader.ts): connects at once, then waits for the users, reads the groups and answers. */
async function serveGroups(data: GroupReaderData): Promise<void> {
  const job = new Promise<GroupReaderJob>((resolve) => parentPort!.once('message', resolve));
  const src = await ldapSourceFromSettings(data.settings, data.source);
  const conn = await openLdapConnection(src.connection);
  try {
    const j = await job;
    let dns: string[] | undefined;
    let usernames: string[] | undefined;
    const result = await readGroupPass(conn, src, { dns: () => (dns ??= unpackStrings(j.dns)), usernames: () => (usernames ??= unpackStrings(j.usernames)) }, j.keying, () => undefined);
    parentPort!.postMessage({ type: 'groups', result } satisfies GroupReaderMessage);
  } finally {
    await conn.close();
  }
}

const data = workerData as SyncWorkerInput | GroupReaderData;
('groupReader' in data ? serveGroups(data) : main(data)).catch((e: unknown) => {
  post({ type: 'error', error: errorMessage(e) });
  parentPort!.removeAllListeners('message'); // a listener left waiting would keep this thread alive
});
