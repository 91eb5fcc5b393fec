/**
 * `npm run bench:scim`: SCIM speed with 100,000 users and 2,000 groups in SQLite, 32 connections, loopback only.
 *
 *   (a) a bare Fastify route returning a JSON body the size of (b)'s response (the baseline)
 *   (b) GET /scim/v2/Users?filter=userName eq "…" (a different user each request)
 *   (c) POST /scim/v2/Users (a new user each request)
 *   (d) a one-member PATCH (add, then remove) on a 50,000-member group
 *
 * The servers run in a child process so the load generator (this process) does not share their event loop.
 * Targets (issue 3): (b) ≥ 50% of (a)'s requests per second with p99 < 20 ms; (c) ≥ 1,000/s; (d) p99 < 20 ms.
 * Each phase runs PHASE_SECONDS (10 s by default; SPOOL_BENCH_SECONDS overrides). Not a test: prints numbers.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import Fastify from 'fastify';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { buildHttpServer } from '../src/http/server.ts';
import { createLogger } from '../src/logger.ts';
import { openStore } from '../src/store/database.ts';

const USERS = 100_000;
const GROUPS = 2_000;
const BIG_GROUP_MEMBERS = 50_000;
const CONNECTIONS = 32;
const PHASE_SECONDS = Number(process.env.SPOOL_BENCH_SECONDS ?? 10);
const userName = (i: number): string => `user${i}@bench.example`;

interface Histogram {
  average: number;
  p50: number;
  p99: number;
}
interface Result {
  requests: Histogram;
  latency: Histogram;
  non2xx: number;
  errors: number;
  duration: number;
  statusCodeStats: Record<string, { count: number }>;
}
interface Measured extends Result {
  /** Server CPU time per request, in µs: what the throughput would be bounded by on an otherwise idle core. */
  cpuPerRequest: number;
}
interface Req {
  method?: string;
  path?: string;
  body?: string;
  headers?: Record<string, string>;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<Result>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

function envFor(dataDir: string): Record<string, string> {
  return { SPOOL_DATA_DIR: dataDir, SPOOL_HTTP_PORT: '0', SPOOL_HTTPS_PORT: 'off', SPOOL_HOST: '127.0.0.1', SPOOL_LOG_LEVEL: 'silent', SPOOL_SCHEDULER: 'off' };
}

/** Seeds users, accounts, groups and memberships straight through the store, in batches, in one transaction. */
async function seed(dataDir: string): Promise<void> {
  const store = await openStore({ dataDir });
  const now = new Date().toISOString();
  await store.db.transaction().execute(async (trx) => {
    for (let start = 1; start <= USERS; start += 1000) {
      const ids = Array.from({ length: Math.min(1000, USERS - start + 1) }, (_, k) => start + k);
      await trx
        .insertInto('users')
        .values(
          ids.map((i) => ({
            username: userName(i),
            fullName: `Bench User ${i}`,
            email: userName(i),
            otherEmails: '[]',
            department: `Department ${i % 50}`,
            source: 'scim',
            sourceName: 'scim',
            sourceId: String(i),
            scimExternalId: `ext-${i}`,
            attributes: JSON.stringify({ scim: { userName: userName(i), name: { givenName: 'Bench', familyName: `User ${i}` }, emails: [{ type: 'work', value: userName(i), primary: true }] } }),
            disabled: 0,
            createdAt: now,
            updatedAt: now,
          })),
        )
        .execute();
      await trx.insertInto('accounts').values(ids.map((userId) => ({ userId, balanceCents: 0, restricted: 0, overdraftCents: 0, updatedAt: now }))).execute();
    }
    for (let start = 1; start <= GROUPS; start += 1000) {
      const ids = Array.from({ length: Math.min(1000, GROUPS - start + 1) }, (_, k) => start + k);
      await trx.insertInto('groups').values(ids.map((g) => ({ name: `Bench Group ${g}`, nameKey: `bench group ${g}`, source: 'scim', sourceName: 'scim', sourceId: String(g), attributes: '{}', createdAt: now, updatedAt: now }))).execute();
    }
    const memberships: Array<{ groupId: number; userId: number; direct: number }> = [];
    for (let u = 1; u <= BIG_GROUP_MEMBERS; u++) memberships.push({ groupId: 1, userId: u, direct: 1 });
    for (let g = 2; g <= GROUPS; g++) for (let k = 0; k < 25; k++) memberships.push({ groupId: g, userId: ((g * 7919 + k * 104_729) % USERS) + 1, direct: 1 });
    for (let i = 0; i < memberships.length; i += 5000) {
      await trx.insertInto('memberships').values(memberships.slice(i, i + 5000)).onConflict((oc) => oc.columns(['groupId', 'userId']).doNothing()).execute();
    }
  });
  await store.close();
}

/** Child process: the Spool server and the bare baseline server, on loopback ports it reports on stdout. */
async function serve(dataDir: string, token: string): Promise<void> {
  const app = await createApp({ config: loadConfig(envFor(dataDir)), log: createLogger('silent') });
  const { app: http } = await buildHttpServer(app);
  await http.listen({ host: '127.0.0.1', port: 0 });
  const sample = await http.inject({ method: 'GET', url: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${userName(4242)}"`)}`, headers: { authorization: `Bearer ${token}` } });
  const body = JSON.parse(sample.body) as unknown;
  const bare = Fastify();
  bare.get('/bare', async () => body);
  // Diagnostic (w): the HTTP floor of (d), a JSON body parsed and a 204.
  bare.addContentTypeParser('application/scim+json', { parseAs: 'string' }, bare.getDefaultJsonParser('error', 'error'));
  bare.patch('/bare', async (_req, reply) => reply.code(204).send());
  await bare.listen({ host: '127.0.0.1', port: 0 });
  const port = (s: typeof bare.server): number => (s.address() as { port: number }).port;
  process.stdout.write(JSON.stringify({ spool: port(http.server), bare: port(bare.server), bytes: sample.body.length }) + '\n');
  // "cpu" on stdin: report this process's CPU time so far (µs), to compute CPU per request of a phase.
  // "profile DIR/NAME": start a CPU profile, or write the running one to DIR/NAME.cpuprofile (SPOOL_BENCH_PROFILE).
  let profiler: Session | undefined;
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'cpu') {
      const u = process.cpuUsage();
      process.stdout.write(JSON.stringify({ cpu: u.user + u.system }) + '\n');
    } else if (line.startsWith('profile ')) {
      void toggleProfile(line.slice('profile '.length)).then(() => process.stdout.write('{}\n'));
    }
  });
  async function toggleProfile(file: string): Promise<void> {
    if (!profiler) {
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 100 }); // µs
      await profiler.post('Profiler.start');
      return;
    }
    const { profile } = await profiler.post('Profiler.stop');
    fs.writeFileSync(`${file}.cpuprofile`, JSON.stringify(profile));
    profiler.disconnect();
    profiler = undefined;
  }
  process.stdin.on('end', () => {
    void Promise.all([http.close(), bare.close()]).then(() => app.close()).then(() => process.exit(0));
  });
}

