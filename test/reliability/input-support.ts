// What the input scenarios share: building .xlsx request sheets the way Excel stores them,
// running the real poll on a real worker, and auditing what came out of it (sheet marks,
// workflows, Keystone, every mail of the run) without trusting the product's own view.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import { claimTag } from '../../activities/openstack/openstack-activities';
import type { KeystoneClient } from '../../clients/keystone';
import { MAIL_VARIABLES, TEMPLATE_NAMES } from '../../shared/mail-templates';
import { DEFAULT_ACCESS_COLUMNS } from '../../shared/sheet-columns';
import { createSpreadsheet } from '../../clients/sheets/create-spreadsheet';
import { LocalSpreadsheetSource } from '../../clients/sheets/local-spreadsheet-source';
import { DEFAULT_QUOTA_COLUMNS } from '../../shared/sheet-columns';
import { requestKey } from '../../intake/sheet-layout';
import { keystoneFromConfig } from '../../wiring/keystone-from-config';
import {
  cancelOnboardingSignal,
  onboardingWorkflowId,
  statusQuery,
  type OnboardingStatus,
} from '../../shared/onboarding';
import { quotaStatusQuery, quotaWorkflowId, type QuotaStatus } from '../../shared/quota-change';
import type { PollRegistrationsResult } from '../../workflows/poll-registrations';
import type { CheckRequestsResult } from '../../workflows/check-requests';
import { mailpitApi, uniqueName } from '../support/services';
import { startSystem, type TestSystem } from '../support/system';

export const ACCESS_TAB = 'Form Responses 1';
export const CURRENT_TAB = 'Current Users';
export const QUOTA_TAB = 'Form Responses 1';
export const PROCESSED_TAB = 'Processed Requests';

export type AccessField = keyof typeof DEFAULT_ACCESS_COLUMNS;
export type QuotaField = keyof typeof DEFAULT_QUOTA_COLUMNS;
/** The columns a form writes (Status is the system's: added by the first mark). */
export const ACCESS_FIELDS = (Object.keys(DEFAULT_ACCESS_COLUMNS) as AccessField[]).filter(
  (f) => f !== 'status',
);
export const QUOTA_FIELDS = (Object.keys(DEFAULT_QUOTA_COLUMNS) as QuotaField[]).filter(
  (f) => f !== 'status',
);

/** Writes a new .xlsx (replacing the previous run's) with the tabs given as plain strings. */
export async function writeSheet(file: string, tabs: Record<string, string[][]>): Promise<void> {
  await fs.rm(file, { force: true });
  await fs.rm(`${file}.lock`, { force: true });
  await createSpreadsheet(file, tabs);
}

/** The key the product derives for a row (email + timestamp, as the parser trims them). */
export function rowKey(email: string, timestamp: string): string {
  return requestKey(email.trim().toLowerCase(), timestamp.trim());
}
export const onboardingId = (key: string) =>
  onboardingWorkflowId({ email: '', project: '', sheetKey: key });
export const quotaId = (key: string) =>
  quotaWorkflowId({ email: '', fullName: '', project: '', changes: {}, sheetKey: key });

/** Every template but quota-change (whose own HTML part is tested as shipped) gets an HTML
 *  part holding every variable twice: as text and inside an attribute, where a quote matters. */
export async function htmlTemplatesDir(): Promise<string> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'kaizen-html-templates-'));
  const body = MAIL_VARIABLES.map((v) => `<p title="{{${v}}}">${v}: {{${v}}}</p>`).join('\n');
  for (const name of TEMPLATE_NAMES.filter((n) => n !== 'quota-change')) {
    await fs.writeFile(
      join(dir, `${name}.html`),
      `<!doctype html>\n<html><body>\n${body}\n</body></html>\n`,
    );
  }
  return dir;
}

export interface InputSystem {
  system: TestSystem;
  keystone: KeystoneClient;
  accessFile: string;
  quotaFile: string;
  admins: string;
  helpdesk: string;
  approvers: string;
  close(): Promise<void>;
}

