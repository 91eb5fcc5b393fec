/**
 * Bounded, seeded fuzzing of the SCIM filter parser and the PATCH engine. Deterministic: the same seeds
 * produce the same inputs on every run. Properties:
 * - generated well-formed filters parse back to the tree they were printed from;
 * - any input (well-formed, mutated or random) either yields a result or throws a SpoolError whose code
 *   starts with "scim." — never a TypeError, RangeError or other crash, never a hang;
 * - applyPatch never modifies its input, and what it returns is plain JSON.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SpoolError } from '../errors.ts';
import type { CompValue, FilterNode } from './filter/ast.ts';
import { COMPARE_OPS } from './filter/ast.ts';
import { ENTERPRISE_USER_SCHEMA } from './filter/attribute-schema.ts';
import { matchesFilter } from './filter/evaluate.ts';
import { parseScimFilter } from './filter/parser.ts';
import { applyPatch, normalizeEntraPatch, parsePatchRequest, planGroupMemberOps } from './patch/index.ts';
import type { AttrPath } from './paths.ts';
import { formatAttrPath } from './paths.ts';
import { mulberry32 } from '../../test/helpers/prng.ts';

const rng = mulberry32;

interface Gen {
  r: () => number;
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

function gen(seed: number): Gen {
  const r = rng(seed);
  const int = (n: number): number => Math.floor(r() * n);
  return { r, int, pick: (xs) => xs[int(xs.length)] as (typeof xs)[number], chance: (p) => r() < p };
}

function expectScimErrorOnly(fn: () => void, input: unknown): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof SpoolError && e.code.startsWith('scim.') && e.status === 400) return;
    assert.fail(
      `unexpected ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} for input ${JSON.stringify(input)}`,
    );
  }
}

// ---- filters -------------------------------------------------------------------------------------------

const ATTRS = [
  'userName',
  'title',
  'emails',
  'name',
  'active',
  'meta',
  'id',
  'externalId',
  'displayName',
  'members',
  'foo',
  'x-y_z',
  'phoneNumbers',
  'not',
  'and',
];
const SUBS = ['value', 'type', 'primary', 'givenName', 'lastModified', '$ref', 'display', 'bogus'];
const URNS = [
  'urn:ietf:params:scim:schemas:core:2.0:User',
  ENTERPRISE_USER_SCHEMA,
  'urn:ietf:params:scim:schemas:core:2.0:Group',
  'urn:example:custom:1.0:User',
];
const CHARS = [
  'a',
  'Z',
  '0',
  ' ',
  '"',
  '\\',
  '/',
  '\n',
  '\t',
  '\u0001',
  'é',
  '日',
  '😀',
  '\ud800',
  "'",
  '[',
  ']',
  '(',
  ')',
  '.',
  ':',
  '$',
  'u',
];

function randomCase(g: Gen, s: string): string {
  return [...s].map((c) => (g.chance(0.3) ? c.toUpperCase() : c)).join('');
}

function randomPath(g: Gen, inValueFilter: boolean): AttrPath {
  const path: AttrPath = { attr: g.pick(inValueFilter ? SUBS : ATTRS) };
  if (!inValueFilter && g.chance(0.3)) path.sub = g.pick(SUBS);
  if (!inValueFilter && g.chance(0.15)) path.schema = g.pick(URNS).toLowerCase();
  return path;
}

function randomValue(g: Gen): CompValue {
  switch (g.int(6)) {
    case 0:
      return g.chance(0.5);
    case 1:
      return null;
    case 2:
      return g.int(2000) - 1000 || 7;
    case 3:
      return Math.round(g.r() * 1e6) / 100 + 0.5;
    default:
      return Array.from({ length: g.int(8) }, () => g.pick(CHARS)).join('');
  }
}

function randomFilter(g: Gen, depth: number, inValueFilter: boolean): FilterNode {
  const k = depth <= 0 ? g.int(2) : g.int(7);
  switch (k) {
    case 0:
      return { op: 'pr', path: randomPath(g, inValueFilter) };
    case 1:
      return {
        op: 'cmp',
        path: randomPath(g, inValueFilter),
        cmp: g.pick(COMPARE_OPS),
        value: randomValue(g),
      };
    case 2:
    case 3:
      return {
        op: g.chance(0.5) ? 'and' : 'or',
        left: randomFilter(g, depth - 1, inValueFilter),
        right: randomFilter(g, depth - 1, inValueFilter),
      };
    case 4:
      return { op: 'not', filter: randomFilter(g, depth - 1, inValueFilter) };
    default:
      if (inValueFilter) return { op: 'pr', path: randomPath(g, true) };
      return {
        op: 'valuePath',
        path: { attr: g.pick(['emails', 'members', 'phoneNumbers', 'name']) },
        filter: randomFilter(g, depth - 1, true),
      };
  }
}

function printValue(g: Gen, v: CompValue): string {
  if (typeof v === 'boolean' || v === null) return randomCase(g, String(v));
  return JSON.stringify(v);
}

function printPath(g: Gen, p: AttrPath): string {
  const text = formatAttrPath(p);
  return p.schema === undefined ? text : `${randomCase(g, p.schema)}${text.slice(p.schema.length)}`;
}

/** Prints a tree so that it parses back to the same tree (parenthesising where precedence requires). */
function printFilter(g: Gen, n: FilterNode): string {
  const wrap = (s: string): string => (g.chance(0.1) ? `(${s})` : s);
  switch (n.op) {
    case 'pr':
      return wrap(`${printPath(g, n.path)} ${randomCase(g, 'pr')}`);
    case 'cmp':
      return wrap(`${printPath(g, n.path)} ${randomCase(g, n.cmp)} ${printValue(g, n.value)}`);
    case 'not':
      return `${randomCase(g, 'not')}${g.chance(0.5) ? ' ' : ''}(${printFilter(g, n.filter)})`;
    case 'valuePath': {
      const f = n.filter;
      // Entra's form: attr[inner].sub op value means attr[inner and sub op value].
      if (
        f.op === 'and' &&
        (f.right.op === 'cmp' || f.right.op === 'pr') &&
        f.right.path.sub === undefined &&
        f.right.path.schema === undefined &&
        g.chance(0.5)
      ) {
        const cond =
          f.right.op === 'pr' ? randomCase(g, 'pr') : `${f.right.cmp} ${printValue(g, f.right.value)}`;
        return `${printPath(g, n.path)}[${printFilter(g, f.left)}].${f.right.path.attr} ${cond}`;
      }
      return `${printPath(g, n.path)}[${printFilter(g, f)}]`;
    }
    case 'and':
    case 'or': {
      const side = (child: FilterNode, right: boolean): string => {
        const s = printFilter(g, child);
        const needs = (n.op === 'and' && child.op === 'or') || (right && child.op === n.op);
        return needs ? `(${s})` : s;
      };
      return wrap(`${side(n.left, false)} ${randomCase(g, n.op)} ${side(n.right, true)}`);
    }
  }
}

