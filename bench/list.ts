// `cli list` with 5 000 onboardings: the rows come from search attributes alone (one visibility
// query, paged), beside the reference of asking Temporal about each onboarding (one describe per
// row, timed on a sample and scaled). The onboardings wait on a task queue no worker serves,
// carrying the attributes a waiting onboarding has, and are terminated at the end.
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { listOnboardings } from '../cli/list-view';
import { connectClient } from '../lib/temporal';
import { onboardingSummary, searchAttributes } from '../shared/onboarding';
import { testConfig } from '../test/support/services';
import { eventually } from '../test/support/services';
import { machineNotes, throttled, type Progress } from './machine';
import { pool } from '../test/support/pool';
import type { Table } from './table';

const TARGET_S = 5;

export async function benchList(options: { quick: boolean; progress: Progress }): Promise<Table> {
  const n = Number(process.env.BENCH_LIST ?? (options.quick ? 500 : 5_000));
  const run = randomUUID().slice(0, 6);
  const project = `bench-list-${run}`;
  const taskQueue = `bench-list-unserved-${run}`;
  const config = testConfig();
  const client = await connectClient(config);
  const ids: string[] = [];
  try {
    options.progress(`starting ${n} onboardings that wait (no worker serves ${taskQueue})`);
    const shown = throttled(options.progress, 10_000);
    const now = Date.now();
    await pool(
      Array.from({ length: n }, (_, i) => i),
      16,
      async (i) => {
        const email = `list-${run}-${i}@example.org`;
        const workflowId = `onboard:${email}:${project}`;
        await client.workflow.start('onboardUser', {
          workflowId,
          taskQueue,
          args: [{}],
          staticSummary: onboardingSummary({ email, project }),
          typedSearchAttributes: [
            { key: searchAttributes.user, value: email },
            { key: searchAttributes.project, value: project },
            {
              key: searchAttributes.step,
              value: i % 5 === 0 ? 'mail-refused' : 'waiting-for-password',
            },
            { key: searchAttributes.reminders, value: i % 4 },
            { key: searchAttributes.linkExpires, value: new Date(now + (i % 48) * 3_600_000) },
          ],
        });
        ids.push(workflowId);
        shown(`${ids.length} started`);
      },
    );
    options.progress('waiting for visibility to list them all');
    await eventually(
      'every onboarding to be visible',
      async () => {
        const { count } = await client.workflow.count(`OnboardingProject = '${project}'`);
        return count >= n ? true : undefined;
      },
      5 * 60_000,
    );

    const timed = async <T>(work: () => Promise<T>) => {
      const started = performance.now();
      const value = await work();
      return { value, seconds: (performance.now() - started) / 1000 };
    };
    const all = await timed(() => listOnboardings(client, { project }));
    const filtered = await timed(() => listOnboardings(client, { project, step: 'mail-refused' }));
    options.progress('the CLI as a process (tsx start-up included)');
    const cli = await timed(async () =>
      execFileSync(
        process.execPath,
        ['--import', 'tsx', 'cli/main.ts', 'list', '--project', project],
        {
          env: {
            ...process.env,
            KAIZEN_SETTINGS: process.env.KAIZEN_SETTINGS ?? 'example_settings.ini',
          },
          encoding: 'utf8',
          maxBuffer: 64 * 2 ** 20,
        },
      ),
    );
    const cliRows = /^(\d+) onboardings?$/m.exec(cli.value)?.[1];
    const sample = Math.min(200, n);
    const describes = await timed(async () => {
      for (const id of ids.slice(0, sample)) await client.workflow.getHandle(id).describe();
    });
    const perRow = describes.seconds / sample;

    const rows: (string | number)[][] = [
      ['list, all of one project', all.value.length, all.seconds, `< ${TARGET_S} s`],
      ['list, --step mail-refused', filtered.value.length, filtered.seconds, ''],
      ['cli list as a process', Number(cliRows ?? 0), cli.seconds, ''],
      [`reference: describe per row (${sample} timed, × ${n})`, n, perRow * n, ''],
    ];
    return {
      title: `cli list with ${n} onboardings (seconds)`,
      columns: ['run', 'rows', 'seconds', 'target'],
      rows,
      notes: [
        `list / describe-per-row = ${(all.seconds / (perRow * n)).toFixed(3)}`,
        all.seconds < TARGET_S && all.value.length === n
          ? `target met: ${n} rows in ${all.seconds.toFixed(2)} s`
          : `target missed: ${all.value.length} of ${n} rows in ${all.seconds.toFixed(2)} s`,
        'the onboardings wait on an unserved task queue with the search attributes of waiting ones; the dev server (SQLite visibility) answers',
        ...machineNotes(),
      ],
    };
  } finally {
    options.progress(`terminating ${ids.length} onboardings`);
    await pool(ids, 16, async (id) => {
      await client.workflow
        .getHandle(id)
        .terminate('benchmark over')
        .catch(() => undefined);
    });
    await client.connection.close();
  }
}
