// A confirmed /register or /quota-request request becomes a row of its request sheet, Approved
// left empty: the approvers approve it where they approve every other request.
import { ApplicationFailure, log } from '@temporalio/activity';
import { FailureType } from '../../shared/failures';
import { locateColumns } from '../../intake/access-rows';
import { locateQuotaColumns } from '../../intake/quota-rows';
import { cellsAt, findRowByKey, requestKey, type Columns } from '../../intake/sheet-layout';
import type { SheetSource } from '../../clients/sheets/sheet-source';
import type { RecordFormRequestInput } from '../../shared/activity-contracts';
import { pinCellOfRequest } from '../../shared/form-request-contract';
import { unknownKind, type FormValues } from '../../shared/request-kinds';
import type { ColumnMapping, QuotaColumnMapping } from '../../shared/sheet-columns';
import { classified } from '../errors';
import { serialized } from './keyed-tab';

export interface RequestSheet<M extends Record<string, string>> {
  source: SheetSource;
  tab: string;
  mapping: M;
}

export interface FormRequestDeps {
  access: RequestSheet<ColumnMapping>;
  /** Absent when no quota sheet is configured (the API then offers no /quota-request). */
  quota: RequestSheet<QuotaColumnMapping> | undefined;
}

/**
 * Appends the row unless a row with its key (e-mail + timestamp) is there already, so a retried
 * write makes one row. A column the sheet lacks is added after its last header: nothing the
 * person typed is dropped.
 */
export async function appendKeyedRow<C extends string>(
  sheet: RequestSheet<Record<C, string>>,
  columnsOf: (header: string[]) => Columns<C>,
  values: Partial<Record<C, string>> & { email: string; timestamp: string },
): Promise<{ key: string; appended: boolean }> {
  const { source, tab, mapping } = sheet;
  const key = requestKey(values.email, values.timestamp);
  const rows = await source.readRows(tab);
  const header = [...(rows[0] ?? [])];
  if (header.length === 0) {
    header.push(...(Object.values(mapping) as string[]));
    await source.appendRow(tab, header);
  }
  const before = columnsOf(header);
  if (findRowByKey(rows, before, key) !== undefined) return { key, appended: false };
  const missing = (Object.keys(values) as C[]).filter(
    (c) => before[c] === undefined && values[c] !== '',
  );
  if (missing.length > 0) {
    await source.updateCells(
      tab,
      1,
      header.length + 1,
      missing.map((c) => mapping[c]),
    );
    header.push(...missing.map((c) => mapping[c]));
  }
  await source.appendRow(tab, cellsAt(columnsOf(header), header.length, values));
  return { key, appended: true };
}

function needed<T>(sheet: T | undefined): T {
  if (sheet) return sheet;
  throw ApplicationFailure.nonRetryable(
    'a quota request was confirmed, but no quota sheet is configured: set [quota_sheet], then retry the workflow',
    FailureType.sheetRejected,
  );
}

export function createFormRequestActivities({ access, quota }: FormRequestDeps) {
  const writeAccess = (requestId: string, values: FormValues<'access'>, at: string) =>
    serialized(access.source)(() =>
      appendKeyedRow(access, (h) => locateColumns(h, access.mapping), {
        ...values,
        timestamp: at,
        approved: '',
        // A new user chose a PIN on the form: the sheet names the request, never the PIN.
        pin: values.existingAccount.toLowerCase() === 'no' ? pinCellOfRequest(requestId) : '',
      }),
    );
  const writeQuota = (values: FormValues<'quota'>, at: string) => {
    const sheet = needed(quota);
    return serialized(sheet.source)(() =>
      appendKeyedRow(sheet, (h) => locateQuotaColumns(h, sheet.mapping), {
        ...values,
        timestamp: at,
        approved: '',
      }),
    );
  };
  /** The request's row in its kind's sheet, under the writer the poll's activities use too. */
  function append({ requestId, request, at }: RecordFormRequestInput) {
    switch (request.kind) {
      case 'access':
        return writeAccess(requestId, request.values, at);
      case 'quota':
        return writeQuota(request.values, at);
      default:
        return unknownKind(request);
    }
  }

  return {
    async recordFormRequest(input: RecordFormRequestInput): Promise<{ key: string }> {
      return classified(async () => {
        const { key, appended } = await append(input);
        log.info(appended ? 'form request recorded' : 'form request was recorded before', {
          sheet: input.request.kind,
          requestId: input.requestId,
        });
        return { key };
      });
    },
  };
}
