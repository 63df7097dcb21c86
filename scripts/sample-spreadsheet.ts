// Creates the local demo's access spreadsheet (if it does not exist yet) with one approved
// registration, the tabs and headers of the original Google Sheet; and, given a second file, the
// quota sheet with one approved change for the demo's project.
// Usage: tsx scripts/sample-spreadsheet.ts ACCESS_FILE [QUOTA_FILE]
import { existsSync } from 'node:fs';
import { createSpreadsheet } from '../clients/sheets/create-spreadsheet';
import { DEFAULT_ACCESS_COLUMNS } from '../shared/sheet-columns';
import { DEFAULT_QUOTA_COLUMNS } from '../shared/sheet-columns';

async function quotaSheet(file: string): Promise<void> {
  if (existsSync(file)) {
    console.log(`${file} exists: left as it is`);
    return;
  }
  const header = Object.values(DEFAULT_QUOTA_COLUMNS);
  const sample: Record<string, string> = {
    Approved: 'Approved',
    Timestamp: '2026-11-29 09:30:00',
    Email: 'ada.lovelace@example.org',
    'First name': 'Ada',
    'Last name': 'Lovelace',
    Project: 'analytical-engine',
    'Temporary/Permanent': 'Permanent',
    cores: '32',
    ram: '64',
    network: '6',
    Comments: 'more cores for the demo',
  };
  await createSpreadsheet(file, {
    'Form Responses 1': [header, header.map((h) => sample[h] ?? '')],
    'Processed Requests': [header],
  });
  console.log(`${file} created with one approved quota change for analytical-engine`);
}

async function run(file: string): Promise<void> {
  if (existsSync(file)) {
    console.log(`${file} exists: left as it is`);
    return;
  }
  const header = Object.values(DEFAULT_ACCESS_COLUMNS);
  const sample: Record<string, string> = {
    Approved: 'approved',
    Timestamp: '2026-11-29 09:00:00',
    Email: 'charles.babbage@example.org',
    'First name': 'Charles',
    'Last name': 'Babbage',
    'Existing account?': 'No',
    Organisation: 'Analytical Society',
    PIN: '1791',
    'New or existing project': 'New',
    'New project name': 'difference-engine',
    'Project description': 'Sample project of the local demo',
  };
  await createSpreadsheet(file, {
    'Form Responses 1': [header, header.map((h) => sample[h] ?? '')],
    'Current Users': [header],
  });
  console.log(
    `${file} created with one approved registration (charles.babbage@example.org, PIN 1791)`,
  );
}

const [file, quotaFile] = process.argv.slice(2);
if (!file) {
  console.error('usage: tsx scripts/sample-spreadsheet.ts ACCESS_FILE [QUOTA_FILE]');
  process.exit(2);
}
run(file)
  .then(() => (quotaFile ? quotaSheet(quotaFile) : undefined))
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
