/**
 * Tokeniser for SCIM filters and PATCH paths (RFC 7644 §3.4.2.2, §3.5.2). Words cover attribute paths
 * (including URNs, whose "2.0" needs '.', and `$ref`), keywords, operators and numbers; strings are JSON
 * strings (RFC 8259 §7). Whitespace is any run of space, tab, CR or LF: the ABNF says SP, but clients
 * that put two spaces or a newline in a filter mean nothing different.
 */
import { SpoolError } from '../../errors.ts';

export type ScimSyntaxErrorCode = 'scim.invalid_filter' | 'scim.invalid_path';

export type TokenKind = 'word' | 'string' | '(' | ')' | '[' | ']' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Source text of the token (for strings: including the quotes). */
  text: string;
  /** 0-based offset into the input. */
  pos: number;
  /** Decoded value of a string token. */
  value?: string;
}

const WORD_CHAR = /[A-Za-z0-9_\-:.$+]/;
const WORD = /[A-Za-z0-9_\-:.$+]+/y;
/** A string without escapes or control characters (nearly all of them): its value is its text. */
// eslint-disable-next-line no-control-regex -- control characters are what must NOT appear in a plain string
const PLAIN_STRING = /"[^"\\\u0000-\u001f]*"/y;
const HEX4 = /^[0-9A-Fa-f]{4}$/;

/** Errors report 1-based character positions: "position 1" is the first character. */
export function syntaxError(
  code: ScimSyntaxErrorCode,
  message: string,
  pos: number,
  hint?: string,
): SpoolError {
  const what = code === 'scim.invalid_filter' ? 'filter' : 'path';
  return new SpoolError(code, `Invalid ${what}: ${message}`, {
    status: 400,
    details: { position: pos + 1 },
    ...(hint === undefined ? {} : { hint }),
  });
}

function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return cp < 0x20 || cp === 0x7f || (cp >= 0x80 && /\s/u.test(ch)) ? hex : `'${ch}' (${hex})`;
}

function readString(text: string, start: number, code: ScimSyntaxErrorCode): Token {
  PLAIN_STRING.lastIndex = start;
  if (PLAIN_STRING.test(text)) {
    const raw = text.slice(start, PLAIN_STRING.lastIndex);
    return { kind: 'string', text: raw, pos: start, value: raw.slice(1, -1) };
  }
  let i = start + 1;
  for (;;) {
    const ch = text[i];
    if (ch === undefined) {
      throw syntaxError(
        code,
        `unterminated string starting at position ${start + 1}`,
        start,
        'Close the value with a double quote (").',
      );
    }
    if (ch === '"') break;
    if (ch === '\\') {
      const esc = text[i + 1];
      if (esc === 'u') {
        if (!HEX4.test(text.slice(i + 2, i + 6))) {
          throw syntaxError(code, `invalid \\u escape at position ${i + 1}; expected four hex digits`, i);
        }
        i += 6;
        continue;
      }
      if (esc === undefined || !'"\\/bfnrt'.includes(esc)) {
        throw syntaxError(
          code,
          `invalid escape '\\${esc ?? ''}' at position ${i + 1}`,
          i,
          'JSON strings allow \\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX.',
        );
      }
      i += 2;
      continue;
    }
    if (ch < ' ') {
      throw syntaxError(
        code,
        `control character ${describeChar(ch)} at position ${i + 1} must be escaped inside a string`,
        i,
      );
    }
    i++;
  }
  const raw = text.slice(start, i + 1);
  // The scan above accepted exactly the JSON string grammar, so JSON.parse decodes escapes (incl. surrogate
  // pairs) without surprises.
  return { kind: 'string', text: raw, pos: start, value: JSON.parse(raw) as string };
}

export function tokenize(text: string, code: ScimSyntaxErrorCode): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
    } else if (ch === '(' || ch === ')' || ch === '[' || ch === ']') {
      tokens.push({ kind: ch, text: ch, pos: i });
      i++;
    } else if (ch === '"') {
      const tok = readString(text, i, code);
      tokens.push(tok);
      i = tok.pos + tok.text.length;
    } else if (ch === "'" || ch === '\u201c' || ch === '\u201d') {
      throw syntaxError(
        code,
        `unexpected quote ${describeChar(ch)} at position ${i + 1}`,
        i,
        'SCIM values are JSON strings: use straight double quotes, e.g. userName eq "bjensen".',
      );
    } else if (WORD_CHAR.test(ch)) {
      const start = i;
      WORD.lastIndex = i;
      WORD.test(text);
      i = WORD.lastIndex;
      tokens.push({ kind: 'word', text: text.slice(start, i), pos: start });
    } else {
      throw syntaxError(code, `unexpected character ${describeChar(ch)} at position ${i + 1}`, i);
    }
  }
  tokens.push({ kind: 'eof', text: '', pos: text.length });
  return tokens;
}

/** How a token reads in an error message. */
export function showToken(tok: Token): string {
  if (tok.kind === 'eof') return 'end of input';
  const t = tok.text.length > 40 ? `${tok.text.slice(0, 37)}...` : tok.text;
  return tok.kind === 'string' ? `string ${t}` : `token '${t}'`;
}