function mutate(g: Gen, text: string): string {
  let s = text;
  for (let i = 0, n = 1 + g.int(3); i < n; i++) {
    const at = g.int(s.length + 1);
    switch (g.int(5)) {
      case 0:
        s = s.slice(0, at) + s.slice(at + 1 + g.int(3));
        break;
      case 1:
        s = s.slice(0, at) + g.pick(CHARS) + s.slice(at);
        break;
      case 2:
        s = s.slice(0, at);
        break;
      case 3:
        s = s.slice(0, at) + s.slice(g.int(s.length)) + s.slice(at);
        break;
      default:
        s =
          s.slice(0, at) +
          g.pick([' and ', ' or ', 'not (', ' eq ', ' pr', '[', ']', '.value', '"', '\\u']) +
          s.slice(at);
    }
  }
  return s;
}

const SAMPLE_USER = {
  userName: 'bjensen',
  title: 'x',
  active: true,
  name: { givenName: 'B' },
  emails: [{ value: 'a@x', type: 'work', primary: true }],
  meta: { lastModified: '2011-05-13T04:42:34Z' },
  [ENTERPRISE_USER_SCHEMA]: { department: 'D' },
};

describe('fuzz: parseScimFilter', () => {
  test('well-formed filters round-trip; evaluation only ever fails with scim.* errors', () => {
    const g = gen(0x5c1a);
    for (let i = 0; i < 2500; i++) {
      const tree = randomFilter(g, 1 + g.int(5), false);
      const text = printFilter(g, tree);
      if (text.length > 4096) continue;
      const parsed = parseScimFilter(text);
      assert.deepEqual(parsed, tree, `round trip of ${JSON.stringify(text)}`);
      expectScimErrorOnly(() => {
        assert.equal(typeof matchesFilter(SAMPLE_USER, parsed, 'User'), 'boolean');
      }, text);
      expectScimErrorOnly(
        () => void matchesFilter({ displayName: 'g', members: [{ value: 'u' }] }, parsed, 'Group'),
        text,
      );
    }
  });

  test('mutated and random inputs parse or throw scim.invalid_filter, nothing else', () => {
    const g = gen(0xf11e);
    const inputs: string[] = [];
    for (let i = 0; i < 2500; i++)
      inputs.push(mutate(g, printFilter(g, randomFilter(g, 1 + g.int(4), false))));
    for (let i = 0; i < 1000; i++)
      inputs.push(
        Array.from({ length: g.int(40) }, () =>
          g.pick([...CHARS, ' eq ', ' and ', 'userName', '1e5', '-', 'true']),
        ).join(''),
      );
    inputs.push(
      '('.repeat(5000),
      '"'.repeat(5000),
      `${'a pr and '.repeat(450)}a pr`,
      '\\'.repeat(100),
      'not '.repeat(1000),
    );
    for (const text of inputs) {
      try {
        const parsed = parseScimFilter(text);
        expectScimErrorOnly(() => void matchesFilter(SAMPLE_USER, parsed, 'User'), text);
      } catch (e) {
        assert.ok(
          e instanceof SpoolError && e.code === 'scim.invalid_filter',
          `${String(e)} for ${JSON.stringify(text)}`,
        );
        assert.match(e.message, /position \d+|empty|longer than/);
      }
    }
  });
});

