// hostile-forms: the values of hostile-sheet (header injection, markup, Unicode, control
// characters, over-long text) typed into the public /register and /quota-request forms, one field
// at a time, over HTTP as a browser sends them (the page first, for its CSRF cookie), each from a
// fresh address ([forms] requests_per_email counts per address). A form must refuse a value with
// a 400 naming the field (or a 413 for a body over the API's limit), or accept it; an accepted
// one is confirmed from its mail, and must leave no row before its confirmation (read right after
// the answer, and again after a mail scanner's GET of the link), then exactly one row holding the
// value as typed (trimmed, line breaks of a text area as spaces, an address in lower case). No
// mail of the run (confirmation, refusal, the approvers' one per request) may carry markup from
// the input in its text, Subject or HTML part, a line break in its Subject, an injected header,
// or a recipient beyond the requester and the approvers.
import { randomUUID } from 'node:crypto';
import { formatTable } from '../../bench/table';
import { requestAnswer } from '../../api/routes/request-forms';
import {
  formRequestWorkflowId,
  QUOTA_FORM_COLUMNS,
  REGISTER_FORM_COLUMNS,
  requestIdOfToken,
  type RegistrationRequestOutcome,
} from '../../shared/form-request-contract';
import {
  DEFAULT_ACCESS_COLUMNS as A,
  DEFAULT_QUOTA_COLUMNS as Q,
} from '../../shared/sheet-columns';
import { keystoneFromConfig } from '../../wiring/keystone-from-config';
import { pool } from '../support/pool';
import {
  confirmByLink,
  confirmLinkFromMail,
  quotaFields,
  registerFields,
  sendForm,
  ACCESS_TAB,
  QUOTA_TAB,
  requestSheets,
  type RequestSheets,
} from '../support/request-forms';
import { createKeystoneUser, mailpitApi, uniqueName } from '../support/services';
import { startSystem, type TestSystem } from '../support/system';
import { deleteUsers } from './api-support';
import { hostileValues, type Hostile } from './input-hostile-sheet';
import {
  auditMails,
  failureText,
  htmlTemplatesDir,
  keystoneSafe,
  show,
  sleep,
  workflowsOnQueue,
} from './input-support';
import { repeat, type Mode, type Scenario } from './scenario';

type Form = 'register' | 'quota';

/** The sheets' default tabs: requests land in "Form Responses 1" of each file. */
/** The PIN every /register case chooses: it must be in no cell. */
const PIN = '2468';

/** Every field a person types into (choices included: a client may send anything there). */
const FIELDS: Record<Form, string[]> = {
  register: [...REGISTER_FORM_COLUMNS, 'pin'],
  quota: [...QUOTA_FORM_COLUMNS],
};
/** Address fields get the value's address form (an address carrying the same attack). */
const ADDRESS_FIELDS = new Set(['email', 'projectContactEmail']);
/** Text areas: the form turns their line breaks into spaces (intake/form-rules.ts). */
const TEXT_AREAS = new Set(['projectDescription', 'additionalUsers', 'comment', 'comments']);

/**
 * The forms' own over-long case: 10 000 characters exceed the API's 8 KiB body limit (a 413
 * before any field is read), so this one stays within it and meets each field's own limit.
 */
function formValues(victim: string, mode: Mode): Hostile[] {
  return [
    ...hostileValues(victim, mode),
    {
      name: '1 000 characters (within the body limit)',
      kind: 'long',
      text: `Long ${'Ä'.repeat(1_000)}`,
      email: (l) => `${'l'.repeat(1_000)}.${l}@example.org`,
    },
  ];
}

/** The fields a value goes into: hostile-sheet's key-column values only into the address. */
function fieldsFor(form: Form, h: Hostile): string[] {
  return FIELDS[form].filter((f) =>
    h.columns === undefined ? true : (f === 'email') === (h.columns === 'keys'),
  );
}

interface Case {
  form: Form;
  field: string;
  label: string;
  /** Unique in the run and kept in the address whatever the attack: finds the row and mails. */
  local: string;
  email: string;
  fields: Record<string, string>;
  /** What the person typed into `field`. */
  typed: string;
}

