/**
 * A first sync's group pass on a worker thread of its own, with a directory connection of its own, while the sync
 * worker writes the new users (see writesUsersEarly in run-source.ts).
 *
 * Started when the sync knows it is a first sync, before it reads the users: the worker loads its code (the sync
 * worker's bundle) and connects meanwhile, then waits for the users' DNs and names, reads the groups, answers with
 * them (their members as user indexes) and exits. Its memory goes back to the system then, before the sync writes
 * the memberships, its peak: the same pass in the sync worker's heap, or in the CLI's thread, raised a first sync's
 * peak RSS from 336-357 MB to 390-405 MB (100,000 users, 600,000 member values).
 */
import { Worker } from 'node:worker_threads';
import type { SourceName } from '../../domain/sync/types.ts';
import { SpoolError } from '../../errors.ts';
import type { GroupKeying, GroupPassResult, GroupPassUsers } from './read-groups.ts';
import { errorFromMessage, WORKER_ENTRY, type SyncWorkerMessage } from './run-in-worker.ts';

/** workerData of a group reader (the sync worker's entry tells it from a sync job by `groupReader`). */
export interface GroupReaderData {
  groupReader: true;
  settings: Record<string, unknown>;
  source: SourceName;
}

/** Sync worker → group reader: the users, by index. */
export interface GroupReaderJob {
  dns: PackedStrings;
  usernames: PackedStrings;
  keying: GroupKeying | undefined;
}

/**
 * Strings crossing to the reader as one text and their lengths: a structured clone of 100,000 strings cost the
 * sending thread (the sync worker, then about to write the users) 13 ms, one string and a transferred buffer almost
 * nothing; the reader, which has time, cuts them apart.
 */
export interface PackedStrings {
  text: string;
  lengths: Int32Array;
}

export function packStrings(list: readonly string[]): PackedStrings {
  const lengths = new Int32Array(list.length);
  for (let i = 0; i < list.length; i++) lengths[i] = list[i]!.length;
  return { text: list.join(''), lengths };
}

export function unpackStrings(p: PackedStrings): string[] {
  const out = new Array<string>(p.lengths.length);
  let at = 0;
  for (let i = 0; i < out.length; i++) out[i] = p.text.slice(at, (at += p.lengths[i]!));
  return out;
}

/** Group reader → sync worker. */
export type GroupReaderMessage = { type: 'groups'; result: GroupPassResult } | Extract<SyncWorkerMessage, { type: 'error' }>;

export interface GroupReader {
  /** Reads the groups for these users (once). */
  read(users: GroupPassUsers, keying: GroupKeying | undefined): Promise<GroupPassResult>;
  /** Ends the reader if it was not used, or not to the end. */
  stop(): void;
}

/**
 * Heap of a group reader: it holds the users' DNs and names, one page of group entries and the groups with their
 * members as indexes (about 40 MB at 100,000 users).
 */
const YOUNG_MB = 16;
const OLD_MB = 1024;

/** Starts a group reader; throws when the worker cannot be started. */
export function startGroupReader(settings: Record<string, unknown>, source: SourceName): GroupReader {
  const worker = new Worker(WORKER_ENTRY, {
    workerData: { groupReader: true, settings, source } satisfies GroupReaderData,
    execArgv: [],
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MB, maxOldGenerationSizeMb: OLD_MB },
  });
  const result = new Promise<GroupPassResult>((resolve, reject) => {
    let answered = false;
    worker.once('message', (m: GroupReaderMessage) => {
      answered = true;
      if (m.type === 'groups') resolve(m.result);
      else reject(errorFromMessage(m.error));
    });
    worker.once('error', (e) => {
      answered = true;
      reject(e);
    });
    worker.once('exit', (code) => {
      if (!answered) reject(new SpoolError('sync.failed', `The group reader stopped unexpectedly (exit code ${code}).`, { status: 500 }));
    });
  });
  result.catch(() => undefined); // read() hands it on; a reader never asked must not leave it unhandled
  return {
    read(users, keying) {
      const job: GroupReaderJob = { dns: packStrings(users.dns()), usernames: packStrings(users.usernames()), keying };
      worker.postMessage(job, [job.dns.lengths.buffer as ArrayBuffer, job.usernames.lengths.buffer as ArrayBuffer]);
      return result;
    },
    stop() {
      void worker.terminate();
    },
  };
}
