// Records workflow histories for the replay suite (test/replay/README.md): runs the worker and
// the setpass API of one version of the code as processes on the local services, drives
// onboardings (and a password reset and a quota change) to each of their exits, and saves every
// history as test/replay/<label>/<workflowType>-<exit>.json. A fixture is never overwritten.
//
//   node --import tsx scripts/record-histories.ts --label LABEL [--ref GITREF]
//
// --ref runs that commit's worker and API from a temporary git worktree (the version whose
// onboardings are waiting in production); without it, the working tree as it is now. Workflows
// are started with this checkout's client: what is recorded is how the worker's code answers.
// Every process runs with the fixtures' test-only codec key, never the key in .state.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ENCRYPTED_ENCODING, keyId } from '../lib/encryption-codec';
import { loadConfig } from '../config/load';
import { DEFAULT_ACCESS_COLUMNS } from '../shared/sheet-columns';
import { createSpreadsheet } from '../intake/create-spreadsheet';
import { DEFAULT_QUOTA_COLUMNS } from '../shared/sheet-columns';
import type { Config } from '../config/schema';
import { startOnboarding } from '../wiring/start-onboarding';
import { startQuotaChange } from '../wiring/start-quota-change';
import { connectClient } from '../lib/temporal';
import {
  approveResetSignal,
  cancelOnboardingSignal,
  cancelOnboardingUpdate,
  decideResetUpdate,
  onboardingWorkflowId,
  resendLinkUpdate,
  resetStatusQuery,
  resetWorkflowId,
  retryMailUpdate,
  statusQuery,
  type LegacyReminderPolicy,
  type OnboardingStep,
  type OnboardUserInput,
  type Registration,
  type ReminderPolicy,
  type ResetOutcome,
  type ResetPasswordInput,
  type ResetStatus,
} from '../shared/onboarding';
import { quotaWorkflowId } from '../shared/quota-change';
import { SCHEDULES_ONLY_PATCH } from '../workflows/password-wait';
import type {
  checkRequests,
  onboardUser,
  pollRegistrations,
  resetPassword,
  updateQuota,
} from '../workflows';
import { FIXTURE_CODEC_KEY, FIXTURE_CODEC_KEY_BASE64 } from '../test/replay/fixture-key';
import { EXITS, type ExitName } from '../test/replay/exits';
import { historyToFixtureJSON } from '../test/replay/history-json';
import { formSession, postForm } from '../test/support/forms';
import { freePort } from '../test/support/processes';
import {
  createKeystoneUser,
  eventually,
  mailsTo,
  mailText,
  uniqueName,
} from '../test/support/services';

type History = temporal.api.history.v1.IHistory;
const EventType = temporal.api.enums.v1.EventType;

const ROOT = resolve(__dirname, '..');
const FIXTURES = join(ROOT, 'test', 'replay');
const SERVICES_ENV = join(ROOT, '.state', 'services.env');
/** A wait long enough that nothing happens on its own while an exit is recorded. */
const PATIENT: ReminderPolicy = {
  afterMs: [86_400_000],
  abandonAfterMs: 172_800_000,
  linkLifetimeMs: 172_800_000,
};
const LINK = /(http:\/\/\S+\?token=[A-Za-z0-9_-]+)/;

const started = Date.now();
function progress(message: string): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`[record ${seconds}s] ${message}`);
}

interface Context {
  client: Client;
  config: Config;
  taskQueue: string;
  sheets: RequestSheets;
  say(message: string): void;
}

/** The worker's access and quota sheets (.xlsx), and who the notices go to. */
interface RequestSheets {
  accessFile: string;
  quotaFile: string;
  helpdesk: string;
  approvers: string;
  /** The access rows: one approved and valid, one approved and invalid, one waiting. */
  emails: { approved: string; invalid: string; waiting: string };
  /** Settles when pollRegistrations is recorded: checkRequests reads the sheet after it. */
  polled: Promise<unknown>;
  pollDone(outcome: unknown): void;
}

interface Exit {
  name: ExitName;
  /** Recorded only from code that has it: the admin Updates; onboardings in the shape of
   *  reminders before schedules ({ intervalMs, maxReminders }), which later code refuses. */
  needs?: 'updates' | 'legacy-input';
  /** Drives one workflow to this exit; resolves with the history to save. */
  drive(ctx: Context): Promise<History>;
}

// ------------------------------------------------------------------ what a person does

