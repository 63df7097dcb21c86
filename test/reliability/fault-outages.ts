// A service gone while onboardings need it (Keystone stopped, SMTP stopped, the Temporal server restarted):
// every onboarding completes once it is back, nothing is skipped or done twice, and the
// worker's log says what it retried.
import {
  completeAll,
  countDuplicates,
  linesMatching,
  people,
  service,
  sleep,
  startAll,
  startStack,
} from './fault-support';
import type { Mode, Scenario, ScenarioResult } from './scenario';
import { eventually } from '../support/services';

interface Outage {
  name: string;
  /** The scripts/services.sh service stopped and started again. */
  service: string;
  /** At least this long down; longer until the worker's log shows `retried`. */
  downMs: number;
  /** What the worker's log must show while it was down; /$^/ for nothing. */
  retried: RegExp;
  /**
   * When the service goes: 'before-start' holds every onboarding behind the fault (its
   * assertions then hold on any machine speed); 'mid-run' for a service the start itself needs.
   */
  stop: 'before-start' | 'mid-run';
}

/** Takes the service away, runs onboardings into the gap, brings it back. */
function outageScenario(outage: Outage): Scenario {
  return {
    name: outage.name,
    async run(mode: Mode, progress): Promise<ScenarioResult> {
      const n = mode === 'long' ? 30 : 5;
      const stack = await startStack();
      let down = false;
      try {
        const registrations = people(n, outage.service);
        const stop = () => {
          progress(`stopping ${outage.service} for at least ${outage.downMs / 1000} s`);
          service('stop', outage.service);
          down = true;
          return Date.now();
        };
        let stoppedAt: number;
        if (outage.stop === 'before-start') {
          stoppedAt = stop();
          await startAll(stack, registrations);
        } else {
          await startAll(stack, registrations);
          // Mid-run: the first onboarding has done something, most have work left.
          await eventually('work under way', async () =>
            /project created/.test(stack.workerLogs()) ? true : undefined,
          );
          stoppedAt = stop();
        }
        if (outage.retried.source !== '$^') {
          // The fault has held work once the worker says it retried: only then bring it back.
          await eventually(
            `the worker to log a retry (${outage.retried})`,
            async () => (outage.retried.test(stack.workerLogs()) ? true : undefined),
            5 * 60_000,
          );
        }
        await sleep(Math.max(0, stoppedAt + outage.downMs - Date.now()));
        service('start', outage.service);
        down = false;
        progress(`${outage.service} is back`);
        const { completed } = await completeAll(stack, registrations, 10 * 60_000);
        const duplicates = await countDuplicates(stack.config, registrations);
        const retries = linesMatching(stack.workerLogs(), outage.retried).length;
        const figures = {
          onboardings: n,
          'down, s': outage.downMs / 1000,
          completed,
          'Keystone duplicates': duplicates.keystone,
          'people missing a mail': duplicates.lost,
          'duplicate mails': duplicates.mails,
          ...(outage.retried.source === '$^' ? {} : { 'retries logged': retries }),
        };
        const problems = [
          completed < n && `${n - completed} onboardings did not complete`,
          duplicates.keystone > 0 && `${duplicates.keystone} duplicate projects/users/roles`,
          duplicates.lost > 0 && `${duplicates.lost} mails lost`,
          duplicates.mails > 0 && `${duplicates.mails} mails sent twice`,
          outage.retried.source !== '$^' &&
            retries === 0 &&
            `the worker's log names no retry (${outage.retried})`,
        ].filter((p): p is string => typeof p === 'string');
        return { runs: 1, passed: problems.length === 0 ? 1 : 0, figures, failures: problems };
      } finally {
        if (down) service('start', outage.service);
        await stack.close();
      }
    },
  };
}

export const keystoneOutage = outageScenario({
  name: 'keystone-outage',
  service: 'keystone',
  downMs: 30_000,
  retried: /Keystone unavailable/,
  stop: 'before-start',
});

export const smtpOutage = outageScenario({
  name: 'smtp-outage',
  service: 'mailpit',
  downMs: 60_000,
  retried: /connect ECONNREFUSED/,
  stop: 'before-start',
});

export const temporalRestart = outageScenario({
  name: 'temporal-restart',
  service: 'temporal',
  downMs: 5_000,
  // The worker reconnects by itself; there is no activity retry to log.
  retried: /$^/,
  // Starting an onboarding needs the server; nothing asserted depends on the moment.
  stop: 'mid-run',
});
