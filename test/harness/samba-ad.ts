/**
 * Test harness: a throwaway Samba 4.17 Active Directory domain controller (Debian's samba-ad-dc), provisioned in a
 * temp dir, loaded with the deterministic dataset of ./samba-ad-data.ts, listening for LDAP (389) and LDAPS (636)
 * on a random 127.x.y.z address. `stop()` ends the server and removes the temp dir.
 *
 * How, and why:
 * - Samba's LDAP ports are fixed (389/636), so each server gets its own loopback address instead of its own port.
 *   Linux routes all of 127.0.0.0/8 to `lo` (RFC 1122 §3.2.1.3), so any such address can be bound without adding
 *   it to an interface; Samba only accepts it in `interfaces` when written with a netmask (`127.a.b.c/8`),
 *   otherwise it looks for an interface that carries exactly that address and finds none.
 * - Bulk data is loaded offline into sam.ldb before the server starts (through the Samba AD stack, so schema,
 *   objectGUID, SID and linked-attribute rules apply), because adds through a running DC slow down sharply.
 *   Samba's own password hashing (Kerberos AES keys, WDigest…) costs ~17 ms a user, so the loader sets the NT hash
 *   directly with Samba's "bypass password hash" control: that is all an LDAP simple bind checks (the KDC is off).
 * - Samba runs with `-i` (interactive): it exits when its stdin closes, so a test process that dies without
 *   calling stop() does not leave a DC behind. `--maximum-runtime` is a second guard.
 * - Needs root (ports below 1024, and Samba's AD DC insists on it). `sambaAdUnavailable()` says why not, for skips.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, openSync, closeSync } from 'node:fs';
import { cp, mkdtemp, mkdir, readdir, readFile, rename, stat, writeFile, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomInt } from 'node:crypto';
import { SpoolError } from '../../src/errors.ts';
import { BASE_DN, NETBIOS_DOMAIN, REALM, UPN_SUFFIX, buildSambaAdDataset, datasetToLdif, findAccount, type DirectoryUser, type SambaAdDataset } from './samba-ad-data.ts';

const SAMBA = '/usr/sbin/samba';
const SAMBA_TOOL = '/usr/bin/samba-tool';
const SCHEMA_DIR = '/usr/share/samba/setup/ad-schema';
/** Host name of the DC; Samba's self-signed certificate is issued to `${HOST_NAME}.${dns domain}`. */
const HOST_NAME = 'DC1';
const ADMIN_PASSWORD = 'Spool-Admin-1!';

export interface RunResult { code: number; stdout: string; stderr: string }

export interface SambaAdServer {
  /** ldap://127.a.b.c:389 */
  url: string;
  /** ldaps://127.a.b.c:636 */
  ldapsUrl: string;
  host: string;
  baseDn: string;
  realm: string;
  /** NetBIOS domain name, e.g. SPOOL (for `SPOOL\user` binds). */
  domain: string;
  upnSuffix: string;
  adminDn: string;
  adminPassword: string;
  /** An ordinary, unprivileged user (OU=Service Accounts) for sync jobs. */
  bindDn: string;
  bindPassword: string;
  /** Samba's self-generated CA (private/tls/ca.pem). */
  caPem: string;
  /**
   * The name on Samba's certificate (CN only, no subjectAltName): `DC1.spool.test`. Connecting by IP needs
   * `tlsOptions: { ca: [caPem], servername: tlsServerName }` — Node checks the certificate against `servername`.
   */
  tlsServerName: string;
  /** Known sign-in users (escaped DN, Unicode, disabled, plain staff and student); every account has a password. */
  users: DirectoryUser[];
  dataset: SambaAdDataset;
  /** The temp dir, smb.conf and sam.ldb, for tools run against the database directly. */
  dir: string;
  configPath: string;
  samDbPath: string;
  /** provisionMs covers copying the cached template when `templateCached`. */
  timings: { provisionMs: number; templateCached: boolean; loadMs: number; startMs: number; totalMs: number };
  /**
   * Runs a command (samba-tool, ldbsearch…) with SMB_CONF_PATH pointing at this DC's smb.conf, so samba-tool
   * works on this DC's sam.ldb. Throws on a non-zero exit unless `allowFailure`.
   */
  run(cmd: string[], opts?: { allowFailure?: boolean }): Promise<RunResult>;
  /** Applies LDIF (add/modify/delete/modrdn, RFC 2849) through the running server, as Administrator. */
  ldapModify(ldif: string): Promise<void>;
  stop(): Promise<void>;
}

