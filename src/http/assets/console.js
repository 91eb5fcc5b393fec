/* Spool console: progressive enhancement only (every page works without this file). Served as a static
   file because the CSP allows script-src 'self' and no inline script. Plain ES2020, no build step. */
/* global document, window, navigator, fetch, FileReader, URLSearchParams, setTimeout */
'use strict';

document.documentElement.classList.add('js');

/** Copy buttons: <button data-copy="element-id">. */
function setupCopyButtons() {
  document.querySelectorAll('[data-copy]').forEach((button) => {
    button.addEventListener('click', async () => {
      const target = document.getElementById(button.getAttribute('data-copy'));
      if (!target) return;
      const text = 'value' in target ? target.value : target.textContent;
      try {
        await navigator.clipboard.writeText(text);
      } catch {
        target.select?.();
        document.execCommand?.('copy');
      }
      const label = button.textContent;
      button.textContent = 'Copied';
      setTimeout(() => (button.textContent = label), 2000);
    });
  });
}

/** Forms with data-confirm ask first. */
function setupConfirm() {
  document.querySelectorAll('form[data-confirm]').forEach((form) => {
    form.addEventListener('submit', (event) => {
      if (!window.confirm(form.getAttribute('data-confirm'))) event.preventDefault();
    });
  });
}

/**
 * Server type -> schema fields. A field still showing the old type's preset takes the new type's preset;
 * a field the admin changed keeps its value (the server applies the same rule on Apply).
 */
function setupPresets() {
  const form = document.getElementById('sync-form');
  if (!form || !form.dataset.presets) return;
  const presets = JSON.parse(form.dataset.presets);
  form.querySelectorAll('select[data-server-type]').forEach((select) => {
    const prefix = select.getAttribute('data-server-type');
    let previous = select.value;
    select.addEventListener('change', () => {
      const from = presets[previous] || {};
      const to = presets[select.value] || {};
      form.querySelectorAll(`input[data-schema-field][data-prefix="${prefix}"]`).forEach((input) => {
        const field = input.getAttribute('data-schema-field');
        if (input.value === '' || input.value === (from[field] || '')) {
          input.value = to[field] || '';
          const note = form.querySelector(`[data-preset-note="${input.name}"]`);
          if (note) note.textContent = to[field] ? 'Preset value.' : 'Not used by this server type; fill in to use.';
        }
      });
      if (select.value === 'azure-ad-ds') {
        const ldaps = form.querySelector(`input[name="${prefix}.security"][value="ldaps"]`);
        if (ldaps) ldaps.checked = true;
        updateSecurityWarning(form, prefix);
      }
      previous = select.value;
    });
  });
}

function updateSecurityWarning(form, prefix) {
  const warning = form.querySelector(`[data-security-warning="${prefix}"]`);
  const none = form.querySelector(`input[name="${prefix}.security"][value="none"]`);
  if (warning && none) warning.hidden = !none.checked;
}

function setupSecurityWarnings() {
  const form = document.getElementById('sync-form');
  if (!form) return;
  ['ldap', 'ldap2'].forEach((prefix) => {
    form.querySelectorAll(`input[name="${prefix}.security"]`).forEach((radio) => radio.addEventListener('change', () => updateSecurityWarning(form, prefix)));
  });
}

/** A chosen certificate file is read into the PEM text area (the form posts text, not files). */
function setupPemUpload() {
  document.querySelectorAll('input[data-pem-upload]').forEach((input) => {
    input.addEventListener('change', () => {
      const file = input.files && input.files[0];
      const target = document.getElementById(input.getAttribute('data-pem-upload'));
      if (!file || !target) return;
      const reader = new FileReader();
      reader.onload = () => {
        target.value = String(reader.result || '').trim();
        target.dispatchEvent(new window.Event('input', { bubbles: true }));
      };
      reader.readAsText(file);
    });
  });
}

