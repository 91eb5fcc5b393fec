/**
 * The SQL translation of filters (src/scim/filter-sql.ts) against the reference evaluator (matchesFilter) on
 * the resources the server returns: a seeded, bounded set of generated filters — comparisons of every kind,
 * presence, nulls, value paths, Entra's `emails[type eq "work"].value eq`, and/or/not nesting — must select
 * exactly the same users through GET /Users?filter= as the evaluator selects in memory. Deterministic (the
 * generator is seeded) and bounded (FILTERS per engine). Values are ASCII: SQLite's lower() folds ASCII only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isSpoolError } from '../src/errors.ts';
import { matchesFilter, parseScimFilter } from '../src/scim/filter/index.ts';
import { testEngines } from './helpers/stores.ts';
import { ENTERPRISE, USER_SCHEMA, q, startScimServer, type Json, type ScimTestServer } from './scim-client.ts';
import { mulberry32 } from './helpers/prng.ts';

const FILTERS = 400;

const prng = mulberry32;

const FIRST = ['Ann', 'bob', 'Cleo', 'dan', 'Eve', 'Fay'];
const LAST = ['Ng', 'smith', 'Smyth', 'O-Hara', 'de la Cruz'];
const DEPTS = ['R&D', 'r&d', 'Sales', 'IT Ops', ''];
const TYPES = ['work', 'home', 'Other'];

function person(i: number, rnd: () => number): Json {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const given = pick(FIRST);
  const family = pick(LAST);
  const p: Json = { schemas: [USER_SCHEMA, ENTERPRISE], userName: `${given}.${family.replace(/ /g, '')}${i}@ex${i % 3}.org`, active: rnd() < 0.7 };
  if (rnd() < 0.8) p.displayName = `${given} ${family}`;
  if (rnd() < 0.6) p.name = { givenName: given, ...(rnd() < 0.7 ? { familyName: family } : {}) };
  if (rnd() < 0.5) p.title = pick(['Engineer', 'engineer', 'Teacher', 'Head of IT']);
  if (rnd() < 0.3) p.nickName = pick(['', 'x', 'Ace']);
  if (rnd() < 0.5) p.externalId = `EXT-${i % 7}-${pick(['a', 'A'])}`;
  const emails = [];
  for (let k = 0, n = Math.floor(rnd() * 3); k < n; k++) {
    emails.push({ value: `${given.toLowerCase()}${k}@${pick(['ex.org', 'Mail.example', 'school.edu'])}`, ...(rnd() < 0.8 ? { type: pick(TYPES) } : {}), ...(k === 0 && rnd() < 0.5 ? { primary: true } : {}) });
  }
  if (emails.length) p.emails = emails;
  if (rnd() < 0.3) p.phoneNumbers = [{ value: `+1 555 0${i}`, type: pick(TYPES) }];
  const ext: Json = {};
  if (rnd() < 0.6) ext.department = pick(DEPTS);
  if (rnd() < 0.5) ext.employeeNumber = String(100 + Math.floor(rnd() * 50));
  if (rnd() < 0.3) ext.costCenter = pick(['CC1', 'cc2']);
  if (rnd() < 0.3) ext.manager = { value: `m${i % 4}` };
  if (Object.keys(ext).length) p[ENTERPRISE] = ext;
  return p;
}

const STRING_ATTRS = ['userName', 'displayName', 'title', 'nickName', 'externalId', 'name.givenName', 'name.familyName', 'emails', 'emails.value', 'emails.type', 'phoneNumbers.value', `${ENTERPRISE}:department`, 'department', `${ENTERPRISE}:employeeNumber`, `${ENTERPRISE}:costCenter`, `${ENTERPRISE}:manager`, `${ENTERPRISE}:manager.value`];
const OPS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];

function generator(values: string[], rnd: () => number) {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const str = (): string => {
    const v = pick(values);
    const r = rnd();
    const cut = (s: string): string => s.slice(Math.floor(rnd() * s.length / 2), Math.ceil(s.length / 2 + rnd() * s.length / 2));
    const s = r < 0.4 ? v : r < 0.7 ? cut(v) : r < 0.8 ? v.toUpperCase() : r < 0.9 ? 'zzz' : '';
    return JSON.stringify(s);
  };
  const element = (depth: number): string => {
    const r = rnd();
    if (depth > 1 || r < 0.5) {
      const sub = pick(['type', 'value', 'primary', 'display']);
      if (sub === 'primary') return `primary ${pick(['eq', 'ne'])} ${pick(['true', 'false'])}`;
      return rnd() < 0.15 ? `${sub} pr` : `${sub} ${pick(OPS)} ${str()}`;
    }
    if (r < 0.7) return `not (${element(depth + 1)})`;
    return `${element(depth + 1)} ${pick(['and', 'or'])} ${element(depth + 1)}`;
  };
  const atom = (): string => {
    const r = rnd();
    if (r < 0.1) return `${pick(['emails', 'phoneNumbers'])}[${element(0)}]`;
    if (r < 0.15) return `emails[type eq ${JSON.stringify(pick(TYPES))}].value ${pick(OPS)} ${str()}`;
    if (r < 0.22) return `active ${pick(['eq', 'ne'])} ${pick(['true', 'false'])}`;
    if (r < 0.27) return `emails.primary eq true`;
    const attr = pick(STRING_ATTRS);
    if (r < 0.37) return `${attr} pr`;
    if (r < 0.42) return `${attr} ${pick(['eq', 'ne'])} null`;
    return `${attr} ${pick(OPS)} ${str()}`;
  };
  const filter = (depth: number): string => {
    const r = rnd();
    if (depth >= 3 || r < 0.45) return atom();
    if (r < 0.6) return `not (${filter(depth + 1)})`;
    const op = pick(['and', 'or']);
    return rnd() < 0.5 ? `(${filter(depth + 1)}) ${op} (${filter(depth + 1)})` : `${filter(depth + 1)} ${op} ${filter(depth + 1)}`;
  };
  return () => filter(0);
}

function stringsOf(v: unknown, out: Set<string>): void {
  if (typeof v === 'string' && v.length > 0) out.add(v);
  else if (Array.isArray(v)) v.forEach((x) => stringsOf(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => stringsOf(x, out));
}

for (const engine of testEngines()) {
  describe(`SCIM filter SQL matches the reference evaluator on ${engine}`, () => {
    let s: ScimTestServer;
    let resources: Json[] = [];
    before(async () => {
      s = await startScimServer(engine);
      const rnd = prng(20_260_311);
      for (let i = 0; i < 40; i++) {
        const r = await s.client.post('Users', person(i, rnd));
        assert.equal(r.status, 201, r.text);
      }
      await s.app.services.users.add({ username: 'local.only', fullName: 'Local Only', department: 'Sales' }, 'test');
      resources = (await s.client.get('Users?count=1000')).body.Resources as Json[];
      assert.equal(resources.length, 41);
    });
    after(async () => s.dispose());

    test(`${FILTERS} generated filters select the same users in SQL as in memory`, async () => {
      const values = new Set<string>();
      for (const r of resources) stringsOf({ ...r, meta: undefined, schemas: undefined }, values);
      const next = generator([...values].sort(), prng(7));
      let compared = 0;
      for (let i = 0; i < FILTERS; i++) {
        const filter = next();
        let expected: string[] | undefined;
        try {
          const ast = parseScimFilter(filter);
          expected = resources.filter((r) => matchesFilter(r, ast, 'User')).map((r) => String(r.id)).sort();
        } catch (e) {
          if (!isSpoolError(e)) throw e;
        }
        const res = await s.client.get(`Users?count=1000&filter=${q(filter)}`);
        if (expected === undefined) {
          assert.equal(res.status, 400, `${filter}: the evaluator refuses it, so must the server`);
          continue;
        }
        assert.equal(res.status, 200, `${filter}: ${res.text}`);
        const got = (res.body.Resources as Json[]).map((r) => String(r.id)).sort();
        assert.deepEqual(got, expected, `filter: ${filter}`);
        assert.equal(res.body.totalResults, expected.length);
        compared++;
      }
      assert.ok(compared > FILTERS * 0.8, `most generated filters are valid (${compared})`);
    });
  });
}
