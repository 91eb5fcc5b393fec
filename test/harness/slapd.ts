/**
 * A real OpenLDAP slapd for integration tests, in a fresh temp dir, on free loopback ports:
 * ldap://127.0.0.1:P and ldaps://127.0.0.1:Q (StartTLS on P), with a throw-away CA made by openssl.
 * back-mdb; schemas core, cosine, inetorgperson, nis; overlays memberof and ppolicy (2.5 has the ppolicy
 * schema built in); a non-root sync account cn=spool-sync,<base> that can read everything.
 * Data is loaded offline with slapadd before start (fast: 100k users in seconds).
 * Works as root and non-root (no -u/-g; everything lives in the temp dir).
 */
import { spawn, execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile, readFile, mkdir } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.ts';
import { ldifLine, suffixLdif } from './directory-data.ts';
import type { GeneratedDirectory } from './directory-data.ts';

const execFileP = promisify(execFile);
const SLAPD = process.env.SPOOL_SLAPD ?? '/usr/sbin/slapd';
const SLAPADD = process.env.SPOOL_SLAPADD ?? '/usr/sbin/slapadd';
const SCHEMA_DIR = '/etc/ldap/schema';
const MODULE_DIR = '/usr/lib/ldap';

export type CertificateKind = 'valid' | 'expired' | 'unknown-ca' | 'wrong-name';

export interface SlapdOptions {
  baseDn?: string;
  /** Data below the suffix (the harness writes the suffix entry and the sync account). */
  data?: GeneratedDirectory | string | Iterable<string>;
  /** Size limit for the sync account (soft = hard = N, paged total unlimited): forces paging. Default unlimited. */
  sizeLimit?: number;
  /** Which server certificate to serve (caPem is always the harness CA). Default 'valid'. */
  certificate?: CertificateKind;
  rootPassword?: string;
  syncPassword?: string;
  /** Extra slapd.conf lines for the database section (e.g. "security simple_bind=128"). */
  extraDatabaseConfig?: string;
}

export interface SlapdServer {
  url: string;
  ldapsUrl: string;
  host: string;
  port: number;
  ldapsPort: number;
  baseDn: string;
  rootDn: string;
  rootPassword: string;
  syncDn: string;
  syncPassword: string;
  caPem: string;
  caFile: string;
  dir: string;
  ldapModify(ldif: string): Promise<void>;
  ldapAdd(ldif: string): Promise<void>;
  ldapDelete(dn: string): Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Safety net for crashed test files: never leave a slapd behind.
  process.once('exit', () => {
    for (const p of running) p.kill('SIGKILL');
  });
}

async function openssl(dir: string, args: string[]): Promise<void> {
  try {
    await execFileP('openssl', args, { cwd: dir });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${e.stderr ?? e.message}`);
  }
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function makeCa(dir: string, name: string, cn: string): Promise<void> {
  const d = join(dir, name);
  await mkdir(join(d, 'newcerts'), { recursive: true });
  await writeFile(join(d, 'index.txt'), '');
  await writeFile(join(d, 'serial'), '1000\n');
  await writeFile(join(d, 'ca.cnf'), `[ ca ]
default_ca = testca
[ testca ]
dir = ${d}
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[ policy_any ]
commonName = supplied
organizationName = optional
[ req ]
distinguished_name = dn
[ dn ]
[ ca_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ server_ext ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = @alt
[ wrong_ext ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:ldap.invalid
[ alt ]
IP.1 = 127.0.0.1
DNS.1 = localhost
`);
  await openssl(d, ['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3650', '-subj', `/O=Spool Tests/CN=${cn}`, '-config', 'ca.cnf', '-extensions', 'ca_ext']);
}

async function makeServerCert(dir: string, kind: CertificateKind): Promise<void> {
  const caName = kind === 'unknown-ca' ? 'otherca' : 'ca';
  if (kind === 'unknown-ca') await makeCa(dir, 'otherca', 'Unknown Test CA');
  const d = join(dir, caName);
  const cn = kind === 'wrong-name' ? 'ldap.invalid' : '127.0.0.1';
  await openssl(dir, ['req', '-new', ...EC, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/O=Spool Tests/CN=${cn}`]);
  const dates = kind === 'expired' ? ['-startdate', '20200101000000Z', '-enddate', '20210101000000Z'] : ['-days', '365'];
  await openssl(dir, ['ca', '-batch', '-notext', '-config', join(d, 'ca.cnf'), '-extensions', kind === 'wrong-name' ? 'wrong_ext' : 'server_ext',
    '-keyfile', join(d, 'ca.key'), '-cert', join(d, 'ca.pem'), '-in', 'server.csr', '-out', 'server.pem', ...dates]);
}

function slapdConf(o: { dir: string; baseDn: string; rootDn: string; rootPassword: string; syncDn: string; sizeLimit?: number; extra?: string }): string {
  const limit = o.sizeLimit === undefined
    ? `limits dn.exact="${o.syncDn}" size=unlimited time=unlimited`
    : `limits dn.exact="${o.syncDn}" size.soft=${o.sizeLimit} size.hard=${o.sizeLimit} size.prtotal=unlimited time=unlimited`;
  return `include ${SCHEMA_DIR}/core.schema
include ${SCHEMA_DIR}/cosine.schema
include ${SCHEMA_DIR}/inetorgperson.schema
include ${SCHEMA_DIR}/nis.schema
pidfile ${o.dir}/slapd.pid
argsfile ${o.dir}/slapd.args
modulepath ${MODULE_DIR}
moduleload back_mdb
moduleload memberof
moduleload ppolicy
TLSCACertificateFile ${o.dir}/ca/ca.pem
TLSCertificateFile ${o.dir}/server.pem
TLSCertificateKeyFile ${o.dir}/server.key
sizelimit 500

database mdb
suffix "${o.baseDn}"
rootdn "${o.rootDn}"
rootpw ${o.rootPassword}
directory ${o.dir}/db
maxsize 4294967296
index objectClass eq
index uid,mail,cn,member,uniqueMember,memberUid,entryUUID eq
# What incremental syncs filter on; sites running syncrepl index these too.
index modifyTimestamp,entryCSN eq
${limit}
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to *
  by dn.exact="${o.syncDn}" read
  by self read
  by * none
${o.extra ?? ''}
overlay memberof
memberof-refint TRUE
overlay ppolicy
`;
}

async function writeData(path: string, head: string, data: SlapdOptions['data']): Promise<void> {
  const out = createWriteStream(path);
  const write = async (s: string): Promise<void> => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write(head);
  if (typeof data === 'string') await write(data.endsWith('\n') ? `${data}\n` : `${data}\n\n`);
  else if (data && 'chunks' in data) for (const c of data.chunks()) await write(c);
  else if (data) for (const c of data) await write(c);
  out.end();
  await once(out, 'finish');
}

function waitForPort(port: number, proc: ChildProcess, stderr: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`slapd exited (code ${code}) before listening:\n${stderr()}`));
    proc.once('exit', onExit);
    const attempt = (): void => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        proc.removeListener('exit', onExit);
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) {
          proc.removeListener('exit', onExit);
          reject(new Error(`slapd did not listen on ${port} within ${timeoutMs} ms:\n${stderr()}`));
        } else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