function person(prefix: string): Registration & { pin: string } {
  const id = uniqueName(prefix);
  return {
    email: `${id}@example.org`,
    firstName: 'Replay',
    lastName: 'Fixture',
    project: `Proj-${id}`,
    pin: String(randomInt(1000, 10000)),
  };
}

/** An existing Keystone account, and its registration for a new project (no PIN, no link). */
async function existingPerson(ctx: Context, prefix: string): Promise<Registration> {
  const { email, firstName, lastName, project } = person(prefix);
  await createKeystoneUser(ctx.config, { name: email, password: `Replay-${randomUUID()}` });
  return { email, firstName, lastName, project, existingUser: true };
}

/** The links in the mails to `email` whose subject matches. */
async function linksIn(email: string, subject: RegExp): Promise<string[]> {
  const mails = (await mailsTo(email)).filter((m) => subject.test(m.Subject));
  const links = await Promise.all(mails.map(async (m) => LINK.exec(await mailText(m.ID))?.[1]));
  return links.filter((l): l is string => l !== undefined);
}

/** A link mailed to `email` in a mail like `subject`, other than those in `except`. */
function newLink(email: string, subject: RegExp, except: string[] = []): Promise<string> {
  return eventually(`a mail like ${subject} to ${email}`, async () =>
    (await linksIn(email, subject)).find((l) => !except.includes(l)),
  );
}

/** Opens the link and sets a password with the PIN, as the person would. */
async function setPassword(link: string, pin: string): Promise<void> {
  const password = `Replay-${randomUUID()}`;
  const token = new URL(link).searchParams.get('token') ?? '';
  const answer = await postForm(
    new URL('./', link).toString(),
    { token, pin, password, confirm_password: password },
    await formSession(link),
  );
  if (answer.status !== 200)
    throw new Error(`setting the password at ${link} answered ${answer.status}: ${answer.text}`);
}

async function waitForStep(
  handle: WorkflowHandle<typeof onboardUser>,
  step: OnboardingStep,
): Promise<void> {
  await eventually(`${handle.workflowId} to reach ${step}`, async () =>
    (await handle.query(statusQuery)).step === step ? true : undefined,
  );
}

async function expectOutcome(
  handle: WorkflowHandle<typeof onboardUser>,
  outcome: 'completed' | 'abandoned' | 'cancelled',
): Promise<History> {
  const result = await handle.result();
  if (result.outcome !== outcome)
    throw new Error(`${handle.workflowId} ended ${result.outcome}, not ${outcome}`);
  return handle.fetchHistory();
}

async function onboard(
  ctx: Context,
  registration: Registration,
  reminders: ReminderPolicy = PATIENT,
): Promise<WorkflowHandle<typeof onboardUser>> {
  const { handle, alreadyRunning } = await startOnboarding(ctx.client, ctx.config, registration, {
    taskQueue: ctx.taskQueue,
    reminders,
  });
  if (alreadyRunning) throw new Error(`${handle.workflowId} was already running`);
  ctx.say(`started ${handle.workflowId}`);
  return handle;
}

/** Starts an onboarding in the shape code before reminder schedules gave it. */
async function onboardLegacy(
  ctx: Context,
  registration: Registration,
  reminders: LegacyReminderPolicy,
): Promise<WorkflowHandle<typeof onboardUser>> {
  const input: OnboardUserInput = { registration, reminders };
  const handle = await ctx.client.workflow.start<typeof onboardUser>('onboardUser', {
    workflowId: onboardingWorkflowId(registration),
    taskQueue: ctx.taskQueue,
    args: [input],
  });
  ctx.say(`started ${handle.workflowId} with the legacy reminder policy`);
  return handle;
}

function resetInput(
  email: string,
  approval: ResetPasswordInput['approval'],
  deniedRoles: string[],
): ResetPasswordInput {
  const pin = String(randomInt(1000, 10000));
  return { email, name: 'Replay Fixture', pin, approval, deniedRoles, linkLifetimeMs: 3_600_000 };
}

async function startReset(
  ctx: Context,
  input: ResetPasswordInput,
): Promise<WorkflowHandle<typeof resetPassword>> {
  const handle = await ctx.client.workflow.start<typeof resetPassword>('resetPassword', {
    workflowId: resetWorkflowId(input.email),
    taskQueue: ctx.taskQueue,
    args: [input],
  });
  ctx.say(`started ${handle.workflowId}`);
  return handle;
}