function buildCases(tag: string, h: Hostile, project: string): Case[] {
  const cases: Case[] = [];
  for (const form of ['register', 'quota'] as const) {
    for (const [i, field] of fieldsFor(form, h).entries()) {
      const local = `${form === 'register' ? 'r' : 'q'}${i}.${tag}`;
      const typed = ADDRESS_FIELDS.has(field) ? h.email(local) : h.text;
      const email = field === 'email' ? typed : `${local}@example.org`;
      const base =
        form === 'register'
          ? registerFields(email, `${tag}-r${i}`, { pin: PIN, pin_again: PIN })
          : quotaFields(email, project);
      const fields: Record<string, string> = { ...base, [field]: typed };
      if (field === 'pin') fields.pin_again = typed;
      // The existing project's name counts only when an existing project is chosen.
      if (field === 'existingProjectName') fields.newOrExisting = 'existing';
      // An end date is read only for a temporary change.
      if (field === 'endDate') fields.duration = 'Temporary';
      cases.push({ form, field, label: `/${form} ${field}`, local, email, fields, typed });
    }
  }
  return cases;
}

/** The value a confirmed row must hold: as typed, after the form's documented clean-up. */
function expectedCell(c: Case): string {
  let value = c.typed.trim();
  if (TEXT_AREAS.has(c.field)) value = value.replace(/\s*[\r\n\t]+\s*/g, ' ');
  if (c.field === 'email') value = value.toLowerCase();
  return value;
}

const headerOf = (c: Case) =>
  c.form === 'register' ? A[c.field as keyof typeof A] : Q[c.field as keyof typeof Q];

/** The rows of a tab whose Email cell holds the case's own local part (whatever surrounds it). */
function rowsOf(rows: string[][], local: string): Record<string, string>[] {
  const header = rows[0] ?? [];
  const email = header.findIndex((c) => c.trim().toLowerCase() === 'email');
  const own = new RegExp(`(^|\\.)${local.replace(/\./g, '\\.')}(?![0-9])`);
  return rows
    .slice(1)
    .filter((cells) => own.test(cells[email] ?? ''))
    .map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ''])));
}

/** The `<…>` pieces of a value: none of them may reach a mail as it was typed. */
function markupOf(text: string): string[] {
  return [...new Set(text.match(/<[^<>]{0,60}>?/g) ?? [])].filter((m) => /^<\/?[a-z!]/i.test(m));
}
const SCRIPT = /<\s*(script|img|svg|iframe|object|embed)\b/i;

/** Raw markup from the input in a piece of a mail (its text, Subject or HTML part). */
function markupIn(part: string, fragments: string[]): string | undefined {
  const found = fragments.find((f) => part.includes(f)) ?? SCRIPT.exec(part)?.[0];
  return found;
}

interface Tally {
  requests: number;
  refusedNaming: number;
  refusedOther: number;
  tooLarge: number;
  accepted: number;
  confirmed: number;
  recorded: number;
  refusedByMail: number;
  unverified: number;
  notAsTyped: number;
  pinsInSheet: number;
  mails: number;
  markup: number;
  subjectBreaks: number;
  injectedHeaders: number;
  injectedRecipients: number;
  htmlParts: number;
  serverErrors: number;
  wrong: number;
}

interface Line {
  value: string;
  form: Form;
  requests: number;
  naming: number;
  tooLarge: number;
  accepted: number;
  recorded: number;
  mailRefused: number;
  /** The fields that took the value. */
  took: string[];
}

interface Sys {
  system: TestSystem;
  sheets: RequestSheets;
  approvers: string;
  /** A project whose members may ask for quota; each accepted requester is made one. */
  project: string;
  projectId: string;
  memberRoleId: string;
  users: string[];
}

const url = (sys: Sys, form: Form) =>
  new URL(form === 'register' ? 'register' : 'quota-request', sys.system.api.url).toString();

const tabOf = (sys: Sys, form: Form) =>
  form === 'register'
    ? sys.sheets.access.readRows(ACCESS_TAB)
    : sys.sheets.quotas.readRows(QUOTA_TAB);

