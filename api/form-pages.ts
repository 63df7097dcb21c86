// The request forms (/register, /quota-request) and the page of their mailed confirmation link.
// Plain HTML, no JavaScript; every value escaped; each problem shown beside its field and
// listed, as a link to it, at the top. A PIN is never written back into a page.
import { QUOTA_LABELS, REGISTER_LABELS, type FieldProblems } from '../intake/form-rules';
import type { QuotaFormColumn, RegisterFormColumn } from '../shared/form-request-contract';
import {
  DESCRIPTION_MAX,
  EMAIL_MAX,
  NAME_MAX,
  PIN_DIGITS,
  PIN_PATTERN,
} from '../shared/text-rules';
import { escapeHtml, layout, type PageBranding } from './pages';

/** A field's HTML name and id: the problems say pinAgain where the form posts pin_again. */
const idOf = (field: string) => escapeHtml(field === 'pinAgain' ? 'pin_again' : field);

interface Form {
  values: Partial<Record<string, string>>;
  problems: FieldProblems;
}

interface Field {
  name: string;
  label: string;
  hint?: string;
  /** Further attributes, from constants only. */
  attrs?: string;
}

/** The hint and the error under a label, and the attributes that tie them to the input. */
function notes(form: Form, field: { name: string; hint?: string }) {
  const id = idOf(field.name);
  const problem = form.problems[field.name];
  const described = [field.hint ? `${id}-hint` : '', problem ? `${id}-error` : ''].filter(Boolean);
  return {
    html:
      (field.hint ? `\n<p class="field-hint" id="${id}-hint">${escapeHtml(field.hint)}</p>` : '') +
      (problem ? `\n<p class="field-error" id="${id}-error">${escapeHtml(problem)}</p>` : ''),
    attrs:
      (problem ? ' aria-invalid="true"' : '') +
      (described.length > 0 ? ` aria-describedby="${described.join(' ')}"` : ''),
  };
}

function input(form: Form, field: Field, refill = true): string {
  const id = idOf(field.name);
  const { html, attrs } = notes(form, field);
  const value = refill ? ` value="${escapeHtml(form.values[field.name] ?? '')}"` : '';
  return `<label for="${id}">${escapeHtml(field.label)}</label>${html}
<input id="${id}" name="${id}"${field.attrs ?? ''}${value}${attrs}>`;
}

function textarea(form: Form, field: Field): string {
  const id = idOf(field.name);
  const { html, attrs } = notes(form, field);
  return `<label for="${id}">${escapeHtml(field.label)}</label>${html}
<textarea id="${id}" name="${id}" rows="3"${field.attrs ?? ''}${attrs}>${escapeHtml(form.values[field.name] ?? '')}</textarea>`;
}

/** A radio group; its first radio carries the field's id, so the summary's link lands on it. */
function radios(form: Form, field: Field, options: readonly [value: string, label: string][]) {
  const { html, attrs } = notes(form, field);
  const buttons = options.map(([value, label], i) => {
    const id = i === 0 ? idOf(field.name) : `${idOf(field.name)}-${escapeHtml(value)}`;
    const checked = form.values[field.name] === value ? ' checked' : '';
    return `<div class="choice"><input type="radio" id="${id}" name="${idOf(field.name)}" value="${escapeHtml(value)}" required${checked}${attrs}><label for="${id}">${escapeHtml(label)}</label></div>`;
  });
  return `<fieldset>
<legend>${escapeHtml(field.label)}</legend>${html}
${buttons.join('\n')}
</fieldset>`;
}

/** The box at the top: each field's problem as a link to it; any other problem as text. */
function summary(form: Form, fields: readonly string[]): string {
  const general = Object.entries(form.problems)
    .filter(([name, message]) => message && !fields.includes(name))
    .map(([, message]) => `<p>${escapeHtml(message!)}</p>`);
  const linked = fields
    .filter((name) => form.problems[name])
    .map((name) => `<li><a href="#${idOf(name)}">${escapeHtml(form.problems[name]!)}</a></li>`);
  if (general.length === 0 && linked.length === 0) return '';
  const list =
    linked.length > 0
      ? `<p>Please correct ${linked.length === 1 ? 'this' : 'these'} and send the form again:</p>\n<ul>\n${linked.join('\n')}\n</ul>`
      : '';
  return `<div class="error" role="alert" id="form-problems">
${[...general, list].filter(Boolean).join('\n')}
</div>`;
}

