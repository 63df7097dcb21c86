// The poller on a big sheet: one poll of a sheet whose every row is already being handled
// (nothing new: must start nothing), then 1 000 new approved rows (time until all are started).
// The sheet is served by the local Sheets v4 server through the real googleapis client. Each poll
// also reads the CPU every process used meanwhile.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { DEFAULT_ACCESS_COLUMNS as C } from '../shared/sheet-columns';
import type { PollRegistrationsResult } from '../workflows/poll-registrations';
import { FakeSheetsServer } from '../test/support/fake-sheets-server';
import { makeServiceAccountKey } from '../test/support/service-account';
import { startSystem } from '../test/support/system';
import { machineNotes, type Progress } from './machine';
import { pool } from '../test/support/pool';
import { cpuTable, type CpuRun } from './cpu-table';
import { cpuSnapshot, cpuUsed, servicePids, type CpuSnapshot } from './process-cpu';
import type { Table } from './table';

const SHEET = 'bench-access';
const ACCESS = 'Form Responses 1';
const HEADER: string[] = Object.values(C).filter((h) => h !== C.status);

function approvedRows(n: number, run: string, from: number): string[][] {
  const at = (column: string) => HEADER.indexOf(column);
  return Array.from({ length: n }, (_, i) => {
    const cells = HEADER.map(() => '');
    const id = from + i;
    cells[at(C.approved)] = 'approved';
    cells[at(C.timestamp)] = new Date(Date.UTC(2026, 0, 1) + id * 1000).toISOString();
    cells[at(C.email)] = `poll-${run}-${id}@example.org`;
    cells[at(C.firstName)] = 'Poll';
    cells[at(C.lastName)] = `Row ${id}`;
    cells[at(C.existingAccount)] = 'No';
    cells[at(C.pin)] = String(1000 + (id % 9000));
    cells[at(C.newOrExisting)] = 'New';
    cells[at(C.newProjectName)] = `poll-${run}-${id}`;
    return cells;
  });
}

// The worker, the setpass API and the Sheets server all run in this process (startSystem).
const parts = () => ({ driver: process.pid, ...servicePids() });

async function timedPoll(
  client: Client,
  taskQueue: string,
): Promise<{ seconds: number; result: PollRegistrationsResult; cpu: CpuSnapshot }> {
  const before = cpuSnapshot(parts());
  const started = performance.now();
  const result = await client.workflow.execute<() => Promise<PollRegistrationsResult>>(
    'pollRegistrations',
    { workflowId: `bench-poll-${randomUUID()}`, taskQueue },
  );
  const seconds = (performance.now() - started) / 1000;
  return { seconds, result, cpu: cpuUsed(before, cpuSnapshot(parts())) };
}

export async function benchPoller(options: {
  quick: boolean;
  progress: Progress;
}): Promise<Table[]> {
  const old = options.quick ? 2_000 : 10_000;
  const fresh = options.quick ? 200 : 1_000;
  const run = randomUUID().slice(0, 6);
  const account = makeServiceAccountKey(mkdtempSync(join(tmpdir(), 'kaizen-bench-sa-')));
  const sheets = new FakeSheetsServer({
    clientEmail: account.clientEmail,
    publicKey: account.publicKey,
  });
  const sheetsUrl = await sheets.start();
  sheets.addSpreadsheet(SHEET, { [ACCESS]: [HEADER], 'Current Users': [HEADER] });
  // The onboardings go to a task queue no worker serves: they are started, not run.
  const parkedQueue = `bench-unserved-${run}`;
  const system = await startSystem({
    KAIZEN_TEMPORAL__TASK_QUEUE: parkedQueue,
    KAIZEN_INTAKE__SOURCE: 'google',
    KAIZEN_INTAKE__SPREADSHEET_ID: SHEET,
    KAIZEN_INTAKE__KEY_FILE: account.keyFile,
    KAIZEN_INTAKE__SHEETS_URL: sheetsUrl,
  });
  const rows: Table['rows'] = [];
  const cpu: CpuRun[] = [];
  const poll = async (name: string) => {
    const polled = await timedPoll(system.client, system.taskQueue);
    cpu.push({ name, units: 1, cpu: polled.cpu });
    return { name, ...polled };
  };
  try {
    sheets.setRows(SHEET, ACCESS, [HEADER, ...approvedRows(old, run, 0)]);
    options.progress(`first poll of ${old} approved rows (starts them all)`);
    const first = await poll(`${old} rows, all new (set-up)`);
    rows.push([
      first.name,
      first.seconds,
      first.result.started,
      first.result.started / first.seconds,
      '',
    ]);

    options.progress(`poll of the same ${old} rows: nothing new`);
    const idle = await poll(`${old} rows, nothing new`);
    rows.push([
      idle.name,
      idle.seconds,
      idle.result.started,
      '',
      `< 2 s, 0 started: ${idle.seconds < 2 && idle.result.started === 0 ? 'met' : 'missed'}`,
    ]);

    sheets.setRows(SHEET, ACCESS, [
      ...sheets.getRows(SHEET, ACCESS),
      ...approvedRows(fresh, run, old),
    ]);
    options.progress(`poll of ${old + fresh} rows, ${fresh} of them new`);
    const burst = await poll(`${old + fresh} rows, ${fresh} new`);
    rows.push([
      burst.name,
      burst.seconds,
      burst.result.started,
      burst.result.started / burst.seconds,
      `< 30 s, ${fresh} started: ${burst.seconds < 30 && burst.result.started === fresh ? 'met' : 'missed'}`,
    ]);
    if (idle.result.started !== 0 || burst.result.started !== fresh) {
      throw new Error(
        `the polls started ${idle.result.started} and ${burst.result.started} onboardings; expected 0 and ${fresh}`,
      );
    }
  } finally {
    options.progress('terminating the started onboardings');
    await terminateAll(system.client, parkedQueue);
    await system.close();
    await sheets.close();
  }
  const table: Table = {
    title: 'Poller (one poll = read the sheet, start each new approved row)',
    columns: ['sheet', 'seconds', 'started', 'starts/s', 'target'],
    rows,
    notes: [
      'nothing new = every row approved, started by the previous poll and marked "in progress" by it (worst case: no row is skipped for being unapproved); the sheet is read through googleapis from the local Sheets v4 server',
      'time = pollRegistrations workflow started → completed (one sheet read, the starts, one batch write)',
      ...machineNotes(),
    ],
  };
  return [
    table,
    cpuTable('Poller', 'poll (the whole poll, not per row)', cpu, [
      'over each poll of the table above: pollRegistrations started → completed',
      'driver: this process, which also runs the worker, the setpass API and the Sheets server (test/support/system.ts starts them in-process), so their CPU is in it and not apart',
      'the onboardings a poll starts go to a task queue no worker serves: their cost here is the starts (Temporal, driver), not the onboardings',
      'a poll calls no OpenStack service, PostgreSQL or Mailpit: their columns, and part of Temporal’s, are other work on the machine (say, another benchmark run)',
    ]),
  ];
}

async function terminateAll(client: Client, taskQueue: string): Promise<void> {
  const ids: string[] = [];
  for await (const w of client.workflow.list({
    query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`,
  })) {
    ids.push(w.workflowId);
  }
  await pool(ids, 32, async (id) => {
    await client.workflow
      .getHandle(id)
      .terminate('benchmark done')
      .catch(() => undefined);
  });
}