interface MailDetail {
  Subject: string;
  Text: string;
  HTML: string;
  Created: string;
}

async function mailpit<T>(path: string): Promise<T> {
  const response = await fetch(`${mailpitApi()}/api/v1/${path}`);
  if (!response.ok) throw new Error(`Mailpit ${path} answered ${response.status}`);
  return (await response.json()) as T;
}

/** The ids of the run's mails: those mentioning its tag, and the approvers' since `since`. */
async function mailIds(tag: string, approvers: string, since: Date): Promise<string[]> {
  const ids = new Set<string>();
  for (const query of [tag, `to:"${approvers}"`]) {
    const params = new URLSearchParams({ query, limit: '1000' });
    const { messages } = await mailpit<{ messages: { ID: string; Created: string }[] }>(
      `search?${params}`,
    );
    for (const m of messages)
      if (new Date(m.Created).getTime() >= since.getTime() - 1000) ids.add(m.ID);
  }
  return [...ids];
}

/** One request of one case: the form, then for an accepted one its mail, link and row. */
async function runCase(
  sys: Sys,
  c: Case,
  tally: Tally,
  line: Line,
  accepted: Set<string>,
  problems: string[],
): Promise<void> {
  const what = `${c.label}`;
  tally.requests += 1;
  line.requests += 1;
  const answer = await sendForm(url(sys, c.form), c.fields);
  if (answer.status >= 500) {
    tally.serverErrors += 1;
    problems.push(`${what}: answered ${answer.status}: ${show(answer.text, 200)}`);
    return;
  }
  if (answer.status === 413) {
    tally.tooLarge += 1;
    line.tooLarge += 1;
    return;
  }
  if (answer.status === 400) {
    const named = answer.text
      .split('\n')
      .map((l) => /^([A-Za-z_]+): /.exec(l)?.[1])
      .filter((f): f is string => f !== undefined);
    if (named.includes(c.field)) {
      tally.refusedNaming += 1;
      line.naming += 1;
    } else {
      tally.refusedOther += 1;
      tally.wrong += 1;
      problems.push(`${what}: 400 naming ${named.join(', ') || 'no field'}: ${show(answer.text)}`);
    }
    return;
  }
  if (
    answer.status !== 200 ||
    answer.text !== requestAnswer(sys.system.config.forms.confirm_within)
  ) {
    tally.wrong += 1;
    problems.push(`${what}: answered ${answer.status} ${show(answer.text, 160)}`);
    return;
  }
  tally.accepted += 1;
  line.accepted += 1;
  line.took.push(c.field);
  accepted.add(c.email.trim().toLowerCase());

  // No row before the confirmation: right after the answer, and once the mail is out and a
  // mail scanner has opened the link (GET shows a button and must change nothing).
  const unverified = async () => rowsOf(await tabOf(sys, c.form), c.local).length;
  let early = await unverified();
  let link: string;
  try {
    link = await confirmLinkFromMail(c.email);
  } catch (err) {
    tally.wrong += 1;
    problems.push(`${what}: accepted, but no confirmation mail: ${failureText(err)}`);
    return;
  }
  await fetch(link, { headers: { accept: 'text/html' } }).then((r) => r.text());
  early = Math.max(early, await unverified());
  if (early > 0) {
    tally.unverified += early;
    problems.push(`${what}: ${early} row(s) in the sheet before the request was confirmed`);
  }

  // A quota request is written only for a member of the project: make the requester one.
  const requester = c.email.trim().toLowerCase();
  const member = c.form === 'quota' && keystoneSafe(requester);
  if (member) {
    const { config } = sys.system;
    const userId = await createKeystoneUser(config, {
      name: requester,
      password: `Hf-${randomUUID()}`,
    });
    sys.users.push(userId);
    await keystoneFromConfig(config).request(
      'PUT',
      `/projects/${sys.projectId}/users/${userId}/roles/${sys.memberRoleId}`,
    );
  }

  const confirmed = await confirmByLink(link);
  if (confirmed.status !== 200) {
    tally.wrong += 1;
    problems.push(`${what}: confirming answered ${confirmed.status} ${show(confirmed.text)}`);
    return;
  }
  tally.confirmed += 1;
  const requestId = requestIdOfToken(new URL(link).searchParams.get('token') ?? '');
  const handle = sys.system.client.workflow.getHandle(formRequestWorkflowId(requestId ?? ''));
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    handle.result() as Promise<RegistrationRequestOutcome>,
    new Promise<string>(
      (r) => (timer = setTimeout(() => r('still running 90 s after its confirmation'), 90_000)),
    ),
  ])
    .catch((err: unknown) => `failed: ${failureText(err)}`)
    .finally(() => clearTimeout(timer));
  const rows = rowsOf(await tabOf(sys, c.form), c.local);
  // A quota request for another project (the field itself) is refused by mail, with no row.
  const wanted =
    c.form === 'register' || (member && c.field !== 'project') ? 'recorded' : 'refused';
  if (outcome !== wanted) {
    tally.wrong += 1;
    problems.push(`${what}: confirmed, expected ${wanted}, ended ${show(outcome, 300)}`);
  }
  if (outcome === 'refused') {
    tally.refusedByMail += 1;
    line.mailRefused += 1;
  }
  if (outcome !== 'recorded') {
    if (rows.length > 0) {
      tally.unverified += rows.length;
      problems.push(`${what}: ended ${outcome}, yet ${rows.length} row(s) in the sheet`);
    }
    return;
  }
  tally.recorded += 1;
  line.recorded += 1;
  if (rows.length !== 1) {
    tally.wrong += 1;
    problems.push(`${what}: recorded, but ${rows.length} rows in the sheet`);
    return;
  }
  const row = rows[0]!;
  const header = headerOf(c);
  const want = expectedCell(c);
  if (c.field !== 'pin' && row[header] !== want) {
    tally.notAsTyped += 1;
    problems.push(
      `${what}: its row's "${header}" holds ${show(row[header] ?? '(no column)', 120)}, typed ${show(want, 120)}`,
    );
  }
  const pins = Object.entries(row).filter(([, v]) =>
    new RegExp(`(?<![0-9A-Za-z])${PIN}(?![0-9A-Za-z])`).test(v),
  );
  if (pins.length > 0) {
    tally.pinsInSheet += pins.length;
    problems.push(`${what}: the PIN is in its row's ${pins.map(([k]) => `"${k}"`).join(', ')}`);
  }
}

