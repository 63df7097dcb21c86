// hostile-sheet: approved rows carrying header injection, HTML/script, Unicode, control
// characters and 10 000-character values in the columns of the access and the quota sheet, next
// to a valid control row, through one real poll (and a second one, which must start nothing),
// then helpdesk tickets and the approvers' digest. Each row must come out as the product's rules
// say — marked `invalid:` naming its column, or provisioned exactly as asked — with nothing
// half-created, no mail to anyone but its own recipients, no injected header, and no raw markup
// in any HTML part (every template gets an HTML part, as an operator may give it). Accepted
// onboardings are then cancelled: each must still find its row to mark it, as applied quota
// rows must have moved to "Processed Requests".
import { DEFAULT_ACCESS_COLUMNS as A } from '../../shared/sheet-columns';
import { DEFAULT_QUOTA_COLUMNS as Q, REQUESTABLE_QUOTAS } from '../../shared/sheet-columns';
import { uniqueName } from '../support/services';
import {
  ACCESS_FIELDS,
  ACCESS_TAB,
  auditMails,
  CANCELLED_BY,
  cancelOnboarding,
  checkRequests,
  claimedProjects,
  CURRENT_TAB,
  keystoneSafe,
  onboardingId,
  onboardingState,
  poll,
  PROCESSED_TAB,
  QUOTA_FIELDS,
  QUOTA_TAB,
  quotaId,
  quotaState,
  readTab,
  rowKey,
  show,
  sleep,
  startInputSystem,
  terminateAll,
  writeSheet,
  type AccessField,
  type InputSystem,
  type Outcome,
  type QuotaField,
} from './input-support';
import { repeat, type Mode, type Scenario } from './scenario';

/** What a kind of value does to each column, by the product's rules (see intake/*-rows.ts). */
export type Kind = 'injection' | 'html' | 'unicode' | 'control' | 'noncharacter' | 'long';

export interface Hostile {
  name: string;
  kind: Kind;
  text: string;
  /** The value in an Email column: an address carrying the same attack. */
  email: (local: string) => string;
  /**
   * Only the key columns (Email, Timestamp), or all others: a value there that stops the whole
   * poll would otherwise hide what becomes of it in every other column.
   */
  columns?: 'keys' | 'others';
}

const KEYS = ['email', 'timestamp'];

/** The hostile values of a mode; also typed into the request forms (input-hostile-forms.ts). */
export function hostileValues(victim: string, mode: Mode): Hostile[] {
  const short: Hostile[] = [
    {
      name: 'CRLF + Bcc header',
      kind: 'injection',
      text: `Eve\r\nBcc: ${victim}`,
      email: (l) => `${l}@example.org\r\nBcc: ${victim}`,
    },
    {
      name: 'script and attribute breakout',
      kind: 'html',
      text: '<script>alert(1)</script>"><img src=x onerror=alert(1)>',
      email: (l) => `${l}"><script>alert(1)</script>@example.org`,
    },
    {
      name: 'emoji, RTL script, combining marks',
      kind: 'unicode',
      text: 'Zoë 😀👩🏽‍💻 שָׁלוֹם مرحبا Z̶͑ǎ́',
      email: (l) => `zoë.😀.${l}@example.org`,
    },
    {
      name: 'NUL, C0 controls, bidi override, zero width',
      kind: 'control',
      text: 'nul\u0000 bel\u0007 esc\u001b \u202eevil\u202c zero\u200bwidth',
      email: (l) => `${l}\u0000\u202e@example.org`,
    },
    {
      name: 'noncharacters U+FFFE U+FFFF',
      kind: 'noncharacter',
      text: 'not\ufffe a\uffff char',
      email: (l) => `${l}\ufffe@example.org`,
    },
    {
      name: '10 000 characters',
      kind: 'long',
      text: `Long ${'Ä'.repeat(10_000)}`,
      email: (l) => `${'l'.repeat(10_000)}.${l}@example.org`,
      columns: 'others',
    },
    {
      name: '10 000-character Email and Timestamp',
      kind: 'long',
      text: `Long ${'Ä'.repeat(10_000)}`,
      email: (l) => `${'l'.repeat(10_000)}.${l}@example.org`,
      columns: 'keys',
    },
  ];
  if (mode === 'short') return short;
  return [
    ...short,
    {
      name: 'LF + Cc and a made-up header',
      kind: 'injection',
      text: `Eve\nCc: ${victim}\nX-Injected: yes`,
      email: (l) => `${l}@example.org\nCc: ${victim}`,
    },
    {
      name: 'bare CR + To',
      kind: 'injection',
      text: `Eve\rTo: ${victim}`,
      email: (l) => `${l}@example.org\rTo: ${victim}`,
    },
    {
      name: 'SVG and quote-less attribute',
      kind: 'html',
      text: `<svg onload=alert(1)>' onmouseover='alert(1)`,
      email: (l) => `${l}<svg/onload=alert(1)>@example.org`,
    },
    {
      name: '10 000 characters of 4-byte emoji',
      kind: 'long',
      text: '🦄'.repeat(5_001),
      email: (l) => `${l}.${'🦄'.repeat(5_000)}@example.org`,
      columns: 'others',
    },
  ];
}

