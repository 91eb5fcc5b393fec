/** Types of the SCIM PATCH engine (RFC 7644 §3.5.2). */
import { SpoolError } from '../../errors.ts';
import type { ErrorStatus } from '../../errors.ts';
import type { FilterNode } from '../filter/ast.ts';
import type { AttrPath } from '../paths.ts';

export type PatchOpName = 'add' | 'replace' | 'remove';

/**
 * A parsed PATCH target.
 * - `attribute`: `userName`, `name.givenName`, `urn:…:enterprise:2.0:User:manager`, `emails[type eq "work"]`,
 *   `emails[type eq "work"].value`. With `filter`, `attr.sub` is the sub-attribute selected INSIDE the
 *   matching elements; `filter` paths name sub-attributes of one element.
 * - `extension`: the whole extension object, e.g. `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
 */
export type PatchPath =
  | { kind: 'attribute'; text: string; attr: AttrPath; filter?: FilterNode }
  | { kind: 'extension'; text: string; schema: string };

export interface PatchOp {
  /** Lower-cased: Entra sends `Add`, `Replace`, `Remove` (RFC 7644 §3.5.2 does not make op case-sensitive). */
  op: PatchOpName;
  path?: PatchPath;
  /** As sent (JSON). Absent for `remove` in the RFC dialect. */
  value?: unknown;
  /** Position in the request's `Operations`, for error messages. */
  index?: number;
}

/** A SCIM resource as JSON: core attributes at the top level, extension attributes under their schema URN. */
export type ScimResourceJson = { [key: string]: unknown };

export type ScimPatchErrorCode =
  | 'scim.invalid_syntax'
  | 'scim.invalid_value'
  | 'scim.invalid_path'
  | 'scim.invalid_filter'
  | 'scim.no_target'
  | 'scim.mutability';

export function patchError(
  code: ScimPatchErrorCode,
  message: string,
  index?: number,
  hint?: string,
  status: ErrorStatus = 400,
): SpoolError {
  const where = index === undefined ? '' : `Operations[${index}]: `;
  return new SpoolError(code, `${where}${message}`, {
    status,
    ...(hint === undefined ? {} : { hint }),
    ...(index === undefined ? {} : { details: { operation: index } }),
  });
}

/** Re-labels a SpoolError thrown while handling operation `index` so the client sees which one failed. */
export function withOpIndex<T>(index: number | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (index === undefined || !(e instanceof SpoolError) || e.message.startsWith('Operations[')) throw e;
    throw new SpoolError(e.code, `Operations[${index}]: ${e.message}`, {
      status: e.status,
      ...(e.hint === undefined ? {} : { hint: e.hint }),
      details: { ...e.details, operation: index },
    });
  }
}