/** Why a Samba AD DC can't run here (for a test skip message), or undefined when it can. */
export function sambaAdUnavailable(): string | undefined {
  if (process.env.SPOOL_TEST_SAMBA === '0') return 'SPOOL_TEST_SAMBA=0';
  if (process.platform !== 'linux') return 'Samba AD tests need Linux';
  if (!existsSync(SAMBA) || !existsSync(SAMBA_TOOL)) return 'samba is not installed (apt-get install samba-ad-dc; scripts/ensure-system-deps.sh)';
  if (!existsSync(SCHEMA_DIR)) return 'the AD schema files are missing (apt-get install samba-ad-provision)';
  if (process.getuid?.() !== 0) return 'a Samba AD DC must run as root (it binds ports 389/636)';
  return undefined;
}

/** samba-tool's own interpreter: a pyenv or venv python3 first on PATH cannot import Samba's modules. */
function samPython(): string {
  const first = readFileSync(SAMBA_TOOL, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\s*(\S+)/.exec(first);
  return m?.[1] ?? '/usr/bin/python3';
}

function exec(cmd: string[], env: NodeJS.ProcessEnv, allowFailure = false): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = cmd;
    if (!file) return reject(new SpoolError('test.samba.run', 'empty command'));
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.once('error', reject);
    child.once('close', (code) => {
      const result = { code: code ?? -1, stdout, stderr };
      if (result.code === 0 || allowFailure) resolve(result);
      else reject(new SpoolError('test.samba.command_failed', `${cmd.join(' ')} exited with ${result.code}: ${(stderr || stdout).trim().slice(-2000)}`, { status: 500 }));
    });
  });
}

/** A random 127.a.b.c (a ≥ 64: clear of 127.0.0.1, 127.0.0.53, 127.0.1.1) with nothing on 389 or 636. */
async function pickLoopbackHost(): Promise<string> {
  const free = (host: string, port: number): Promise<boolean> => new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
  for (let i = 0; i < 20; i++) {
    const host = `127.${randomInt(64, 255)}.${randomInt(1, 255)}.${randomInt(2, 255)}`;
    if ((await free(host, 389)) && (await free(host, 636))) return host;
  }
  throw new SpoolError('test.samba.no_address', 'could not find a loopback address with ports 389 and 636 free', { status: 500 });
}

function smbConf(dir: string, host: string): string {
  const p = (sub: string): string => join(dir, sub);
  return `[global]
\tnetbios name = ${HOST_NAME}
\trealm = ${REALM}
\tworkgroup = ${NETBIOS_DOMAIN}
\tserver role = active directory domain controller
\t# LDAP only: no DNS, KDC, SMB, RPC or replication, so nothing else listens and startup is quick.
\tserver services = ldap
\tinterfaces = ${host}/8
\tbind interfaces only = yes
\tdisable netbios = yes
\t# Allow simple binds without TLS on 389, as many AD sites still do (Samba's default refuses them).
\tldap server require strong auth = no
\tprefork children = 2
\tidmap_ldb:use rfc2307 = yes
\tprivate dir = ${p('private')}
\tstate directory = ${p('state')}
\tcache directory = ${p('cache')}
\tlock directory = ${dir}
\tpid directory = ${p('run')}
\tncalrpc dir = ${p('run/ncalrpc')}
\twinbindd socket directory = ${p('run/winbindd')}
\tntp signd socket directory = ${p('run/ntp_signd')}
\tbinddns dir = ${p('bind-dns')}
\tlog file = ${p('log/samba.log')}
\tlog level = 1
`;
}

const live = new Set<() => void>();
let exitHookInstalled = false;
function onProcessExit(kill: () => void): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => { for (const k of live) k(); });
  }
  live.add(kill);
  return () => { live.delete(kill); };
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