/** The real system on a private task queue, reading two local .xlsx files (rewritten per run). */
export async function startInputSystem(prefix: string): Promise<InputSystem> {
  const dir = await fs.mkdtemp(join(tmpdir(), `kaizen-${prefix}-`));
  const accessFile = join(dir, 'registrations.xlsx');
  const quotaFile = join(dir, 'quotas.xlsx');
  const [admins, helpdesk, approvers] = ['admins', 'helpdesk', 'approvers'].map(
    (who) => `${uniqueName(`${prefix}-${who}`)}@example.org`,
  ) as [string, string, string];
  const system = await startSystem({
    KAIZEN_INTAKE__SOURCE: 'local',
    KAIZEN_INTAKE__LOCAL_FILE: accessFile,
    KAIZEN_QUOTA_SHEET__LOCAL_FILE: quotaFile,
    KAIZEN_EMAIL_DEFAULTS__ADMIN_EMAIL: admins,
    KAIZEN_HELPDESK__EMAIL: helpdesk,
    KAIZEN_APPROVERS__EMAIL: approvers,
    // Every unapproved row with a form timestamp is in the digest at once.
    KAIZEN_APPROVERS__START: '1s',
    KAIZEN_MAIL__TEMPLATES_DIR: await htmlTemplatesDir(),
  });
  return {
    system,
    keystone: keystoneFromConfig(system.config),
    accessFile,
    quotaFile,
    admins,
    helpdesk,
    approvers,
    // A close left waiting on nothing would let Node exit mid-await, before the report is
    // printed: the timer keeps the process alive and bounds the wait.
    close: async () => {
      let timer: NodeJS.Timeout | undefined;
      const closed = await Promise.race([
        system.close().then(() => true),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 30_000))),
      ]);
      clearTimeout(timer);
      if (!closed) console.warn('the test system did not close within 30 s; going on');
    },
  };
}

/** A failure's message with the messages of its causes (the activity's reason is inside). */
export function failureText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 6; e = e.cause) {
    parts.push(e.message);
  }
  return parts.join(' <- ') || String(err);
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

/** One run of the real pollRegistrations workflow; its failure is returned, not thrown. */
export async function poll(
  client: Client,
  taskQueue: string,
): Promise<Outcome<PollRegistrationsResult>> {
  try {
    const value = await client.workflow.execute<() => Promise<PollRegistrationsResult>>(
      'pollRegistrations',
      { workflowId: `reliability-poll-${randomUUID()}`, taskQueue },
    );
    return { ok: true, value };
  } catch (err) {
    if (err instanceof WorkflowFailedError) return { ok: false, error: failureText(err) };
    throw err;
  }
}

/** One run of checkRequests: helpdesk tickets and the approvers' digest. */
export async function checkRequests(
  client: Client,
  taskQueue: string,
): Promise<Outcome<CheckRequestsResult>> {
  try {
    const value = await client.workflow.execute<
      (input: { startText: string }) => Promise<CheckRequestsResult>
    >('checkRequests', {
      workflowId: `reliability-check-${randomUUID()}`,
      taskQueue,
      args: [{ startText: '1 second' }],
    });
    return { ok: true, value };
  } catch (err) {
    if (err instanceof WorkflowFailedError) return { ok: false, error: failureText(err) };
    throw err;
  }
}

export type WorkflowState<S> =
  | { exists: false; error?: string }
  | { exists: true; running: boolean; closed: string; status?: S };

/** Whether the workflow exists, and its step (queried, so it works for closed ones too). */
async function workflowState<S extends { step: string }>(
  client: Client,
  workflowId: string,
  query: QueryDefinition<S>,
): Promise<WorkflowState<S>> {
  const handle = client.workflow.getHandle(workflowId);
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { exists: false };
    // An id Temporal refuses (too long, …) cannot have a workflow either.
    return { exists: false, error: failureText(err) };
  }
  const running = description.status.name === 'RUNNING';
  try {
    const status = await handle.query(query);
    return { exists: true, running, closed: description.status.name, status };
  } catch {
    return { exists: true, running, closed: description.status.name };
  }
}

export const onboardingState = (client: Client, key: string) =>
  workflowState<OnboardingStatus>(client, onboardingId(key), statusQuery);
