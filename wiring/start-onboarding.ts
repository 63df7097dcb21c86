import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { Config } from '../config/schema';
import type { AccessRequest } from '../intake/access-rows';
import {
  onboardingSummary,
  onboardingWorkflowId,
  searchAttributes,
  type OnboardUserInput,
  type Registration,
  type ReminderPolicy,
} from '../shared/onboarding';
import type { onboardUser } from '../workflows';

export interface Started {
  handle: WorkflowHandle<typeof onboardUser>;
  alreadyRunning: boolean;
}

export function reminderPolicy(config: Config): ReminderPolicy {
  return {
    afterMs: config.reminder.schedule,
    abandonAfterMs: config.reminder.abandon_after,
    linkLifetimeMs: config.setpass.token_expiration,
  };
}

/** Starts the onboarding of one registration; a second start of the same one is a no-op. */
export async function startOnboarding(
  client: Client,
  config: Config,
  registration: Registration,
  options: { taskQueue?: string; reminders?: ReminderPolicy } = {},
): Promise<Started> {
  const workflowId = onboardingWorkflowId(registration);
  const input: OnboardUserInput = {
    registration,
    reminders: options.reminders ?? reminderPolicy(config),
  };
  try {
    const handle = await client.workflow.start<typeof onboardUser>('onboardUser', {
      workflowId,
      taskQueue: options.taskQueue ?? config.temporal.task_queue,
      args: [input],
      // Polls repeat: a row's onboarding starts once, and again only after it failed and an
      // admin cleared its Status cell.
      workflowIdReusePolicy: registration.sheetKey
        ? 'ALLOW_DUPLICATE_FAILED_ONLY'
        : 'ALLOW_DUPLICATE',
      staticSummary: onboardingSummary(registration),
      typedSearchAttributes: [
        { key: searchAttributes.user, value: registration.email },
        { key: searchAttributes.project, value: registration.project },
        { key: searchAttributes.step, value: 'started' },
        { key: searchAttributes.reminders, value: 0 },
      ],
    });
    return { handle, alreadyRunning: false };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return {
        handle: client.workflow.getHandle<typeof onboardUser>(workflowId),
        alreadyRunning: true,
      };
    }
    throw err;
  }
}

/** The onboarding a sheet row asks for. */
export function registrationFromRequest(request: AccessRequest): Registration {
  return {
    email: request.email,
    firstName: request.firstName,
    lastName: request.lastName,
    project: request.project.name,
    ...(request.project.mode === 'new' && request.project.description
      ? { projectDescription: request.project.description }
      : {}),
    ...(request.pin ? { pin: request.pin } : {}),
    ...(request.pinRequest ? { pinRequest: request.pinRequest } : {}),
    existingUser: request.existingUser,
    projectMode: request.project.mode,
    additionalUsers: request.additionalUsers,
    sheetKey: request.key,
  };
}
