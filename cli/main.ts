// Admin command line. Run: npm run cli -- <command>
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../config/load';
import type { Config } from '../config/schema';
import { formatDuration } from '../config/duration';
import {
  checkScheduleId,
  ensureCheckSchedule,
  ensurePollerSchedule,
  pollerScheduleId,
} from '../lib/poller-schedule';
import { startOnboarding } from '../wiring/start-onboarding';
import { connectClient } from '../lib/temporal';
import { registrationFromCsv, validateRegistration } from '../registration/parse';
import type { pollRegistrations } from '../workflows';
import { QuotaEndpoints } from '../activities/openstack/quotas';
import { loadTemplates, render, SAMPLE_CONTEXT } from '../activities/mail/render';
import { TEMPLATE_NAMES } from '../shared/mail-templates';
import { keystoneFromConfig } from '../wiring/keystone-from-config';
import { statusQuery, type OnboardingStep } from '../shared/onboarding';
import {
  adminAction,
  decideReset,
  formatRows,
  listOnboardings,
  statusView,
  type AdminAction,
  type ListFilter,
} from './admin';

const USAGE = `usage: npm run cli -- <command>

  start --json FILE     start the onboarding of the registration in FILE (a JSON object with
                        email, firstName, lastName, project, projectDescription, pin)
  start --csv FILE      the same from a CSV file: a header row (Email, First name, Last name,
                        New project name, Project description, PIN) and one registration row
                        (FILE "-" reads standard input); add --no-wait to return at once
  status WORKFLOW_ID    show a workflow (onboard:…, quota:…, reset:…) as the Web UI does with the
                        codec endpoint: summary, details in words, the decoded input with every
                        secret redacted, and its status
  list [--step STEP] [--project PROJECT]
                        one row per onboarding: e-mail, project, step, started, reminders sent
                        and when the link expires (from search attributes; newest first)
  schedule-poller       create (or update) the schedules: the poll of the access and quota
                        sheets (every [intake] poll_interval) and the helpdesk-ticket and
                        approver-digest check (every [approvers] check_every)
  poll-now              poll both sheets once now and print what it did
  resend WORKFLOW_ID    mail a new set-password link now (the old link stops working)
  extend WORKFLOW_ID DURATION
                        give the person DURATION more (e.g. 7d) before the onboarding is abandoned
  retry-mail WORKFLOW_ID
                        send again a mail the server refused (the onboarding waits in
                        step mail-refused until you retry or cancel)
  cancel WORKFLOW_ID REASON
                        stop waiting for the password; the row says who cancelled and why
  templates [DIR]       render every mail template with sample data (to DIR as files, or
                        print them) for review; [mail] templates_dir overrides are used
  quotas PROJECT        show a project's quotas on Nova, Cinder and Neutron
  approve-reset WORKFLOW_ID [--reject]
                        decide a password reset waiting for approval ([reset] approval = approve)

resend, extend, retry-mail, cancel and approve-reset answer at once with the new status, or
with the reason they were refused (exit code 1).

Settings come from settings.ini (or the file KAIZEN_SETTINGS names).`;

const RESTING: OnboardingStep[] = [
  'waiting-for-password',
  'mail-refused',
  'completed',
  'abandoned',
  'cancelled',
  'failed',
];

async function start(args: string[], config: Config, client: Client): Promise<number> {
  const format = args[0];
  const file = args[1];
  if ((format !== '--json' && format !== '--csv') || !file) {
    console.error(USAGE);
    return 2;
  }
  const text = readFileSync(file === '-' ? 0 : file, 'utf8');
  const registration =
    format === '--json'
      ? validateRegistration(JSON.parse(text) as Record<string, unknown>)
      : registrationFromCsv(text);
  const { handle, alreadyRunning } = await startOnboarding(client, config, registration);
  console.log(`${alreadyRunning ? 'already running' : 'started'}: ${handle.workflowId}`);
  if (args.includes('--no-wait')) return 0;

  // Follow the steps until the onboarding rests (waiting for the person, or finished).
  let last = '';
  for (;;) {
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status && status.step !== last) {
      last = status.step;
      console.log(`  ${new Date().toISOString()}  ${status.step}`);
      if (RESTING.includes(status.step))
        return status.step === 'failed' || status.step === 'mail-refused' ? 1 : 0;
    }
    const { status: execution } = await handle.describe();
    if (execution.name !== 'RUNNING' && !status) {
      console.log(`  workflow ${execution.name.toLowerCase()}`);
      return execution.name === 'COMPLETED' ? 0 : 1;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function status(args: string[], client: Client): Promise<number> {
  const workflowId = args[0];
  if (!workflowId) {
    console.error(USAGE);
    return 2;
  }
  console.log(JSON.stringify(await statusView(client, workflowId), null, 2));
  return 0;
}

async function list(args: string[], client: Client): Promise<number> {
  const filter: ListFilter = {};
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]];
    if ((flag !== '--step' && flag !== '--project') || !value) {
      console.error(USAGE);
      return 2;
    }
    filter[flag === '--step' ? 'step' : 'project'] = value;
  }
  const rows = await listOnboardings(client, filter);
  if (rows.length > 0) console.log(formatRows(rows));
  console.log(`${rows.length} onboarding${rows.length === 1 ? '' : 's'}`);
  return 0;
}

const ADMIN = process.env.USER ?? 'cli';

