import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SpoolError } from '../../errors.ts';
import { PATCH_OP_SCHEMA, parsePatchPath, parsePatchRequest } from './parse.ts';

const body = (...Operations: unknown[]): unknown => ({ schemas: [PATCH_OP_SCHEMA], Operations });

function fails(fn: () => unknown, code: string, message: RegExp): SpoolError {
  let caught: unknown;
  assert.throws(fn, (e: unknown) => {
    caught = e;
    return e instanceof SpoolError && e.code === code && e.status === 400 && message.test(e.message);
  });
  return caught as SpoolError;
}

describe('parsePatchRequest: envelope', () => {
  test('accepts the RFC 7644 §3.5.2 example shapes', () => {
    const ops = parsePatchRequest(
      body(
        {
          op: 'add',
          path: 'members',
          value: [
            { display: 'Babs Jensen', $ref: 'https://example.com/v2/Users/2819c223', value: '2819c223' },
          ],
        },
        { op: 'remove', path: 'members[value eq "2819c223-7f76-453a-919d-413861904646"]' },
        { op: 'replace', value: { displayName: 'Group B' } },
      ),
      'Group',
    );
    assert.equal(ops.length, 3);
    assert.deepEqual(
      ops.map((o) => o.op),
      ['add', 'remove', 'replace'],
    );
    assert.deepEqual(
      ops.map((o) => o.index),
      [0, 1, 2],
    );
    assert.equal(ops[1]?.path?.kind, 'attribute');
    assert.equal(ops[2]?.path, undefined);
  });
  test('op is case-insensitive (Entra sends Add/Replace/Remove)', () => {
    const ops = parsePatchRequest(
      body(
        { op: 'Add', path: 'nickName', value: 'Babs' },
        { op: 'REPLACE', path: 'title', value: 'x' },
        { op: 'Remove', path: 'title' },
      ),
      'User',
    );
    assert.deepEqual(
      ops.map((o) => o.op),
      ['add', 'replace', 'remove'],
    );
  });
  test('bad bodies', () => {
    fails(() => parsePatchRequest(null, 'User'), 'scim.invalid_syntax', /must be a JSON object/);
    fails(() => parsePatchRequest([], 'User'), 'scim.invalid_syntax', /must be a JSON object/);
    fails(
      () => parsePatchRequest({ Operations: [] }, 'User'),
      'scim.invalid_syntax',
      /"schemas" must contain/,
    );
    fails(
      () =>
        parsePatchRequest(
          { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], Operations: [] },
          'User',
        ),
      'scim.invalid_syntax',
      /PatchOp/,
    );
    fails(
      () => parsePatchRequest({ schemas: [PATCH_OP_SCHEMA] }, 'User'),
      'scim.invalid_syntax',
      /"Operations" must be an array/,
    );
    fails(
      () => parsePatchRequest({ schemas: [PATCH_OP_SCHEMA], Operations: {} }, 'User'),
      'scim.invalid_syntax',
      /"Operations" must be an array/,
    );
    fails(() => parsePatchRequest(body(), 'User'), 'scim.invalid_value', /Operations is empty/);
  });
  test('bad operations name their index', () => {
    const e = fails(
      () => parsePatchRequest(body({ op: 'add', path: 'title', value: 'x' }, 'nope'), 'User'),
      'scim.invalid_syntax',
      /^Operations\[1\]: each operation must be a JSON object/,
    );
    assert.equal(e.details?.['operation'], 1);
    fails(
      () => parsePatchRequest(body({ op: 'move', path: 'title' }), 'User'),
      'scim.invalid_syntax',
      /Operations\[0\]: "op" must be "add", "replace" or "remove" \(got "move"\)/,
    );
    fails(() => parsePatchRequest(body({ path: 'title' }), 'User'), 'scim.invalid_syntax', /got null/);
    fails(
      () => parsePatchRequest(body({ op: 'add', path: 'title' }), 'User'),
      'scim.invalid_value',
      /"add" needs a "value"/,
    );
    fails(
      () => parsePatchRequest(body({ op: 'replace', value: 'x' }), 'User'),
      'scim.invalid_value',
      /without a "path" needs a "value" object/,
    );
    fails(
      () => parsePatchRequest(body({ op: 'add', path: '', value: 'x' }), 'User'),
      'scim.invalid_path',
      /non-empty string/,
    );
    fails(
      () => parsePatchRequest(body({ op: 'add', path: 5, value: 'x' }), 'User'),
      'scim.invalid_path',
      /non-empty string/,
    );
  });
  test('remove needs a path (RFC 7644 §3.5.2.2 noTarget)', () => {
    fails(
      () => parsePatchRequest(body({ op: 'remove' }), 'User'),
      'scim.no_target',
      /"remove" needs a "path"/,
    );
  });
  test('remove keeps a value (Entra member removal) so it is never read as "remove all"', () => {
    const [op] = parsePatchRequest(
      body({ op: 'Remove', path: 'members', value: [{ value: 'u1091' }] }),
      'Group',
    );
    assert.deepEqual(op?.value, [{ value: 'u1091' }]);
  });
  test('unknown and read-only targets', () => {
    fails(
      () => parsePatchRequest(body({ op: 'add', path: 'foo', value: 'x' }), 'User'),
      'scim.invalid_path',
      /Operations\[0\]: Unknown attribute 'foo'/,
    );
    fails(
      () => parsePatchRequest(body({ op: 'add', path: 'emails[type eq "work"', value: 'x' }), 'User'),
      'scim.invalid_path',
      /expected '\]'/,
    );
    fails(
      () => parsePatchRequest(body({ op: 'replace', path: 'id', value: 'x' }), 'User'),
      'scim.mutability',
      /'id' is read-only/,
    );
    fails(
      () => parsePatchRequest(body({ op: 'remove', path: 'meta.lastModified' }), 'User'),
      'scim.mutability',
      /'meta.lastModified' is read-only/,
    );
    fails(
      () => parsePatchRequest(body({ op: 'add', path: 'groups', value: [{ value: 'g' }] }), 'User'),
      'scim.mutability',
      /read-only/,
    );
    fails(
      () =>
        parsePatchRequest(
          body({
            op: 'replace',
            path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName',
            value: 'x',
          }),
          'User',
        ),
      'scim.mutability',
      /manager.displayName' is read-only/,
    );
  });
  test('member names are case-insensitive too', () => {
    const ops = parsePatchRequest(
      { SCHEMAS: [PATCH_OP_SCHEMA.toUpperCase()], operations: [{ OP: 'add', PATH: 'title', VALUE: 'x' }] },
      'User',
    );
    assert.deepEqual(ops, [
      {
        op: 'add',
        index: 0,
        path: { kind: 'attribute', text: 'title', attr: { attr: 'title' } },
        value: 'x',
      },
    ]);
  });
});