/** Every mail of one value's run: recipients and headers (auditMails), then markup in each part. */
async function auditRun(
  sys: Sys,
  h: Hostile,
  tag: string,
  victim: string,
  since: Date,
  accepted: Set<string>,
  tally: Tally,
  problems: string[],
): Promise<void> {
  const audit = await auditMails({
    since,
    fixed: [sys.approvers],
    tag,
    victim,
    allowed: new Set([sys.approvers, ...accepted]),
  });
  tally.mails += audit.messages;
  tally.injectedHeaders += audit.injectedHeaders;
  tally.injectedRecipients += audit.injectedRecipients;
  tally.htmlParts += audit.htmlParts;
  tally.markup += audit.unescapedHtml;
  problems.push(...audit.problems);
  const fragments = [...markupOf(h.text), ...markupOf(h.email('x'))];
  for (const id of await mailIds(tag, sys.approvers, since)) {
    const mail = await mailpit<MailDetail>(`message/${id}`);
    const what = `mail "${mail.Subject.slice(0, 60)}"`;
    if (/[\r\n]/.test(mail.Subject)) {
      tally.subjectBreaks += 1;
      problems.push(`${what}: a line break in its Subject`);
    }
    for (const [part, text] of [
      ['Subject', mail.Subject],
      ['text', mail.Text],
      ['HTML part', mail.HTML],
    ] as const) {
      // The HTML part's own tags are the template's: only the input's pieces count there.
      const found =
        part === 'HTML part' ? fragments.find((f) => text.includes(f)) : markupIn(text, fragments);
      if (found) {
        tally.markup += 1;
        problems.push(`${what}: markup from the input in its ${part}: ${show(found)}`);
      }
    }
  }
}