async function waitForResetStep(
  handle: WorkflowHandle<typeof resetPassword>,
  step: ResetStatus['step'],
): Promise<void> {
  await eventually(`${handle.workflowId} to reach ${step}`, async () =>
    (await handle.query(resetStatusQuery)).step === step ? true : undefined,
  );
}

async function expectReset(
  handle: WorkflowHandle<typeof resetPassword>,
  outcome: ResetOutcome,
): Promise<History> {
  const result = await handle.result();
  if (result !== outcome) throw new Error(`${handle.workflowId} ended ${result}, not ${outcome}`);
  return handle.fetchHistory();
}

// ------------------------------------------------------------------ the exits

const DRIVERS: Exit[] = [
  {
    name: 'onboardUser-completed',
    async drive(ctx) {
      const reg = person('replay-completed');
      const handle = await onboard(ctx, reg);
      await setPassword(await newLink(reg.email, /^Choose your/), reg.pin);
      ctx.say('password set from the mailed link');
      return expectOutcome(handle, 'completed');
    },
  },
  {
    name: 'onboardUser-waiting',
    async drive(ctx) {
      const reg = person('replay-waiting');
      const handle = await onboard(ctx, reg);
      await waitForStep(handle, 'waiting-for-password');
      // As production holds it: the last workflow task done, the wait's timer running.
      const history = await eventually('the history to end on the timer of the wait', async () => {
        const h = await handle.fetchHistory();
        return h.events?.at(-1)?.eventType === EventType.EVENT_TYPE_TIMER_STARTED ? h : undefined;
      });
      await handle.terminate('replay fixture recorded while waiting');
      ctx.say('history taken while waiting, then terminated');
      return history;
    },
  },
  {
    name: 'onboardUser-link-renewed',
    async drive(ctx) {
      const reg = person('replay-renewed');
      const handle = await onboard(ctx, reg, {
        afterMs: [4000],
        abandonAfterMs: 60_000,
        linkLifetimeMs: 2000,
      });
      const first = await newLink(reg.email, /^Choose your/);
      const renewed = await newLink(reg.email, /a new link/, [first]);
      ctx.say('the reminder after the link expired carried a new link');
      await setPassword(renewed, reg.pin);
      return expectOutcome(handle, 'completed');
    },
  },
  {
    name: 'onboardUser-abandoned',
    async drive(ctx) {
      const handle = await onboard(ctx, person('replay-abandoned'), {
        afterMs: [1000],
        abandonAfterMs: 3000,
        linkLifetimeMs: 3_600_000,
      });
      return expectOutcome(handle, 'abandoned');
    },
  },
  {
    name: 'onboardUser-cancelled-by-signal',
    async drive(ctx) {
      const handle = await onboard(ctx, person('replay-cancel-signal'));
      await waitForStep(handle, 'waiting-for-password');
      await handle.signal(cancelOnboardingSignal, {
        by: 'record-histories',
        reason: 'replay fixture',
      });
      ctx.say('cancel signal sent');
      return expectOutcome(handle, 'cancelled');
    },
  },
  {
    name: 'onboardUser-existing-user',
    async drive(ctx) {
      const handle = await onboard(ctx, await existingPerson(ctx, 'replay-existing'));
      return expectOutcome(handle, 'completed');
    },
  },
  {
    name: 'onboardUser-resent-by-update',
    needs: 'updates',
    async drive(ctx) {
      const reg = person('replay-resend-update');
      const handle = await onboard(ctx, reg);
      await waitForStep(handle, 'waiting-for-password');
      const first = await newLink(reg.email, /^Choose your/);
      await handle.executeUpdate(resendLinkUpdate, { args: [{ by: 'record-histories' }] });
      const resent = await newLink(reg.email, /^Choose your/, [first]);
      ctx.say('resend-link update answered; password set from the new link');
      await setPassword(resent, reg.pin);
      return expectOutcome(handle, 'completed');
    },
  },
  {
    name: 'onboardUser-cancelled-by-update',
    needs: 'updates',
    async drive(ctx) {
      const handle = await onboard(ctx, person('replay-cancel-update'));
      await waitForStep(handle, 'waiting-for-password');
      await handle.executeUpdate(cancelOnboardingUpdate, {
        args: [{ by: 'record-histories', reason: 'replay fixture' }],
      });
      ctx.say('cancel-onboarding update answered');
      return expectOutcome(handle, 'cancelled');
    },
  },
  {
    name: 'resetPassword-password-set',
    async drive(ctx) {
      const { email } = await existingPerson(ctx, 'replay-reset');
      const input = resetInput(email, 'auto', ctx.config.reset.denied_roles);
      const handle = await startReset(ctx, input);
      await setPassword(await newLink(email, /password link/), input.pin);
      return expectReset(handle, 'password-set');
    },
  },
  {
    name: 'resetPassword-no-such-account',
    async drive(ctx) {
      const email = `${uniqueName('replay-reset-nobody')}@example.org`;
      return expectReset(await startReset(ctx, resetInput(email, 'auto', [])), 'no-such-account');
    },
  },
  {
    name: 'updateQuota-completed',
    async drive(ctx) {
      // A project with the requester as its member: an existing user's onboarding makes one.
      const reg = await existingPerson(ctx, 'replay-quota');
      await expectOutcome(await onboard(ctx, reg), 'completed');
      const request = {
        email: reg.email,
        fullName: 'Replay Fixture',
        project: reg.project,
        changes: { cores: 24 },
      };
      await startQuotaChange(ctx.client, ctx.config, request, ctx.taskQueue);
      const handle = ctx.client.workflow.getHandle<typeof updateQuota>(quotaWorkflowId(request));
      ctx.say(`started ${handle.workflowId}`);
      const status = await handle.result();
      if (status.step !== 'completed') throw new Error(`the quota change ended ${status.step}`);
      return handle.fetchHistory();
    },
  },
  {
    name: 'onboardUser-mail-refused-retried',
    needs: 'updates',
    async drive(ctx) {
      // Mailpit refuses @refused.invalid for good: the onboarding waits for an admin.
      const reg = { ...person('replay-refused'), email: `${uniqueName('replay')}@refused.invalid` };
      const handle = await onboard(ctx, reg);
      await waitForStep(handle, 'mail-refused');
      const answer = await handle.executeUpdate(retryMailUpdate, {
        args: [{ by: 'record-histories' }],
      });
      if (answer.step !== 'mail-refused') throw new Error(`the retry left step ${answer.step}`);
      ctx.say('retry-mail update answered: refused again; cancelling');
      await handle.executeUpdate(cancelOnboardingUpdate, {
        args: [{ by: 'record-histories', reason: 'the address is refused' }],
      });
      return expectOutcome(handle, 'cancelled');
    },
  },
  {
    name: 'onboardUser-failed-4xx',
    async drive(ctx) {
      // Keystone refuses a project name over 64 characters with a 400: no retry helps.
      const reg = { ...person('replay-failed'), project: `Proj-${'x'.repeat(64)}` };
      const handle = await onboard(ctx, reg);
      const failed = await handle.result().then(
        () => undefined,
        (err: unknown) => err,
      );
      if (!(failed instanceof WorkflowFailedError))
        throw new Error(`${handle.workflowId} did not fail: ${String(failed)}`);
      ctx.say(`failed as it should: ${failed.cause?.message ?? ''}`);
      return handle.fetchHistory();
    },
  },
  {
    name: 'onboardUser-legacy-completed',
    needs: 'legacy-input',
    async drive(ctx) {
      const reg = person('replay-legacy');
      const handle = await onboardLegacy(ctx, reg, { intervalMs: 86_400_000, maxReminders: 2 });
      await setPassword(await newLink(reg.email, /^Choose your/), reg.pin);
      return expectOutcome(handle, 'completed');
    },
  },
  {
    name: 'onboardUser-legacy-abandoned',
    needs: 'legacy-input',
    async drive(ctx) {
      const handle = await onboardLegacy(ctx, person('replay-legacy-abandoned'), {
        intervalMs: 1500,
        maxReminders: 1,
      });
      return expectOutcome(handle, 'abandoned');
    },
  },
  {
    name: 'resetPassword-approved',
    needs: 'updates',
    async drive(ctx) {
      const { email } = await existingPerson(ctx, 'replay-reset-approved');
      const input = resetInput(email, 'approve', []);
      const handle = await startReset(ctx, input);
      await waitForResetStep(handle, 'waiting-for-approval');
      await handle.executeUpdate(decideResetUpdate, {
        args: [{ approved: true, by: 'record-histories' }],
      });
      ctx.say('decide-reset update: approved');
      await setPassword(await newLink(email, /password link/), input.pin);
      return expectReset(handle, 'password-set');
    },
  },
  {
    name: 'resetPassword-rejected',
    async drive(ctx) {
      const { email } = await existingPerson(ctx, 'replay-reset-rejected');
      const handle = await startReset(ctx, resetInput(email, 'approve', []));
      await waitForResetStep(handle, 'waiting-for-approval');
      await handle.signal(approveResetSignal, { approved: false, by: 'record-histories' });
      ctx.say('approveReset signal: rejected');
      return expectReset(handle, 'rejected-by-admin');
    },
  },
  {
    name: 'resetPassword-denied-role',
    async drive(ctx) {
      // An existing user's onboarding grants the member role; here that role is the denied one.
      const reg = await existingPerson(ctx, 'replay-reset-denied');
      await expectOutcome(await onboard(ctx, reg), 'completed');
      const input = resetInput(reg.email, 'auto', [ctx.config.auth.member_role]);
      return expectReset(await startReset(ctx, input), 'refused');
    },
  },
  {
    name: 'updateQuota-temporary-reverted',
    async drive(ctx) {
      const reg = await existingPerson(ctx, 'replay-quota-temporary');
      await expectOutcome(await onboard(ctx, reg), 'completed');
      const endsAt = new Date(Date.now() + 8000);
      endsAt.setMilliseconds(0);
      const request = {
        email: reg.email,
        fullName: 'Replay Fixture',
        project: reg.project,
        changes: { cores: 32 },
        endsAt: endsAt.toISOString(),
      };
      await startQuotaChange(ctx.client, ctx.config, request, ctx.taskQueue);
      const handle = ctx.client.workflow.getHandle<typeof updateQuota>(quotaWorkflowId(request));
      ctx.say(`started ${handle.workflowId}, reverting at ${request.endsAt}`);
      const status = await handle.result();
      if (status.step !== 'completed' || !status.revertedAt)
        throw new Error(`the temporary change ended ${status.step}, reverted ${status.revertedAt}`);
      return handle.fetchHistory();
    },
  },
  {
    name: 'pollRegistrations-started',
    async drive(ctx) {
      try {
        const handle = await ctx.client.workflow.start<typeof pollRegistrations>(
          'pollRegistrations',
          { workflowId: uniqueName('replay-poll'), taskQueue: ctx.taskQueue },
        );
        const report = await handle.result();
        if (report.started !== 1 || report.newlyInvalid.length !== 1)
          throw new Error(`the poll reported ${JSON.stringify(report)}`);
        ctx.say('one onboarding started, one invalid row told to the admins');
        return await handle.fetchHistory();
      } finally {
        ctx.sheets.pollDone(undefined);
      }
    },
  },
  {
    name: 'checkRequests-notified',
    async drive(ctx) {
      await ctx.sheets.polled;
      const handle = await ctx.client.workflow.start<typeof checkRequests>('checkRequests', {
        workflowId: uniqueName('replay-check'),
        taskQueue: ctx.taskQueue,
        args: [{ startText: '1 second' }],
      });
      const result = await handle.result();
      if (result.tickets < 1 || result.waitingForApproval < 1)
        throw new Error(`the check reported ${JSON.stringify(result)}`);
      ctx.say(`${result.tickets} ticket(s), ${result.waitingForApproval} in the digest`);
      return handle.fetchHistory();
    },
  },
];

