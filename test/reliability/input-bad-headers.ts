// bad-headers: request sheets whose header row is not the expected one. A required column
// missing (or renamed) must stop the poll with an error naming the column and the setting that
// fixes it, with nothing provisioned and the sheet untouched; reordered, re-cased and padded
// headers must change nothing: rows are read by header name and provisioned as asked.
import { DEFAULT_ACCESS_COLUMNS as A } from '../../shared/sheet-columns';
import { DEFAULT_QUOTA_COLUMNS as Q } from '../../shared/sheet-columns';
import { mailpitApi, uniqueName } from '../support/services';
import {
  ACCESS_FIELDS,
  ACCESS_TAB,
  CURRENT_TAB,
  onboardingId,
  onboardingState,
  poll,
  PROCESSED_TAB,
  QUOTA_FIELDS,
  QUOTA_TAB,
  quotaState,
  readTab,
  rowKey,
  show,
  sleep,
  startInputSystem,
  terminateAll,
  workflowsOnQueue,
  writeSheet,
  type AccessField,
  type InputSystem,
  type QuotaField,
} from './input-support';
import { repeat, type Mode, type Scenario } from './scenario';

interface Missing {
  header: string;
  section: 'columns' | 'quota_columns';
  key: string;
}

/** Names the column and its setting: `"Email" … set [columns] email, pin to …`. */
function named(error: string, m: Missing): boolean {
  const setting = new RegExp(`\\[${m.section}\\] [^:]*\\b${m.key}\\b`);
  return error.includes(`"${m.header}"`) && setting.test(error);
}

interface Layout {
  name: string;
  /** Access columns in sheet order, each with the header text it has in this sheet. */
  access: [AccessField, string][];
  quota: [QuotaField, string][];
  /** No header row: the first row of the tab is a request. */
  headerless?: boolean;
  /** The poll must fail naming these (header text, setting); none: it must succeed. */
  missing?: Missing[];
}

const defaults = <F extends string>(fields: F[], headers: Record<F, string>): [F, string][] =>
  fields.map((f) => [f, headers[f]]);
const ACCESS_DEFAULT = defaults(ACCESS_FIELDS, A);
const QUOTA_DEFAULT = defaults(QUOTA_FIELDS, Q);

/** A deterministic shuffle (seeded), so a failing layout can be read back from the report. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** People retype headers: other case, blanks around them; the product ignores both. */
const retyped = (header: string, i: number) =>
  i % 3 === 0 ? header.toUpperCase() : i % 3 === 1 ? `  ${header.toLowerCase()} ` : header;

function reordered(seed: number): Layout {
  const access = shuffled<[AccessField, string]>(
    [...ACCESS_DEFAULT, ['status', A.status]],
    seed,
  ).map(([f, h], i): [AccessField, string] => [f, retyped(h, i)]);
  const quota = shuffled<[QuotaField, string]>([...QUOTA_DEFAULT, ['status', Q.status]], seed + 1);
  return { name: `reordered and retyped headers (seed ${seed})`, access, quota };
}

/** The column's header renamed (what a missing column looks like after someone edits it). */
function withoutAccess(field: AccessField): Layout {
  return {
    name: `no "${A[field]}" column`,
    access: ACCESS_DEFAULT.map(([f, h]): [AccessField, string] => [
      f,
      f === field ? `${h} (old)` : h,
    ]),
    quota: QUOTA_DEFAULT,
    missing: [{ header: A[field], section: 'columns', key: field }],
  };
}

