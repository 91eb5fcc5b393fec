/**
 * The fieldsets of the User/Group Sync form, laid out like the admin's journey: sync source, server,
 * security and certificate, base DN and bind account, users to import, options, cards, schedule; the
 * schema fields under "Advanced". Rendering only: values and errors come from sync-form.ts.
 */
import { DIRECTORY_TYPES, isDirectoryType, presetFor, type DirectoryType } from '../../directory/ldap/presets.ts';
import { LDAP_SCHEMA_FIELDS, SETTINGS } from '../../domain/settings.ts';
import { html, raw, type SafeHtml } from '../html/template.ts';
import { CARD_SCHEMA_FIELDS, presetTable, presetValue, type FieldErrors, type FormValues, type Prefix } from './sync-form.ts';
import { checkbox, radioGroup, selectField, textArea, textField } from './ui.ts';

export interface SyncFormState {
  values: FormValues;
  errors: FieldErrors;
  passwordSet: Record<Prefix, boolean>;
  /** Server type the schema fields were rendered for (submitted back to tell presets from overrides). */
  shownType: Record<Prefix, string>;
}

const SCHEMA_LABELS: Record<string, string> = {
  'user-filter': 'User filter', 'group-filter': 'Group filter', 'username-attr': 'Username attribute', 'username-alias-attr': 'Username alias attribute',
  'full-name-attr': 'Full name attribute', 'given-name-attr': 'Given name attribute', 'surname-attr': 'Surname attribute', 'email-attr': 'Email attribute',
  'other-emails-attr': 'Other emails attribute', 'department-attr': 'Department attribute', 'office-attr': 'Office attribute', 'home-dir-attr': 'Home directory attribute',
  'card-number-attr': 'Card number attribute', 'card-number2-attr': 'Secondary card number attribute', 'pin-attr': 'PIN attribute', 'stable-id-attr': 'Stable id attribute',
  'group-name-attr': 'Group name attribute', 'group-member-attr': 'Group member attribute', 'member-value-type': 'Member values are (dn or uid)',
  'disabled-rule': 'Disabled-account rule', 'change-attr': 'Change-tracking attribute', 'nested-groups-rule': 'Nested groups (in-chain or resolve)', 'upn-attr': 'UPN attribute',
};

const help = (key: string): string => SETTINGS.get(key)?.description ?? '';

function schemaField(p: Prefix, f: string, s: SyncFormState): SafeHtml {
  const key = `${p}.schema.${f}`;
  const type = isDirectoryType(s.values[`${p}.server-type`]) ? (s.values[`${p}.server-type`] as DirectoryType) : 'active-directory';
  const preset = presetValue(type, f);
  const overridden = (s.values[key] ?? '') !== '' && s.values[key] !== preset;
  return textField({
    name: key,
    label: SCHEMA_LABELS[f] ?? f,
    value: s.values[key],
    error: s.errors[key],
    help: html`<span class="preset-note" data-preset-note="${key}">${overridden ? html`Overridden; the preset is ${preset ? html`<code>${preset}</code>` : 'empty'}.` : preset ? 'Preset value.' : 'Not used by this server type; fill in to use.'}</span>`,
    extra: html` data-schema-field="${f}" data-prefix="${p}" spellcheck="false"`,
  });
}

function groupPicker(p: Prefix): SafeHtml {
  return html`<div class="picker js-only" data-group-picker="${p}" data-target="${`f-${p}-import-groups`}">
<label for="picker-${p}">Find groups in the directory</label>
<div class="copy-row"><input id="picker-${p}" type="search" placeholder="part of a group name" data-picker-input><button type="button" class="secondary" data-picker-search>Search</button></div>
<p class="help" data-picker-status role="status" aria-live="polite"></p><ul data-picker-results></ul></div>`;
}