type Rule = 'ok' | 'bad' | 'ignored';

/** A timestamp is only a key: any printable text up to 64 characters. */
const TIMESTAMP_RULE = (kind: Kind): Rule => (['html', 'unicode'].includes(kind) ? 'ok' : 'bad');
/** A name reaches Keystone and mails: any script, but no markup, controls or long text. */
const NAME_RULE = (kind: Kind): Rule => (kind === 'unicode' ? 'ok' : 'bad');

/** Free text the access parser does not look at: stored in the row, sent in tickets at most. */
const ACCESS_FREE: AccessField[] = [
  'helpdeskNotified',
  'reminderSent',
  'organisation',
  'role',
  'phone',
  'sponsor',
  'comment',
  'newOrExisting',
  'projectContactName',
  'projectContactEmail',
];

/** What the product must do with a kind of value in an access column. */
function accessRule(field: AccessField, kind: Kind): Rule {
  if (field === 'approved') return 'ignored';
  if (ACCESS_FREE.includes(field)) return 'ok';
  switch (field) {
    case 'timestamp':
      return TIMESTAMP_RULE(kind);
    case 'email':
      // ASCII only (shared/text-rules.ts): no UTF-8 address, line break, markup or control.
      return 'bad';
    case 'firstName':
    case 'lastName':
      return NAME_RULE(kind);
    case 'projectDescription':
      return ['injection', 'control', 'noncharacter', 'long'].includes(kind) ? 'bad' : 'ok';
    default:
      // existingAccount, pin, additionalUsers, newProjectName, existingProjectName
      return 'bad';
  }
}

const QUOTA_NUMBERS: readonly QuotaField[] = REQUESTABLE_QUOTAS;

function quotaRule(field: QuotaField, kind: Kind): Rule {
  if (field === 'approved') return 'ignored';
  if (QUOTA_NUMBERS.includes(field) || field === 'project' || field === 'duration') return 'bad';
  switch (field) {
    case 'timestamp':
      return TIMESTAMP_RULE(kind);
    case 'email':
      return 'bad';
    case 'firstName':
    case 'lastName':
      return NAME_RULE(kind);
    default:
      // notified, reminderSent, organisation, comments, notes, endDate (unused when permanent)
      return 'ok';
  }
}

interface Case<F extends string> {
  label: string;
  fields: F[];
  /** Not approved at all: must be left alone (but appears in the approvers' digest). */
  unapproved?: boolean;
}

const ACCESS_GROUPS: Case<AccessField>[] = [
  { label: 'names', fields: ['firstName', 'lastName'] },
  { label: 'email', fields: ['email'] },
  { label: 'new project name', fields: ['newProjectName'] },
  {
    label: 'free text',
    fields: [
      'organisation',
      'role',
      'phone',
      'sponsor',
      'comment',
      'newOrExisting',
      'projectContactName',
      'projectContactEmail',
      'projectDescription',
      'reminderSent',
    ],
  },
  { label: 'timestamp', fields: ['timestamp'] },
  { label: 'answers', fields: ['existingAccount', 'pin', 'additionalUsers'] },
  {
    label: 'unapproved, every text column',
    fields: ['firstName', 'lastName', 'comment', 'newProjectName', 'organisation'],
    unapproved: true,
  },
];