/** One hostile value through every field of both forms. */
async function runOnce(
  sys: Sys,
  victim: string,
  h: Hostile,
  tally: Tally,
  lines: Line[],
  progress: (m: string) => void,
): Promise<void> {
  // No dash: Mailpit's search would read a leading one as "not".
  const tag = uniqueName('hf').replace('-', '');
  // The audit takes the approvers' mails from a second before `since`: none of the last value's.
  await sleep(1500);
  const since = new Date();
  const cases = buildCases(tag, h, sys.project);
  const problems: string[] = [];
  const accepted = new Set<string>();
  const byForm = Object.fromEntries(
    (['register', 'quota'] as const).map((form) => {
      const line: Line = {
        value: h.name,
        form,
        requests: 0,
        naming: 0,
        tooLarge: 0,
        accepted: 0,
        recorded: 0,
        mailRefused: 0,
        took: [],
      };
      lines.push(line);
      return [form, line];
    }),
  ) as Record<Form, Line>;
  await pool(cases, 4, async (c) => {
    try {
      await runCase(sys, c, tally, byForm[c.form], accepted, problems);
    } catch (err) {
      tally.wrong += 1;
      problems.push(`${c.label}: ${failureText(err)}`);
    }
  });
  // Rows of this value's run that no confirmed request explains: written unverified.
  for (const form of ['register', 'quota'] as const) {
    const rows = rowsOf(await tabOf(sys, form), tag);
    const explained = cases
      .filter((c) => c.form === form)
      .reduce((n, c) => n + (accepted.has(c.email.trim().toLowerCase()) ? 1 : 0), 0);
    if (rows.length > explained) {
      tally.unverified += rows.length - explained;
      problems.push(`/${form}: ${rows.length} rows of this run, ${explained} requests confirmed`);
    }
  }
  await auditRun(sys, h, tag, victim, since, accepted, tally, problems);
  const [r, q] = [byForm.register, byForm.quota];
  progress(
    `${h.name}: /register ${r.naming} refused naming the field, ${r.tooLarge} × 413, ` +
      `${r.accepted} accepted, ${r.recorded} recorded; /quota-request ${q.naming} refused, ` +
      `${q.tooLarge} × 413, ${q.accepted} accepted, ${q.recorded} recorded, ${q.mailRefused} refused by mail` +
      ` (taken by ${[...r.took.map((f) => `/register ${f}`), ...q.took.map((f) => `/quota-request ${f}`)].join(', ') || 'no field'})`,
  );
  if (problems.length > 0) {
    throw new Error(`${h.name}: ${problems.length} problem(s):\n    ${problems.join('\n    ')}`);
  }
}

/** Proves the mail and row checks can fail: planted markup and a typed-differently cell. */
function selfCheck(victim: string): void {
  const script = hostileValues(victim, 'short').find((h) => h.kind === 'html')!;
  const fragments = markupOf(script.text);
  const wrong: string[] = [];
  if (!markupIn(`Dear ${script.text},`, fragments)) wrong.push('markup in a text part missed');
  if (markupIn('Dear &lt;script&gt;alert(1)&lt;/script&gt;, <https://x.example>', fragments))
    wrong.push('escaped markup or a template link counted');
  if (
    rowsOf(
      [
        ['Timestamp', 'Email'],
        ['t', 'r1.hfabc@example.org'],
        ['t', 'r12.hfabc@example.org'],
      ],
      'r1.hfabc',
    ).length !== 1
  )
    wrong.push('a row found by another case');
  if (wrong.length > 0) throw new Error(`self-check: ${wrong.join(', ')}`);
}

