// The same-calls floor of the onboarding benchmark: the worker's own activity code, called in
// the order and with the inputs onboardUser uses, but with no workflow engine between the calls.
// Every REST and SMTP call of an onboarding is made (look-ups, password, token, both mails), so
// system / same-calls is what the engine itself costs.
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Config } from '../config/schema';
import type { OnboardingActivities } from '../shared/activity-contracts';
import { onboardingWorkflowId, type Registration } from '../shared/onboarding';
import { createActivities } from '../worker/activities-over-clients';
import { workerClients, type WorkerClients } from '../worker/clients';

const QUIET = new DefaultLogger('WARN');

export interface SameCalls {
  onboard(registration: Registration): Promise<void>;
  close(): Promise<void>;
}

/** Activities built as the worker builds them, over one set of clients for the whole run. */
export function sameCalls(config: Config): SameCalls {
  const clients: WorkerClients = workerClients(config);
  const activities: OnboardingActivities = createActivities(config, clients);
  return {
    async onboard(r) {
      const workflowId = onboardingWorkflowId(r);
      // The activity context only: ensureProject's claim tag is derived from the workflow id.
      // Warnings only: the console logger pretty-prints, which would bill the floor for logs.
      const context = new MockActivityEnvironment(
        { workflowExecution: { workflowId, runId: 'same-calls' } },
        { logger: QUIET },
      );
      const run = <A, R>(fn: (input: A) => Promise<R>, input: A) =>
        context.run(fn, input) as Promise<R>;
      const fullName = `${r.firstName} ${r.lastName}`.trim() || r.email;
      const project = await run(activities.ensureProject, {
        name: r.project,
        description: r.projectDescription,
        mode: r.projectMode ?? 'find-or-create',
      });
      if (project.ours) await run(activities.applyQuotas, { projectId: project.id });
      const { id: userId, token } = await run(activities.ensureUserWithLink, {
        email: r.email,
        fullName,
        defaultProjectId: project.id,
        pin: r.pin!,
        workflowId,
      });
      await run(activities.grantMemberRole, { userId, projectId: project.id });
      const mail = { to: r.email, fullName, project: r.project };
      await run(activities.sendMail, {
        ...mail,
        template: 'welcome',
        messageKey: `${workflowId}.welcome`,
      });
      await run(activities.sendMail, {
        ...mail,
        template: 'set-password',
        setpassToken: token,
        messageKey: `${workflowId}.set-password`,
      });
    },
    close: () => clients.close(),
  };
}
