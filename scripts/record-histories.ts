// Records workflow histories for the replay suite (test/replay/README.md): runs the worker and
// the setpass API of one version of the code as processes on the local services, drives
// onboardings (and a password reset and a quota change) to each of their exits, and saves every
// history as test/replay/<label>/<workflowType>-<exit>.json. A fixture is never overwritten.
//
//   node --import tsx scripts/record-histories.ts --label LABEL [--ref GITREF]
//
// --ref runs that commit's worker and API from a temporary git worktree (the version whose
// onboardings are waiting in production); without it, the working tree as it is now. Workflows
// are started with this checkout's client: what is recorded is how the worker's code answers.
// Every process runs with the fixtures' test-only codec key, never the key in .state.
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import { loadConfig } from '../config/load';
import { connectClient } from '../lib/temporal';
import { FIXTURE_CODEC_KEY_BASE64 } from '../test/replay/fixture-key';
import { EXITS } from '../test/replay/exits';
import { historyToFixtureJSON } from '../test/replay/history-json';
import { freePort } from '../test/support/processes';
import { uniqueName } from '../test/support/services';
import type { Exit, History } from './record-histories/context';
import { FIXTURES, ROOT, progress } from './record-histories/context';
import { ONBOARD_USER_EXITS } from './record-histories/exits-onboard-user';
import { FORM_REQUEST_EXITS } from './record-histories/exits-form-requests';
import { OTHER_EXITS } from './record-histories/exits-others';
import { checkFixture, realSecrets } from './record-histories/fixtures';
import type { Running } from './record-histories/processes';
import { checkout, codeFacts, git, servicesEnv, startProcess } from './record-histories/processes';
import { writeRequestSheets } from './record-histories/sheets';