const QUOTA_GROUPS: Case<QuotaField>[] = [
  { label: 'names', fields: ['firstName', 'lastName'] },
  { label: 'free text', fields: ['organisation', 'comments', 'notes', 'endDate', 'reminderSent'] },
  { label: 'email', fields: ['email'] },
  { label: 'project', fields: ['project'] },
  { label: 'cores', fields: ['cores'] },
  { label: 'timestamp', fields: ['timestamp'] },
  {
    label: 'unapproved, every text column',
    fields: ['firstName', 'lastName', 'comments', 'project'],
    unapproved: true,
  },
];

/** Short: a few rows, each attacking a group of columns. Long: also every column alone. */
function cases<F extends string>(
  groups: Case<F>[],
  all: F[],
  headers: Record<F, string>,
  mode: Mode,
  h: Hostile,
): Case<F>[] {
  const control: Case<F> = { label: 'control row', fields: [] };
  const chosen = (c: Case<F>) =>
    h.columns === undefined || c.fields.every((f) => KEYS.includes(f) === (h.columns === 'keys'));
  const attacks =
    mode === 'short'
      ? groups
      : [
          ...groups.filter((g) => g.fields.length > 1),
          ...all.map((f) => ({ label: `"${headers[f]}"`, fields: [f] })),
        ];
  return [control, ...attacks.filter(chosen)];
}

type Expect = { outcome: 'accepted' | 'ignored' } | { outcome: 'invalid'; naming: string[] };

function expectation<F extends string>(
  c: Case<F>,
  kind: Kind,
  rule: (f: F, k: Kind) => Rule,
  header: (f: F) => string,
): Expect {
  const rules = c.fields.map((f) => [f, rule(f, kind)] as const);
  if (c.unapproved || rules.some(([, r]) => r === 'ignored')) return { outcome: 'ignored' };
  const bad = rules.filter(([, r]) => r === 'bad').map(([f]) => header(f));
  if (bad.length > 0) return { outcome: 'invalid', naming: bad };
  return { outcome: 'accepted' };
}

/** Does an invalid mark name the column? A project name is named as "project name". */
function names(mark: string, header: string): boolean {
  if (mark.includes(`"${header}"`)) return true;
  return /project name/i.test(header) && /project name/i.test(mark);
}

interface Row {
  sheet: 'access' | 'quota';
  label: string;
  /** Unique in the run and kept in the Email cell whatever the attack: finds the row. */
  local: string;
  cells: Record<string, string>;
  key: string;
  expect: Expect;
}

interface Tally {
  rows: number;
  invalid: number;
  provisioned: number;
  ignored: number;
  partial: number;
  injectedRecipients: number;
  injectedHeaders: number;
  unescapedHtml: number;
  htmlParts: number;
  mails: number;
  crashes: number;
  wrong: number;
  /** Rows their own workflow could no longer find (to mark or move them). */
  lost: number;
}

const TIMESTAMP = '2026-01-15 10:00:00';

function accessRows(tag: string, h: Hostile, mode: Mode): Row[] {
  return cases(ACCESS_GROUPS, ACCESS_FIELDS, A, mode, h).map((c, i) => {
    const local = `a${i}.${tag}`;
    const cells: Record<string, string> = {
      approved: c.unapproved ? '' : 'Approved',
      timestamp: TIMESTAMP,
      email: `${local}@example.org`,
      firstName: 'Ada',
      lastName: `Row${i}`,
      existingAccount: 'No',
      pin: '1234',
      newProjectName: `${tag}-p${i}`,
      projectDescription: 'reliability run',
      comment: 'a fine comment',
    };
    for (const f of c.fields) cells[f] = f === 'email' ? h.email(local) : h.text;
    // The existing project's name counts only when no new project is named.
    if (c.fields.includes('existingProjectName')) cells.newProjectName = '';
    return {
      sheet: 'access',
      label: `access ${c.label}`,
      local,
      cells,
      key: rowKey(cells.email!, cells.timestamp!),
      expect: expectation(c, h.kind, accessRule, (f) => A[f]),
    };
  });
}

