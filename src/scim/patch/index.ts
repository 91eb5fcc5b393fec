/** SCIM PATCH (RFC 7644 §3.5.2): parsing, Entra normalisation, application and group-member planning. Pure code. */
export type { PatchOp, PatchOpName, PatchPath, ScimPatchErrorCode, ScimResourceJson } from './types.ts';
export { PATCH_OP_SCHEMA, parsePatchPath, parsePatchRequest } from './parse.ts';
export { normalizeEntraBooleans, normalizeEntraPatch, normalizeEntraResource } from './entra.ts';
export { applyPatch } from './apply.ts';
export { planGroupMemberOps } from './group-members.ts';
export type { GroupMemberPlan } from './group-members.ts';