/** Every exit, in the order they are recorded. */
const DRIVERS: Exit[] = [...ONBOARD_USER_EXITS, ...OTHER_EXITS, ...FORM_REQUEST_EXITS];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { label: { type: 'string' }, ref: { type: 'string' } },
  });
  const label = values.label;
  if (!label || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(label))
    throw new Error(
      'usage: node --import tsx scripts/record-histories.ts --label LABEL [--ref GITREF] (LABEL: letters, digits, . _ -)',
    );
  const dir = join(FIXTURES, label);
  const undriven = EXITS.filter((name) => !DRIVERS.some((d) => d.name === name));
  if (undriven.length > 0) throw new Error(`no driver for ${undriven.join(', ')}`);
  const existing = DRIVERS.map((e) => join(dir, `${e.name}.json`)).filter((f) => existsSync(f));
  if (existing.length > 0)
    throw new Error(
      `refusing to overwrite ${existing.map((f) => relative(ROOT, f)).join(', ')}: recorded histories are never regenerated (test/replay/README.md). Record a new version under a new --label.`,
    );

  const services = servicesEnv();
  Object.assign(process.env, services); // what test/support reads (Mailpit, Keystone admin)
  const secrets = realSecrets(services);
  const temp = mkdtempSync(join(tmpdir(), 'kaizen-record-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(temp, { recursive: true })];
  const cleanUp = async () => {
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step();
      } catch (err) {
        console.error(`clean-up: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
  const interrupted = () => {
    progress('interrupted: cleaning up');
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  try {
    const { dir: src, source } = checkout(values.ref, temp);
    if (src !== ROOT) {
      cleanups.push(() => {
        git('worktree', 'remove', '--force', src);
      });
      symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'));
    }
    const has = codeFacts(src);
    const exits = DRIVERS.filter((e) => !e.needs || has[e.needs]);
    for (const e of DRIVERS.filter((x) => !exits.includes(x)))
      progress(`${e.name}: skipped, this code does not have ${e.needs}`);

    const sheets = await writeRequestSheets(temp);
    const apiPort = await freePort();
    const taskQueue = uniqueName(`replay-${label}`);
    // The codec endpoint's settings are not for the worker or the API, and code older than
    // [codec] refuses a variable that names no setting of its own.
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('KAIZEN_CODEC__')),
    ) as Record<string, string>;
    const env: Record<string, string> = {
      ...inherited,
      KAIZEN_SETTINGS: 'example_settings.ini',
      KAIZEN_SECRETS__CODEC_KEY: FIXTURE_CODEC_KEY_BASE64,
      KAIZEN_SECRETS__PREVIOUS_CODEC_KEYS: '',
      KAIZEN_TEMPORAL__TASK_QUEUE: taskQueue,
      KAIZEN_TEMPORAL__WORKFLOW_BUNDLE: '',
      KAIZEN_SETPASS__PORT: String(apiPort),
      KAIZEN_SETPASS__SETPASS_URL: `http://127.0.0.1:${apiPort}/`,
      KAIZEN_SETPASS__DATABASE: join(temp, 'setpass.sqlite'),
      KAIZEN_SETPASS__RATE_LIMIT: '100000',
      KAIZEN_EMAIL_DEFAULTS__ADMIN_EMAIL: `${uniqueName('replay-admins')}@example.org`,
      KAIZEN_INTAKE__SOURCE: 'local',
      KAIZEN_INTAKE__LOCAL_FILE: sheets.accessFile,
      KAIZEN_QUOTA_SHEET__LOCAL_FILE: sheets.quotaFile,
      KAIZEN_HELPDESK__EMAIL: sheets.helpdesk,
      KAIZEN_APPROVERS__EMAIL: sheets.approvers,
      // The waiting row is in the approvers' digest at once.
      KAIZEN_APPROVERS__START: '1s',
    };
    progress(`recording ${label} from the ${source}; task queue ${taskQueue}`);
    const config = loadConfig({ ...env, KAIZEN_SETTINGS: join(ROOT, 'example_settings.ini') });
    const client = await connectClient(config);
    cleanups.push(() => client.connection.close());

    const processes: Running[] = [];
    cleanups.push(async () => {
      await Promise.all(processes.map((p) => p.stop()));
    });
    // Onboardings a failed run left waiting would otherwise sit on a queue nobody serves.
    cleanups.push(async () => {
      for await (const w of client.workflow.list({
        query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`,
      })) {
        await client.workflow
          .getHandle(w.workflowId)
          .terminate('replay recording over')
          .catch(() => undefined);
      }
    });
    progress('starting its setpass API and worker (the worker bundles its workflows)');
    processes.push(
      await startProcess('setpass API', src, 'api/server.ts', env, /setpass API listening/),
    );
    processes.push(
      await startProcess('worker', src, 'worker.ts', env, /worker polling task queue/),
    );
    progress('worker polling; driving the exits');

    const results = await Promise.allSettled(
      exits.map((exit) =>
        exit.drive({
          client,
          config,
          taskQueue,
          sheets,
          say: (message) => progress(`${exit.name}: ${message}`),
        }),
      ),
    );
    const failed = results.flatMap((r, i) =>
      r.status === 'rejected' ? [`${exits[i]!.name}: ${String(r.reason)}`] : [],
    );
    if (failed.length > 0) {
      for (const p of processes) console.error(`--- ${p.name} output ---\n${p.output()}`);
      throw new Error(`not recorded (no fixture written):\n  ${failed.join('\n  ')}`);
    }

    // All or nothing: a label's set always comes from one complete run of one version.
    const fixtures = exits.map((exit, i) => {
      const history = (results[i] as PromiseFulfilledResult<History>).value;
      // Stack traces name the checkout's folder: a fixture keeps repo-relative paths only.
      const text = withoutCheckoutPaths(historyToFixtureJSON(history), [src, ROOT]);
      checkFixture(exit.name, JSON.parse(text), text, secrets);
      return { exit, text, events: history.events?.length ?? 0 };
    });
    mkdirSync(dir, { recursive: true });
    for (const { exit, text, events } of fixtures) {
      const file = join(dir, `${exit.name}.json`);
      writeFileSync(file, text, { flag: 'wx' }); // never over an existing fixture
      progress(`wrote ${relative(ROOT, file)} (${events} events)`);
    }
    const notes = join(dir, 'RECORDED.md');
    if (!existsSync(notes)) {
      const markdown = [
        `# ${label}`,
        '',
        `Recorded ${new Date().toISOString().slice(0, 10)} by scripts/record-histories.ts from the ${source}.`,
        '',
        '| fixture | events |',
        '| --- | --- |',
        ...fixtures.map((f) => `| ${f.exit.name}.json | ${f.events} |`),
      ].join('\n');
      // Formatted as `npm run lint` checks it (the fixtures themselves are in .prettierignore).
      const options = (await prettier.resolveConfig(notes)) ?? {};
      writeFileSync(notes, await prettier.format(markdown, { ...options, filepath: notes }), {
        flag: 'wx',
      });
    }
    progress(`done: ${fixtures.length} histories in ${relative(ROOT, dir)}`);
  } finally {
    await cleanUp();
  }
}

main().catch((err: unknown) => {
  console.error(`record-histories: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

/** `text` with every `<folder>/` of this machine's checkouts removed (JSON-escaped as written). */
function withoutCheckoutPaths(text: string, folders: string[]): string {
  return folders.reduce((t, folder) => t.split(`${folder}/`).join(''), text);
}
