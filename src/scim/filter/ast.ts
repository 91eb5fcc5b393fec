/** The SCIM filter syntax tree (RFC 7644 §3.4.2.2). Produced by `parseScimFilter`, consumed by the in-memory
 * evaluator and by the SQL translation. */
import type { AttrPath } from '../paths.ts';

export type { AttrPath } from '../paths.ts';

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export const COMPARE_OPS: readonly CompareOp[] = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];

/** compValue = false / null / true / number / string (JSON values, RFC 7644 §3.4.2.2). */
export type CompValue = string | number | boolean | null;

export interface LogicalNode {
  op: 'and' | 'or';
  left: FilterNode;
  right: FilterNode;
}

export interface NotNode {
  op: 'not';
  filter: FilterNode;
}

export interface CompareNode {
  op: 'cmp';
  path: AttrPath;
  cmp: CompareOp;
  value: CompValue;
}

export interface PresentNode {
  op: 'pr';
  path: AttrPath;
}

/**
 * `emails[type eq "work" and value co "@example.com"]`: `filter` is evaluated against ONE element of the
 * multi-valued attribute `path`, so both conditions must hold for the same element. Inside `filter`, paths
 * name sub-attributes of that element (`{ attr: 'type' }`), never top-level attributes. Entra's
 * `emails[type eq "work"].value eq "x"` is normalised into this node with filter
 * `type eq "work" and value eq "x"`.
 */
export interface ValuePathNode {
  op: 'valuePath';
  path: AttrPath;
  filter: FilterNode;
}

export type FilterNode = LogicalNode | NotNode | CompareNode | PresentNode | ValuePathNode;