async function admin(action: AdminAction, args: string[], client: Client): Promise<number> {
  const code = await adminAction(action, args, client, ADMIN);
  if (code === 2) console.error(USAGE);
  return code;
}

function templates(args: string[], config: Config): number {
  const dir = args[0];
  const all = loadTemplates(config.mail.templates_dir);
  if (dir) mkdirSync(dir, { recursive: true });
  for (const name of TEMPLATE_NAMES) {
    const { subject, text, html } = render(all[name], SAMPLE_CONTEXT);
    if (dir) {
      writeFileSync(join(dir, `${name}.txt`), `Subject: ${subject}\n\n${text}`);
      if (html !== undefined) writeFileSync(join(dir, `${name}.html`), html);
    } else {
      console.log(
        `===== ${name}${html !== undefined ? ' (text + HTML)' : ''}\nSubject: ${subject}\n\n${text}`,
      );
    }
  }
  if (dir) console.log(`${TEMPLATE_NAMES.length} templates rendered into ${dir}`);
  return 0;
}

async function quotas(args: string[], config: Config): Promise<number> {
  const name = args[0];
  if (!name) {
    console.error(USAGE);
    return 2;
  }
  const keystone = keystoneFromConfig(config);
  const project = await keystone.findProjectByName(name);
  if (!project) {
    console.error(`project "${name}" does not exist`);
    return 1;
  }
  const endpoints = new QuotaEndpoints(
    keystone,
    config.openstack.interface,
    config.openstack.region,
  );
  console.log(`quotas of ${project.name} (${project.id}); -1 = unlimited`);
  for (const type of ['compute', 'volumev3', 'network'] as const) {
    const service = (await endpoints.api(type, project.id)).service;
    const limits = await endpoints.limits(type, project.id);
    console.log(`  ${service}`);
    for (const [key, value] of Object.entries(limits).sort(([a], [b]) => a.localeCompare(b)))
      console.log(`    ${key.padEnd(28)} ${value}`);
  }
  return 0;
}

async function approveReset(args: string[], client: Client): Promise<number> {
  const workflowId = args[0];
  if (!workflowId) {
    console.error(USAGE);
    return 2;
  }
  return decideReset(workflowId, !args.includes('--reject'), client, ADMIN);
}

async function schedulePoller(config: Config, client: Client): Promise<number> {
  const queue = config.temporal.task_queue;
  const polled = await ensurePollerSchedule(client, config);
  console.log(
    `poller schedule ${pollerScheduleId(queue)} ${polled}: every ${formatDuration(config.intake.poll_interval)}`,
  );
  const checked = await ensureCheckSchedule(client, config);
  console.log(
    `ticket and approver check ${checkScheduleId(queue)} ${checked}: every ${formatDuration(config.approvers.check_every)}`,
  );
  return 0;
}

async function pollNow(config: Config, client: Client): Promise<number> {
  const report = await client.workflow.execute<typeof pollRegistrations>('pollRegistrations', {
    workflowId: `poll-now:${new Date().toISOString()}`,
    taskQueue: config.temporal.task_queue,
    staticSummary: 'Poll the access and quota sheets now (cli poll-now)',
  });
  console.log(JSON.stringify(report, null, 2));
  return 0;
}

type Temporal = () => Promise<Client>;
const COMMANDS = {
  'schedule-poller': async (_args: string[], config: Config, temporal: Temporal) =>
    schedulePoller(config, await temporal()),
  'poll-now': async (_args: string[], config: Config, temporal: Temporal) =>
    pollNow(config, await temporal()),
  start: async (args: string[], config: Config, temporal: Temporal) =>
    start(args, config, await temporal()),
  status: async (args: string[], _config: Config, temporal: Temporal) =>
    status(args, await temporal()),
  list: async (args: string[], _config: Config, temporal: Temporal) => list(args, await temporal()),
  'approve-reset': async (args: string[], _config: Config, temporal: Temporal) =>
    approveReset(args, await temporal()),
  resend: async (args: string[], _config: Config, temporal: Temporal) =>
    admin('resend', args, await temporal()),
  'retry-mail': async (args: string[], _config: Config, temporal: Temporal) =>
    admin('retry-mail', args, await temporal()),
  extend: async (args: string[], _config: Config, temporal: Temporal) =>
    admin('extend', args, await temporal()),
  cancel: async (args: string[], _config: Config, temporal: Temporal) =>
    admin('cancel', args, await temporal()),
  // Needs no service at all.
  templates: (args: string[], config: Config) => Promise.resolve(templates(args, config)),
  // Needs OpenStack only: works while Temporal is down.
  quotas: (args: string[], config: Config) => quotas(args, config),
} as const;

async function run(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || !(command in COMMANDS)) {
    console.error(USAGE);
    return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
  const config = loadConfig();
  let client: Promise<Client> | undefined;
  try {
    return await COMMANDS[command as keyof typeof COMMANDS](
      args,
      config,
      () => (client ??= connectClient(config)),
    );
  } finally {
    await (await client?.catch(() => undefined))?.connection.close();
  }
}

/** Exits once stdout is flushed: into a pipe, a long `list` would otherwise be cut short. */
const exit = (code: number) => process.stdout.write('', () => process.exit(code));

run(process.argv.slice(2)).then(
  (code) => exit(code),
  (err: unknown) => {
    // A Temporal error's reason is in its cause ("Failed to list workflows" alone helps no one).
    const cause =
      err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    console.error(err instanceof Error ? `${err.message}${cause}` : String(err));
    exit(1);
  },
);
