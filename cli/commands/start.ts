import { readFileSync } from 'node:fs';
import { statusQuery, type OnboardingStep } from '../../shared/onboarding';
import { registrationFromCsv, validateRegistration } from '../../registration/parse';
import { startOnboarding } from '../../wiring/start-onboarding';
import { UsageError, type Command } from '../command';

/** Steps an onboarding rests in: waiting for the person, or finished. */
const RESTING: OnboardingStep[] = [
  'waiting-for-password',
  'mail-refused',
  'completed',
  'abandoned',
  'cancelled',
  'failed',
];

export const start: Command = {
  name: 'start',
  args: '(--json FILE | --csv FILE) [--no-wait]',
  help: `start the onboarding of one registration and follow it until it waits for the person
--json FILE: a JSON object with email, firstName, lastName, project, projectDescription, pin
--csv FILE: a header row (Email, First name, Last name, New project name, Project description,
PIN) and one registration row; FILE "-" reads standard input
--no-wait: return once it is started`,
  options: { json: { type: 'string' }, csv: { type: 'string' }, 'no-wait': { type: 'boolean' } },
  maxPositionals: 0,
  async run({ values }, { config, temporal }) {
    const file = (values.json ?? values.csv) as string | undefined;
    if (!file || (values.json !== undefined && values.csv !== undefined))
      throw new UsageError('give one of --json FILE or --csv FILE');
    const text = readFileSync(file === '-' ? 0 : file, 'utf8');
    const registration =
      values.json !== undefined
        ? validateRegistration(JSON.parse(text) as Record<string, unknown>)
        : registrationFromCsv(text);
    const client = await temporal();
    const { handle, alreadyRunning } = await startOnboarding(client, config, registration);
    console.log(`${alreadyRunning ? 'already running' : 'started'}: ${handle.workflowId}`);
    if (values['no-wait']) return 0;

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
  },
};