export const hostileForms: Scenario = {
  name: 'hostile-forms',
  async run(mode, progress) {
    const victim = `${uniqueName('victim')}@example.org`;
    selfCheck(victim);
    const sheets = await requestSheets('kaizen-hostile-forms');
    const approvers = `${uniqueName('hf-approvers')}@example.org`;
    const system = await startSystem({
      ...sheets.env,
      KAIZEN_APPROVERS__EMAIL: approvers,
      KAIZEN_APPROVERS__MAIL_EACH_REQUEST: 'yes',
      // Every template gets an HTML part holding every variable (as hostile-sheet does).
      KAIZEN_MAIL__TEMPLATES_DIR: await htmlTemplatesDir(),
      // The input is the subject here, not the limits: no 429 in the way (each request comes
      // from a fresh address, under [forms] requests_per_email).
      KAIZEN_SETPASS__RATE_LIMIT: '1000000',
    });
    const keystone = keystoneFromConfig(system.config);
    const project = uniqueName('hf-quota');
    const projectId = (
      await keystone.request('POST', '/projects', {
        project: { name: project, domain_id: 'default', enabled: true },
      })
    ).json<{ project: { id: string } }>().project.id;
    const role = await keystone.findRoleByName(system.config.auth.member_role);
    if (!role) throw new Error(`no role ${system.config.auth.member_role} in Keystone`);
    const sys: Sys = {
      system,
      sheets,
      approvers,
      project,
      projectId,
      memberRoleId: role.id,
      users: [],
    };
    const tally: Tally = {
      requests: 0,
      refusedNaming: 0,
      refusedOther: 0,
      tooLarge: 0,
      accepted: 0,
      confirmed: 0,
      recorded: 0,
      refusedByMail: 0,
      unverified: 0,
      notAsTyped: 0,
      pinsInSheet: 0,
      mails: 0,
      markup: 0,
      subjectBreaks: 0,
      injectedHeaders: 0,
      injectedRecipients: 0,
      htmlParts: 0,
      serverErrors: 0,
      wrong: 0,
    };
    const lines: Line[] = [];
    try {
      const values = formValues(victim, mode);
      const result = await repeat(
        values.length,
        (i) => runOnce(sys, victim, values[i]!, tally, lines, progress),
        () => ({
          requests: tally.requests,
          '400 naming the field': tally.refusedNaming,
          '400 naming another': tally.refusedOther,
          '413 body too large': tally.tooLarge,
          accepted: tally.accepted,
          confirmed: tally.confirmed,
          recorded: tally.recorded,
          'refused by mail': tally.refusedByMail,
          'rows written unverified': tally.unverified,
          'rows not as typed': tally.notAsTyped,
          'PINs in the sheet': tally.pinsInSheet,
          mails: tally.mails,
          'HTML parts': tally.htmlParts,
          'mails with markup': tally.markup,
          'Subjects with CR/LF': tally.subjectBreaks,
          'injected headers': tally.injectedHeaders,
          'injected recipients': tally.injectedRecipients,
          '5xx': tally.serverErrors,
          'not as expected': tally.wrong,
        }),
      );
      console.log(
        '\n' +
          formatTable({
            title: `hostile-forms (${mode} form): each value in each field of a form, one at a time`,
            columns: [
              'value',
              'form',
              'requests',
              '400 naming it',
              '413',
              'accepted',
              'recorded',
              'refused by mail',
            ],
            rows: lines.map((l) => [
              l.value,
              `/${l.form === 'register' ? 'register' : 'quota-request'}`,
              l.requests,
              l.naming,
              l.tooLarge,
              l.accepted,
              l.recorded,
              l.mailRefused,
            ]),
          }),
      );
      return result;
    } finally {
      // Requests left unconfirmed by a failed case wait a day otherwise.
      const running = await workflowsOnQueue(
        system.client,
        system.taskQueue,
        'registrationRequest',
        { running: true },
      ).catch(() => []);
      for (const w of running) {
        await system.client.workflow
          .getHandle(w.id)
          .terminate('reliability run over')
          .catch(() => undefined);
      }
      await deleteUsers(system.config, sys.users);
      await keystone.request('DELETE', `/projects/${projectId}`).catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        system.close(),
        new Promise<void>((r) => (timer = setTimeout(r, 30_000))),
      ]);
      clearTimeout(timer);
    }
  },
};