/** One LDAP source (primary "ldap" or secondary "ldap2"). */
export function ldapSource(p: Prefix, s: SyncFormState): SafeHtml {
  const v = (k: string): string => s.values[`${p}.${k}`] ?? '';
  const e = (k: string): string | undefined => s.errors[`${p}.${k}`];
  const type = isDirectoryType(v('server-type')) ? (v('server-type') as DirectoryType) : 'active-directory';
  const pwKey = `${p}.bind-password`;
  return html`
<input type="hidden" name="_shown-type.${p}" value="${s.shownType[p]}">
<fieldset><legend>LDAP server</legend>
${selectField({ name: `${p}.server-type`, label: 'LDAP server type', help: 'Fills in every schema field (under Advanced) for this kind of directory.', value: type, error: e('server-type'), options: DIRECTORY_TYPES.map((t) => [t, presetFor(t).label] as const), extra: html` data-server-type="${p}"` })}
${textField({ name: `${p}.hosts`, label: 'LDAP server addresses', help: 'Host names or IP addresses (host or host:port), tried in order. Separate several with commas.', value: v('hosts'), error: e('hosts'), placeholder: 'dc1.example.com, dc2.example.com', extra: html` spellcheck="false" autocomplete="off"` })}
${textField({ name: `${p}.port`, label: 'Port', help: 'Empty: the default for the security mode (636 for LDAPS, 389 otherwise).', value: v('port') === '0' ? '' : v('port'), error: e('port'), type: 'number', placeholder: 'default', extra: html` min="0" max="65535"` })}
${radioGroup({ name: `${p}.security`, label: 'Security', value: v('security'), error: e('security'), options: [['ldaps', 'LDAPS (SSL/TLS, port 636)'], ['starttls', 'StartTLS (port 389)'], ['none', 'None (not recommended)']] })}
<p class="flash warn" data-security-warning="${p}"${v('security') === 'none' ? '' : raw(' hidden')}>Without TLS the bind password and every user's password cross the network in clear. Use LDAPS or StartTLS.</p>
</fieldset>
<fieldset><legend>Certificate trust</legend>
<p class="help">Spool trusts the system's certificate authorities. If your directory's certificate comes from your own CA (or is self-signed), upload the CA certificate here.</p>
${textArea({ name: `${p}.ca-pem`, label: 'CA or server certificate (PEM)', help: 'Paste the certificate, or choose the .pem/.crt file below.', value: v('ca-pem'), error: e('ca-pem'), rows: 4, placeholder: '-----BEGIN CERTIFICATE-----', extra: html` spellcheck="false"` })}
<div class="field js-only"><label for="ca-upload-${p}">Certificate file</label><input id="ca-upload-${p}" type="file" accept=".pem,.crt,.cer,application/x-pem-file" data-pem-upload="f-${p}-ca-pem"></div>
${textField({ name: `${p}.ca-file`, label: 'Or a PEM file on the server', help: help(`${p}.ca-file`), value: v('ca-file'), error: e('ca-file'), extra: html` spellcheck="false"` })}
${textField({ name: `${p}.trust-fingerprint`, label: 'Pinned certificate fingerprint (SHA-256)', help: 'Only when you cannot get the CA: trusts exactly this server certificate. Test settings shows the fingerprint.', value: v('trust-fingerprint'), error: e('trust-fingerprint'), extra: html` spellcheck="false"` })}
</fieldset>
<fieldset><legend>Directory and bind account</legend>
${textArea({ name: `${p}.base-dn`, label: 'Base DN', help: 'Where users and groups live, e.g. dc=contoso,dc=onmicrosoft,dc=com. Several: one per line or separated by ";".', value: v('base-dn'), error: e('base-dn'), rows: 2, extra: html` spellcheck="false"` })}
${textField({ name: `${p}.bind-dn`, label: 'Admin DN (bind account)', help: 'The account Spool reads the directory with: a DN, or user@domain on Active Directory.', value: v('bind-dn'), error: e('bind-dn'), extra: html` spellcheck="false" autocomplete="off"` })}
${textField({ name: pwKey, label: 'Admin password', help: s.passwordSet[p] ? 'A password is set. Leave this empty to keep it.' : 'Not set yet.', value: '', error: e('bind-password'), type: 'password', extra: html` autocomplete="new-password"` })}
${s.passwordSet[p] ? checkbox({ name: `${p}.bind-password-clear`, label: 'Remove the saved password', checked: false }) : ''}
</fieldset>
<fieldset><legend>Users to import</legend>
${radioGroup({ name: `${p}.import`, label: 'Import', value: v('import'), error: e('import'), options: [['all', 'All users'], ['groups', 'Only members of selected groups (direct and nested)']] })}
${textArea({ name: `${p}.import-groups`, label: 'Selected groups', help: 'Group names or DNs, one per line.', value: v('import-groups'), error: e('import-groups'), rows: 3, extra: html` spellcheck="false"` })}
${groupPicker(p)}
${checkbox({ name: `${p}.import-disabled`, label: 'Import users that are disabled in the directory (created disabled)', checked: v('import-disabled') === 'true' })}
${textArea({ name: `${p}.exclude-ous`, label: 'Never import accounts in these OUs', help: 'DNs, one per line (service or test accounts).', value: v('exclude-ous'), error: e('exclude-ous'), rows: 2, extra: html` spellcheck="false"` })}
${textField({ name: `${p}.exclude-filter`, label: 'Never import accounts matching this filter', help: 'An LDAP filter, e.g. (description=service*).', value: v('exclude-filter'), error: e('exclude-filter'), extra: html` spellcheck="false"` })}
</fieldset>
<fieldset><legend>Details and groups</legend>
${checkbox({ name: `${p}.update-details`, label: 'Update full name, email, department, office and other details on every sync', checked: v('update-details') === 'true' })}
${checkbox({ name: `${p}.sync-groups`, label: 'Synchronize groups and group membership', checked: v('sync-groups') === 'true' })}
${textArea({ name: `${p}.sync-groups-filter`, label: 'Only these groups', help: 'Group names or DNs, one per line; empty: all groups.', value: v('sync-groups-filter'), error: e('sync-groups-filter'), rows: 2, extra: html` spellcheck="false"` })}
${textField({ name: `${p}.login-formats`, label: 'Sign-in names accepted', help: 'Any of: username, alias, upn, domain, email.', value: v('login-formats'), error: e('login-formats') })}
</fieldset>
<fieldset><legend>Card numbers and PIN</legend>
${CARD_SCHEMA_FIELDS.map((f) => schemaField(p, f, s))}
${textField({ name: `${p}.card-transform`, label: 'Card number conversions', help: 'Applied in order, separated by "|": hex-to-dec, dec-to-hex, strip-prefix:X, strip-suffix:X, pad:N, upper, lower, trim-leading-zeros.', value: v('card-transform'), error: e('card-transform'), placeholder: 'hex-to-dec|pad:10', extra: html` spellcheck="false"` })}
${textField({ name: `${p}.card2-transform`, label: 'Secondary card number conversions', value: v('card2-transform'), error: e('card2-transform'), extra: html` spellcheck="false"` })}
</fieldset>
<details${LDAP_SCHEMA_FIELDS.some((f) => s.errors[`${p}.schema.${f}`]) || ['connect-timeout-ms', 'timeout-ms', 'page-size'].some((k) => e(k)) ? raw(' open') : ''}><summary>Advanced: schema fields, timeouts and paging</summary>
<p class="help">Filled in from the server type. Change a field to override it; a field left at the preset follows the server type.</p>
<div class="grid">${LDAP_SCHEMA_FIELDS.filter((f) => !(CARD_SCHEMA_FIELDS as readonly string[]).includes(f)).map((f) => schemaField(p, f, s))}
${textField({ name: `${p}.connect-timeout-ms`, label: 'Connect timeout (ms)', value: v('connect-timeout-ms'), error: e('connect-timeout-ms'), type: 'number' })}
${textField({ name: `${p}.timeout-ms`, label: 'Operation timeout (ms)', value: v('timeout-ms'), error: e('timeout-ms'), type: 'number' })}
${textField({ name: `${p}.page-size`, label: 'Page size', help: help(`${p}.page-size`), value: v('page-size'), error: e('page-size'), type: 'number' })}
</div></details>`;
}