// ------------------------------------------------------------------ request sheets

/** The rows pollRegistrations and checkRequests read, as .xlsx files the worker is given. */
async function writeRequestSheets(dir: string): Promise<RequestSheets> {
  const emails = {
    approved: `${uniqueName('replay-row-approved')}@example.org`,
    invalid: `${uniqueName('replay-row-invalid')}@example.org`,
    waiting: `${uniqueName('replay-row-waiting')}@example.org`,
  };
  const header = ACCESS_FIELDS.map((f) => DEFAULT_ACCESS_COLUMNS[f]);
  const row = (fields: Partial<Record<(typeof ACCESS_FIELDS)[number], string>>) =>
    ACCESS_FIELDS.map((f) => fields[f] ?? '');
  const common = { firstName: 'Replay', lastName: 'Row', existingAccount: 'No', pin: '4711' };
  const now = new Date().toISOString();
  const accessFile = join(dir, 'registrations.xlsx');
  await createSpreadsheet(accessFile, {
    'Form Responses 1': [
      header,
      row({
        ...common,
        approved: 'approved',
        timestamp: now,
        email: emails.approved,
        newProjectName: `Proj-${uniqueName('row')}`,
      }),
      // A three-digit PIN: the admins hear of the row, nothing starts.
      row({
        ...common,
        approved: 'approved',
        timestamp: now,
        email: emails.invalid,
        pin: '471',
        newProjectName: `Proj-${uniqueName('row')}`,
      }),
      row({
        ...common,
        timestamp: new Date(Date.now() - 86_400_000).toISOString(),
        email: emails.waiting,
        newProjectName: `Proj-${uniqueName('row')}`,
      }),
    ],
    'Current Users': [header],
  });
  const quotaHeader = QUOTA_FIELDS.map((f) => DEFAULT_QUOTA_COLUMNS[f]);
  const quotaFile = join(dir, 'quotas.xlsx');
  await createSpreadsheet(quotaFile, {
    'Form Responses 1': [quotaHeader],
    'Processed Requests': [quotaHeader],
  });
  let pollDone: (outcome: unknown) => void = () => undefined;
  const polled = new Promise<unknown>((resolve) => (pollDone = resolve));
  return {
    accessFile,
    quotaFile,
    helpdesk: `${uniqueName('replay-helpdesk')}@example.org`,
    approvers: `${uniqueName('replay-approvers')}@example.org`,
    emails,
    polled,
    pollDone,
  };
}

