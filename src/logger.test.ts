import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createCliLogger, createLogger, DeferredLogger } from './logger.ts';

function sink(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  let text = '';
  const stream = new Writable({ write(chunk, _enc, done) { text += String(chunk); done(); } });
  return { stream, lines: () => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test('the CLI logger writes pino lines at and above its level, children keep their bindings, secrets redacted', async () => {
  const s = sink();
  const log = createCliLogger('warn', s.stream);
  log.info('dropped');
  log.debug({ x: 1 }, 'dropped too');
  log.warn({ bindPassword: 'hunter2' }, 'kept');
  log.child({ component: 'sync' }).error('from a child');
  assert.equal(log.isLevelEnabled('info'), false);
  assert.equal(log.isLevelEnabled('error'), true);
  await new Promise((r) => setImmediate(r));
  const lines = s.lines();
  assert.deepEqual(lines.map((l) => l.msg), ['kept', 'from a child']);
  assert.equal(lines[0]!.bindPassword, '[redacted]');
  assert.equal(lines[0]!.level, 40);
  assert.equal(lines[1]!.component, 'sync');
  assert.equal(lines[1]!.app, 'spool');
});

test('a silent CLI logger never writes', async () => {
  const s = sink();
  const log = createCliLogger('silent', s.stream);
  log.fatal('nothing');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(s.lines(), []);
});

test('a deferred child (a request logger) is made only by a line it logs, with its bindings and its own level', async () => {
  const s = sink();
  const parent = createLogger('info', s.stream);
  let made = 0;
  const child = new DeferredLogger(() => {
    made++;
    return parent.child({ reqId: 'r1' });
  }, () => parent.level);
  child.debug('below the parent level');
  assert.equal(made, 0, 'nothing logged, nothing made');
  child.info('served');
  child.info('again');
  assert.equal(made, 1);
  const quiet = child.child({ step: 'x' }, { level: 'error' });
  assert.equal(quiet.level, 'error');
  quiet.warn('below its own level');
  quiet.error('kept');
  await new Promise((r) => setImmediate(r));
  const lines = s.lines();
  assert.deepEqual(lines.map((l) => l.msg), ['served', 'again', 'kept']);
  assert.equal(lines[2]!.reqId, 'r1');
  assert.equal(lines[2]!.step, 'x');
});