/** Options that apply to every source, and the schedule. */
export function globalOptions(s: SyncFormState): SafeHtml {
  const v = (k: string): string => s.values[k] ?? '';
  return html`
<fieldset><legend>Users missing from the source</legend>
${radioGroup({ name: 'sync.missing-users', label: 'When a user is no longer in the directory', value: v('sync.missing-users'), error: s.errors['sync.missing-users'], options: [['keep', 'Keep them'], ['disable', 'Disable them (balance and history kept)'], ['delete', 'Delete them after some days disabled']] })}
${textField({ name: 'sync.delete-after-days', label: 'Days disabled before deletion', value: v('sync.delete-after-days'), error: s.errors['sync.delete-after-days'], type: 'number', extra: html` min="0" max="3650"` })}
${textField({ name: 'sync.delete-protection-percent', label: 'Delete protection (%)', help: 'Stop a sync that would disable or delete more than this share of the source\'s users, or that finds no users at all. 0 turns the protection off.', value: v('sync.delete-protection-percent'), error: s.errors['sync.delete-protection-percent'], type: 'number', extra: html` min="0" max="100"` })}
</fieldset>
<fieldset><legend>New users</legend>
${checkbox({ name: 'sync.create-on-first-login', label: 'Create a directory user in Spool at their first sign-in, before the next sync', checked: v('sync.create-on-first-login') === 'true' })}
${textField({ name: 'sync.initial-credit', label: 'Initial credit', help: 'For new users in no group with its own initial credit (set per group on the Groups page).', value: v('sync.initial-credit'), error: s.errors['sync.initial-credit'], extra: html` inputmode="decimal"` })}
${checkbox({ name: 'sync.initial-restricted', label: 'New users are restricted (cannot print without credit)', checked: v('sync.initial-restricted') === 'true' })}
</fieldset>
<fieldset><legend>Schedule</legend>
${checkbox({ name: 'sync.schedule.enabled', label: 'Synchronize on a schedule', checked: v('sync.schedule.enabled') === 'true' })}
${textField({ name: 'sync.schedule.full-time', label: 'Nightly full sync at', help: 'Server local time, HH:MM.', value: v('sync.schedule.full-time'), error: s.errors['sync.schedule.full-time'], type: 'time' })}
${textField({ name: 'sync.schedule.incremental-minutes', label: 'Incremental sync every (minutes)', help: 'Asks the directory only for what changed. 0 turns it off.', value: v('sync.schedule.incremental-minutes'), error: s.errors['sync.schedule.incremental-minutes'], type: 'number', extra: html` min="0" max="1440"` })}
</fieldset>`;
}

/** The presets as JSON for the page script (a data attribute: no inline script under the CSP). */
export const presetsAttribute = (): SafeHtml => html` data-presets="${JSON.stringify(presetTable())}"`;