function quotaRows(tag: string, h: Hostile, mode: Mode): Row[] {
  return cases(QUOTA_GROUPS, QUOTA_FIELDS, Q, mode, h).map((c, i) => {
    const local = `q${i}.${tag}`;
    const cells: Record<string, string> = {
      approved: c.unapproved ? '' : 'Approved',
      timestamp: TIMESTAMP,
      email: `${local}@example.org`,
      firstName: 'Quota',
      lastName: `Row${i}`,
      // A project each: two changes of one project at once fail each other's read-back check.
      project: `${tag}-q${i}`,
      cores: String(20 + i),
    };
    for (const f of c.fields) cells[f] = f === 'email' ? h.email(local) : h.text;
    return {
      sheet: 'quota',
      label: `quota ${c.label}`,
      local,
      cells,
      key: rowKey(cells.email!, cells.timestamp!),
      expect: expectation(c, h.kind, quotaRule, (f) => Q[f]),
    };
  });
}

const sheetOf = <F extends string>(fields: F[], headers: Record<F, string>, rows: Row[]) => [
  fields.map((f) => headers[f]),
  ...rows.map((r) => fields.map((f) => r.cells[f] ?? '')),
];

/** The row of a tab whose Email cell holds the row's own local part (whatever surrounds it). */
function findRow(rows: string[][], row: Row): string[] | undefined {
  const email = (rows[0] ?? []).findIndex((c) => c.trim().toLowerCase() === 'email');
  const own = new RegExp(`(^|\\.)${row.local.replace(/\./g, '\\.')}(?![0-9])`);
  return rows.slice(1).find((cells) => own.test(cells[email] ?? ''));
}

type Tab = Outcome<string[][]>;

/** A row's Status cell ('?' when the sheet cannot be read). */
function markOf(tab: Tab, row: Row): string {
  if (!tab.ok) return '?';
  const status = (tab.value[0] ?? []).findIndex((c) => c.trim().toLowerCase() === 'status');
  const found = findRow(tab.value, row);
  return status < 0 || !found ? '' : (found[status] ?? '');
}

interface Run {
  sys: InputSystem;
  h: Hostile;
  tally: Tally;
  problems: string[];
}

type Verdict = 'accepted' | 'invalid' | 'ignored' | 'failed' | 'stuck' | 'wrong';

/** What became of one row, checked against Keystone; a half-provisioned row is counted. */
async function judge(
  run: Run,
  row: Row,
  mark: string,
): Promise<{ verdict: Verdict; detail: string; started: boolean }> {
  const { client } = run.sys.system;
  const isAccess = row.sheet === 'access';
  const state = isAccess
    ? await onboardingState(client, row.key)
    : await quotaState(client, row.key);
  const step = state.exists ? state.status?.step : undefined;
  let verdict: Verdict;
  let detail = '';
  if (!state.exists) {
    if (mark.startsWith('invalid: ')) verdict = 'invalid';
    else if (mark === '' && row.expect.outcome === 'ignored') verdict = 'ignored';
    else {
      verdict = 'wrong';
      detail = `no workflow${state.error ? ` (${state.error.slice(0, 160)})` : ''}, Status ${show(mark, 160)}`;
    }
  } else if (step === (isAccess ? 'waiting-for-password' : 'completed')) {
    detail = isAccess ? await provisionedWrongly(run.sys, row, state.status) : '';
    verdict = detail ? 'wrong' : 'accepted';
  } else if (step === 'failed' || state.closed === 'FAILED') {
    verdict = 'failed';
    detail = `Status ${show(mark, 200)}`;
  } else {
    verdict = 'stuck';
    detail = `still at ${step ?? state.closed} after the wait`;
  }

  // Nothing half-created: a row that did not end provisioned owns no project and no user.
  if (verdict !== 'accepted' && isAccess) {
    const { projectId, userId }: { projectId?: string; userId?: string } =
      (state.exists ? state.status : undefined) ?? {};
    const leftovers: string[] = [];
    if (projectId) leftovers.push(`project ${projectId}`);
    if (userId) leftovers.push(`user ${userId}`);
    const claimed = await claimedProjects(run.sys.keystone, row.key);
    if (claimed.length > 0 && !projectId) leftovers.push(`project ${claimed[0]}`);
    const email = row.cells.email!.trim().toLowerCase();
    if (!userId && keystoneSafe(email) && (await run.sys.keystone.findUserByName(email)))
      leftovers.push(`user ${email}`);
    if (leftovers.length > 0) {
      run.tally.partial += 1;
      run.problems.push(
        `${row.label} × ${run.h.name}: ${verdict} but left ${leftovers.join(', ')} in Keystone`,
      );
    }
  }
  return { verdict, detail, started: state.exists };
}

