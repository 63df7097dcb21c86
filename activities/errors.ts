import { ApplicationFailure } from '@temporalio/activity';
import { SheetLayoutError } from '../intake/sheet-layout';
import { SheetSourceError } from '../intake/sheet-source';
import { RequestRejected } from '../lib/http';

/** Stable failure types a workflow (or an admin reading the UI) can branch on. */
export const FailureType = {
  rejected: 'RequestRejected',
  invalidRegistration: 'InvalidRegistration',
  setpassRejected: 'SetpassRejected',
  recipientRefused: 'RecipientRefused',
  projectNameTaken: 'ProjectNameTaken',
  projectNotFound: 'ProjectNotFound',
  userNotFound: 'UserNotFound',
  sheetRejected: 'SheetRejected',
} as const;

/**
 * Runs an activity body; a 4xx from another service becomes non-retryable (the same request
 * would be refused again). Everything else stays a plain error that Temporal retries with backoff.
 */
export async function classified<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof SheetSourceError || err instanceof SheetLayoutError) {
      // A wrong key, an unshared sheet, a missing tab or column: an operator must fix it.
      throw ApplicationFailure.nonRetryable(err.message, FailureType.sheetRejected);
    }
    if (err instanceof RequestRejected) {
      throw ApplicationFailure.create({
        message: err.message,
        type: FailureType.rejected,
        nonRetryable: true,
        details: [{ service: err.service, status: err.status }],
      });
    }
    throw err;
  }
}
