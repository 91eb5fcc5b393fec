import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SpoolError } from '../../errors.ts';
import type { AttrPath, CompValue, CompareOp, FilterNode } from './ast.ts';
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, parseScimFilter, parseScimPath } from './parser.ts';

const p = (attr: string, sub?: string, schema?: string): AttrPath => ({
  attr,
  ...(sub === undefined ? {} : { sub }),
  ...(schema === undefined ? {} : { schema }),
});
const cmp = (path: AttrPath | string, op: CompareOp, value: CompValue): FilterNode => ({
  op: 'cmp',
  path: typeof path === 'string' ? p(path) : path,
  cmp: op,
  value,
});
const pr = (attr: string): FilterNode => ({ op: 'pr', path: p(attr) });
const and = (left: FilterNode, right: FilterNode): FilterNode => ({ op: 'and', left, right });
const or = (left: FilterNode, right: FilterNode): FilterNode => ({ op: 'or', left, right });
const not = (filter: FilterNode): FilterNode => ({ op: 'not', filter });
const vp = (attr: string, filter: FilterNode): FilterNode => ({ op: 'valuePath', path: p(attr), filter });

/** Asserts a scim.invalid_filter SpoolError whose message matches and whose 1-based position is `position`. */
function rejects(text: string, message: RegExp, position?: number, code = 'scim.invalid_filter'): void {
  assert.throws(
    () => (code === 'scim.invalid_filter' ? parseScimFilter(text) : parseScimPath(text)),
    (e: unknown) => {
      assert.ok(e instanceof SpoolError, `expected SpoolError, got ${String(e)}`);
      assert.equal(e.code, code);
      assert.equal(e.status, 400);
      assert.match(e.message, message);
      if (position !== undefined) {
        assert.equal(e.details?.['position'], position, e.message);
        assert.match(e.message, new RegExp(`position ${position}\\b`));
      }
      return true;
    },
  );
}