function fits(verdict: Verdict, e: Expect, mark: string): boolean {
  if (verdict === 'accepted' || verdict === 'ignored') return e.outcome === verdict;
  if (verdict !== 'invalid' || e.outcome !== 'invalid') return false;
  return e.naming.every((n) => names(mark, n));
}

/** One sheet of one kind of value: write, poll twice, check requests, wait, judge, audit. */
async function runOnce(
  sys: InputSystem,
  victim: string,
  h: Hostile,
  mode: Mode,
  tally: Tally,
  progress: (m: string) => void,
): Promise<void> {
  const { client, taskQueue } = sys.system;
  // No dash: Mailpit's search would read a leading one as "not".
  const tag = uniqueName('hx').replace('-', '');
  const since = new Date();
  const access = accessRows(tag, h, mode);
  const quota = quotaRows(tag, h, mode);
  const rows = [...access, ...quota];
  for (const name of quota.map((r) => r.cells.project!).filter((p) => p.startsWith(tag))) {
    await sys.keystone.request('POST', '/projects', {
      project: { name, domain_id: 'default', enabled: true },
    });
  }
  tally.rows += rows.length;
  await writeSheet(sys.accessFile, {
    [ACCESS_TAB]: sheetOf(ACCESS_FIELDS, A, access),
    [CURRENT_TAB]: [ACCESS_FIELDS.map((f) => A[f])],
  });
  await writeSheet(sys.quotaFile, {
    [QUOTA_TAB]: sheetOf(QUOTA_FIELDS, Q, quota),
    [PROCESSED_TAB]: [QUOTA_FIELDS.map((f) => Q[f])],
  });
  const run: Run = { sys, h, tally, problems: [] };
  const { problems } = run;
  try {
    const first = await poll(client, taskQueue);
    if (!first.ok) {
      tally.crashes += 1;
      problems.push(`the poll failed: ${first.error.slice(0, 300)}`);
    }
    // A second poll finds every row handled: it starts nothing and reports nothing again.
    const second = await poll(client, taskQueue);
    if (!second.ok) {
      tally.crashes += 1;
      problems.push(`a second poll failed: ${second.error.slice(0, 300)}`);
    } else {
      const again = second.value.started + (second.value.quotas?.started ?? 0);
      const told =
        second.value.newlyInvalid.length + (second.value.quotas?.newlyInvalid.length ?? 0);
      if (again > 0 || told > 0) {
        problems.push(`a second poll started ${again} request(s) again and re-reported ${told}`);
      }
    }
    // Tickets and the digest carry names, comments and project names into mails.
    const checked = await checkRequests(client, taskQueue);
    if (!checked.ok) {
      tally.crashes += 1;
      problems.push(`checkRequests failed: ${checked.error.slice(0, 300)}`);
    }
    progress(`${h.name}: polled, waiting for ${rows.length} rows`);

    // Accepted rows run on: wait until each workflow has settled, or none has moved on for a
    // minute (a step retried forever is stuck, however long one waits).
    const deadline = Date.now() + (mode === 'short' ? 150_000 : 240_000);
    const settled = (step?: string) =>
      step === undefined || ['waiting-for-password', 'completed', 'failed'].includes(step);
    let last = '';
    let lastChange = Date.now();
    for (;;) {
      const states = await Promise.all([
        ...access.map((r) => onboardingState(client, r.key)),
        ...quota.map((r) => quotaState(client, r.key)),
      ]);
      const steps = JSON.stringify(states.map((s) => (s.exists ? s.status?.step : '')));
      if (steps !== last) [last, lastChange] = [steps, Date.now()];
      const open = states.filter((s) => s.exists && s.running && !settled(s.status?.step));
      if (open.length === 0 || Date.now() > deadline || Date.now() - lastChange > 60_000) break;
      await sleep(1000);
    }

    const tabs = {
      access: await readTab(sys.accessFile, ACCESS_TAB),
      quota: await readTab(sys.quotaFile, QUOTA_TAB),
    };
    for (const tab of Object.values(tabs)) {
      if (!tab.ok)
        problems.push(`the sheet cannot be read after the run: ${tab.error.slice(0, 200)}`);
    }
    const allowed = new Set([sys.admins, sys.helpdesk, sys.approvers]);
    const seen: string[] = [];
    const provisioned: Row[] = [];
    // Rows the poll never reached, or whose sheet became unreadable: one line, not one each.
    const unreached: string[] = [];
    const unreadable: string[] = [];
    for (const row of rows) {
      const mark = markOf(tabs[row.sheet], row);
      const { verdict, detail, started } = await judge(run, row, mark);
      // Mail to the address of a row the product took up is expected; to any other is not.
      if (started) allowed.add(row.cells.email!.trim().toLowerCase());
      seen.push(`${row.label}: ${verdict}`);
      if (verdict === 'accepted') {
        provisioned.push(row);
        tally.provisioned += 1;
      }
      if (verdict === 'invalid') tally.invalid += 1;
      if (verdict === 'ignored') tally.ignored += 1;
      if (fits(verdict, row.expect, mark)) continue;
      tally.wrong += 1;
      if (mark === '?' && verdict !== 'accepted') unreadable.push(`${row.label} (${verdict})`);
      else if (verdict === 'wrong' && !first.ok && !started) unreached.push(row.label);
      else {
        const e = row.expect;
        const wanted =
          e.outcome === 'invalid'
            ? `${e.outcome} naming ${e.naming.map((n) => `"${n}"`).join(', ')}`
            : e.outcome;
        const shown = detail || (verdict === 'invalid' ? show(mark, 200) : '');
        problems.push(
          `${row.label} × ${h.name}: expected ${wanted}, got ${verdict}${shown ? ` (${shown})` : ''}`,
        );
      }
    }
    progress(`${h.name}: ${seen.join('; ')}`);

    // Later writes find their row by key: an onboarding cancelled now marks its row, and an
    // applied quota change has moved its row to "Processed Requests".
    // (Not on a sheet the product made unreadable: every such write fails, reported above.)
    const later = tabs.access.ok && tabs.quota.ok ? provisioned : [];
    for (const row of later.filter((r) => r.sheet === 'access')) {
      const ended = await cancelOnboarding(client, row.key);
      if (ended !== 'cancelled') problems.push(`${row.label}: cancelling it gave ${ended}`);
    }
    const after = {
      access: await readTab(sys.accessFile, ACCESS_TAB),
      quota: await readTab(sys.quotaFile, QUOTA_TAB),
      processed: await readTab(sys.quotaFile, PROCESSED_TAB),
    };
    for (const row of later) {
      const what = `${row.label} × ${h.name}`;
      const mark = markOf(after[row.sheet], row);
      if (mark === '?' || !after.processed.ok) {
        unreadable.push(`${row.label} (after its end)`);
      } else if (row.sheet === 'access' && !mark.startsWith(`cancelled by ${CANCELLED_BY}`)) {
        tally.lost += 1;
        problems.push(`${what}: its onboarding ended but its row says ${show(mark, 120)}`);
      } else if (
        row.sheet === 'quota' &&
        (!findRow(after.processed.value, row) ||
          (after.quota.ok && findRow(after.quota.value, row)))
      ) {
        tally.lost += 1;
        problems.push(
          `${what}: applied, but its row was not moved to "${PROCESSED_TAB}" (Status ${show(mark, 120)})`,
        );
      }
    }
    if (unreached.length > 0)
      problems.push(`not marked nor started, as the poll failed: ${unreached.join(', ')}`);
    if (unreadable.length > 0)
      problems.push(`unchecked, as the sheet is unreadable: ${unreadable.join(', ')}`);

    const audit = await auditMails({
      since,
      fixed: [sys.admins, sys.helpdesk, sys.approvers],
      tag,
      victim,
      allowed,
    });
    tally.mails += audit.messages;
    tally.injectedRecipients += audit.injectedRecipients;
    tally.injectedHeaders += audit.injectedHeaders;
    tally.unescapedHtml += audit.unescapedHtml;
    tally.htmlParts += audit.htmlParts;
    problems.push(...audit.problems);
  } finally {
    await terminateAll(client, taskQueue, [
      ...access.map((r) => onboardingId(r.key)),
      ...quota.map((r) => quotaId(r.key)),
    ]);
  }
  if (problems.length > 0) {
    throw new Error(`${h.name}: ${problems.length} problem(s):\n    ${problems.join('\n    ')}`);
  }
}

