// The spreadsheet failing (503s) and then slow while the poller reads it: the poll is retried,
// every approved row is started once and onboarded, and the worker's log names the retries.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ACCESS_COLUMNS as C } from '../../shared/sheet-columns';
import { requestKey } from '../../intake/sheet-layout';
import type { Registration } from '../../shared/onboarding';
import type { PollRegistrationsResult } from '../../workflows/poll-registrations';
import { FakeSheetsServer } from '../support/fake-sheets-server';
import { makeServiceAccountKey } from '../support/service-account';
import { completeAll, countDuplicates, linesMatching, people, startStack } from './fault-support';
import type { Scenario } from './scenario';

const SHEET = 'reliability-sheet';
const ACCESS = 'Form Responses 1';
const HEADER: string[] = Object.values(C).filter((h) => h !== C.status);

function rowOf(r: Registration, timestamp: string): string[] {
  const cells: Record<string, string> = {
    [C.approved]: 'approved',
    [C.timestamp]: timestamp,
    [C.email]: r.email,
    [C.firstName]: r.firstName,
    [C.lastName]: r.lastName,
    [C.existingAccount]: 'No',
    [C.pin]: r.pin!,
    [C.newOrExisting]: 'New',
    [C.newProjectName]: r.project,
  };
  return HEADER.map((h) => cells[h] ?? '');
}

export const sheetOutage: Scenario = {
  name: 'sheet-outage',
  async run(mode, progress) {
    const n = mode === 'long' ? 20 : 4;
    const failures = mode === 'long' ? 4 : 2;
    const delayMs = mode === 'long' ? 5_000 : 2_000;
    const account = makeServiceAccountKey(mkdtempSync(join(tmpdir(), 'kaizen-sheet-sa-')));
    const sheets = new FakeSheetsServer({
      clientEmail: account.clientEmail,
      publicKey: account.publicKey,
    });
    const sheetsUrl = await sheets.start();
    const stack = await startStack({
      KAIZEN_INTAKE__SOURCE: 'google',
      KAIZEN_INTAKE__SPREADSHEET_ID: SHEET,
      KAIZEN_INTAKE__KEY_FILE: account.keyFile,
      KAIZEN_INTAKE__SHEETS_URL: sheetsUrl,
    });
    try {
      const registrations = people(n, 'sheet').map((r, i) => {
        const timestamp = new Date(Date.UTC(2026, 10, 1, 9, 0, i)).toISOString();
        return { ...r, timestamp, sheetKey: requestKey(r.email, timestamp) };
      });
      sheets.addSpreadsheet(SHEET, {
        [ACCESS]: [HEADER, ...registrations.map((r) => rowOf(r, r.timestamp))],
        'Current Users': [HEADER],
      });
      progress(`the sheet answers the next ${failures} requests with 503, then ${delayMs} ms late`);
      sheets.failNext(failures, 503);
      sheets.delayMs = delayMs;
      const poll = await stack.client.workflow.execute<() => Promise<PollRegistrationsResult>>(
        'pollRegistrations',
        {
          workflowId: `reliability-poll-${SHEET}-${Date.now()}`,
          taskQueue: stack.env.KAIZEN_TEMPORAL__TASK_QUEUE!,
        },
      );
      sheets.delayMs = 0;
      progress(`poll done: ${poll.started} started; onboarding them`);
      const { completed } = await completeAll(stack, registrations, 10 * 60_000);
      const duplicates = await countDuplicates(stack.config, registrations);
      const retries = linesMatching(stack.workerLogs(), /retryable/).length;
      const figures = {
        rows: n,
        '503s': failures,
        'delay, ms': delayMs,
        started: poll.started,
        completed,
        'Keystone duplicates': duplicates.keystone,
        'retries logged': retries,
      };
      const problems = [
        poll.started !== n && `the poll started ${poll.started} of ${n} rows`,
        completed < n && `${n - completed} onboardings did not complete`,
        duplicates.keystone > 0 && `${duplicates.keystone} duplicate projects/users/roles`,
        duplicates.lost > 0 && `${duplicates.lost} mails lost`,
        retries === 0 && "the worker's log names no retried sheet request",
      ].filter((p): p is string => typeof p === 'string');
      return { runs: 1, passed: problems.length === 0 ? 1 : 0, figures, failures: problems };
    } finally {
      await stack.close();
      await sheets.close();
    }
  },
};