// ---- PATCH ---------------------------------------------------------------------------------------------

const PATHS = [
  'userName',
  'title',
  'active',
  'nickName',
  'name',
  'name.givenName',
  'NAME.FamilyName',
  'emails',
  'emails.value',
  'emails.primary',
  'emails[type eq "work"]',
  'emails[type eq "work"].value',
  'emails[type eq "work" and primary eq true].display',
  'emails[value co "x"]',
  'emails[type eq "a" or type eq "b"].value',
  'phoneNumbers[type eq "mobile"].value',
  'addresses[type eq "work"].postalCode',
  'members',
  'members[value eq "m1"]',
  'members[value eq "m1"].value',
  'members[display co "x"]',
  'displayName',
  'externalId',
  'id',
  'meta',
  'meta.created',
  'groups',
  'schemas',
  'password',
  'foo',
  'emails[',
  'emails[type eq]',
  '',
  ENTERPRISE_USER_SCHEMA,
  `${ENTERPRISE_USER_SCHEMA}:manager`,
  `${ENTERPRISE_USER_SCHEMA}:manager.value`,
  `${ENTERPRISE_USER_SCHEMA}:department`,
  'urn:ietf:params:scim:schemas:core:2.0:User',
  'urn:ietf:params:scim:schemas:core:2.0:Group:members',
  'urn:x:y',
  '__proto__',
  'constructor',
];
const KEYS = [
  'value',
  'type',
  'primary',
  'display',
  'givenName',
  '$ref',
  'department',
  'manager',
  'bogus',
  'userName',
  'active',
  'title',
  'members',
  'name.givenName',
  'emails[type eq "work"].value',
  `${ENTERPRISE_USER_SCHEMA}:employeeNumber`,
  ENTERPRISE_USER_SCHEMA,
  '__proto__',
  'schemas',
  'id',
];

