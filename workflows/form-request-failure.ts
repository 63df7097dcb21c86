// What the admins are told when a confirmed form request fails for good: where it stopped, why
// (never a token or the PIN's hash), what is left to do, and the row to add by hand. Workflow
// code: pure functions of the request.
import { workflowInfo } from '@temporalio/workflow';
import { pinCellOfRequest, type RegistrationRequestInput } from '../shared/form-request-contract';
import { kindTable, requestCells, type FormRequest } from '../shared/request-kinds';

/** Where a confirmed request stopped, in words for the admins. */
export type Stage =
  'membership' | 'refusal-mail' | 'additional-users' | 'pin' | 'row' | 'approvers-mail';
export const DOING: Record<Stage, string> = {
  membership: 'while checking the project membership',
  'refusal-mail': 'while mailing the requester that they are not a member of the project',
  'additional-users': 'while looking up the additional users',
  pin: "while handing the PIN's hash to setpass",
  row: 'while writing the row to the request sheet',
  'approvers-mail': 'while mailing the approvers',
};

/** What is left for the admins, by how far the request got. */
function todo(stage: Stage, pinLost: boolean): string {
  if (stage === 'approvers-mail') {
    return 'The row is in the request sheet: nothing to add. Only the mail to the approvers failed; their digest lists the row.';
  }
  if (stage === 'refusal-mail') {
    return 'Nothing was written (the requester is not a member of the project), and they were not told why: tell them if you can.';
  }
  // Setpass holds no hash of the PIN: a row added by hand could never take it.
  if (pinLost) {
    return 'Nothing was written, and setpass does not hold the PIN, which only the person knows: once the cause is fixed, ask them to send the form again.';
  }
  const unchecked =
    stage === 'additional-users'
      ? ' The additional users were not checked: keep only those with an account.'
      : '';
  return `Nothing was written. Once the cause is fixed, add the row below to the request sheet by hand, Approved empty: it then goes the way of every row.${unchecked}`;
}

/** The message of the failure an activity raised (its ApplicationFailure), not the wrapper's. */
export function failureReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? err.cause.message : err.message;
}

/** An error text as the admins may read it: never the confirmation token or the PIN's hash. */
export function withoutSecrets(input: RegistrationRequestInput, text: string): string {
  const secrets = [input.confirmToken, input.confirmTokenHash, input.pinHash];
  secrets.push(input.confirmToken.slice(input.confirmToken.indexOf('.') + 1));
  return secrets
    .filter((s): s is string => !!s && s.length >= 16)
    .reduce((t, s) => t.split(s).join('«redacted»'), text);
}

/**
 * What to do, and the row as it would have been written (under the default headers), for the
 * admins' mail: everything the person typed but the PIN, which the row never holds.
 */
export function failureDetails(
  input: RegistrationRequestInput,
  request: FormRequest,
  { stage, pinKept, confirmedAt }: { stage: Stage; pinKept: boolean; confirmedAt: string },
): string {
  const table = kindTable(request);
  const cells: [string, string][] = [['Timestamp', confirmedAt], ...requestCells(request)];
  if (input.pinHash && table.pinHeader) {
    cells.push([
      table.pinHeader,
      pinKept
        ? pinCellOfRequest(input.requestId)
        : '(not kept: the person must send the form again)',
    ]);
  }
  return [
    `What to do: ${todo(stage, !!input.pinHash && !pinKept)}`,
    '',
    `The row (${request.kind} sheet, default headers; empty cells left out):`,
    ...cells.filter(([, v]) => v !== '').map(([h, v]) => `  ${h}: ${v}`),
    '',
    `Request ${input.requestId}; workflow ${workflowInfo().workflowId}.`,
  ].join('\n');
}
