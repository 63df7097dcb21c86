import { proxyActivities } from '@temporalio/workflow';
import type { OnboardingActivities } from '../activities';
import type { PollReport } from '../activities/sheets/activities';

const { pollAccessSheet } = proxyActivities<OnboardingActivities>({
  startToCloseTimeout: '10 minutes',
  retry: {
    initialInterval: '5s',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 5,
  },
});

/** Run by the poller schedule: one read of the access sheet, one onboarding started per new row. */
export async function pollRegistrations(): Promise<PollReport> {
  return pollAccessSheet();
}
