/**
 * Card-number conversions (setting ldap.card-transform): badge readers and directories rarely agree on a
 * format. A readers sends "0004A3F2" where AD holds "304114"; HR writes "ID-12345" where the reader sends
 * "12345". Steps are applied in order, separated by "|":
 *   hex-to-dec, dec-to-hex, strip-prefix:X, strip-suffix:X, pad:N, upper, lower, trim-leading-zeros
 * Pure code: no I/O.
 */
import { SpoolError } from '../../errors.ts';

export type CardStep =
  | { op: 'hex-to-dec' }
  | { op: 'dec-to-hex' }
  | { op: 'strip-prefix'; arg: string }
  | { op: 'strip-suffix'; arg: string }
  | { op: 'pad'; width: number }
  | { op: 'upper' }
  | { op: 'lower' }
  | { op: 'trim-leading-zeros' };

const SIMPLE = new Set(['hex-to-dec', 'dec-to-hex', 'upper', 'lower', 'trim-leading-zeros']);

/** Parses a transform spec; throws sync.invalid_card_transform naming the bad step. "" gives no steps. */
export function parseCardTransform(spec: string): CardStep[] {
  const steps: CardStep[] = [];
  for (const raw of spec.split('|')) {
    const part = raw.trim();
    if (!part) continue;
    const colon = part.indexOf(':');
    const op = (colon < 0 ? part : part.slice(0, colon)).trim().toLowerCase();
    const arg = colon < 0 ? undefined : part.slice(colon + 1);
    if (SIMPLE.has(op) && arg === undefined) {
      steps.push({ op } as CardStep);
    } else if ((op === 'strip-prefix' || op === 'strip-suffix') && arg) {
      steps.push({ op, arg });
    } else if (op === 'pad' && arg !== undefined && /^\d{1,2}$/.test(arg.trim()) && Number(arg) >= 1 && Number(arg) <= 64) {
      steps.push({ op, width: Number(arg) });
    } else {
      throw new SpoolError('sync.invalid_card_transform', `"${part}" is not a card number conversion.`, {
        hint: 'Use steps separated by "|": hex-to-dec, dec-to-hex, strip-prefix:X, strip-suffix:X, pad:N (1-64), upper, lower, trim-leading-zeros.',
      });
    }
  }
  return steps;
}

/** Validator for the settings definition: an error message or null. */
export function cardTransformProblem(spec: unknown): string | null {
  try {
    parseCardTransform(String(spec ?? ''));
    return null;
  } catch (e) {
    return e instanceof SpoolError ? `${e.message} ${e.hint ?? ''}`.trim() : String(e);
  }
}

const fail = (value: string, why: string): never => {
  throw new SpoolError('sync.card_conversion_failed', `Card number "${value}" ${why}.`, {
    hint: 'Fix the value in the directory, or adjust the card number conversions (ldap.card-transform).',
  });
};

/**
 * Converts one value. Returns null for an empty result (no card). Throws sync.card_conversion_failed when a
 * step cannot apply (e.g. hex-to-dec on "12G4"); the caller names the entry.
 */
export function applyCardTransform(value: string, steps: readonly CardStep[]): string | null {
  let v = value.trim();
  if (!v) return null;
  for (const s of steps) {
    switch (s.op) {
      case 'hex-to-dec': {
        const hex = v.replace(/^0x/i, '');
        if (!/^[0-9a-f]+$/i.test(hex)) fail(value, 'is not hexadecimal (conversion hex-to-dec)');
        v = BigInt(`0x${hex}`).toString(10);
        break;
      }
      case 'dec-to-hex':
        if (!/^\d+$/.test(v)) fail(value, 'is not a decimal number (conversion dec-to-hex)');
        v = BigInt(v).toString(16);
        break;
      case 'strip-prefix':
        if (v.toLowerCase().startsWith(s.arg.toLowerCase())) v = v.slice(s.arg.length);
        break;
      case 'strip-suffix':
        if (v.toLowerCase().endsWith(s.arg.toLowerCase())) v = v.slice(0, v.length - s.arg.length);
        break;
      case 'pad':
        v = v.padStart(s.width, '0');
        break;
      case 'upper':
        v = v.toUpperCase();
        break;
      case 'lower':
        v = v.toLowerCase();
        break;
      case 'trim-leading-zeros':
        v = v.replace(/^0+(?=.)/, '');
        break;
    }
    v = v.trim();
    if (!v) return null;
  }
  if (v.length > 128) fail(value, 'is longer than 128 characters after conversion');
  if (/[\p{Cc}]/u.test(v)) fail(value, 'contains control characters');
  return v;
}
