// The kinds of request the system's own forms take, each with one table of what differs by kind.
// A new kind is one more entry in FormColumnsOf: the compiler then asks for its table here and for
// its case in every switch over the kind (they end in unknownKind), so none quietly takes
// another kind's branch.
import type { TemplateName } from './mail-templates';
import {
  DEFAULT_ACCESS_COLUMNS,
  DEFAULT_QUOTA_COLUMNS,
  type AccessColumn,
  type QuotaColumn,
} from './sheet-columns';
import {
  QUOTA_FORM_COLUMNS,
  REGISTER_FORM_COLUMNS,
  type QuotaFormColumn,
  type RegisterFormColumn,
} from './form-request-contract';

/** What each kind's form asks, as its sheet's logical columns. */
export interface FormColumnsOf {
  access: RegisterFormColumn;
  quota: QuotaFormColumn;
}
export type RequestKind = keyof FormColumnsOf;
export type FormValues<K extends RequestKind> = Record<FormColumnsOf[K], string>;

export type FormRequestOf<K extends RequestKind> = {
  [P in K]: { kind: P; values: FormValues<P> };
}[K];
/** What the form asked for, as the sheet's logical columns. */
export type FormRequest = FormRequestOf<RequestKind>;

export interface RequestKindTable<K extends RequestKind> {
  /** The mail with the confirmation link. */
  confirmTemplate: TemplateName;
  /** "an account": what the Web UI says is asked for. */
  asksFor: string;
  /** "a request for an account": the request in the approvers' and admins' mails. */
  described: string;
  /** The form's columns, in its order, with the sheet's default headers. */
  formColumns: readonly FormColumnsOf[K][];
  defaultHeaders: Record<FormColumnsOf[K], string>;
  /** The header of the cell that names a PIN set on the form; undefined: the form takes none. */
  pinHeader: string | undefined;
  /** The project the request names, for the requester's mails. */
  project(values: FormValues<K>): string;
  /** The Web UI's summary of the workflow. */
  summary(values: FormValues<K>): string;
  /** What the confirmation page says is asked for: nothing of it is secret. */
  subject(values: FormValues<K>): string;
}

export const REQUEST_KINDS: { [K in RequestKind]: RequestKindTable<K> } = {
  access: {
    confirmTemplate: 'confirm-registration',
    asksFor: 'an account',
    described: 'a request for an account',
    formColumns: REGISTER_FORM_COLUMNS,
    defaultHeaders: DEFAULT_ACCESS_COLUMNS satisfies Record<AccessColumn, string>,
    pinHeader: DEFAULT_ACCESS_COLUMNS.pin,
    project: (v) => v.newProjectName || v.existingProjectName,
    summary: (v) => `Request for an account from ${v.email}`,
    subject: (v) => `an account for ${v.email}`,
  },
  quota: {
    confirmTemplate: 'confirm-quota-request',
    asksFor: 'more quota',
    described: 'a request for more quota',
    formColumns: QUOTA_FORM_COLUMNS,
    defaultHeaders: DEFAULT_QUOTA_COLUMNS satisfies Record<QuotaColumn, string>,
    pinHeader: undefined,
    project: (v) => v.project,
    summary: (v) => `Request for more quota in ${v.project} from ${v.email}`,
    subject: (v) => `more quota in project ${v.project}`,
  },
};

/** A kind's table (its words and templates; for its values, the functions below). */
export function kindTable<K extends RequestKind>({ kind }: { kind: K }): RequestKindTable<K> {
  return REQUEST_KINDS[kind];
}

// A call on the union would need the table and the values of one kind at once: one generic
// function pairs them, and the exports below take any request.
function withValues<K extends RequestKind, R>(
  request: FormRequestOf<K>,
  use: (table: RequestKindTable<K>, values: FormValues<K>) => R,
): R {
  return use(REQUEST_KINDS[request.kind], request.values);
}

export const requestProject = (request: FormRequest): string =>
  withValues<RequestKind, string>(request, (table, values) => table.project(values));
export const requestSummary = (request: FormRequest): string =>
  withValues<RequestKind, string>(request, (table, values) => table.summary(values));
export const requestSubject = (request: FormRequest): string =>
  withValues<RequestKind, string>(request, (table, values) => table.subject(values));

/** The request as its sheet's default headers and values, in the form's order. */
export const requestCells = (request: FormRequest): [string, string][] =>
  withValues<RequestKind, [string, string][]>(request, (table, values) =>
    table.formColumns.map((c) => [table.defaultHeaders[c], values[c]]),
  );

/** Ends a switch over the kind: a kind without a case leaves `kind` not `never`, and fails tsc. */
export function unknownKind(kind: never): never {
  throw new Error(`unknown request kind ${String(kind)}`);
}