async function runLdapTool(tool: string, args: string[], input?: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    // LDAPNOINIT: ignore the machine's ldap.conf / ldaprc, so results do not depend on the host.
    const p = spawn(tool, args, { env: { ...process.env, LDAPNOINIT: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.stdout.resume();
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${tool} failed (exit ${code}): ${err.trim()}`))));
    p.stdin.end(input ?? '');
  });
}

/** Starts slapd; resolves once it accepts connections. Always call stop() (in after()). */
export async function startSlapd(opts: SlapdOptions = {}): Promise<SlapdServer> {
  installExitHook();
  const baseDn = opts.baseDn ?? 'dc=example,dc=com';
  const rootDn = `cn=admin,${baseDn}`;
  const rootPassword = opts.rootPassword ?? 'root-secret';
  const syncDn = `cn=spool-sync,${baseDn}`;
  const syncPassword = opts.syncPassword ?? 'sync-secret';
  const dir = await mkdtemp(join(tmpdir(), 'spool-slapd-'));
  try {
    await mkdir(join(dir, 'db'));
    await makeCa(dir, 'ca', 'Spool Test CA');
    await makeServerCert(dir, opts.certificate ?? 'valid');
    const conf = slapdConf({ dir, baseDn, rootDn, rootPassword, syncDn, sizeLimit: opts.sizeLimit, extra: opts.extraDatabaseConfig });
    await writeFile(join(dir, 'slapd.conf'), conf);
    const head = `${suffixLdif(baseDn)}${ldifLine('dn', syncDn)}objectClass: top\nobjectClass: applicationProcess\nobjectClass: simpleSecurityObject\ncn: spool-sync\n${ldifLine('userPassword', syncPassword)}\n`;
    await writeData(join(dir, 'data.ldif'), head, opts.data);
    try {
      await execFileP(SLAPADD, ['-q', '-f', join(dir, 'slapd.conf'), '-l', join(dir, 'data.ldif')], { maxBuffer: 16 << 20 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`slapadd failed: ${e.stderr ?? e.message}`);
    }
    const caPem = await readFile(join(dir, 'ca', 'ca.pem'), 'utf8');
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const ldapsPort = await freePort();
      const proc = spawn(SLAPD, ['-d', '0', '-f', join(dir, 'slapd.conf'), '-h', `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${ldapsPort}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
      running.add(proc);
      let stderr = '';
      proc.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-8192); });
      proc.once('exit', () => running.delete(proc));
      try {
        await waitForPort(port, proc, () => stderr, 15_000);
        await waitForPort(ldapsPort, proc, () => stderr, 5_000);
      } catch (err) {
        const exited = proc.exitCode !== null;
        proc.kill('SIGKILL');
        // Another process may have taken a port between freePort() and slapd's bind: try new ports. Under "-d 0"
        // slapd may say nothing about it and just exit 1 (seen once in a full run, with parallel test files).
        if (attempt < 3 && (exited || /bind|address already in use/i.test(stderr))) continue;
        throw err;
      }
      const url = `ldap://127.0.0.1:${port}`;
      let stopped = false;
      const server: SlapdServer = {
        url, ldapsUrl: `ldaps://127.0.0.1:${ldapsPort}`, host: '127.0.0.1', port, ldapsPort,
        baseDn, rootDn, rootPassword, syncDn, syncPassword, caPem, caFile: join(dir, 'ca', 'ca.pem'), dir,
        ldapModify: (ldif) => runLdapTool('ldapmodify', ['-x', '-H', url, '-D', rootDn, '-w', rootPassword], ldif),
        ldapAdd: (ldif) => runLdapTool('ldapmodify', ['-a', '-x', '-H', url, '-D', rootDn, '-w', rootPassword], ldif),
        ldapDelete: (dn) => runLdapTool('ldapdelete', ['-x', '-H', url, '-D', rootDn, '-w', rootPassword, dn]),
        async stop() {
          if (stopped) return;
          stopped = true;
          if (proc.exitCode === null && proc.signalCode === null) {
            const exited = once(proc, 'exit');
            proc.kill('SIGTERM');
            const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
            await exited;
            clearTimeout(timer);
          }
          await rm(dir, { recursive: true, force: true });
        },
      };
      return server;
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