/** The columns a form writes; Status, Notified and Reminder Sent are the system's. */
const ACCESS_FIELDS = (
  Object.keys(DEFAULT_ACCESS_COLUMNS) as (keyof typeof DEFAULT_ACCESS_COLUMNS)[]
).filter((f) => f !== 'status');
const QUOTA_FIELDS = (
  Object.keys(DEFAULT_QUOTA_COLUMNS) as (keyof typeof DEFAULT_QUOTA_COLUMNS)[]
).filter((f) => !['status', 'notified', 'reminderSent'].includes(f));

// ------------------------------------------------------------------ processes

/** The variables .state/services.env exports, as the shell reads them. */
function servicesEnv(): Record<string, string> {
  if (!existsSync(SERVICES_ENV))
    throw new Error(`${SERVICES_ENV} is missing: start the services (scripts/services.sh start)`);
  const out = execFileSync('bash', ['-c', 'set -a; . "$1" >/dev/null; env -0', '_', SERVICES_ENV], {
    encoding: 'utf8',
  });
  const exported = new Set(
    readFileSync(SERVICES_ENV, 'utf8')
      .split('\n')
      .flatMap((l) => /^export ([A-Z0-9_]+)=/.exec(l)?.[1] ?? []),
  );
  const env: Record<string, string> = {};
  for (const entry of out.split('\0')) {
    const at = entry.indexOf('=');
    const name = entry.slice(0, at);
    if (at > 0 && exported.has(name)) env[name] = entry.slice(at + 1);
  }
  return env;
}