/** Keystone holds exactly what the row asked for: project, user, member role. */
async function provisionedWrongly(sys: InputSystem, row: Row, status: unknown): Promise<string> {
  const { projectId, userId } = (status ?? {}) as { projectId?: string; userId?: string };
  if (!projectId || !userId) return 'waiting without a project or user id';
  const ks = sys.keystone;
  const project = (await ks.request('GET', `/projects/${projectId}`)).json<{
    project: { name: string; description: string };
  }>().project;
  const user = (await ks.request('GET', `/users/${userId}`)).json<{
    user: { name: string; description?: string };
  }>().user;
  const wantProject = (row.cells.newProjectName ?? '').trim();
  const wantEmail = row.cells.email!.trim().toLowerCase();
  const wantName = `${row.cells.firstName!.trim()} ${row.cells.lastName!.trim()}`.trim();
  const wantDescription = (row.cells.projectDescription ?? '').trim();
  const problems: string[] = [];
  if (project.name !== wantProject) problems.push(`project ${show(project.name)}`);
  if (project.description !== wantDescription)
    problems.push(`project description ${show(project.description)}`);
  if (user.name !== wantEmail) problems.push(`user ${show(user.name)}`);
  if ((user.description ?? '') !== wantName)
    problems.push(`user description ${show(user.description ?? '')}`);
  const query = new URLSearchParams({ 'scope.project.id': projectId, 'user.id': userId });
  const roles = (await ks.request('GET', `/role_assignments?${query}`)).json<{
    role_assignments: unknown[];
  }>().role_assignments;
  if (roles.length === 0) problems.push('no role on the project');
  return problems.length > 0 ? `provisioned wrongly: ${problems.join(', ')}` : '';
}

