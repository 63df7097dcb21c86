// register-timing: the /register form must not tell whether an address has an account, neither
// by its answer nor by its timing. As reset-timing does for /reset: valid forms for an address
// with a Keystone account and for one without, interleaved, against the API process with a
// worker running the registrationRequest workflows (each mails its confirmation link), back to
// back and paced, the same number of pairs, compared the same way and failing at the same
// threshold. [forms] requests_per_email is lifted, as the rate limit is: every probe takes the
// real path (a workflow started), none the quiet drop of an address over its limit.
import { requestAnswer } from '../../api/routes/request-forms';
import { connectClient } from '../../lib/temporal';
import { startProcess, type RunningProcess } from '../support/processes';
import { registerFields } from '../support/request-forms';
import { formSession } from '../support/forms';
import { createKeystoneUser, eventually, uniqueName } from '../support/services';
import {
  emptyTimings,
  judgeTimings,
  measureTimings,
  timingPairs,
  timingSelfCheck,
} from './api-reset-timing';
import {
  Checks,
  deleteUsers,
  postForm,
  type ApiProcess,
  type Session,
  startApi,
} from './api-support';
import type { Scenario } from './scenario';

const register = (api: ApiProcess, s: Session, email: string, project: string) =>
  postForm(new URL('register', api.url).toString(), registerFields(email, project), s, {
    accept: 'text/html',
  });

/** The registrationRequest workflows started on the queue (visibility trails a moment). */
async function startedOn(api: ApiProcess, taskQueue: string): Promise<number> {
  const client = await connectClient(api.config);
  try {
    const { count } = await client.workflow.count(
      `TaskQueue = "${taskQueue}" AND WorkflowType = "registrationRequest"`,
    );
    return count;
  } finally {
    await client.connection.close();
  }
}

/** Ends the requests left waiting for their confirmation (a day otherwise). */
async function cleanUp(api: ApiProcess, taskQueue: string): Promise<void> {
  const client = await connectClient(api.config);
  try {
    const query = `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`;
    for await (const w of client.workflow.list({ query })) {
      await client.workflow
        .getHandle(w.workflowId, w.runId)
        .terminate('reliability scenario finished')
        .catch(() => undefined);
    }
  } finally {
    await client.connection.close();
  }
}

export const registerTiming: Scenario = {
  name: 'register-timing',
  async run(mode, progress) {
    timingSelfCheck();
    const pairs = timingPairs(mode);
    const checks = new Checks();
    const taskQueue = uniqueName('rel-register');
    // The timing is the subject here, not the limits: no 429 and no per-address drop in the way
    // (1 000 an hour, the setting's maximum, is above the long form's 2 × 2 × 203 per address).
    const api = await startApi({
      KAIZEN_TEMPORAL__TASK_QUEUE: taskQueue,
      KAIZEN_SETPASS__RATE_LIMIT: '1000000',
      KAIZEN_FORMS__REQUESTS_PER_EMAIL: '1000',
    });
    const known = `${uniqueName('rel-known')}@example.org`;
    const unknown = `${uniqueName('rel-nobody')}@example.org`;
    const project = uniqueName('rel-timing');
    const users: string[] = [];
    let worker: RunningProcess | undefined;
    const timings = emptyTimings();
    let probes = 0;
    let withoutWorker = 'no';
    let started: number;
    try {
      users.push(
        await createKeystoneUser(api.config, { name: known, password: `tmp-${taskQueue}` }),
      );
      const s = await formSession(new URL('register', api.url).toString());
      const probe = (which: 'known' | 'unknown') => {
        probes += 1;
        return register(api, s, which === 'known' ? known : unknown, project);
      };

      // The answer comes at once, before any worker has run the request's workflow.
      const first = [await probe('known'), await probe('unknown')];
      const answered = first.every(
        (a) => a.status === 200 && a.text.includes(requestAnswer(api.config.forms.confirm_within)),
      );
      checks.check(
        'answers without a worker',
        answered,
        `statuses ${first.map((a) => a.status).join(', ')}`,
      );
      if (answered) withoutWorker = 'yes';

      progress('starting a worker on a private task queue');
      worker = await startProcess('worker.ts', api.env, /worker polling task queue/);
      await measureTimings(pairs, probe, progress, timings);
      // Every probe took the path measured: its request's workflow was started.
      started = await eventually(
        `${probes} registrationRequest workflows on the queue`,
        async () => {
          const n = await startedOn(api, taskQueue);
          return n >= probes ? n : undefined;
        },
        30_000,
      ).catch(() => startedOn(api, taskQueue));
      checks.check(
        'every probe started its request',
        started === probes,
        `${started} registrationRequest workflows for ${probes} forms sent`,
      );
    } finally {
      await worker?.stop('SIGTERM');
      await api.stop();
      await cleanUp(api, taskQueue);
      await deleteUsers(api.config, users);
    }

    const figures = judgeTimings(checks, timings, pairs);
    figures['requests started'] = `${started}/${probes}`;
    figures['answers without worker'] = withoutWorker;
    return checks.result(figures);
  },
};
