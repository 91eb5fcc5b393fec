/**
 * Recursive-descent parser for SCIM filters, RFC 7644 §3.4.2.2 Figure 1:
 *
 *   FILTER    = attrExp / logExp / valuePath / *1"not" "(" FILTER ")"
 *   valuePath = attrPath "[" valFilter "]"
 *   valFilter = attrExp / logExp / *1"not" "(" valFilter ")"
 *   attrExp   = (attrPath SP "pr") / (attrPath SP compareOp SP compValue)
 *   logExp    = FILTER SP ("and" / "or") SP FILTER
 *
 * Precedence (Table 3 of §3.4.2.2): grouping and `not (...)` bind tightest, then `and`, then `or`; both are
 * left-associative. Per errata 4690/7322 a valFilter may group and combine with and/or, but may not nest
 * another valuePath. Operators, keywords and attribute names are case-insensitive (§3.4.2.2).
 *
 * Extension (Microsoft Entra): `emails[type eq "work"].value eq "x"` — a value path followed by
 * `.subAttr op value` — means ONE email has type work AND value x; it becomes a valuePath node.
 *
 * Bad input always throws: a filter that cannot be understood must never widen into "match everything".
 */
import type { AttrPath } from '../paths.ts';
import { splitAttrPath, isValidAttrName } from '../paths.ts';
import type { CompValue, CompareOp, FilterNode } from './ast.ts';
import { COMPARE_OPS } from './ast.ts';
import type { ScimSyntaxErrorCode, Token } from './lexer.ts';
import { showToken, syntaxError, tokenize } from './lexer.ts';

/** Longest filter or path accepted (characters). Entra's filters are < 300 characters. */
export const MAX_FILTER_LENGTH = 4096;
/** Deepest nesting of parentheses / not / value paths accepted. */
export const MAX_FILTER_DEPTH = 50;

const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
const OPS_HINT = 'Use one of eq, ne, co, sw, ew, gt, ge, lt, le (followed by a value) or pr.';

interface ParserState {
  text: string;
  tokens: Token[];
  i: number;
  code: ScimSyntaxErrorCode;
  depth: number;
}

function peek(s: ParserState, ahead = 0): Token {
  return s.tokens[Math.min(s.i + ahead, s.tokens.length - 1)] as Token;
}

function next(s: ParserState): Token {
  const tok = peek(s);
  if (s.i < s.tokens.length - 1) s.i++;
  return tok;
}

function isWord(tok: Token, word: string): boolean {
  return tok.kind === 'word' && tok.text.toLowerCase() === word;
}

function asCompareOp(tok: Token): CompareOp | 'pr' | undefined {
  if (tok.kind !== 'word') return undefined;
  const w = tok.text.toLowerCase();
  if (w === 'pr') return 'pr';
  return (COMPARE_OPS as readonly string[]).includes(w) ? (w as CompareOp) : undefined;
}

function fail(s: ParserState, tok: Token, message: string, hint?: string): never {
  throw syntaxError(s.code, message, tok.pos, hint);
}

function enter(s: ParserState, tok: Token): void {
  s.depth++;
  if (s.depth > MAX_FILTER_DEPTH)
    fail(s, tok, `nesting deeper than ${MAX_FILTER_DEPTH} levels at position ${tok.pos + 1}`);
}

function expect(s: ParserState, kind: ')' | ']', opener: Token): void {
  const tok = next(s);
  if (tok.kind === kind) return;
  const closes = kind === ')' ? 'parenthesis' : 'bracket';
  fail(
    s,
    tok,
    `unexpected ${showToken(tok)} at position ${tok.pos + 1}; expected '${kind}' to close the ${closes} opened at position ${opener.pos + 1}`,
  );
}

function parseOr(s: ParserState, inValueFilter: boolean): FilterNode {
  let left = parseAnd(s, inValueFilter);
  while (isWord(peek(s), 'or')) {
    next(s);
    left = { op: 'or', left, right: parseAnd(s, inValueFilter) };
  }
  return left;
}

