/** Filter building (RFC 4515) and small helpers shared by the directory readers. */

export const wrap = (f: string): string => {
  const t = f.trim();
  return t.startsWith('(') ? t : `(${t})`;
};
export const andFilter = (parts: Array<string | null | undefined>): string => {
  const p = parts.filter((x): x is string => Boolean(x && x.trim())).map(wrap);
  return p.length === 1 ? p[0]! : `(&${p.join('')})`;
};

export const isDn = (s: string): boolean => /^[A-Za-z][\w-]*\s*=/.test(s.trim()) || /^\d+(\.\d+)+\s*=/.test(s.trim());

export function laterChange(a: string | null, b: string | undefined, attr: string | null): string | null {
  if (b === undefined) return a;
  if (a === null) return b;
  if (attr === 'uSNChanged') return BigInt(b) > BigInt(a) ? b : a;
  return b > a ? b : a; // GeneralizedTime in one format sorts as text
}
