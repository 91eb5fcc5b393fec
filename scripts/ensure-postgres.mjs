// Finds a PostgreSQL server for the tests, or installs and starts one (Debian `postgresql`), then prints
// an admin connection URL on stdout. Tests create a throwaway database per test file from it.
import { execFileSync, spawnSync } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';

const explicit = process.env.SPOOL_TEST_DATABASE_URL;
const canConnect = (port, host = '127.0.0.1') =>
  new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.setTimeout(1000, () => (s.destroy(), resolve(false)));
  });

async function main() {
  if (explicit) return explicit;
  if (!(await canConnect(5432))) {
    if (!fs.existsSync('/usr/bin/pg_ctlcluster')) {
      process.stderr.write('ensure-postgres: installing PostgreSQL (Debian package postgresql)\n');
      const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      spawnSync(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'update', '-qq'], { stdio: 'inherit', env });
      const r = spawnSync(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'install', '-y', '-qq', 'postgresql'], { stdio: 'inherit', env });
      if (r.status !== 0) throw new Error('could not install postgresql');
    }
    const versions = fs.readdirSync('/etc/postgresql');
    const v = versions.sort().at(-1);
    process.stderr.write(`ensure-postgres: starting PostgreSQL ${v}\n`);
    spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', v, 'main', 'start'], { stdio: 'inherit' });
    for (let i = 0; i < 50 && !(await canConnect(5432)); i++) await new Promise((r) => setTimeout(r, 200));
  }
  // Debian's default is peer auth on the socket for the postgres OS user; the tests need a TCP URL.
  const tryUrls = ['postgres://postgres@127.0.0.1:5432/postgres', 'postgres://postgres:postgres@127.0.0.1:5432/postgres'];
  const pg = (await import('pg')).default;
  for (const url of tryUrls) {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    try {
      await c.connect();
      await c.end();
      return url;
    } catch {
      await c.end().catch(() => {});
    }
  }
  // Give the postgres role a password so TCP password auth works, then use it.
  try {
    execFileSync('su', ['postgres', '-c', `psql -qc "ALTER USER postgres PASSWORD 'postgres'"`], { stdio: 'ignore' });
    return tryUrls[1];
  } catch {
    throw new Error('PostgreSQL is running but the tests cannot connect; set SPOOL_TEST_DATABASE_URL=postgres://user:pass@127.0.0.1:5432/postgres');
  }
}

main().then(
  (url) => process.stdout.write(url + '\n'),
  (e) => {
    process.stderr.write(`ensure-postgres: ${e.message}\n`);
    process.exit(1);
  },
);