/** Robots fill every field; people never see this one (off-screen, out of the tab order). */
const TRAP = `<div class="trap"><label for="website">Leave this field empty: it is here to catch robots</label>
<input id="website" name="website" type="text" tabindex="-1" autocomplete="off"></div>`;

const hidden = (name: string, value: string) =>
  `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;

const NAME = ` maxlength="${NAME_MAX}"`;
const EMAIL = ` type="email" maxlength="${EMAIL_MAX}"`;
const PROJECT = ` maxlength="64"`;
const LONG_TEXT = ` maxlength="${DESCRIPTION_MAX}"`;
const PIN = ` type="password" inputmode="numeric" pattern="${PIN_PATTERN}" maxlength="${PIN_DIGITS}" autocomplete="off"`;
const PROJECT_RULE =
  '1 to 64 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit.';

const REGISTER_FIELDS = [
  ...['firstName', 'lastName', 'email', 'organisation', 'role', 'phone', 'sponsor'],
  ...['existingAccount', 'pin', 'pinAgain', 'newOrExisting', 'newProjectName'],
  ...['projectDescription', 'existingProjectName', 'additionalUsers', 'projectContactName'],
  ...['projectContactEmail', 'comment'],
] as const;

export function registerPage(
  branding: PageBranding,
  options: {
    csrf: string;
    values?: Partial<Record<RegisterFormColumn, string>>;
    problems?: FieldProblems;
  },
): string {
  const form: Form = { values: options.values ?? {}, problems: options.problems ?? {} };
  const L = REGISTER_LABELS;
  return layout(
    'Ask for an account',
    branding,
    `${summary(form, REGISTER_FIELDS)}
<p>Ask for an account, or for your account to join a project. What happens next:</p>
<ol>
<li>We send you an e-mail with a link: open it and confirm your request. Nothing goes further until you do.</li>
<li>The approvers look at your request.</li>
<li>Once it is approved, a new user gets an e-mail with a link to choose a password, using the PIN chosen below.</li>
</ol>
<form method="post" action="register">
${hidden('csrf', options.csrf)}
${TRAP}
${input(form, { name: 'firstName', label: L.firstName, attrs: `${NAME} autocomplete="given-name"` })}
${input(form, { name: 'lastName', label: L.lastName, attrs: `${NAME} autocomplete="family-name"` })}
${input(form, { name: 'email', label: L.email, attrs: `${EMAIL} autocomplete="email" required` })}
${input(form, { name: 'organisation', label: L.organisation, attrs: `${NAME} autocomplete="organization"` })}
${input(form, { name: 'role', label: L.role, attrs: `${NAME} autocomplete="organization-title"` })}
${input(form, { name: 'phone', label: L.phone, attrs: ' type="tel" maxlength="40" autocomplete="tel"' })}
${input(form, { name: 'sponsor', label: L.sponsor, attrs: NAME })}
${radios(form, { name: 'existingAccount', label: L.existingAccount }, [
  ['Yes', 'Yes'],
  ['No', 'No'],
])}
${input(form, { name: 'pin', label: `${L.pin} (${PIN_DIGITS} digits)`, attrs: PIN, hint: `New users: choose ${PIN_DIGITS} digits and type them twice. You will type this PIN on the set-password page later, so keep it. Existing users: leave both PIN fields empty.` }, false)}
${input(form, { name: 'pinAgain', label: L.pinAgain, attrs: PIN }, false)}
${radios(form, { name: 'newOrExisting', label: L.newOrExisting }, [
  ['new', 'A new project'],
  ['existing', 'An existing project, to join it'],
])}
${input(form, { name: 'newProjectName', label: L.newProjectName, attrs: PROJECT, hint: `For a new project only: ${PROJECT_RULE}` })}
${textarea(form, { name: 'projectDescription', label: L.projectDescription, attrs: LONG_TEXT, hint: 'For a new project only: what it is for.' })}
${input(form, { name: 'existingProjectName', label: L.existingProjectName, attrs: PROJECT, hint: 'To join an existing project only: its name.' })}
${textarea(form, { name: 'additionalUsers', label: L.additionalUsers, hint: 'Other people to add to the project: their e-mail addresses separated by commas or spaces.' })}
${input(form, { name: 'projectContactName', label: L.projectContactName, attrs: NAME })}
${input(form, { name: 'projectContactEmail', label: L.projectContactEmail, attrs: EMAIL })}
${textarea(form, { name: 'comment', label: L.comment, attrs: LONG_TEXT })}
<button type="submit">Send request</button>
</form>`,
  );
}

export function quotaRequestPage(
  branding: PageBranding,
  options: {
    csrf: string;
    values?: Partial<Record<QuotaFormColumn, string>>;
    problems?: FieldProblems;
    quotaKeys: readonly string[];
  },
): string {
  const form: Form = { values: options.values ?? {}, problems: options.problems ?? {} };
  const L = QUOTA_LABELS;
  const labelOf = (key: string) => (L as Partial<Record<string, string>>)[key] ?? key;
  const fields = [
    ...['firstName', 'lastName', 'email', 'organisation', 'project', 'duration', 'endDate'],
    ...options.quotaKeys,
    'comments',
  ];
  const quotas = options.quotaKeys.map((key) =>
    input(form, {
      name: key,
      label: labelOf(key),
      attrs: ' type="number" min="0" step="1" inputmode="numeric"',
    }),
  );
  return layout(
    'Ask for more quota',
    branding,
    `${summary(form, fields)}