function randomJson(g: Gen, depth: number): unknown {
  switch (depth <= 0 ? g.int(6) : g.int(9)) {
    case 0:
      return g.pick(['True', 'false', 'x', '', 'm1', 'work', 'a@x.com', '2011-05-13T04:42:34Z']);
    case 1:
      return g.chance(0.5);
    case 2:
      return null;
    case 3:
      return g.int(100) - 50;
    case 4:
      return g.pick(['m1', 'm2', 'M1', 'm3']);
    case 5:
      return {
        value: g.pick(['m1', 'm2', 'a@x.com', 5, 'True']),
        ...(g.chance(0.4) ? { type: g.pick(['work', 'home']) } : {}),
        ...(g.chance(0.3) ? { primary: g.pick([true, false, 'True']) } : {}),
      };
    case 6:
    case 7: {
      const o: Record<string, unknown> = {};
      for (let i = 0, n = g.int(4); i < n; i++)
        Object.defineProperty(o, g.pick(KEYS), {
          value: randomJson(g, depth - 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      return o;
    }
    default:
      return Array.from({ length: g.int(4) }, () => randomJson(g, depth - 1));
  }
}

function randomOperation(g: Gen): unknown {
  if (g.chance(0.03)) return randomJson(g, 1);
  const op: Record<string, unknown> = {
    op: g.pick(['add', 'Add', 'REPLACE', 'replace', 'remove', 'Remove', 'move', 5]),
  };
  if (g.chance(0.8)) op['path'] = g.pick(PATHS);
  if (g.chance(0.85)) op['value'] = randomJson(g, 2);
  return op;
}

/** Realistic operations (both Entra dialects), so that many bodies get past validation into the applier. */
const SANE_USER_OPS: readonly unknown[] = [
  { op: 'Replace', path: 'active', value: 'False' },
  { op: 'replace', path: 'active', value: true },
  { op: 'Add', path: 'nickName', value: 'Babs' },
  { op: 'Replace', path: 'emails[type eq "work"].value', value: 'w@x.com' },
  { op: 'Add', path: 'emails[type eq "home"].value', value: 'h@x.com' },
  { op: 'replace', path: 'emails[type eq "home"].primary', value: true },
  { op: 'remove', path: 'emails[type eq "work"]' },
  { op: 'remove', path: 'emails[type eq "work"].value' },
  { op: 'Replace', path: 'name.familyName', value: 'F' },
  { op: 'remove', path: 'name.givenName' },
  {
    op: 'replace',
    value: { displayName: 'D', 'name.givenName': 'G', [`${ENTERPRISE_USER_SCHEMA}:employeeNumber`]: '7' },
  },
  { op: 'add', value: { title: 'T', [ENTERPRISE_USER_SCHEMA]: { department: 'X', manager: 'm' } } },
  { op: 'Replace', path: `${ENTERPRISE_USER_SCHEMA}:manager`, value: 'boss' },
  { op: 'remove', path: `${ENTERPRISE_USER_SCHEMA}:manager` },
  { op: 'add', path: 'phoneNumbers', value: [{ value: '+1', type: 'mobile', primary: 'True' }] },
  { op: 'remove', path: 'externalId' },
];
const SANE_GROUP_OPS: readonly unknown[] = [
  { op: 'Add', path: 'members', value: [{ $ref: null, value: 'm3' }, { value: 'm1' }] },
  { op: 'Remove', path: 'members', value: [{ value: 'm1' }] },
  { op: 'remove', path: 'members[value eq "m2"]' },
  { op: 'replace', path: 'members', value: [{ value: 'm9' }] },
  { op: 'Replace', path: 'displayName', value: 'New' },
  { op: 'replace', value: { displayName: 'Group B', members: [{ value: 'm4' }] } },
  { op: 'remove', path: 'externalId' },
];

function randomBody(g: Gen, type: 'User' | 'Group'): unknown {
  if (g.chance(0.03)) return randomJson(g, 2);
  const sane = g.chance(0.5);
  const body: Record<string, unknown> = {
    schemas: g.chance(0.97) ? ['urn:ietf:params:scim:api:messages:2.0:PatchOp'] : ['urn:x'],
    Operations: Array.from({ length: g.chance(0.02) ? 0 : 1 + g.int(4) }, () =>
      sane && g.chance(0.9)
        ? structuredClone(g.pick(type === 'User' ? SANE_USER_OPS : SANE_GROUP_OPS))
        : randomOperation(g),
    ),
  };
  return body;
}

describe('fuzz: parsePatchRequest / normalizeEntraPatch / applyPatch / planGroupMemberOps', () => {
  test('random PATCH bodies succeed or fail with scim.* errors; inputs are never modified', () => {
    const g = gen(0xba7c);
    let applied = 0;
    for (let i = 0; i < 3000; i++) {
      const type = g.chance(0.6) ? 'User' : 'Group';
      const resource =
        type === 'User'
          ? {
              schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
              id: 'u1',
              userName: 'bjensen',
              active: true,
              emails: [{ value: 'a@x.com', type: 'work', primary: true }],
              name: { givenName: 'B' },
            }
          : {
              schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
              id: 'g1',
              displayName: 'G',
              members: [{ value: 'm1' }, { value: 'm2' }],
            };
      const snapshot = structuredClone(resource);
      const body = randomBody(g, type);
      expectScimErrorOnly(() => {
        const ops = parsePatchRequest(body, type);
        const normalized = g.chance(0.7) ? normalizeEntraPatch(ops, type) : ops;
        if (type === 'Group') {
          const plan = planGroupMemberOps(normalized);
          assert.ok(Array.isArray(plan.add) && Array.isArray(plan.remove));
        }
        const out = applyPatch(resource, normalized, type);
        applied++;
        assert.deepEqual(JSON.parse(JSON.stringify(out)), out, 'result is plain JSON');
        assert.equal(Object.getPrototypeOf(out), Object.prototype);
      }, body);
      assert.deepEqual(resource, snapshot, 'input resource untouched');
    }
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.ok(
      applied > 500,
      `only ${applied} bodies applied cleanly; the generator should produce more valid ones`,
    );
  });
});
