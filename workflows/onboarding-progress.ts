// Where an onboarding stands, and how it shows: the status the query returns, its current details
// in the Web UI, and the search attributes `cli list` reads. Workflow code.
import { patched, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { onboardingDetails } from '../shared/onboarding-details';
import {
  searchAttributes,
  type OnboardingStatus,
  type OnboardingStep,
  type Registration,
} from '../shared/onboarding';

export interface Progress {
  status: OnboardingStatus;
  /** Shows a change of `status` (current details; search attributes when they changed). */
  publish(): void;
  /** Moves to `step`: one search-attribute update per change. */
  setStep(step: OnboardingStep): void;
}

export function trackProgress(registration: Registration, workflowId: string): Progress {
  const status: OnboardingStatus = {
    step: 'started',
    email: registration.email,
    project: registration.project,
    remindersSent: 0,
  };
  // What `cli list` reads, as last written: only changes are upserted.
  const listed: { reminders?: number; linkExpiresAt?: string } = {};
  const publish = () => {
    setCurrentDetails(onboardingDetails(status, workflowId));
    const reminders = status.remindersSent;
    const linkExpiresAt = status.linkExpiresAt;
    if (reminders === listed.reminders && linkExpiresAt === listed.linkExpiresAt) return;
    // Onboardings started before these attributes replay without them.
    if (!patched('list-attributes')) return;
    upsertSearchAttributes([
      { key: searchAttributes.reminders, value: reminders },
      ...(linkExpiresAt
        ? [{ key: searchAttributes.linkExpires, value: new Date(linkExpiresAt) }]
        : []),
    ]);
    Object.assign(listed, { reminders, linkExpiresAt });
  };
  const setStep = (step: OnboardingStep) => {
    if (status.step === step) return;
    status.step = step;
    upsertSearchAttributes([{ key: searchAttributes.step, value: step }]);
    publish();
  };
  return { status, publish, setStep };
}
