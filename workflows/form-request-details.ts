// What a form request says of itself in the workflow: who asks, and the Web UI's details.
// Workflow code: pure functions of the request and its status.
import type {
  RegistrationRequestOutcome,
  RegistrationRequestStatus,
} from '../shared/form-request-contract';
import { kindTable, requestProject, type FormRequest } from '../shared/request-kinds';

export function requester(request: FormRequest): {
  email: string;
  fullName: string;
  project: string;
} {
  const { values } = request;
  return {
    email: values.email,
    fullName: `${values.firstName} ${values.lastName}`.trim(),
    project: requestProject(request),
  };
}

const OUTCOME_WORDS: Record<RegistrationRequestOutcome, string> = {
  recorded: 'confirmed and written to the request sheet; waiting for the approvers',
  refused: 'refused: the requester is not a member of the project (they were mailed why)',
  expired: 'not confirmed in time; nothing was written',
};

/** The request in words, for the Web UI. */
export function requestDetails(request: FormRequest, status: RegistrationRequestStatus): string {
  const lines = [
    `**Request:** ${kindTable(request).asksFor}`,
    `**Step:** ${status.step.replace(/-/g, ' ')}`,
  ];
  if (status.outcome) lines.push(`**Outcome:** ${OUTCOME_WORDS[status.outcome]}`);
  if (status.failure) lines.push(`**Failed** ${status.failure}`);
  return lines.join('\n\n');
}