function parseAnd(s: ParserState, inValueFilter: boolean): FilterNode {
  let left = parseUnary(s, inValueFilter);
  while (isWord(peek(s), 'and')) {
    next(s);
    left = { op: 'and', left, right: parseUnary(s, inValueFilter) };
  }
  return left;
}

function parseUnary(s: ParserState, inValueFilter: boolean): FilterNode {
  const tok = peek(s);
  if (tok.kind === '(') {
    next(s);
    enter(s, tok);
    const inner = parseOr(s, inValueFilter);
    expect(s, ')', tok);
    s.depth--;
    return inner;
  }
  // `not` is only the keyword when a parenthesis follows (ABNF: *1"not" "(" FILTER ")"); otherwise it may be
  // an attribute that happens to be called "not".
  if (isWord(tok, 'not') && peek(s, 1).kind === '(') {
    next(s);
    const open = next(s);
    enter(s, open);
    const inner = parseOr(s, inValueFilter);
    expect(s, ')', open);
    s.depth--;
    return { op: 'not', filter: inner };
  }
  if (isWord(tok, 'not') && peek(s, 1).kind === 'word' && asCompareOp(peek(s, 1)) === undefined) {
    fail(
      s,
      tok,
      `'not' at position ${tok.pos + 1} must be followed by a parenthesised filter`,
      'Write not (userName eq "x").',
    );
  }
  return parseAttrExp(s, inValueFilter);
}

function parseAttrPathToken(s: ParserState, tok: Token): AttrPath {
  if (tok.kind !== 'word') {
    const after = tok.kind === 'eof' ? 'the input ended' : `found ${showToken(tok)}`;
    fail(
      s,
      tok,
      `expected an attribute name at position ${tok.pos + 1} but ${after}`,
      'A filter looks like: userName eq "bjensen".',
    );
  }
  const split = splitAttrPath(tok.text);
  if (!split.ok) fail(s, tok, `${split.reason} at position ${tok.pos + 1}`);
  return split.path;
}

function parseValue(s: ParserState, opTok: Token): CompValue {
  const tok = next(s);
  if (tok.kind === 'string') return tok.value as string;
  if (tok.kind === 'word') {
    const w = tok.text.toLowerCase();
    if (w === 'true') return true;
    if (w === 'false') return false;
    if (w === 'null') return null;
    if (JSON_NUMBER.test(tok.text)) {
      const n = Number(tok.text);
      if (Number.isFinite(n)) return n;
      fail(s, tok, `number ${showToken(tok)} at position ${tok.pos + 1} is out of range`);
    }
    fail(
      s,
      tok,
      `unexpected ${showToken(tok)} at position ${tok.pos + 1}; expected a value after '${opTok.text}'`,
      `String values must be in double quotes, e.g. ${JSON.stringify(tok.text)}.`,
    );
  }
  fail(
    s,
    tok,
    `unexpected ${showToken(tok)} at position ${tok.pos + 1}; expected a value after '${opTok.text}' (a "quoted string", a number, true, false or null)`,
  );
}

/** `attrPath op value` / `attrPath pr` once the path is known. */
function parseComparison(s: ParserState, path: AttrPath, pathTok: Token): FilterNode {
  const opTok = next(s);
  const op = asCompareOp(opTok);
  if (op === undefined) {
    const found = opTok.kind === 'eof' ? `end of input after '${pathTok.text}'` : showToken(opTok);
    fail(
      s,
      opTok,
      `unexpected ${found} at position ${opTok.pos + 1}; expected an operator such as eq`,
      OPS_HINT,
    );
  }
  if (op === 'pr') return { op: 'pr', path };
  return { op: 'cmp', path, cmp: op, value: parseValue(s, opTok) };
}