async function waitUntilListening(host: string, child: ChildProcess, logPath: string, caPath: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (existsSync(caPath) && (await tcpOpen(host, 389)) && (await tcpOpen(host, 636))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const log = existsSync(logPath) ? readFileSync(logPath, 'utf8').slice(-3000) : '';
  throw new SpoolError('test.samba.start_failed', `samba did not start listening on ${host}:389/636:\n${log}`, { status: 500 });
}

const DIR_PREFIX = 'spool-samba-ad-';
const TEMPLATE_PREFIX = 'spool-samba-template-';
const PROVISION_ARGS = [`--realm=${REALM}`, `--domain=${NETBIOS_DOMAIN}`, '--server-role=dc', '--dns-backend=NONE',
  '--use-rfc2307', `--host-name=${HOST_NAME}`, `--adminpass=${ADMIN_PASSWORD}`];

async function provision(targetDir: string): Promise<void> {
  await mkdir(targetDir, { recursive: true });
  // An empty -s file keeps the host's /etc/samba/smb.conf out of the provisioned configuration.
  const empty = join(targetDir, 'empty.conf');
  await writeFile(empty, '');
  await exec([SAMBA_TOOL, 'domain', 'provision', '-q', '-s', empty, `--targetdir=${targetDir}`, ...PROVISION_ARGS],
    { ...process.env, SMB_CONF_PATH: empty });
}

/**
 * A provisioned, never started domain, cached in os.tmpdir() per Samba version and provision arguments.
 * Provisioning costs ~5 s of CPU (far more when test files run in parallel); copying the result takes ~0.1 s.
 * Only etc/smb.conf names the directory, and each run rewrites it; TLS keys are made at each run's first start.
 * Concurrent first runs each provision into their own work dir and the first rename wins.
 */
async function templateDir(): Promise<{ dir: string; cached: boolean }> {
  const version = (await exec([SAMBA, '--version'], process.env)).stdout.trim();
  const key = createHash('sha256').update(JSON.stringify([version, PROVISION_ARGS])).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `${TEMPLATE_PREFIX}${key}`);
  const complete = join(dir, '.complete');
  if (existsSync(complete)) return { dir, cached: true };
  const work = `${dir}.tmp-${process.pid}-${randomInt(1e9)}`;
  try {
    await provision(work);
    await writeFile(join(work, '.complete'), `${version}\n`);
    if (!existsSync(complete)) {
      await rm(dir, { recursive: true, force: true }); // an incomplete leftover, if any
      await rename(work, dir).catch((e: unknown) => { if (!existsSync(complete)) throw e; });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { dir, cached: false };
}

/**
 * Removes what killed test processes left behind (SIGKILL skips stop() and the exit hook; Samba itself exits on
 * stdin EOF): run dirs whose Samba pid is gone, template work dirs, templates of other Samba versions. Only
 * entries older than 10 minutes, so nothing that another process is provisioning right now.
 */
async function removeStaleDirs(keepTemplate: string): Promise<void> {
  const names = (await readdir(tmpdir())).filter((n) => n.startsWith(DIR_PREFIX) || n.startsWith(TEMPLATE_PREFIX));
  for (const name of names) {
    const dir = join(tmpdir(), name);
    if (dir === keepTemplate) continue;
    try {
      if (Date.now() - (await stat(dir)).mtimeMs < 10 * 60_000) continue;
      const pid = Number((await readFile(join(dir, 'run', 'samba.pid'), 'utf8').catch(() => '')).trim());
      if (pid > 0) {
        try { process.kill(pid, 0); continue; } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ESRCH') continue; }
      }
      await rm(dir, { recursive: true, force: true });
    } catch { /* raced with its owner: leave it */ }
  }
}

export interface SambaAdOptions {
  /** Number of people (Staff + Students) in the dataset; default 1,000. */
  users?: number;
  /** Samba ends itself after this long whatever happens (`--maximum-runtime`); default 3 hours. */
  maxRuntimeSeconds?: number;
  /** Copy a provisioned template cached in os.tmpdir() instead of provisioning each time; default true. */
  templateCache?: boolean;
}

/** Provisions, loads and starts a Samba AD DC. Takes 10–15 s on 2 cores; see `timings`. */
export async function startSambaAd(opts: SambaAdOptions = {}): Promise<SambaAdServer> {
  const why = sambaAdUnavailable();
  if (why) throw new SpoolError('test.samba.unavailable', `Samba AD DC unavailable: ${why}`, { status: 500 });
  const t0 = Date.now();
  const template = opts.templateCache === false ? undefined : await templateDir();
  await removeStaleDirs(template?.dir ?? '');
  const dir = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  let child: ChildProcess | undefined;
  let unhook: () => void = () => undefined;
  const killHard = (): void => {
    if (child?.pid !== undefined && child.exitCode === null) try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const configPath = join(dir, 'etc', 'smb.conf');
    const env = { ...process.env, SMB_CONF_PATH: configPath };
    const python = samPython();
    if (template) await cp(template.dir, dir, { recursive: true });
    else await provision(dir);
    const provisionMs = Date.now() - t0;
    const loader = join(dir, 'spool-samba-loader.py');
    await writeFile(loader, LOADER_PY);

    const host = await pickLoopbackHost();
    for (const sub of ['run', 'log', 'cache']) await mkdir(join(dir, sub), { recursive: true });
    await writeFile(configPath, smbConf(dir, host));
    const dataset = buildSambaAdDataset(opts.users === undefined ? {} : { users: opts.users });
    const ldifPath = join(dir, 'dataset.ldif');
    await writeFile(ldifPath, datasetToLdif(dataset));
    const t1 = Date.now();
    await exec([python, loader, 'load', configPath, ldifPath], env);
    const loadMs = Date.now() - t1;

    const t2 = Date.now();
    const logPath = join(dir, 'log', 'samba.stdout');
    const logFd = openSync(logPath, 'a');
    const maxRuntime = opts.maxRuntimeSeconds ?? 3 * 3600;
    child = spawn(SAMBA, ['-i', '-s', configPath, '-d', '1', `--maximum-runtime=${maxRuntime}`],
      { env, detached: true, stdio: ['pipe', logFd, logFd] });
    closeSync(logFd);
    // Unreferenced, so a test that forgets stop() still exits; the exit hook and stdin EOF then end Samba.
    child.unref();
    (child.stdin as { unref?: () => void } | null)?.unref?.();
    const proc = child;
    unhook = onProcessExit(killHard);
    const caPath = join(dir, 'private', 'tls', 'ca.pem');
    await waitUntilListening(host, proc, logPath, caPath);
    const caPem = await readFile(caPath, 'utf8');
    const startMs = Date.now() - t2;

    let stopped = false;
    const adminDn = `CN=Administrator,CN=Users,${BASE_DN}`;
    const signIn = dataset.expected.signIn;
    const server: SambaAdServer = {
      url: `ldap://${host}:389`,
      ldapsUrl: `ldaps://${host}:636`,
      host,
      baseDn: BASE_DN,
      realm: REALM,
      domain: NETBIOS_DOMAIN,
      upnSuffix: UPN_SUFFIX,
      adminDn,
      adminPassword: ADMIN_PASSWORD,
      bindDn: dataset.syncAccount.dn,
      bindPassword: dataset.syncAccount.password,
      caPem,
      tlsServerName: `${HOST_NAME}.${UPN_SUFFIX}`,
      users: [signIn.escapedDn, ...signIn.unicode, signIn.disabled, signIn.staff, signIn.student].map((s) => findAccount(dataset, s)),
      dataset,
      dir,
      configPath,
      samDbPath: join(dir, 'private', 'sam.ldb'),
      timings: { provisionMs, templateCached: template?.cached ?? false, loadMs, startMs, totalMs: Date.now() - t0 },
      run: (cmd, runOpts) => exec(cmd[0] === 'samba-tool' ? [SAMBA_TOOL, ...cmd.slice(1)] : cmd, env, runOpts?.allowFailure),
      async ldapModify(ldif) {
        const file = join(dir, `modify-${Date.now()}-${randomInt(1e9)}.ldif`);
        await writeFile(file, ldif);
        try {
          await exec([python, loader, 'apply', configPath, `ldap://${host}`, 'Administrator', ADMIN_PASSWORD, file], env);
        } finally {
          await rm(file, { force: true });
        }
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        if (proc.pid !== undefined && proc.exitCode === null && proc.signalCode === null) {
          proc.ref(); // keep the event loop alive until Samba has gone
          const exited = new Promise<void>((r) => proc.once('exit', () => r()));
          try { process.kill(-proc.pid, 'SIGTERM'); } catch { /* already gone */ }
          const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000).unref());
          if ((await Promise.race([exited, timer])) === 'timeout') {
            try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* already gone */ }
            await exited;
          }
        }
        // Prefork workers share the process group: make sure none outlives the root process. kill() returns before
        // the kernel has torn them down, and until then one may still hold the listening sockets (seen in CI: port
        // 389 answered right after stop()), so wait until nothing answers any more (at most 5 s).
        if (proc.pid !== undefined) try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* none left */ }
        for (let i = 0; i < 50 && ((await tcpOpen(host, 389)) || (await tcpOpen(host, 636))); i++) await new Promise((r) => setTimeout(r, 100));
        unhook();
        await rm(dir, { recursive: true, force: true });
      },
    };
    return server;
  } catch (e) {
    unhook();
    killHard();
    throw e;
  }
}