function layouts(mode: Mode): Layout[] {
  const quotaWithoutProject: Layout = {
    name: 'quota sheet without "Project" (the access sheet still polled)',
    access: ACCESS_DEFAULT,
    quota: QUOTA_DEFAULT.map(([f, h]): [QuotaField, string] => [
      f,
      f === 'project' ? 'Project name' : h,
    ]),
    missing: [{ header: Q.project, section: 'quota_columns', key: 'project' }],
  };
  const short = [withoutAccess('email'), reordered(7), quotaWithoutProject];
  if (mode === 'short') return short;
  return [
    ...short,
    withoutAccess('approved'),
    withoutAccess('timestamp'),
    withoutAccess('existingAccount'),
    withoutAccess('pin'),
    {
      name: 'no header row at all',
      access: ACCESS_DEFAULT,
      headerless: true,
      quota: QUOTA_DEFAULT,
      // The first request is taken for the header: its "Approved" cell passes as the column.
      missing: (['timestamp', 'email', 'existingAccount', 'pin'] as const).map((key) => ({
        header: A[key],
        section: 'columns' as const,
        key,
      })),
    },
    reordered(11),
    reordered(23),
    reordered(42),
  ];
}

interface Tally {
  clearErrors: number;
  unclearErrors: number;
  provisioned: number;
  invalidMarked: number;
  partial: number;
  sheetsChanged: number;
  adminsMailed: number;
  crashes: number;
}

