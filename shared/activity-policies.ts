// How long each kind of activity may take and how it is retried: one place for every workflow.
// Changing a value changes only what new attempts do; it issues no new command on replay.
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/common';

/**
 * How soon a dead worker's activity goes to another: every activity heartbeats each second while
 * it runs (lib/activity-heartbeat.ts, a worker interceptor), so a heartbeat missing this long
 * means the worker is gone. The start-to-close timeouts stay the bound for a call that hangs.
 */
export const ACTIVITY_HEARTBEAT_TIMEOUT = '5 seconds';

/**
 * Network trouble and 5xx are retried with backoff for as long as it takes (the point of a
 * durable workflow); 4xx and validation failures are non-retryable and surface at once.
 */
export const RETRY_UNTIL_DONE = {
  initialInterval: '2s',
  backoffCoefficient: 2,
  maximumInterval: '5 minutes',
} as const;

/** A call to Keystone, a quota API, the setpass API or the mail server. */
export const SERVICE_CALL: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT,
  retry: RETRY_UNTIL_DONE,
};

/**
 * A Keystone or quota step of an onboarding, run as a local activity: in the worker, inside the
 * workflow task, with no activity task for the server to match and record (the server's CPU per onboarding
 * fell by about a quarter: bench/RESULTS.md). There is no heartbeat: a dead worker's
 * workflow task times out and another worker runs the step again, which every one of these
 * steps allows (find-before-create, claim tags, a new token killing the old). Mails stay
 * activities: a mail must not be sent again because a later step was interrupted.
 */
export const LOCAL_SERVICE_CALL: LocalActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: RETRY_UNTIL_DONE,
};

/** A write to a request sheet: spreadsheets are slower and rate-limited. */
export const SHEET_WRITE: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT,
  retry: RETRY_UNTIL_DONE,
};

/** The notices' reads and stamps: the next hourly check tries again, so they give up. */
export const SHEET_NOTICES: ActivityOptions = {
  ...SHEET_WRITE,
  retry: { ...RETRY_UNTIL_DONE, maximumAttempts: 10 },
};

/** One poll of a sheet: the schedule's next poll is minutes away, so a few quick tries. */
export const SHEET_POLL: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT,
  retry: {
    initialInterval: '5s',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 5,
  },
};