interface Running {
  name: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** `node --import tsx <script>` in `cwd` with `env`; resolves once it prints `ready`. */
async function startProcess(
  name: string,
  cwd: string,
  script: string,
  env: Record<string, string>,
  ready: RegExp,
): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const running: Running = {
    name,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await eventually(
      `${name} to be ready`,
      async () => {
        if (child.exitCode !== null)
          throw new Error(`${name} exited ${child.exitCode}: ${output.slice(-3000)}`);
        return ready.test(output) ? true : undefined;
      },
      120_000,
    );
  } catch (err) {
    await running.stop();
    throw err;
  }
  return running;
}

const git = (...args: string[]) =>
  execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' }).trim();

/** The code to record: a worktree of `ref`, or the working tree; and how to describe it. */
function checkout(ref: string | undefined, temp: string): { dir: string; source: string } {
  if (ref === undefined) {
    const changed = git('status', '--porcelain', '--', 'workflows', 'shared', 'activities');
    return {
      dir: ROOT,
      source: `working tree at ${git('rev-parse', 'HEAD')}${changed ? ', with uncommitted changes to workflows/, shared/ or activities/' : ''}`,
    };
  }
  const commit = git('rev-parse', '--verify', `${ref}^{commit}`);
  const dir = join(temp, 'src');
  progress(`git worktree of ${ref} (${commit.slice(0, 12)}) in ${dir}`);
  git('worktree', 'add', '--detach', dir, commit);
  return { dir, source: `commit ${commit} (${ref})` };
}