export const quotaState = (client: Client, key: string) =>
  workflowState<QuotaStatus>(client, quotaId(key), quotaStatusQuery);

/** The workflows of one type on a private task queue (visibility lags a moment behind). */
export async function workflowsOnQueue(
  client: Client,
  taskQueue: string,
  type: string,
  filter: { running?: boolean; since?: Date } = {},
): Promise<{ id: string; status: string }[]> {
  const query =
    `TaskQueue = '${taskQueue}' AND WorkflowType = '${type}'` +
    (filter.running ? ` AND ExecutionStatus = 'Running'` : '') +
    (filter.since ? ` AND StartTime >= '${filter.since.toISOString()}'` : '');
  const found: { id: string; status: string }[] = [];
  for await (const w of client.workflow.list({ query })) {
    found.push({ id: w.workflowId, status: w.status.name });
  }
  return found;
}

/**
 * Ends what a run started: onboardings wait for a password for days otherwise. By id, and all
 * still running on the run's private task queue (a row started twice has a second id).
 */
export async function terminateAll(
  client: Client,
  taskQueue: string,
  workflowIds: string[],
): Promise<void> {
  await sleep(1000);
  const running = await Promise.all(
    ['onboardUser', 'updateQuota'].map((t) =>
      workflowsOnQueue(client, taskQueue, t, { running: true }),
    ),
  );
  const ids = new Set([...workflowIds, ...running.flat().map((w) => w.id)]);
  for (const id of ids) {
    await client.workflow
      .getHandle(id)
      .terminate('reliability run over')
      .catch(() => undefined);
  }
}

export const CANCELLED_BY = 'reliability-run';

/**
 * Cancels a waiting onboarding the way an admin does, and waits for it to end: its last act
 * is to mark its row "cancelled by …", found by key, which shows it can still find its row.
 */
