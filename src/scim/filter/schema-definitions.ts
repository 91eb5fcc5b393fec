/**
 * The SCIM schemas Spool serves, transcribed from RFC 7643: common attributes (§3.1), core User (§4.1,
 * §8.7.1), Enterprise User extension (§4.3, §8.7.1) and core Group (§4.2, §8.7.1). caseExact, mutability and
 * multiValued follow the RFC's schema representation; notes mark where Spool is stricter.
 */
import type { ScimAttributeDescriptor, ScimSchemaDescriptor } from './attribute-schema.ts';

export const CORE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const CORE_GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

type Opts = Partial<Omit<ScimAttributeDescriptor, 'name' | 'type'>>;

function attr(name: string, type: ScimAttributeDescriptor['type'], opts: Opts = {}): ScimAttributeDescriptor {
  return {
    name,
    type,
    multiValued: false,
    caseExact: false,
    mutability: 'readWrite',
    required: false,
    ...opts,
  };
}

function complex(
  name: string,
  subAttributes: ScimAttributeDescriptor[],
  opts: Opts = {},
): ScimAttributeDescriptor {
  return attr(name, 'complex', { ...opts, subAttributes });
}

/** The value/display/type/primary shape shared by emails, phoneNumbers, ims, photos, entitlements, roles … (§2.4). */
function multi(
  name: string,
  valueType: ScimAttributeDescriptor['type'] = 'string',
  valueOpts: Opts = {},
): ScimAttributeDescriptor {
  return complex(
    name,
    [
      attr('value', valueType, valueOpts),
      attr('display', 'string'),
      attr('type', 'string'),
      attr('primary', 'boolean'),
    ],
    { multiValued: true },
  );
}

/** Every resource has these (RFC 7643 §3.1); `id` and `externalId` are caseExact, `meta` is server-managed. */
function common(): ScimAttributeDescriptor[] {
  return [
    attr('id', 'string', { caseExact: true, mutability: 'readOnly' }),
    attr('externalId', 'string', { caseExact: true }),
    complex(
      'meta',
      [
        attr('resourceType', 'string', { caseExact: true, mutability: 'readOnly' }),
        attr('created', 'dateTime', { mutability: 'readOnly' }),
        attr('lastModified', 'dateTime', { mutability: 'readOnly' }),
        attr('location', 'reference', { caseExact: true, mutability: 'readOnly' }),
        attr('version', 'string', { caseExact: true, mutability: 'readOnly' }),
      ],
      { mutability: 'readOnly' },
    ),
    // RFC 7643 §3 leaves `schemas` writable; Spool derives it from the attributes present, so a PATCH cannot
    // set it directly (path-less values that repeat it are ignored).
    attr('schemas', 'reference', { multiValued: true, mutability: 'readOnly' }),
  ];
}

export const CORE_USER: ScimSchemaDescriptor = {
  id: CORE_USER_SCHEMA,
  name: 'User',
  attributes: [
    ...common(),
    attr('userName', 'string', { required: true }),
    complex('name', [
      attr('formatted', 'string'),
      attr('familyName', 'string'),
      attr('givenName', 'string'),
      attr('middleName', 'string'),
      attr('honorificPrefix', 'string'),
      attr('honorificSuffix', 'string'),
    ]),
    attr('displayName', 'string'),
    attr('nickName', 'string'),
    attr('profileUrl', 'reference'),
    attr('title', 'string'),
    attr('userType', 'string'),
    attr('preferredLanguage', 'string'),
    attr('locale', 'string'),
    attr('timezone', 'string'),
    attr('active', 'boolean'),
    attr('password', 'string', { mutability: 'writeOnly', returned: 'never' }),
    multi('emails'),
    multi('phoneNumbers'),
    multi('ims'),
    multi('photos', 'reference'),
    complex(
      'addresses',
      [
        attr('formatted', 'string'),
        attr('streetAddress', 'string'),
        attr('locality', 'string'),
        attr('region', 'string'),
        attr('postalCode', 'string'),
        attr('country', 'string'),
        attr('type', 'string'),
        attr('primary', 'boolean'),
      ],
      { multiValued: true },
    ),
    complex(
      'groups',
      [
        attr('value', 'string', { mutability: 'readOnly' }),
        attr('$ref', 'reference', { mutability: 'readOnly' }),
        attr('display', 'string', { mutability: 'readOnly' }),
        attr('type', 'string', { mutability: 'readOnly' }),
      ],
      { multiValued: true, mutability: 'readOnly', identity: 'value' },
    ),
    multi('entitlements'),
    multi('roles'),
    multi('x509Certificates', 'binary', { caseExact: true }),
  ],
};

export const ENTERPRISE_USER: ScimSchemaDescriptor = {
  id: ENTERPRISE_USER_SCHEMA,
  name: 'EnterpriseUser',
  attributes: [
    attr('employeeNumber', 'string'),
    attr('costCenter', 'string'),
    attr('organization', 'string'),
    attr('division', 'string'),
    attr('department', 'string'),
    complex('manager', [
      attr('value', 'string'),
      attr('$ref', 'reference'),
      attr('displayName', 'string', { mutability: 'readOnly' }),
    ]),
  ],
};

export const CORE_GROUP: ScimSchemaDescriptor = {
  id: CORE_GROUP_SCHEMA,
  name: 'Group',
  attributes: [
    ...common(),
    attr('displayName', 'string', { required: true }),
    // Members are set when added and never edited in place (§4.2: value, $ref and type are immutable); a
    // member is identified by its `value` (the member's id) alone.
    complex(
      'members',
      [
        attr('value', 'string', { mutability: 'immutable' }),
        attr('$ref', 'reference', { mutability: 'immutable' }),
        attr('type', 'string', { mutability: 'immutable' }),
        attr('display', 'string', { mutability: 'immutable' }),
      ],
      { multiValued: true, identity: 'value' },
    ),
  ],
};
