// Admin command line. Run: npm run cli -- <command>
import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../config/load';
import type { Config } from '../config/schema';
import { formatDuration } from '../config/duration';
import { ensurePollerSchedule, pollerScheduleId } from '../lib/poller-schedule';
import { startOnboarding } from '../lib/start-onboarding';
import { connectClient } from '../lib/temporal';
import { registrationFromCsv, validateRegistration } from '../registration/parse';
import type { pollRegistrations } from '../workflows';
import { approveResetSignal, statusQuery, type OnboardingStep } from '../shared/onboarding';

const USAGE = `usage: npm run cli -- <command>

  start --json FILE     start the onboarding of the registration in FILE (a JSON object with
                        email, firstName, lastName, project, projectDescription, pin)
  start --csv FILE      the same from a CSV file: a header row (Email, First name, Last name,
                        New project name, Project description, PIN) and one registration row
                        (FILE "-" reads standard input); add --no-wait to return at once
  status WORKFLOW_ID    show the step an onboarding is at
  schedule-poller       create (or update) the schedule that polls the access sheet
                        every [intake] poll_interval
  poll-now              poll the access sheet once now and print what it did
  approve-reset WORKFLOW_ID [--reject]
                        decide a password reset waiting for approval ([reset] approval = approve)

Settings come from settings.ini (or the file KAIZEN_SETTINGS names).`;

const RESTING: OnboardingStep[] = ['waiting-for-password', 'completed', 'abandoned', 'failed'];

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
      if (RESTING.includes(status.step)) return status.step === 'failed' ? 1 : 0;
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
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  const state = await handle.query(statusQuery);
  console.log(
    JSON.stringify({ workflowId, execution: description.status.name, ...state }, null, 2),
  );
  return 0;
}

async function approveReset(args: string[], client: Client): Promise<number> {
  const workflowId = args[0];
  if (!workflowId) {
    console.error(USAGE);
    return 2;
  }
  const approved = !args.includes('--reject');
  const by = process.env.USER ?? 'cli';
  await client.workflow.getHandle(workflowId).signal(approveResetSignal, { approved, by });
  console.log(`${approved ? 'approved' : 'rejected'}: ${workflowId}`);
  return 0;
}

async function schedulePoller(config: Config, client: Client): Promise<number> {
  const outcome = await ensurePollerSchedule(client, config);
  console.log(
    `poller schedule ${pollerScheduleId(config.temporal.task_queue)} ${outcome}: every ${formatDuration(config.intake.poll_interval)}`,
  );
  return 0;
}

async function pollNow(config: Config, client: Client): Promise<number> {
  const report = await client.workflow.execute<typeof pollRegistrations>('pollRegistrations', {
    workflowId: `poll-now:${new Date().toISOString()}`,
    taskQueue: config.temporal.task_queue,
  });
  console.log(JSON.stringify(report, null, 2));
  return 0;
}

const COMMANDS = {
  'schedule-poller': (_args: string[], config: Config, client: Client) =>
    schedulePoller(config, client),
  'poll-now': (_args: string[], config: Config, client: Client) => pollNow(config, client),
  start: (args: string[], config: Config, client: Client) => start(args, config, client),
  status: (args: string[], _config: Config, client: Client) => status(args, client),
  'approve-reset': (args: string[], _config: Config, client: Client) => approveReset(args, client),
} as const;

async function run(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || !(command in COMMANDS)) {
    console.error(USAGE);
    return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
  const config = loadConfig();
  const client = await connectClient(config);
  try {
    return await COMMANDS[command as keyof typeof COMMANDS](args, config, client);
  } finally {
    await client.connection.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