export async function cancelOnboarding(client: Client, key: string): Promise<string> {
  const handle = client.workflow.getHandle(onboardingId(key));
  try {
    await handle.signal(cancelOnboardingSignal, { by: CANCELLED_BY, reason: 'run over' });
    const result = await Promise.race([
      handle.result() as Promise<{ outcome: string }>,
      sleep(60_000).then(() => ({ outcome: 'still running 60 s after the cancel' })),
    ]);
    return result.outcome;
  } catch (err) {
    return failureText(err);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A name Keystone can be asked about: its PostgreSQL backend drops the connection on NUL. */
export function keystoneSafe(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return text.length <= 255 && !/[\u0000-\u001f\ud800-\udfff\ufffe\uffff]/.test(text);
}

/** Projects carrying the claim tag of this onboarding: what it created, under any name. */
export async function claimedProjects(keystone: KeystoneClient, key: string): Promise<string[]> {
  const query = new URLSearchParams({ tags: claimTag(onboardingId(key)) });
  const { projects } = (await keystone.request('GET', `/projects?${query}`)).json<{
    projects: { name: string }[];
  }>();
  return projects.map((p) => p.name);
}

// ---------------------------------------------------------------------------------------------
// Mail audit: every message of a run, its recipients, headers and HTML part.

interface Address {
  Address: string;
}
interface Summary {
  ID: string;
  Created: string;
}
interface Detail {
  ID: string;
  MessageID: string;
  Subject: string;
  To: Address[] | null;
  Cc: Address[] | null;
  Bcc: Address[] | null;
  HTML: string;
}

async function mailpit<T>(path: string): Promise<T> {
  const response = await fetch(`${mailpitApi()}/api/v1/${path}`);
  if (!response.ok) throw new Error(`Mailpit ${path} answered ${response.status}`);
  return (await response.json()) as T;
}

async function search(query: string): Promise<Summary[]> {
  const params = new URLSearchParams({ query, limit: '1000' });
  return (await mailpit<{ messages: Summary[] }>(`search?${params}`)).messages;
}

export interface MailAudit {
  messages: number;
  injectedRecipients: number;
  injectedHeaders: number;
  unescapedHtml: number;
  htmlParts: number;
  problems: string[];
}

/** Headers a message of the product may carry (Mailpit adds Return-Path and Received). */
const HEADERS = new Set([
  'return-path',
  'received',
  'from',
  'to',
  'cc',
  'subject',
  'message-id',
  'content-transfer-encoding',
  'content-type',
  'date',
  'mime-version',
]);
const RAW_TAG = /<\s*(script|img|svg|iframe|object|embed)\b/i;

/**
 * Audits the mails of a run: those to the run's fixed addresses since `since`, and any message
 * mentioning `tag` or the victim address anywhere. Each may go only to `allowed` addresses, may
 * carry only the expected headers (no Bcc, no second To), and its HTML part no raw markup.
 */
export async function auditMails(opts: {
  since: Date;
  fixed: string[];
  tag: string;
  victim: string;
  allowed: Set<string>;
}): Promise<MailAudit> {
  const found = new Map<string, Summary>();
  const queries = [
    ...opts.fixed.map((a) => `to:"${a}"`),
    opts.tag,
    `to:"${opts.victim}"`,
    `cc:"${opts.victim}"`,
    `bcc:"${opts.victim}"`,
    `"${opts.victim}"`,
  ];
  for (const q of queries) {
    for (const m of await search(q)) {
      if (new Date(m.Created).getTime() >= opts.since.getTime() - 1000) found.set(m.ID, m);
    }
  }
  const audit: MailAudit = {
    messages: found.size,
    injectedRecipients: 0,
    injectedHeaders: 0,
    unescapedHtml: 0,
    htmlParts: 0,
    problems: [],
  };
  for (const { ID } of found.values()) {
    const detail = await mailpit<Detail>(`message/${ID}`);
    const what = `mail "${detail.Subject.slice(0, 60)}" (${detail.MessageID.slice(0, 60)})`;
    const recipients = [...(detail.To ?? []), ...(detail.Cc ?? []), ...(detail.Bcc ?? [])].map(
      (a) => a.Address.toLowerCase(),
    );
    for (const r of recipients) {
      if (!opts.allowed.has(r)) {
        audit.injectedRecipients += 1;
        audit.problems.push(`${what} went to ${JSON.stringify(r.slice(0, 80))}`);
      }
    }
    const raw = await fetch(`${mailpitApi()}/api/v1/message/${ID}/raw`).then((r) => r.text());
    const headerLines = raw
      .split(/\r?\n\r?\n/, 1)[0]!
      .replace(/\r?\n[ \t]+/g, ' ')
      .split(/\r?\n/);
    const names = headerLines.map((l) => (/^([^:\s]+):/.exec(l)?.[1] ?? l).toLowerCase());
    const bad = names.filter((n) => !HEADERS.has(n));
    const repeated = ['to', 'cc', 'subject', 'from'].filter(
      (n) => names.filter((x) => x === n).length > 1,
    );
    if (bad.length > 0 || repeated.length > 0) {
      audit.injectedHeaders += 1;
      audit.problems.push(
        `${what} has header(s) ${[...bad, ...repeated].map((n) => JSON.stringify(n.slice(0, 40))).join(', ')}`,
      );
    }
    if (detail.HTML) {
      audit.htmlParts += 1;
      const match = RAW_TAG.exec(detail.HTML);
      if (match) {
        audit.unescapedHtml += 1;
        const at = detail.HTML.slice(Math.max(0, match.index - 40), match.index + 40);
        audit.problems.push(`${what}: raw markup in its HTML part: …${JSON.stringify(at)}…`);
      }
    }
  }
  return audit;
}

/** The rows of a tab now (a file the product corrupted is an error, returned as text). */
export async function readTab(file: string, tab: string): Promise<Outcome<string[][]>> {
  try {
    return { ok: true, value: await new LocalSpreadsheetSource(file).readRows(tab) };
  } catch (err) {
    return { ok: false, error: failureText(err) };
  }
}

/** A short printable form of a hostile value for failure lines. */
export function show(text: string, max = 60): string {
  const json = JSON.stringify(text);
  return json.length > max ? `${json.slice(0, max)}…(${text.length} chars)` : json;
}
