import type { Config } from '../config/schema';
import { GoogleSheetsSource } from '../intake/google-sheets-source';
import { LocalSpreadsheetSource } from '../intake/local-spreadsheet-source';
import type { SheetSource } from '../intake/sheet-source';

export function sheetSourceFromConfig({ intake }: Config): SheetSource {
  if (intake.source === 'local') return new LocalSpreadsheetSource(intake.local_file);
  if (!intake.spreadsheet_id || !intake.key_file) {
    throw new Error(
      '[intake] source = google needs spreadsheet_id (from the sheet URL) and key_file (a service-account key the sheet is shared with)',
    );
  }
  return new GoogleSheetsSource({
    spreadsheetId: intake.spreadsheet_id,
    keyFile: intake.key_file,
    rootUrl: intake.sheets_url,
  });
}

/** The quota sheet's source (same kind and key file as the access sheet), or none if not set. */
export function quotaSheetSourceFromConfig({
  intake,
  quota_sheet,
}: Config): SheetSource | undefined {
  if (intake.source === 'local') {
    return quota_sheet.local_file ? new LocalSpreadsheetSource(quota_sheet.local_file) : undefined;
  }
  if (!quota_sheet.spreadsheet_id) return undefined;
  if (!intake.key_file) {
    throw new Error(
      '[quota_sheet] spreadsheet_id needs [intake] key_file (a service-account key the sheet is shared with)',
    );
  }
  return new GoogleSheetsSource({
    spreadsheetId: quota_sheet.spreadsheet_id,
    keyFile: intake.key_file,
    rootUrl: intake.sheets_url,
  });
}

/** Where a person opens a sheet: the Google Sheets URL, or the local file. */
export function sheetLink(config: Config, which: 'access' | 'quota'): string {
  const id = which === 'access' ? config.intake.spreadsheet_id : config.quota_sheet.spreadsheet_id;
  const file = which === 'access' ? config.intake.local_file : config.quota_sheet.local_file;
  return config.intake.source === 'google'
    ? `https://docs.google.com/spreadsheets/d/${id}/edit`
    : file;
}