export const hostileSheet: Scenario = {
  name: 'hostile-sheet',
  async run(mode, progress) {
    const sys = await startInputSystem('hostile');
    const victim = `${uniqueName('victim')}@example.org`;
    const tally: Tally = {
      rows: 0,
      invalid: 0,
      provisioned: 0,
      ignored: 0,
      partial: 0,
      injectedRecipients: 0,
      injectedHeaders: 0,
      unescapedHtml: 0,
      htmlParts: 0,
      mails: 0,
      crashes: 0,
      wrong: 0,
      lost: 0,
    };
    try {
      const values = hostileValues(victim, mode);
      return await repeat(
        values.length,
        (i) => runOnce(sys, victim, values[i]!, mode, tally, progress),
        () => ({
          rows: tally.rows,
          'invalid marked': tally.invalid,
          provisioned: tally.provisioned,
          'left alone': tally.ignored,
          'partial provisions': tally.partial,
          'injected recipients': tally.injectedRecipients,
          'injected headers': tally.injectedHeaders,
          'unescaped HTML': tally.unescapedHtml,
          'HTML parts checked': tally.htmlParts,
          mails: tally.mails,
          crashes: tally.crashes,
          'rows not as expected': tally.wrong,
          'rows lost by their workflow': tally.lost,
        }),
      );
    } finally {
      await sys.close();
    }
  },
};