<p>This form is for members of a project who need more resources for it. We send you an e-mail
with a link to confirm the request; then the approvers look at it, and you hear from us by e-mail.</p>
<form method="post" action="quota-request">
${hidden('csrf', options.csrf)}
${TRAP}
${input(form, { name: 'firstName', label: L.firstName, attrs: `${NAME} autocomplete="given-name"` })}
${input(form, { name: 'lastName', label: L.lastName, attrs: `${NAME} autocomplete="family-name"` })}
${input(form, { name: 'email', label: L.email, attrs: `${EMAIL} autocomplete="email" required`, hint: 'The address of your account.' })}
${input(form, { name: 'organisation', label: L.organisation, attrs: `${NAME} autocomplete="organization"` })}
${input(form, { name: 'project', label: L.project, attrs: `${PROJECT} required`, hint: 'The project that needs more quota; you must be one of its members.' })}
${radios(form, { name: 'duration', label: L.duration }, [
  ['Permanent', 'Permanent'],
  ['Temporary', 'Temporary, until an end date'],
])}
${input(form, { name: 'endDate', label: L.endDate, attrs: ' type="date"', hint: 'For a temporary change only: the day the quota goes back (typed as text: YYYY-MM-DD).' })}
<fieldset>
<legend>New quota values</legend>
<p class="field-hint">Fill in only the values to change, leave the others empty.</p>
${quotas.join('\n')}
</fieldset>
${textarea(form, { name: 'comments', label: L.comments, attrs: `${LONG_TEXT} required` })}
<button type="submit">Send request</button>
</form>`,
  );
}

export function confirmPage(
  branding: PageBranding,
  options: { token: string; csrf: string; subject?: string },
): string {
  const what = options.subject ? ` for ${escapeHtml(options.subject)}` : '';
  return layout(
    'Confirm your request',
    branding,
    `<p>Confirm your request${what}: press the button below. It goes to the approvers only once you do.</p>
<form method="post" action="confirm">
${hidden('token', options.token)}
${hidden('csrf', options.csrf)}
<button type="submit">Confirm my request</button>
</form>
<p class="hint">You did not ask for anything? Then ignore this page: an unconfirmed request expires.</p>`,
  );
}
