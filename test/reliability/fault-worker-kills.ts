// The worker SIGKILLed at random moments while onboardings run: all complete, nothing is done
// twice in Keystone, every person gets both mails; a mail repeated by a crash between sending
// and recording it carries the same Message-ID (so the duplicate count is bounded by the kills).
import { randomInt } from 'node:crypto';
import {
  completeAll,
  countDuplicates,
  people,
  sleep,
  startAll,
  startStack,
  type Stack,
} from './fault-support';
import type { Scenario } from './scenario';

// A killed worker's activities are given to another after their 2-minute start-to-close timeout.
const RECOVERY_MS = 15 * 60_000;

export const workerKills: Scenario = {
  name: 'worker-kills',
  async run(mode, progress) {
    const n = mode === 'long' ? 100 : 10;
    const kills = mode === 'long' ? 10 : 2;
    const stack: Stack = await startStack();
    try {
      const registrations = people(n, 'kill');
      progress(`starting ${n} onboardings; ${kills} SIGKILLs of the worker to come`);
      await startAll(stack, registrations);
      for (let k = 0; k < kills; k++) {
        await sleep(randomInt(1_000, mode === 'long' ? 6_000 : 4_000));
        const victim = stack.workers.at(-1)!;
        await victim.stop('SIGKILL');
        progress(`kill ${k + 1}: worker ${victim.child.pid} killed; starting a new one`);
        await stack.startWorker();
      }
      const { completed } = await completeAll(stack, registrations, RECOVERY_MS);
      const duplicates = await countDuplicates(stack.config, registrations);
      const figures = {
        onboardings: n,
        kills,
        completed,
        'Keystone duplicates': duplicates.keystone,
        'people missing a mail': duplicates.lost,
        'duplicate mails': duplicates.mails,
      };
      const problems = [
        completed < n && `${n - completed} onboardings did not complete`,
        duplicates.keystone > 0 && `${duplicates.keystone} duplicate projects/users/roles`,
        duplicates.lost > 0 && `${duplicates.lost} mails lost`,
        // A mail can repeat only when a kill fell between sending it and recording that.
        duplicates.mails > kills && `${duplicates.mails} duplicate mails for ${kills} kills`,
      ].filter(Boolean);
      return {
        runs: 1,
        passed: problems.length === 0 ? 1 : 0,
        figures,
        failures: problems as string[],
      };
    } finally {
      await stack.close();
    }
  },
};