async function runOnce(
  sys: InputSystem,
  layout: Layout,
  tally: Tally,
  progress: (m: string) => void,
): Promise<void> {
  const { client, taskQueue } = sys.system;
  const tag = uniqueName('bh').replace('-', '');
  const since = new Date();
  const person = `ok.${tag}@example.org`;
  const project = `${tag}-ok`;
  const quotaProject = `${tag}-quota`;
  await sys.keystone.request('POST', '/projects', {
    project: { name: quotaProject, domain_id: 'default', enabled: true },
  });
  const base = {
    approved: 'Approved',
    timestamp: '2026-02-01 09:30:00',
    existingAccount: 'No',
    lastName: 'Okafor',
    projectDescription: 'read by header name',
  };
  const accessRows: Partial<Record<AccessField, string>>[] = [
    { ...base, email: person, firstName: 'Valid', pin: '4321', newProjectName: project },
    {
      ...base,
      email: `badpin.${tag}@example.org`,
      firstName: 'Badpin',
      pin: 'abc',
      newProjectName: `${tag}-bad`,
    },
    {
      ...base,
      approved: '',
      email: `waiting.${tag}@example.org`,
      firstName: 'Waiting',
      pin: '1111',
      newProjectName: `${tag}-wait`,
    },
  ];
  const quotaRows: Partial<Record<QuotaField, string>>[] = [
    {
      approved: 'Approved',
      timestamp: '2026-02-01 09:30:00',
      email: `quota.${tag}@example.org`,
      firstName: 'Quota',
      lastName: 'Asker',
      project: quotaProject,
      cores: '33',
    },
  ];
  const accessSheet = [
    ...(layout.headerless ? [] : [layout.access.map(([, h]) => h)]),
    ...accessRows.map((r) => layout.access.map(([f]) => r[f] ?? '')),
  ];
  const quotaSheet = [
    layout.quota.map(([, h]) => h),
    ...quotaRows.map((r) => layout.quota.map(([f]) => r[f] ?? '')),
  ];
  await writeSheet(sys.accessFile, {
    [ACCESS_TAB]: accessSheet,
    [CURRENT_TAB]: [ACCESS_FIELDS.map((f) => A[f])],
  });
  await writeSheet(sys.quotaFile, {
    [QUOTA_TAB]: quotaSheet,
    [PROCESSED_TAB]: [QUOTA_FIELDS.map((f) => Q[f])],
  });
  // The sheets as the product reads them before the poll: what "unchanged" means.
  const before = await readTab(sys.accessFile, ACCESS_TAB);
  if (!before.ok) throw new Error(`the new access sheet cannot be read: ${before.error}`);
  const keys = accessRows.map((r) => rowKey(r.email!, r.timestamp!));
  const quotaKey = rowKey(quotaRows[0]!.email!, quotaRows[0]!.timestamp!);
  const problems: string[] = [];
  const accessBroken = layout.missing?.some((m) => m.section === 'columns') ?? false;
  const quotaBroken = layout.missing?.some((m) => m.section === 'quota_columns') ?? false;

  try {
    const result = await poll(client, taskQueue);
    if (layout.missing) {
      if (result.ok) {
        problems.push('the poll succeeded although a required column is missing');
      } else {
        // The error must say which column is missing and which setting maps it.
        const unclear = layout.missing.filter((m) => !named(result.error, m));
        if (unclear.length > 0) {
          tally.unclearErrors += 1;
          problems.push(
            `the poll's error does not name ${unclear.map((m) => `"${m.header}" and [${m.section}] ${m.key}`).join(', ')}: ${result.error.slice(0, 300)}`,
          );
        } else tally.clearErrors += 1;
      }
    } else if (!result.ok) {
      tally.crashes += 1;
      problems.push(`the poll failed: ${result.error.slice(0, 300)}`);
    }

    // The valid row onboards wherever its columns are, unless its own sheet is broken.
    const expectOnboarding = !accessBroken;
    const deadline = Date.now() + 120_000;
    let state = await onboardingState(client, keys[0]!);
    while (
      expectOnboarding &&
      Date.now() < deadline &&
      !(state.exists && ['waiting-for-password', 'failed'].includes(state.status?.step ?? ''))
    ) {
      await sleep(500);
      state = await onboardingState(client, keys[0]!);
    }
    if (expectOnboarding) {
      const step = state.exists ? state.status?.step : 'not started';
      if (!state.exists || step !== 'waiting-for-password') {
        problems.push(`the valid row's onboarding is at ${step}, not waiting for the password`);
      } else {
        const wrong = await provisionedWrongly(sys, state.status, {
          email: person,
          project,
          fullName: 'Valid Okafor',
          description: base.projectDescription,
        });
        if (wrong) problems.push(`the valid row was ${wrong}`);
        else tally.provisioned += 1;
      }
    }

    const tab = await readTab(sys.accessFile, ACCESS_TAB);
    if (!tab.ok) {
      problems.push(`the access sheet cannot be read after the poll: ${tab.error}`);
    } else if (accessBroken) {
      // Nothing may have been written to a sheet the product could not understand.
      if (JSON.stringify(tab.value) !== JSON.stringify(before.value)) {
        tally.sheetsChanged += 1;
        problems.push('the access sheet was changed although its columns were not understood');
      }
    } else {
      // Marks land in the Status column (found by name) of the right row; nothing else moves.
      const header = tab.value[0]!.map((h) => h.trim().toLowerCase());
      const statusAt = header.indexOf('status');
      const mark = (i: number) => tab.value[i + 1]?.[statusAt] ?? '';
      if (statusAt < 0) problems.push('no Status column after the poll');
      else {
        if (/^invalid: .*"PIN"/.test(mark(1))) tally.invalidMarked += 1;
        else problems.push(`the bad PIN row is marked ${show(mark(1), 200)}`);
        if (!/^(in progress|$)/.test(mark(0)))
          problems.push(`the valid row is marked ${show(mark(0), 200)}`);
        if (mark(2) !== '') problems.push(`the unapproved row is marked ${show(mark(2), 200)}`);
      }
      const others = (rows: string[][]) => rows.map((r) => r.filter((_, c) => c !== statusAt));
      if (JSON.stringify(others(tab.value)) !== JSON.stringify(others(before.value))) {
        tally.sheetsChanged += 1;
        problems.push('cells other than Status changed in the access sheet');
      }
    }

    // Nothing provisioned for rows a broken sheet holds, or for the invalid and unapproved rows.
    await sleep(1000);
    const started = await workflowsOnQueue(client, taskQueue, 'onboardUser', { since });
    const allowedStarts = accessBroken ? 0 : 1;
    if (started.length !== allowedStarts) {
      problems.push(`${started.length} onboarding(s) started, expected ${allowedStarts}`);
    }
    for (const [i, r] of accessRows.entries()) {
      if (i === 0 && !accessBroken) continue;
      const leftovers = [
        (await sys.keystone.findUserByName(r.email!)) ? `user ${r.email}` : '',
        (await sys.keystone.findProjectByName(r.newProjectName!))
          ? `project ${r.newProjectName}`
          : '',
      ].filter(Boolean);
      if (leftovers.length > 0) {
        tally.partial += 1;
        problems.push(`row ${i + 2} is not to be provisioned but left ${leftovers.join(', ')}`);
      }
    }

    const quota = await quotaState(client, quotaKey);
    if (quotaBroken && quota.exists) problems.push('a quota change started from a broken sheet');
    if (!quotaBroken) {
      const qDeadline = Date.now() + 120_000;
      let q = quota;
      while (Date.now() < qDeadline && !(q.exists && q.status?.step === 'completed')) {
        await sleep(500);
        q = await quotaState(client, quotaKey);
      }
      if (!(q.exists && q.status?.step === 'completed')) {
        problems.push(`the quota row is at ${q.exists ? q.status?.step : 'not started'}`);
      }
    }

    // What the product does besides failing the poll: do the admins hear of it?
    const toAdmins = await fetch(
      `${mailpitApi()}/api/v1/search?${new URLSearchParams({ query: `to:"${sys.admins}"` })}`,
    ).then((r) => r.json() as Promise<{ messages: { Created: string }[] }>);
    const mailed = toAdmins.messages.filter((m) => new Date(m.Created) >= since).length;
    tally.adminsMailed += mailed;
    progress(
      `${layout.name}: poll ${result.ok ? 'ok' : `failed: ${result.error.split(' <- ').pop()?.slice(0, 200)}`}; admins mailed ${mailed}`,
    );
  } finally {
    await terminateAll(client, taskQueue, [onboardingId(keys[0]!)]);
  }
  if (problems.length > 0) {
    throw new Error(`${layout.name}: ${problems.join('; ')}`);
  }
}

