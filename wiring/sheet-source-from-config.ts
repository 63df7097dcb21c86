import type { Config } from '../config/schema';
import { GoogleSheetsSource } from '../clients/sheets/google-sheets-source';
import { LocalSpreadsheetSource } from '../clients/sheets/local-spreadsheet-source';
import type { SheetSource } from '../clients/sheets/sheet-source';

/** A Google Sheet by id, read with the access sheet's service-account key. */
function googleSheet({ intake }: Config, spreadsheetId: string, setting: string): SheetSource {
  if (!spreadsheetId || !intake.key_file) {
    throw new Error(
      `${setting} with [intake] source = google needs the sheet's id (from its URL) and [intake] key_file (a service-account key the sheet is shared with)`,
    );
  }
  return new GoogleSheetsSource({
    spreadsheetId,
    keyFile: intake.key_file,
    rootUrl: intake.sheets_url,
  });
}

export function sheetSourceFromConfig(config: Config): SheetSource {
  const { intake } = config;
  if (intake.source === 'local') return new LocalSpreadsheetSource(intake.local_file);
  return googleSheet(config, intake.spreadsheet_id, '[intake] spreadsheet_id');
}

/** Whether a quota sheet is set for the access sheet's kind of source (local file or Google). */
export function hasQuotaSheet({ intake, quota_sheet }: Config): boolean {
  return intake.source === 'local'
    ? quota_sheet.local_file !== ''
    : quota_sheet.spreadsheet_id !== '';
}

/** The quota sheet's source (same kind and key file as the access sheet), or none if not set. */
export function quotaSheetSourceFromConfig(config: Config): SheetSource | undefined {
  const { intake, quota_sheet } = config;
  if (!hasQuotaSheet(config)) return undefined;
  if (intake.source === 'local') return new LocalSpreadsheetSource(quota_sheet.local_file);
  return googleSheet(config, quota_sheet.spreadsheet_id, '[quota_sheet] spreadsheet_id');
}

/** Where a person opens a sheet: the Google Sheets URL, or the local file. */
export function sheetLink(config: Config, which: 'access' | 'quota'): string {
  const id = which === 'access' ? config.intake.spreadsheet_id : config.quota_sheet.spreadsheet_id;
  const file = which === 'access' ? config.intake.local_file : config.quota_sheet.local_file;
  return config.intake.source === 'google'
    ? `https://docs.google.com/spreadsheets/d/${id}/edit`
    : file;
}
