// Requests made on the system's own forms (/register, /quota-request): the contract between the
// public API that takes them, the registrationRequest workflow that has them confirmed by e-mail,
// and the activities that write the confirmed ones into the request sheets.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { FormRequest } from './request-kinds';
import { REQUESTABLE_QUOTAS, type AccessColumn, type QuotaColumn } from './sheet-columns';

/** The access-sheet columns the /register form fills (the rest are the system's own). */
export const REGISTER_FORM_COLUMNS = [
  'firstName',
  'lastName',
  'email',
  'organisation',
  'role',
  'phone',
  'sponsor',
  'existingAccount',
  'newOrExisting',
  'newProjectName',
  'projectDescription',
  'existingProjectName',
  'additionalUsers',
  'projectContactName',
  'projectContactEmail',
  'comment',
] as const satisfies readonly AccessColumn[];
export type RegisterFormColumn = (typeof REGISTER_FORM_COLUMNS)[number];

/** The quota-sheet columns the /quota-request form fills. */
export const QUOTA_FORM_COLUMNS = [
  'firstName',
  'lastName',
  'email',
  'organisation',
  'project',
  'duration',
  'endDate',
  ...REQUESTABLE_QUOTAS,
  'comments',
] as const satisfies readonly QuotaColumn[];
export type QuotaFormColumn = (typeof QUOTA_FORM_COLUMNS)[number];

export interface RegistrationRequestInput {
  /** A random UUID: the workflow id is formRequestWorkflowId(requestId). */
  requestId: string;
  request: FormRequest;
  /**
   * A new user's PIN as an HMAC bound to this request (requestPinBinding), made by the API with
   * its key; the PIN itself is kept nowhere. Handed to setpass once the request is confirmed.
   */
  pinHash?: string;
  /** `<requestId>.<secret>`: mailed in the confirmation link; a secret (redacted, encrypted). */
  confirmToken: string;
  /** SHA-256 (hex) of confirmToken: what a confirmation must match. */
  confirmTokenHash: string;
  /** An unconfirmed request ends after this long, and nothing of it is written anywhere. */
  confirmWithinMs: number;
  /** Mail the approvers once per confirmed request ([approvers] mail_each_request). */
  mailApprovers: boolean;
}

export type RegistrationRequestOutcome =
  /** Confirmed and written to the request sheet, Approved left empty. */
  | 'recorded'
  /** A quota request from someone who is not a member of the project: they were mailed why. */
  | 'refused'
  /** Not confirmed in time: nothing was written. */
  | 'expired';

export interface RegistrationRequestStatus {
  /** `failed`: a permanent failure after the confirmation; the admins were mailed. */
  step: 'waiting-for-confirmation' | 'recording' | 'done' | 'failed';
  outcome?: RegistrationRequestOutcome;
  /** Where and why it failed (step `failed`); the workflow then fails FormRequestFailed. */
  failure?: string;
}

/** The POST of the confirmation page; refused (validator) unless it carries the mailed token. */
export const confirmRequestUpdate = defineUpdate<
  RegistrationRequestStatus,
  [{ tokenHash: string }]
>('confirm-request');
export const requestStatusQuery = defineQuery<RegistrationRequestStatus>('requestStatus');

export function formRequestWorkflowId(requestId: string): string {
  return `request:${requestId}`;
}

const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const REQUEST_ID_RULE = 'a lower-case UUID';

/** Form request ids are random UUIDs, lower case. */
export function isRequestId(value: string): boolean {
  return REQUEST_ID.test(value);
}

/** The request id a confirmation token starts with, or undefined for anything else. */
export function requestIdOfToken(token: string): string | undefined {
  const [id, secret, ...rest] = token.split('.');
  if (rest.length > 0 || !id || !secret || !isRequestId(id)) return undefined;
  if (!/^[A-Za-z0-9_-]{32,128}$/.test(secret)) return undefined;
  return id;
}

/**
 * What the PIN cell of a form request's row says: the PIN was set on the form, under this
 * request. The onboarding finds the PIN's HMAC in the setpass store by the request id.
 */
export const PIN_SET_ON_FORM = 'set on the form, request';
const PIN_CELL = new RegExp(
  `^${PIN_SET_ON_FORM} ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`,
  'i',
);

export function pinCellOfRequest(requestId: string): string {
  return `${PIN_SET_ON_FORM} ${requestId}`;
}

/** The request id a PIN cell names, or undefined when the cell is not one of ours. */
export function requestIdOfPinCell(cell: string): string | undefined {
  return PIN_CELL.exec(cell.trim())?.[1]?.toLowerCase();
}

/** The binding of a form PIN's HMAC (a set-password token's PIN is bound to its user id). */
export function requestPinBinding(requestId: string): string {
  return `request:${requestId}`;
}