async function provisionedWrongly(
  sys: InputSystem,
  status: unknown,
  want: { email: string; project: string; fullName: string; description: string },
): Promise<string> {
  const { projectId, userId } = (status ?? {}) as { projectId?: string; userId?: string };
  if (!projectId || !userId) return 'waiting without a project or user id';
  const project = (await sys.keystone.request('GET', `/projects/${projectId}`)).json<{
    project: { name: string; description: string };
  }>().project;
  const user = (await sys.keystone.request('GET', `/users/${userId}`)).json<{
    user: { name: string; description?: string };
  }>().user;
  const got = {
    email: user.name,
    project: project.name,
    fullName: user.description ?? '',
    description: project.description,
  };
  const wrong = (Object.keys(want) as (keyof typeof want)[]).filter((k) => got[k] !== want[k]);
  return wrong.length > 0
    ? `provisioned wrongly: ${wrong.map((k) => `${k} ${show(got[k])}, not ${show(want[k])}`).join(', ')}`
    : '';
}

export const badHeaders: Scenario = {
  name: 'bad-headers',
  async run(mode, progress) {
    const sys = await startInputSystem('headers');
    const tally: Tally = {
      clearErrors: 0,
      unclearErrors: 0,
      provisioned: 0,
      invalidMarked: 0,
      partial: 0,
      sheetsChanged: 0,
      adminsMailed: 0,
      crashes: 0,
    };
    try {
      const all = layouts(mode);
      return await repeat(
        all.length,
        (i) => runOnce(sys, all[i]!, tally, progress),
        () => ({
          sheets: all.length,
          'clear missing-column errors': tally.clearErrors,
          'unclear errors': tally.unclearErrors,
          provisioned: tally.provisioned,
          'invalid marked': tally.invalidMarked,
          'partial provisions': tally.partial,
          'sheets changed': tally.sheetsChanged,
          'admins mailed': tally.adminsMailed,
          crashes: tally.crashes,
        }),
      );
    } finally {
      await sys.close();
    }
  },
};