describe('parseScimFilter: RFC 7644 §3.4.2.2 examples', () => {
  const cases: [string, FilterNode][] = [
    ['userName eq "bjensen"', cmp('userName', 'eq', 'bjensen')],
    ['name.familyName co "O\'Malley"', cmp(p('name', 'familyName'), 'co', "O'Malley")],
    ['userName sw "J"', cmp('userName', 'sw', 'J')],
    [
      'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"',
      cmp(p('userName', undefined, 'urn:ietf:params:scim:schemas:core:2.0:user'), 'sw', 'J'),
    ],
    ['title pr', pr('title')],
    [
      'meta.lastModified gt "2011-05-13T04:42:34Z"',
      cmp(p('meta', 'lastModified'), 'gt', '2011-05-13T04:42:34Z'),
    ],
    [
      'meta.lastModified ge "2011-05-13T04:42:34Z"',
      cmp(p('meta', 'lastModified'), 'ge', '2011-05-13T04:42:34Z'),
    ],
    [
      'meta.lastModified lt "2011-05-13T04:42:34Z"',
      cmp(p('meta', 'lastModified'), 'lt', '2011-05-13T04:42:34Z'),
    ],
    [
      'meta.lastModified le "2011-05-13T04:42:34Z"',
      cmp(p('meta', 'lastModified'), 'le', '2011-05-13T04:42:34Z'),
    ],
    ['title pr and userType eq "Employee"', and(pr('title'), cmp('userType', 'eq', 'Employee'))],
    ['title pr or userType eq "Intern"', or(pr('title'), cmp('userType', 'eq', 'Intern'))],
    [
      'schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"',
      cmp('schemas', 'eq', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'),
    ],
    [
      'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
      and(
        cmp('userType', 'eq', 'Employee'),
        or(cmp('emails', 'co', 'example.com'), cmp(p('emails', 'value'), 'co', 'example.org')),
      ),
    ],
    [
      'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
      and(
        cmp('userType', 'ne', 'Employee'),
        not(or(cmp('emails', 'co', 'example.com'), cmp(p('emails', 'value'), 'co', 'example.org'))),
      ),
    ],
    [
      'userType eq "Employee" and (emails.type eq "work")',
      and(cmp('userType', 'eq', 'Employee'), cmp(p('emails', 'type'), 'eq', 'work')),
    ],
    [
      'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
      and(
        cmp('userType', 'eq', 'Employee'),
        vp('emails', and(cmp('type', 'eq', 'work'), cmp('value', 'co', '@example.com'))),
      ),
    ],
    [
      'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
      or(
        vp('emails', and(cmp('type', 'eq', 'work'), cmp('value', 'co', '@example.com'))),
        vp('ims', and(cmp('type', 'eq', 'xmpp'), cmp('value', 'co', '@foo.com'))),
      ),
    ],
  ];
  for (const [text, ast] of cases) {
    test(text, () => assert.deepEqual(parseScimFilter(text), ast));
  }
});

describe('parseScimFilter: Microsoft Entra filters (verbatim from the SCIM tutorial)', () => {
  test('userName / externalId / displayName lookups', () => {
    assert.deepEqual(
      parseScimFilter('userName eq "Test_User_dfeef4c5-5681-4387-b016-bdf221e82081"'),
      cmp('userName', 'eq', 'Test_User_dfeef4c5-5681-4387-b016-bdf221e82081'),
    );
    assert.deepEqual(
      parseScimFilter('userName eq "non-existent user"'),
      cmp('userName', 'eq', 'non-existent user'),
    );
    assert.deepEqual(
      parseScimFilter('externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"'),
      cmp('externalId', 'eq', '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef'),
    );
    assert.deepEqual(
      parseScimFilter('displayName eq "Group1DisplayName"'),
      cmp('displayName', 'eq', 'Group1DisplayName'),
    );
  });

  test('emails[type eq "work"].value eq "x" is ONE element matching both conditions', () => {
    assert.deepEqual(
      parseScimFilter('emails[type eq "work"].value eq "x@y.com"'),
      vp('emails', and(cmp('type', 'eq', 'work'), cmp('value', 'eq', 'x@y.com'))),
    );
    assert.deepEqual(
      parseScimFilter('userName eq "a" and emails[type eq "work"].value pr'),
      and(cmp('userName', 'eq', 'a'), vp('emails', and(cmp('type', 'eq', 'work'), pr('value')))),
    );
  });

  test('the unquoted value in an old Microsoft sample is rejected with a fix, not guessed', () => {
    rejects(
      'externalId eq jyoung',
      /unexpected token 'jyoung' at position 15; expected a value after 'eq'/,
      15,
    );
    try {
      parseScimFilter('externalId eq jyoung');
    } catch (e) {
      assert.match((e as SpoolError).hint ?? '', /"jyoung"/);
    }
  });
});

describe('parseScimFilter: precedence and grouping', () => {
  test('and binds tighter than or, both left-associative', () => {
    assert.deepEqual(parseScimFilter('a pr or b pr and c pr'), or(pr('a'), and(pr('b'), pr('c'))));
    assert.deepEqual(parseScimFilter('a pr and b pr or c pr'), or(and(pr('a'), pr('b')), pr('c')));
    assert.deepEqual(parseScimFilter('a pr or b pr or c pr'), or(or(pr('a'), pr('b')), pr('c')));
    assert.deepEqual(parseScimFilter('a pr and b pr and c pr'), and(and(pr('a'), pr('b')), pr('c')));
  });

  test('parentheses override precedence, nest, and may be redundant', () => {
    assert.deepEqual(parseScimFilter('(a pr or b pr) and c pr'), and(or(pr('a'), pr('b')), pr('c')));
    assert.deepEqual(parseScimFilter('((a pr))'), pr('a'));
    assert.deepEqual(
      parseScimFilter('a pr and ((b pr or (c pr and d pr)))'),
      and(pr('a'), or(pr('b'), and(pr('c'), pr('d')))),
    );
  });

  test('not applies to a parenthesised filter, with or without a space, any case', () => {
    assert.deepEqual(parseScimFilter('not (a pr)'), not(pr('a')));
    assert.deepEqual(parseScimFilter('not(a pr)'), not(pr('a')));
    assert.deepEqual(parseScimFilter('NOT (a pr) and b pr'), and(not(pr('a')), pr('b')));
    assert.deepEqual(parseScimFilter('not (not (a pr))'), not(not(pr('a'))));
    assert.deepEqual(parseScimFilter('b pr or not (a pr and c pr)'), or(pr('b'), not(and(pr('a'), pr('c')))));
  });

  test('an attribute called "not" is still an attribute', () => {
    assert.deepEqual(parseScimFilter('not eq "x"'), cmp('not', 'eq', 'x'));
    assert.deepEqual(parseScimFilter('not pr'), pr('not'));
  });

  test('value filters group and combine inside brackets (errata 7322)', () => {
    assert.deepEqual(
      parseScimFilter('emails[type eq "work" or (type eq "home" and value ew "@example.com")]'),
      vp(
        'emails',
        or(cmp('type', 'eq', 'work'), and(cmp('type', 'eq', 'home'), cmp('value', 'ew', '@example.com'))),
      ),
    );
    assert.deepEqual(
      parseScimFilter('emails[not (type eq "work")]'),
      vp('emails', not(cmp('type', 'eq', 'work'))),
    );
    assert.deepEqual(
      parseScimFilter('not (emails[type eq "work"])'),
      not(vp('emails', cmp('type', 'eq', 'work'))),
    );
  });
});

describe('parseScimFilter: tokens', () => {
  test('every comparison operator, case-insensitive', () => {
    for (const op of ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const) {
      assert.deepEqual(parseScimFilter(`title ${op} "x"`), cmp('title', op, 'x'));
      assert.deepEqual(parseScimFilter(`title ${op.toUpperCase()} "x"`), cmp('title', op, 'x'));
    }
    assert.deepEqual(parseScimFilter('title PR'), pr('title'));
    assert.deepEqual(parseScimFilter('a Pr AND b pR Or c pr'), or(and(pr('a'), pr('b')), pr('c')));
  });

  test('attribute names keep their spelling (resolution is case-insensitive later)', () => {
    assert.deepEqual(parseScimFilter('USERNAME eq "x"'), cmp('USERNAME', 'eq', 'x'));
    assert.deepEqual(parseScimFilter('members.$ref pr'), { op: 'pr', path: p('members', '$ref') });
  });

  test('JSON values: true, false, null, numbers', () => {
    assert.deepEqual(parseScimFilter('active eq true'), cmp('active', 'eq', true));
    assert.deepEqual(parseScimFilter('active eq False'), cmp('active', 'eq', false));
    assert.deepEqual(parseScimFilter('title eq null'), cmp('title', 'eq', null));
    assert.deepEqual(parseScimFilter('n eq 0'), cmp('n', 'eq', 0));
    assert.deepEqual(parseScimFilter('n gt -12.5e3'), cmp('n', 'gt', -12500));
    assert.deepEqual(parseScimFilter('n lt 1E+2'), cmp('n', 'lt', 100));
  });

  test('JSON string escapes and Unicode', () => {
    assert.deepEqual(
      parseScimFilter(String.raw`displayName eq "say \"hi\" \\ \/ \b\f\n\r\t"`),
      cmp('displayName', 'eq', 'say "hi" \\ / \b\f\n\r\t'),
    );
    assert.deepEqual(
      parseScimFilter(String.raw`displayName eq "J\u00f8rgen \uD83D\uDE00"`),
      cmp('displayName', 'eq', 'Jørgen 😀'),
    );
    assert.deepEqual(
      parseScimFilter('displayName eq "Jørgen 日本 😀"'),
      cmp('displayName', 'eq', 'Jørgen 日本 😀'),
    );
    assert.deepEqual(parseScimFilter('displayName eq ""'), cmp('displayName', 'eq', ''));
    assert.deepEqual(
      parseScimFilter('displayName eq "a and b or not (c)"'),
      cmp('displayName', 'eq', 'a and b or not (c)'),
    );
    assert.deepEqual(parseScimFilter('displayName eq "[x] ]"'), cmp('displayName', 'eq', '[x] ]'));
  });

  test('extension attributes by URN', () => {
    const ent = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user';
    assert.deepEqual(
      parseScimFilter(
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"',
      ),
      cmp(p('employeeNumber', undefined, ent), 'eq', '701984'),
    );
    assert.deepEqual(
      parseScimFilter(
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"',
      ),
      cmp(p('manager', 'value', ent), 'eq', '26118915-6090-4610-87e4-49d8ca9f808d'),
    );
    assert.deepEqual(parseScimFilter('urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"]'), {
      op: 'valuePath',
      path: p('emails', undefined, 'urn:ietf:params:scim:schemas:core:2.0:user'),
      filter: cmp('type', 'eq', 'work'),
    });
  });

  test('extra whitespace (spaces, tabs, newlines) is tolerated', () => {
    assert.deepEqual(
      parseScimFilter('  userName   eq\t"x"\n and ( title pr )  '),
      and(cmp('userName', 'eq', 'x'), pr('title')),
    );
  });
});

describe('parseScimFilter: errors name the problem and its position', () => {
  test('bad operator', () => {
    rejects('userName foo "x"', /unexpected token 'foo' at position 10; expected an operator such as eq/, 10);
    rejects('userName', /end of input after 'userName' at position 9; expected an operator/, 9);
    rejects('userName equals "x"', /token 'equals' at position 10/, 10);
  });
  test('missing or bad values', () => {
    rejects('userName eq', /end of input at position 12; expected a value after 'eq'/, 12);
    rejects('userName eq (', /unexpected token '\(' at position 13/, 13);
    rejects('userName eq 01', /token '01' at position 13/, 13);
    rejects('n eq 1e999', /out of range/, 6);
  });
  test('bad strings', () => {
    rejects('userName eq "abc', /unterminated string starting at position 13/, 13);
    rejects('userName eq "a\\qb"', /invalid escape '\\q' at position 15/, 15);
    rejects('userName eq "\\u12"', /invalid \\u escape at position 14/, 14);
    rejects('userName eq "a\nb"', /control character U\+000A at position 15/, 15);
    rejects("userName eq 'bjensen'", /unexpected quote .* at position 13/, 13);
    rejects('userName eq \u201cbjensen\u201d', /unexpected quote/, 13);
  });
  test('unexpected characters and trailing junk', () => {
    rejects('userName eq "x" &', /unexpected character '&' \(U\+0026\) at position 17/, 17);
    rejects(
      'userName eq "x" bogus',
      /unexpected token 'bogus' at position 17; expected 'and', 'or' or the end of the filter/,
      17,
    );
    rejects('userName eq "x")', /unexpected token '\)' at position 16/, 16);
    rejects('userName eq "x" and', /expected an attribute name at position 20 but the input ended/, 20);
    rejects('userNäme eq "x"', /unexpected character 'ä'/, 6);
  });
  test('bad attribute names', () => {
    rejects('1abc eq "x"', /'1abc' is not a valid attribute name at position 1/, 1);
    rejects('a.b.c eq "x"', /more than one '\.'/, 1);
    rejects('foo:bar eq "x"', /only schema URNs/, 1);
    rejects('"x" eq userName', /expected an attribute name at position 1 but found string "x"/, 1);
  });
  test('unbalanced grouping', () => {
    rejects('(userName eq "x"', /expected '\)' to close the parenthesis opened at position 1/, 17);
    rejects('emails[type eq "work"', /expected '\]' to close the bracket opened at position 7/, 22);
    rejects('emails[type eq "work")', /unexpected token '\)' at position 22; expected '\]'/, 22);
    rejects('()', /expected an attribute name at position 2/, 2);
    rejects('not (a pr', /expected '\)'/);
  });
  test('not needs parentheses', () => {
    rejects('not userName eq "x"', /'not' at position 1 must be followed by a parenthesised filter/, 1);
  });
  test('value paths: no nesting, not after a sub-attribute, .sub must follow ] directly', () => {
    rejects('emails[type eq "work" and x[y eq "z"]]', /value filters cannot be nested/, 28);
    rejects('name.givenName[x eq "y"]', /must follow a multi-valued attribute/, 15);
    rejects('emails[type eq "work"].value', /end of input after '\.value'/);
    rejects('emails[type eq "work"] .value eq "x"', /token '\.value' at position 24/, 24);
    rejects('emails[type eq "work"].a.b eq "x"', /not a valid sub-attribute name/);
  });
  test('empty, oversized and too deeply nested filters', () => {
    rejects('', /the filter is empty/);
    rejects('   ', /the filter is empty/);
    rejects(`userName eq "${'x'.repeat(MAX_FILTER_LENGTH)}"`, /longer than 4096 characters/);
    const deep = `${'('.repeat(MAX_FILTER_DEPTH + 1)}a pr${')'.repeat(MAX_FILTER_DEPTH + 1)}`;
    rejects(deep, /nesting deeper than 50 levels at position 51/, 51);
    const ok = `${'('.repeat(MAX_FILTER_DEPTH)}a pr${')'.repeat(MAX_FILTER_DEPTH)}`;
    assert.deepEqual(parseScimFilter(ok), pr('a'));
    const nots = `${'not ('.repeat(MAX_FILTER_DEPTH + 1)}a pr${')'.repeat(MAX_FILTER_DEPTH + 1)}`;
    rejects(nots, /nesting deeper than 50/);
  });
  test('non-string input', () => {
    rejects(undefined as unknown as string, /must be a string/);
  });
});

describe('parseScimPath (PATCH paths, RFC 7644 §3.5.2)', () => {
  test('attribute, sub-attribute, URN, filter, filter + sub', () => {
    assert.deepEqual(parseScimPath('userName'), { path: p('userName') });
    assert.deepEqual(parseScimPath('name.familyName'), { path: p('name', 'familyName') });
    assert.deepEqual(parseScimPath('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager'), {
      path: p('manager', undefined, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user'),
    });
    assert.deepEqual(parseScimPath('members[value eq "7f4bc1a3-285e-48ae-8202-5accb43efb0e"]'), {
      path: p('members'),
      filter: cmp('value', 'eq', '7f4bc1a3-285e-48ae-8202-5accb43efb0e'),
    });
    assert.deepEqual(parseScimPath('emails[type eq "work"].value'), {
      path: p('emails', 'value'),
      filter: cmp('type', 'eq', 'work'),
    });
    assert.deepEqual(parseScimPath('addresses[type eq "work" and primary eq true].streetAddress'), {
      path: p('addresses', 'streetAddress'),
      filter: and(cmp('type', 'eq', 'work'), cmp('primary', 'eq', true)),
    });
  });
  test('errors are scim.invalid_path with positions', () => {
    rejects('emails[type eq "work"] junk', /unexpected token 'junk' at position 24/, 24, 'scim.invalid_path');
    rejects('userName eq "x"', /unexpected token 'eq' at position 10/, 10, 'scim.invalid_path');
    rejects('emails[type eq "work"', /expected '\]'/, 22, 'scim.invalid_path');
    rejects('emails[type]', /end of input|token '\]'/, undefined, 'scim.invalid_path');
    rejects('', /the path is empty/, undefined, 'scim.invalid_path');
    rejects('emails[type eq "work"].value.x', /not a valid sub-attribute/, undefined, 'scim.invalid_path');
  });
});
