import { ApplicationFailure } from '@temporalio/activity';
import { SheetLayoutError } from '../intake/sheet-layout';
import { SheetSourceError } from '../clients/sheets/sheet-source';
import { RequestRejected } from '../lib/http';
import { FailureType } from '../shared/failures';

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