/** What the code to record can do, read from its source (it may be an older version). */
function codeFacts(src: string): Record<NonNullable<Exit['needs']>, boolean> {
  const read = (...path: string[]) => readFileSync(join(src, ...path), 'utf8');
  return {
    updates: /defineUpdate/.test(read('shared', 'onboarding.ts')),
    'legacy-input':
      /intervalMs/.test(read('shared', 'onboarding.ts')) &&
      !readdirSync(join(src, 'workflows')).some((file) =>
        read('workflows', file).includes(`'${SCHEDULES_ONLY_PATCH}'`),
      ),
  };
}

// ------------------------------------------------------------------ fixtures

/** The secrets of .state, raw and in base64, that must never appear in a fixture. */
function realSecrets(env: Record<string, string>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => /SECRETS__|PWD|PASSWORD|_KEY$/.test(name) && value.length >= 8)
    .flatMap(([, value]) => [value, Buffer.from(value).toString('base64')]);
}

/** Every encrypted payload in the history names the fixture key; no real secret shows. */
function checkFixture(name: string, json: unknown, text: string, secrets: string[]): void {
  const fixtureKeyId = keyId(FIXTURE_CODEC_KEY);
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    const metadata = (node as { metadata?: Record<string, string> }).metadata;
    const decoded = (k: string) =>
      typeof metadata?.[k] === 'string' ? Buffer.from(metadata[k], 'base64').toString() : '';
    if (decoded('encoding') === ENCRYPTED_ENCODING && decoded('encryption-key-id') !== fixtureKeyId)
      throw new Error(`${name}: a payload is encrypted with another key than the fixtures' one`);
    Object.values(node).forEach(walk);
  };
  walk(json);
  if (secrets.some((s) => text.includes(s)))
    throw new Error(`${name}: the history contains a secret from .state; not written`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { label: { type: 'string' }, ref: { type: 'string' } },
  });
  const label = values.label;
  if (!label || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(label))
    throw new Error(
      'usage: node --import tsx scripts/record-histories.ts --label LABEL [--ref GITREF] (LABEL: letters, digits, . _ -)',
    );
  const dir = join(FIXTURES, label);
  const undriven = EXITS.filter((name) => !DRIVERS.some((d) => d.name === name));
  if (undriven.length > 0) throw new Error(`no driver for ${undriven.join(', ')}`);
  const existing = DRIVERS.map((e) => join(dir, `${e.name}.json`)).filter((f) => existsSync(f));
  if (existing.length > 0)
    throw new Error(
      `refusing to overwrite ${existing.map((f) => relative(ROOT, f)).join(', ')}: recorded histories are never regenerated (test/replay/README.md). Record a new version under a new --label.`,
    );

  const services = servicesEnv();
  Object.assign(process.env, services); // what test/support reads (Mailpit, Keystone admin)
  const secrets = realSecrets(services);
  const temp = mkdtempSync(join(tmpdir(), 'kaizen-record-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(temp, { recursive: true })];
  const cleanUp = async () => {
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step();
      } catch (err) {
        console.error(`clean-up: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
  const interrupted = () => {
    progress('interrupted: cleaning up');
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  try {
    const { dir: src, source } = checkout(values.ref, temp);
    if (src !== ROOT) {
      cleanups.push(() => {
        git('worktree', 'remove', '--force', src);
      });
      symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'));
    }
    const has = codeFacts(src);
    const exits = DRIVERS.filter((e) => !e.needs || has[e.needs]);
    for (const e of DRIVERS.filter((x) => !exits.includes(x)))
      progress(`${e.name}: skipped, this code does not have ${e.needs}`);

    const sheets = await writeRequestSheets(temp);
    const apiPort = await freePort();
    const taskQueue = uniqueName(`replay-${label}`);
    // The codec endpoint's settings are not for the worker or the API, and code older than
    // [codec] refuses a variable that names no setting of its own.
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('KAIZEN_CODEC__')),
    ) as Record<string, string>;
    const env: Record<string, string> = {
      ...inherited,
      KAIZEN_SETTINGS: 'example_settings.ini',
      KAIZEN_SECRETS__CODEC_KEY: FIXTURE_CODEC_KEY_BASE64,
      KAIZEN_SECRETS__PREVIOUS_CODEC_KEYS: '',
      KAIZEN_TEMPORAL__TASK_QUEUE: taskQueue,
      KAIZEN_TEMPORAL__WORKFLOW_BUNDLE: '',
      KAIZEN_SETPASS__PORT: String(apiPort),
      KAIZEN_SETPASS__SETPASS_URL: `http://127.0.0.1:${apiPort}/`,
      KAIZEN_SETPASS__DATABASE: join(temp, 'setpass.sqlite'),
      KAIZEN_SETPASS__RATE_LIMIT: '100000',
      KAIZEN_EMAIL_DEFAULTS__ADMIN_EMAIL: `${uniqueName('replay-admins')}@example.org`,
      KAIZEN_INTAKE__SOURCE: 'local',
      KAIZEN_INTAKE__LOCAL_FILE: sheets.accessFile,
      KAIZEN_QUOTA_SHEET__LOCAL_FILE: sheets.quotaFile,
      KAIZEN_HELPDESK__EMAIL: sheets.helpdesk,
      KAIZEN_APPROVERS__EMAIL: sheets.approvers,
      // The waiting row is in the approvers' digest at once.
      KAIZEN_APPROVERS__START: '1s',
    };
    progress(`recording ${label} from the ${source}; task queue ${taskQueue}`);
    const config = loadConfig({ ...env, KAIZEN_SETTINGS: join(ROOT, 'example_settings.ini') });
    const client = await connectClient(config);
    cleanups.push(() => client.connection.close());

    const processes: Running[] = [];
    cleanups.push(async () => {
      await Promise.all(processes.map((p) => p.stop()));
    });
    // Onboardings a failed run left waiting would otherwise sit on a queue nobody serves.
    cleanups.push(async () => {
      for await (const w of client.workflow.list({
        query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`,
      })) {
        await client.workflow
          .getHandle(w.workflowId)
          .terminate('replay recording over')
          .catch(() => undefined);
      }
    });
    progress('starting its setpass API and worker (the worker bundles its workflows)');
    processes.push(
      await startProcess('setpass API', src, 'api/server.ts', env, /setpass API listening/),
    );
    processes.push(
      await startProcess('worker', src, 'worker.ts', env, /worker polling task queue/),
    );
    progress('worker polling; driving the exits');

    const results = await Promise.allSettled(
      exits.map((exit) =>
        exit.drive({
          client,
          config,
          taskQueue,
          sheets,
          say: (message) => progress(`${exit.name}: ${message}`),
        }),
      ),
    );
    const failed = results.flatMap((r, i) =>
      r.status === 'rejected' ? [`${exits[i]!.name}: ${String(r.reason)}`] : [],
    );
    if (failed.length > 0) {
      for (const p of processes) console.error(`--- ${p.name} output ---\n${p.output()}`);
      throw new Error(`not recorded (no fixture written):\n  ${failed.join('\n  ')}`);
    }

    // All or nothing: a label's set always comes from one complete run of one version.
    const fixtures = exits.map((exit, i) => {
      const history = (results[i] as PromiseFulfilledResult<History>).value;
      const text = historyToFixtureJSON(history);
      checkFixture(exit.name, JSON.parse(text), text, secrets);
      return { exit, text, events: history.events?.length ?? 0 };
    });
    mkdirSync(dir, { recursive: true });
    for (const { exit, text, events } of fixtures) {
      const file = join(dir, `${exit.name}.json`);
      writeFileSync(file, text, { flag: 'wx' }); // never over an existing fixture
      progress(`wrote ${relative(ROOT, file)} (${events} events)`);
    }
    const notes = join(dir, 'RECORDED.md');
    if (!existsSync(notes)) {
      const markdown = [
        `# ${label}`,
        '',
        `Recorded ${new Date().toISOString().slice(0, 10)} by scripts/record-histories.ts from the ${source}.`,
        '',
        '| fixture | events |',
        '| --- | --- |',
        ...fixtures.map((f) => `| ${f.exit.name}.json | ${f.events} |`),
      ].join('\n');
      // Formatted as `npm run lint` checks it (the fixtures themselves are in .prettierignore).
      const options = (await prettier.resolveConfig(notes)) ?? {};
      writeFileSync(notes, await prettier.format(markdown, { ...options, filepath: notes }), {
        flag: 'wx',
      });
    }
    progress(`done: ${fixtures.length} histories in ${relative(ROOT, dir)}`);
  } finally {
    await cleanUp();
  }
}

main().catch((err: unknown) => {
  console.error(`record-histories: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