/** Group picker: searches the directory and adds the chosen group's DN to the "Selected groups" list. */
function setupGroupPickers() {
  document.querySelectorAll('[data-group-picker]').forEach((picker) => {
    const input = picker.querySelector('[data-picker-input]');
    const status = picker.querySelector('[data-picker-status]');
    const results = picker.querySelector('[data-picker-results]');
    const target = document.getElementById(picker.getAttribute('data-target'));
    const secondary = picker.getAttribute('data-group-picker') === 'ldap2';
    async function search() {
      status.textContent = 'Searching the directory…';
      results.textContent = '';
      try {
        const params = new URLSearchParams({ search: input.value.trim(), ...(secondary ? { secondary: 'true' } : {}) });
        const res = await fetch(`/api/v1/directory/groups?${params}`, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
        const data = await res.json();
        if (!res.ok) {
          status.textContent = (data.error && data.error.message) || `The search failed (${res.status}).`;
          return;
        }
        const groups = Array.isArray(data) ? data : data.items || data.groups || [];
        status.textContent = groups.length ? `${groups.length} group(s) found.` : 'No group matches. Apply the settings first if you just changed them.';
        groups.forEach((g) => {
          const li = document.createElement('li');
          const name = document.createElement('span');
          name.textContent = g.name || g.cn || g.dn;
          const dn = document.createElement('code');
          dn.textContent = g.dn || '';
          const add = document.createElement('button');
          add.type = 'button';
          add.className = 'link';
          add.textContent = 'Add';
          add.setAttribute('aria-label', `Add ${name.textContent}`);
          add.addEventListener('click', () => {
            const value = g.dn || g.name;
            const lines = target.value.split('\n').map((l) => l.trim()).filter(Boolean);
            if (!lines.includes(value)) lines.push(value);
            target.value = lines.join('\n');
            const all = document.querySelector(`input[name="${target.name.replace('import-groups', 'import')}"][value="groups"]`);
            if (all) all.checked = true;
            status.textContent = `Added ${name.textContent}.`;
            target.dispatchEvent(new window.Event('input', { bubbles: true }));
          });
          li.append(name, dn, add);
          results.append(li);
        });
      } catch {
        status.textContent = 'The directory could not be searched. Check the settings with Test settings.';
      }
    }
    picker.querySelector('[data-picker-search]').addEventListener('click', search);
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        void search();
      }
    });
  });
}

/** "You have changes that are not applied yet" once the sync form is edited. */
function setupDirtyNote() {
  const form = document.getElementById('sync-form');
  const note = form && form.querySelector('[data-dirty-note]');
  if (!note) return;
  const show = () => (note.hidden = false);
  form.addEventListener('input', show);
  form.addEventListener('change', show);
}

/** Live progress of "Synchronize now": polls the sync status until the run ends, then reloads the page. */
function setupProgress() {
  const panel = document.querySelector('[data-sync-progress]');
  if (!panel || panel.hasAttribute('data-no-poll')) return;
  const text = panel.querySelector('[data-progress-text]');
  const url = panel.getAttribute('data-status-url');
  let failures = 0;
  async function poll() {
    try {
      const res = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
      if (!res.ok) throw new Error(`status ${res.status}`);
      const s = await res.json();
      failures = 0;
      const p = s.progress || {};
      if (!s.running) {
        text.textContent = 'Finished. Loading the result…';
        window.location.assign(`/admin/options/sync?done=finished${s.lastRun ? `&run=${s.lastRun.id}` : ''}#h-runs`);
        return;
      }
      const parts = [];
      if (p.phase) parts.push(`Phase: ${p.phase}.`);
      const n = (x) => Number(x ?? 0).toLocaleString('en');
      if (p.source) parts[0] = `Phase: ${p.phase} (${p.source} directory).`;
      if (p.usersRead !== undefined) parts.push(`${n(p.usersRead)} users and ${n(p.groupsRead)} groups read.`);
      if (p.toApply) parts.push(`${n(p.applied)} of ${n(p.toApply)} changes applied.`);
      if (parts.length) text.textContent = parts.join(' ');
    } catch {
      failures += 1;
    }
    if (failures < 10) setTimeout(poll, 1000);
    else text.textContent = 'The progress cannot be read right now. Reload the page to see the result.';
  }
  setTimeout(poll, 500);
}

/** Times are rendered in UTC on the server; show them in the reader's own time zone (UTC stays in the tooltip). */
function localTimes() {
  const format = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  document.querySelectorAll('time[datetime]').forEach((t) => {
    const d = new Date(t.getAttribute('datetime'));
    if (Number.isNaN(d.getTime())) return;
    t.title = t.textContent;
    t.textContent = format.format(d);
  });
}

localTimes();
setupCopyButtons();
setupConfirm();
setupPresets();
setupSecurityWarnings();
setupPemUpload();
setupGroupPickers();
setupDirtyNote();
setupProgress();