function parseAttrExp(s: ParserState, inValueFilter: boolean): FilterNode {
  const pathTok = next(s);
  const path = parseAttrPathToken(s, pathTok);
  const open = peek(s);
  if (open.kind !== '[') return parseComparison(s, path, pathTok);

  if (inValueFilter) {
    fail(
      s,
      open,
      `value filters cannot be nested (found '[' at position ${open.pos + 1} inside another '[...]')`,
    );
  }
  const { filter: inner, sub } = parseBracket(s, path, open);
  // Entra's `emails[type eq "work"].value eq "x"`: both conditions apply to the same element.
  if (sub) {
    const cond = parseComparison(s, { attr: sub.name }, sub.tok);
    return { op: 'valuePath', path, filter: { op: 'and', left: inner, right: cond } };
  }
  return { op: 'valuePath', path, filter: inner };
}

/**
 * `[valFilter]` after a multi-valued attribute (the '[' is `open`, not yet consumed), and the
 * `.subAttr` written right after ']' if any: shared by filters and PATCH paths.
 */
function parseBracket(s: ParserState, path: AttrPath, open: Token): { filter: FilterNode; sub?: { name: string; tok: Token } } {
  if (path.sub !== undefined) {
    fail(
      s,
      open,
      `'[' at position ${open.pos + 1} must follow a multi-valued attribute, not the sub-attribute '${path.attr}.${path.sub}'`,
    );
  }
  next(s);
  enter(s, open);
  const filter = parseOr(s, true);
  expect(s, ']', open);
  s.depth--;
  const close = s.tokens[s.i - 1] as Token;
  const after = peek(s);
  // The lexer reads `.value` as one word when it follows ']' directly.
  if (after.kind === 'word' && after.text.startsWith('.') && after.pos === close.pos + 1) {
    next(s);
    const name = after.text.slice(1);
    if (!isValidAttrName(name)) fail(s, after, `'${name}' is not a valid sub-attribute name at position ${after.pos + 2}`);
    return { filter, sub: { name, tok: after } };
  }
  return { filter };
}

function start(text: unknown, code: ScimSyntaxErrorCode): ParserState {
  if (typeof text !== 'string') throw syntaxError(code, 'it must be a string', 0);
  const what = code === 'scim.invalid_filter' ? 'filter' : 'path';
  if (text.length > MAX_FILTER_LENGTH)
    throw syntaxError(code, `the ${what} is longer than ${MAX_FILTER_LENGTH} characters`, MAX_FILTER_LENGTH);
  if (text.trim() === '') throw syntaxError(code, `the ${what} is empty`, 0);
  return { text, tokens: tokenize(text, code), i: 0, code, depth: 0 };
}

function expectEnd(s: ParserState, message: string): void {
  const tok = peek(s);
  if (tok.kind === 'eof') return;
  fail(s, tok, `unexpected ${showToken(tok)} at position ${tok.pos + 1}; ${message}`);
}

/** Parses a `filter` query parameter (RFC 7644 §3.4.2.2). Throws `scim.invalid_filter` (400) on bad input. */
export function parseScimFilter(text: string): FilterNode {
  const s = start(text, 'scim.invalid_filter');
  const node = parseOr(s, false);
  expectEnd(s, "expected 'and', 'or' or the end of the filter");
  return node;
}

/** A PATCH target: `attrPath`, or `attrPath "[" valFilter "]" [subAttr]` (RFC 7644 §3.5.2). */
export interface ParsedScimPath {
  /** With `filter`, `path.sub` is the sub-attribute selected inside the matching elements. */
  path: AttrPath;
  filter?: FilterNode;
}

/** Parses a PATCH `path` (RFC 7644 §3.5.2 PATH = attrPath / valuePath [subAttr]); errors are `scim.invalid_path`. */
export function parseScimPath(text: string): ParsedScimPath {
  const s = start(text, 'scim.invalid_path');
  const pathTok = next(s);
  const path = parseAttrPathToken(s, pathTok);
  const open = peek(s);
  if (open.kind !== '[') {
    expectEnd(s, 'a path is an attribute name, optionally followed by [filter] and .subAttribute');
    return { path };
  }
  const { filter, sub } = parseBracket(s, path, open);
  if (sub) path.sub = sub.name;
  expectEnd(s, "expected the end of the path (after ']' only '.subAttribute' may follow)");
  return { path, filter };
}
