// Creates the local demo's access spreadsheet (if it does not exist yet) with one approved
// registration, the tabs and headers of the original Google Sheet. Usage: tsx scripts/sample-spreadsheet.ts FILE
import { existsSync } from 'node:fs';
import { createSpreadsheet } from '../intake/create-spreadsheet';
import { DEFAULT_ACCESS_COLUMNS } from '../intake/access-rows';

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

const file = process.argv[2];
if (!file) {
  console.error('usage: tsx scripts/sample-spreadsheet.ts FILE');
  process.exit(2);
}
run(file).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