const SKIPPED: Measured = { cpuPerRequest: NaN, requests: { average: NaN, p50: NaN, p99: NaN }, latency: { average: NaN, p50: NaN, p99: NaN }, non2xx: 0, errors: 0, duration: 0, statusCodeStats: {} };
const rand = (lo: number, hi: number): number => lo + Math.floor(Math.random() * (hi - lo + 1));

let serverCpu: () => Promise<number> = () => Promise.resolve(0);
/** Starts (first call) or writes (second call) a CPU profile of the server process; a no-op unless SPOOL_BENCH_PROFILE is set. */
let serverProfile: (name: string) => Promise<void> = () => Promise.resolve();

async function run(title: string, url: string, opts: Record<string, unknown>, seconds = PHASE_SECONDS): Promise<Measured> {
  if (title) await serverProfile(title);
  const before = await serverCpu();
  const r = await autocannon({ url, connections: CONNECTIONS, duration: seconds, ...opts });
  const done = Object.values(r.statusCodeStats ?? {}).reduce((n, v) => n + Number(v.count), 0);
  const cpuPerRequest = done ? ((await serverCpu()) - before) / done : NaN;
  if (title) await serverProfile(title);
  if (title) {
    const codes = Object.entries(r.statusCodeStats ?? {}).map(([c, v]) => `${c}×${v.count}`).join(' ');
    console.log(`${title.padEnd(48)} ${r.requests.average.toFixed(0).padStart(7)} req/s   p50 ${String(r.latency.p50).padStart(3)} ms   p99 ${String(r.latency.p99).padStart(3)} ms   server CPU ${cpuPerRequest.toFixed(0).padStart(5)} µs/req   [${codes}${r.errors ? ` errors×${r.errors}` : ''}]`);
  }
  return { ...r, cpuPerRequest };
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-bench-'));
  const started = Date.now();
  try {
    process.stdout.write(`Seeding ${USERS.toLocaleString('en')} users and ${GROUPS.toLocaleString('en')} groups in SQLite (${dataDir})… `);
    await seed(dataDir);
    const app = await createApp({ config: loadConfig(envFor(dataDir)), log: createLogger('silent') });
    const { token } = await app.services.scim.tokens.create('bench', 'bench');
    await app.close();
    console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--serve', dataDir, token], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const nextLine = async (): Promise<string> => {
      const r = await lines.next();
      if (r.done) throw new Error('the server process ended');
      return r.value as string;
    };
    const ports = JSON.parse(await nextLine()) as { spool: number; bare: number; bytes: number };
    serverCpu = async () => {
      child.stdin.write('cpu\n');
      return (JSON.parse(await nextLine()) as { cpu: number }).cpu;
    };
    // SPOOL_BENCH_PROFILE=dir writes a CPU profile of the server process per phase there, e.g. dir/b.cpuprofile
    // (for finding hot spots; profiling adds its own cost to the µs/req column).
    const profileDir = process.env.SPOOL_BENCH_PROFILE;
    if (profileDir) {
      fs.mkdirSync(profileDir, { recursive: true });
      serverProfile = async (title) => {
        child.stdin.write(`profile ${path.resolve(profileDir, /^\((\w)\)/.exec(title)?.[1] ?? 'phase')}\n`);
        await nextLine();
      };
    }
    const base = `http://127.0.0.1:${ports.spool}`;
    const auth = { authorization: `Bearer ${token}` };
    const json = { ...auth, 'content-type': 'application/scim+json' };
    const lookup = { requests: [{ setupRequest: (req: Req): Req => ({ ...req, path: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${userName(rand(1, USERS))}"`)}` }) }], headers: auth };
    console.log(`Servers on 127.0.0.1 (response body ${ports.bytes} bytes); ${CONNECTIONS} connections, ${PHASE_SECONDS} s per phase\n`);

    const only = process.env.SPOOL_BENCH_ONLY; // e.g. "b" or "cd": run just these phases
    const want = (phase: string): boolean => !only || only.includes(phase);
    await run('', `http://127.0.0.1:${ports.bare}/bare`, {}, 2); // warm-up
    await run('', base, lookup, 2);
    // Diagnostics, only when asked for (SPOOL_BENCH_ONLY=hpw…): where (b)'s and (d)'s time goes beyond the bare routes.
    if (only?.includes('h')) await run('(h) Spool server GET /healthz', `${base}/healthz`, {});
    if (only?.includes('p')) await run('(p) GET /scim/v2/ServiceProviderConfig (auth, no DB)', `${base}/scim/v2/ServiceProviderConfig`, { headers: auth });
    if (only?.includes('w')) await run('(w) bare Fastify PATCH, same body, 204', `http://127.0.0.1:${ports.bare}/bare`, { method: 'PATCH', headers: json, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'remove', path: 'members[value eq "77777"]' }] }) });
    const a = !want('a') ? SKIPPED : await run('(a) bare Fastify route, same-size JSON', `http://127.0.0.1:${ports.bare}/bare`, {});
    const b = !want('b') ? SKIPPED : await run('(b) GET /Users?filter=userName eq "…"', base, lookup);
    let n = 0;
    const c = !want('c') ? SKIPPED : await run('(c) POST /Users', base, {
      method: 'POST',
      headers: json,
      requests: [{ setupRequest: (req: Req): Req => ({ ...req, path: '/scim/v2/Users', body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `new-${process.pid}-${++n}@bench.example`, displayName: `New ${n}`, active: true, emails: [{ type: 'work', value: `new-${n}@bench.example`, primary: true }] }) }) }],
    });
    let k = 0;
    const d = !want('d') ? SKIPPED : await run(`(d) PATCH one member of a ${BIG_GROUP_MEMBERS.toLocaleString('en')}-member group`, base, {
      method: 'PATCH',
      headers: json,
      requests: [
        {
          setupRequest: (req: Req): Req => {
            const id = rand(BIG_GROUP_MEMBERS + 1, USERS);
            const op = ++k % 2 ? { op: 'add', path: 'members', value: [{ value: String(id) }] } : { op: 'remove', path: `members[value eq "${id}"]` };
            return { ...req, path: '/scim/v2/Groups/1', body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [op] }) };
          },
        },
      ],
    });
    child.stdin.end();
    await new Promise((resolve) => child.once('exit', resolve));

    const ratio = b.requests.average / a.requests.average;
    const verdict = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
    console.log(`\nRatio (b)/(a): ${(ratio * 100).toFixed(0)}% of the bare route (target ≥ 50%): ${verdict(ratio >= 0.5)}`);
    console.log(`  by server CPU per request: ${((a.cpuPerRequest / b.cpuPerRequest) * 100).toFixed(0)}% (less sensitive to other load on the machine)`);
    console.log(`(b) p99 ${b.latency.p99} ms (target < 20 ms): ${verdict(b.latency.p99 < 20)}`);
    console.log(`(c) ${c.requests.average.toFixed(0)} creates/s (target ≥ 1,000/s): ${verdict(c.requests.average >= 1000)}; CPU bound ${(1e6 / c.cpuPerRequest).toFixed(0)}/s`);
    console.log(`(d) p99 ${d.latency.p99} ms (target < 20 ms): ${verdict(d.latency.p99 < 20)}`);
    console.log(`Load average during the run: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs (other work on the machine skews rates and p99s)`);
    console.log(`Total time ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve') await serve(process.argv[3] as string, process.argv[4] as string);
else await main();