describe('parsePatchPath', () => {
  test('resolves paths of every RFC form', () => {
    assert.deepEqual(parsePatchPath('name.givenName', 'User'), {
      kind: 'attribute',
      text: 'name.givenName',
      attr: { attr: 'name', sub: 'givenName' },
    });
    assert.deepEqual(parsePatchPath('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', 'User'), {
      kind: 'extension',
      text: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
      schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user',
    });
    const filtered = parsePatchPath('emails[type eq "work"].value', 'User');
    assert.equal(filtered.kind, 'attribute');
    if (filtered.kind === 'attribute') {
      assert.deepEqual(filtered.attr, { attr: 'emails', sub: 'value' });
      assert.deepEqual(filtered.filter, { op: 'cmp', path: { attr: 'type' }, cmp: 'eq', value: 'work' });
    }
  });
  test('rejects filters on single-valued attributes and unknown sub-attributes', () => {
    fails(
      () => parsePatchPath('name[givenName eq "x"]', 'User'),
      'scim.invalid_path',
      /not a multi-valued complex attribute/,
    );
    fails(
      () => parsePatchPath('emails[kind eq "work"]', 'User'),
      'scim.invalid_path',
      /'emails' has no sub-attribute 'kind'/,
    );
    fails(
      () => parsePatchPath('emails[type eq "work"].nope', 'User'),
      'scim.invalid_path',
      /no sub-attribute 'nope'/,
    );
    fails(
      () => parsePatchPath('emails[primary eq "yes"]', 'User'),
      'scim.invalid_path',
      /'primary' is a boolean/,
    );
    fails(
      () => parsePatchPath('urn:ietf:params:scim:schemas:core:2.0:User', 'User'),
      'scim.invalid_path',
      /names the core schema/,
    );
    fails(
      () => parsePatchPath('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', 'Group'),
      'scim.invalid_path',
      /Unknown schema/,
    );
  });
});