/**
 * Runs under samba-tool's interpreter with Samba's Python bindings.
 * `load CONF LDIF`: offline, in one transaction, as the system session, into sam.ldb. unicodePwd values
 * ("quoted" UTF-16LE, MS-ADTS 3.1.1.3.1.5.1) become the NT hash (MD4 of the UTF-16LE password, MS-NLMP 3.3.1),
 * stored with DSDB_CONTROL_BYPASS_PASSWORD_HASH_OID; pwdLastSet gets the current time, otherwise the first bind
 * fails with "must change password" (AD error data 773).
 * `apply CONF URL USER PASSWORD LDIF`: over LDAP with NTLM sign+seal, which Samba counts as an encrypted
 * connection, so unicodePwd changes are accepted. ldb has no constant for changetype modrdn: it parses as 4.
 */
const LOADER_PY = String.raw`import sys, time
import ldb, samba
from samba import dsdb
from samba.samdb import SamDB
from samba.auth import system_session
from samba.param import LoadParm
from samba.crypto import md4_hash_blob
from samba.credentials import Credentials, DONT_USE_KERBEROS

CHANGETYPE_MODRDN = 4

def records(db, path):
    with open(path, encoding='utf-8') as f:
        return list(db.parse_ldif(f.read()))

def load(conf, path):
    lp = LoadParm(); lp.load(conf)
    db = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
    bypass = ['local_oid:%s:0' % dsdb.DSDB_CONTROL_BYPASS_PASSWORD_HASH_OID]
    now = str(samba.unix2nttime(int(time.time())))
    db.transaction_start()
    try:
        for changetype, msg in records(db, path):
            if changetype == ldb.CHANGETYPE_MODIFY:
                db.modify(msg)
            elif 'unicodePwd' in msg:
                quoted = msg['unicodePwd'][0]
                msg['unicodePwd'] = ldb.MessageElement(md4_hash_blob(quoted[2:-2]), ldb.FLAG_MOD_ADD, 'unicodePwd')
                msg['pwdLastSet'] = ldb.MessageElement(now, ldb.FLAG_MOD_ADD, 'pwdLastSet')
                db.add(msg, controls=bypass)
            else:
                db.add(msg)
        db.transaction_commit()
    except BaseException:
        db.transaction_cancel()
        raise

def apply(conf, url, user, password, path):
    lp = LoadParm(); lp.load(conf)
    creds = Credentials(); creds.guess(lp)
    creds.set_username(user); creds.set_password(password)
    creds.set_kerberos_state(DONT_USE_KERBEROS)
    db = SamDB(url=url, credentials=creds, lp=lp)
    for changetype, msg in records(db, path):
        if changetype == ldb.CHANGETYPE_ADD:
            db.add(msg)
        elif changetype == ldb.CHANGETYPE_MODIFY:
            db.modify(msg)
        elif changetype == ldb.CHANGETYPE_DELETE:
            db.delete(msg.dn)
        elif changetype == CHANGETYPE_MODRDN:
            parent = str(msg['newsuperior'][0]) if 'newsuperior' in msg else str(msg.dn.parent())
            db.rename(msg.dn, ldb.Dn(db, str(msg['newrdn'][0]) + ',' + parent))
        else:
            raise Exception('unsupported changetype %r for %s' % (changetype, msg.dn))

try:
    {'load': load, 'apply': apply}[sys.argv[1]](*sys.argv[2:])
except ldb.LdbError as e:
    sys.stderr.write('ldb error %s\n' % (e.args,))
    sys.exit(1)
`;
