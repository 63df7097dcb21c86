// Where requests come from: the registration sheet, the quota request sheet and the header
// text of their columns.
import { DEFAULT_ACCESS_COLUMNS, DEFAULT_QUOTA_COLUMNS } from '../../shared/sheet-columns';
import { setting as s, type Section, type SettingSpec } from '../setting-spec';

/** `[columns] email = Email`: the header text of each logical column of a request sheet. */
function columnSettings<C extends string>(
  defaults: Record<C, string>,
  sheet: string,
): { [K in C]: SettingSpec & { kind: 'string' } } {
  const entries = Object.entries(defaults).map(([key, header]) => [
    key,
    s('string', `header of the ${sheet}'s "${String(header)}" column`, {
      default: String(header),
    }),
  ]);
  return Object.fromEntries(entries) as { [K in C]: SettingSpec & { kind: 'string' } };
}

export const intake = {
  source: s('choice', 'where registrations come from: local (a .xlsx file) or google', {
    default: 'local',
    choices: ['local', 'google'],
  }),
  local_file: s('path', 'the local spreadsheet (.xlsx) with the access tabs', {
    default: '.state/registrations.xlsx',
  }),
  spreadsheet_id: s('string', 'id of the Google Sheet (from its URL)', {
    default: '',
    optional: true,
  }),
  key_file: s('path', 'service-account key (JSON) that the sheet is shared with', {
    default: '',
    optional: true,
  }),
  sheets_url: s('url', 'Sheets API root (change only to test against a local server)', {
    default: 'https://sheets.googleapis.com/',
  }),
  access_tab: s('string', 'tab the registration form writes to', { default: 'Form Responses 1' }),
  current_users_tab: s('string', 'tab completed registrations move to', {
    default: 'Current Users',
  }),
  poll_interval: s('duration', 'how often the poller reads the sheet', { default: '5m' }),
} as const satisfies Section;

export const columns = columnSettings(DEFAULT_ACCESS_COLUMNS, 'access sheet');

export const quota_sheet = {
  local_file: s(
    'path',
    'the local spreadsheet (.xlsx) of quota requests ([intake] source = local)',
    {
      default: '',
      optional: true,
    },
  ),
  spreadsheet_id: s(
    'string',
    'id of the Google Sheet of quota requests ([intake] source = google)',
    {
      default: '',
      optional: true,
    },
  ),
  requests_tab: s('string', 'tab the quota request form writes to', {
    default: 'Form Responses 1',
  }),
  processed_tab: s('string', 'tab applied quota requests move to', {
    default: 'Processed Requests',
  }),
  revert_notice: s('duration', 'how long before a temporary change ends the members are told', {
    default: '7d',
  }),
} as const satisfies Section;

export const quota_columns = columnSettings(DEFAULT_QUOTA_COLUMNS, 'quota sheet');
