// secrets-scan: after a full run (onboardings, passwords set from the mailed links, one
// reset through the /reset form, one /register request confirmed by mail, approved in the sheet
// and onboarded with the form's PIN, one /quota-request), no temporary password, PIN,
// set-password or confirmation token or chosen password is readable in the workflow histories as
// the Temporal CLI exports them, in what the codec endpoint answers the Web UI and the CLI about
// them, in the token store's files, in any log, or in any cell of any tab of the access and quota
// sheets. The scan first proves on planted secrets that it can find them, and on the run's own
// payloads, decoded without redaction, that it would see a codec endpoint that failed to redact.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { hashToken, SecretBox } from '../../api/secrets';
import { createSpreadsheet } from '../../clients/sheets/create-spreadsheet';
import { LocalSpreadsheetSource } from '../../clients/sheets/local-spreadsheet-source';
import { requestKey } from '../../intake/sheet-layout';
import { loadWorkbook } from '../../clients/sheets/xlsx-workbook';
import { ENCRYPTED_ENCODING, EncryptionCodec } from '../../lib/payload-encryption';
import type { JsonPayload } from '../../codec/payload-json';
import { createCodecServer, startCodecServer } from '../../codec/server';
import type { Config } from '../../config/schema';
import {
  onboardingWorkflowId,
  resetWorkflowId,
  statusQuery,
  type Registration,
} from '../../shared/onboarding';
import { formRequestWorkflowId, requestIdOfToken } from '../../shared/form-request-contract';
import { DEFAULT_ACCESS_COLUMNS as A } from '../../shared/sheet-columns';
import type {
  onboardUser,
  pollRegistrations,
  registrationRequest,
  resetPassword,
} from '../../workflows';
import { formSession, postForm } from '../support/forms';
import {
  confirmByLink,
  confirmLinkFromMail,
  quotaFields,
  registerFields,
  sendForm,
  ACCESS_TAB,
  requestSheets,
} from '../support/request-forms';
import {
  eventually,
  keystoneLogin,
  mailsTo,
  mailText,
  temporalCli,
  uniqueName,
} from '../support/services';
import { people, sleep, startAll, startStack, type Stack } from './fault-support';
import type { Scenario, ScenarioResult } from './scenario';

const execFileAsync = promisify(execFile);

type Kind =
  'temporary password' | 'set-password token' | 'confirmation token' | 'new password' | 'PIN';

interface Secret {
  kind: Kind;
  value: string;
}

interface Haystack {
  name: string;
  text: string;
  bytes: number;
  /** Decoded payloads and logs: a PIN as a bare JSON string value ("1234") counts there too. */
  bareJsonPins: boolean;
}

interface Find {
  kind: Kind;
  haystack: string;
  form: string;
  /** The surroundings with every known secret blanked out: never the secret itself. */
  excerpt: string;
}

const SET_PASSWORD_SUBJECT = /choose your .* password/i;
const RESET_SUBJECT = /new .* password link/i;
const LINK = /(http:\/\/\S+\?token=[A-Za-z0-9_-]+)/;

/**
 * A secret can sit inside a longer base64 text at any of three byte alignments, so whole
 * base64 of the secret alone would miss it: for each alignment, the characters that depend on
 * the secret's bytes only (full 3-byte groups), in the standard and the URL alphabet.
 */
function base64Fragments(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const fragments: string[] = [];
  for (const lead of [0, 1, 2]) {
    const usable = bytes.length - (lead === 0 ? 0 : 3 - lead);
    const groups = Math.floor(usable / 3);
    if (groups < 2) continue;
    const encoded = Buffer.concat([Buffer.alloc(lead), bytes]).toString('base64');
    const fragment = encoded.slice(lead === 0 ? 0 : 4, (lead === 0 ? 0 : 4) + groups * 4);
    fragments.push(fragment, fragment.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return fragments;
}

/** The ways a long secret can be written down: as is, URL- or form-encoded, base64. */
function needles(value: string): { form: string; needle: string }[] {
  const all = [
    { form: 'plain', needle: value },
    { form: 'URL-encoded', needle: encodeURIComponent(value) },
    { form: 'form-encoded', needle: new URLSearchParams({ v: value }).toString().slice(2) },
    ...base64Fragments(value).map((needle) => ({ form: 'base64', needle })),
  ];
  return all.filter((n, i) => all.findIndex((m) => m.needle === n.needle) === i);
}

/**
 * PINs are 4 digits, found by chance in every timestamp and id, so only a PIN in a context that
 * names or carries it counts: after a key `pin` (any case, not part of a longer name) and `:` or
 * `=`, quoted or not (`"pin":"1234"`, `pin=1234`, `pin: '1234'`, `PIN 1234` is not a key). In
 * decoded payloads and logs also as a bare JSON string value `"1234"`; not in the CLI's history
 * JSON, whose numeric fields are strings ("historySizeBytes": "1234").
 */
function pinPatterns(pin: string, bareJson: boolean): { form: string; pattern: RegExp }[] {
  const keyed = {
    form: 'after a pin key',
    pattern: new RegExp(`(?<![A-Za-z0-9_])pin["']?\\s*[:=]\\s*["']?${pin}(?!\\d)`, 'i'),
  };
  return bareJson
    ? [keyed, { form: 'JSON string value', pattern: new RegExp(`"${pin}"`) }]
    : [keyed];
}

/**
 * The text around a find with every known secret masked, also one cut by the excerpt's edges:
 * occurrences are looked up in a wider window than the one shown.
 */
function excerpt(text: string, at: number, length: number, secrets: Secret[]): string {
  const from = Math.max(0, at - 80);
  const to = Math.min(text.length, at + length + 80);
  const margin = 512; // longer than any needle
  const wideFrom = Math.max(0, from - margin);
  const wide = text.slice(wideFrom, to + margin);
  const mask = new Array<Kind | undefined>(to - from);
  for (const s of secrets) {
    const forms = s.kind === 'PIN' ? [s.value] : needles(s.value).map((n) => n.needle);
    for (const f of forms) {
      for (let i = wide.indexOf(f); i >= 0; i = wide.indexOf(f, i + 1)) {
        const start = Math.max(wideFrom + i, from);
        const end = Math.min(wideFrom + i + f.length, to);
        for (let j = start; j < end; j++) mask[j - from] ??= s.kind;
      }
    }
  }
  let out = '';
  for (let j = from; j < to; j++) {
    const kind = mask[j - from];
    if (kind === undefined) out += /[\x20-\x7e]/.test(text[j]!) ? text[j] : '.';
    else if (mask[j - from - 1] !== kind || j === from) out += `<${kind}>`;
  }
  return out;
}

function search(secrets: Secret[], haystacks: Haystack[]): Find[] {
  const finds: Find[] = [];
  for (const h of haystacks) {
    for (const s of secrets) {
      const hits: { form: string; at: number; length: number }[] =
        s.kind === 'PIN'
          ? pinPatterns(s.value, h.bareJsonPins).flatMap(({ form, pattern }) => {
              const m = pattern.exec(h.text);
              return m ? [{ form, at: m.index, length: m[0].length }] : [];
            })
          : needles(s.value).flatMap(({ form, needle }) => {
              const at = h.text.indexOf(needle);
              return at >= 0 ? [{ form, at, length: needle.length }] : [];
            });
      for (const hit of hits) {
        finds.push({
          kind: s.kind,
          haystack: h.name,
          form: hit.form,
          excerpt: excerpt(h.text, hit.at, hit.length, secrets),
        });
      }
    }
  }
  return finds;
}

/** A file's raw bytes as latin1 text: binary pages of SQLite keep every byte searchable. */
function fileHaystack(name: string, file: string, bareJsonPins = false): Haystack | undefined {
  if (!existsSync(file)) return undefined;
  const bytes = readFileSync(file);
  return { name, text: bytes.toString('latin1'), bytes: bytes.length, bareJsonPins };
}

function textHaystack(name: string, text: string, bareJsonPins: boolean): Haystack {
  return { name, text, bytes: Buffer.byteLength(text), bareJsonPins };
}

/** The store's database and its WAL and shared-memory files, as they are on disk right now. */
function storeFiles(database: string, when: string): Haystack[] {
  const files = { '': 'database', '-wal': 'WAL', '-shm': 'shared memory' };
  return Object.entries(files)
    .map(([suffix, what]) => fileHaystack(`token store ${what} ${when}`, database + suffix))
    .filter((h): h is Haystack => h !== undefined);
}

/** One tab of a request sheet, as the product reads it. */
interface SheetTab {
  sheet: string;
  tab: string;
  rows: string[][];
}

/** Every tab of a local .xlsx request sheet, each read with LocalSpreadsheetSource.readRows. */
async function readSheet(sheet: string, file: string): Promise<SheetTab[]> {
  const source = new LocalSpreadsheetSource(file);
  const tabs: SheetTab[] = [];
  for (const { name } of (await loadWorkbook(file)).worksheets)
    tabs.push({ sheet, tab: name, rows: await source.readRows(name) });
  return tabs;
}

/** A sheet's cells as JSON strings, one tab a line: a cell holding just a PIN reads "1234". */
function sheetHaystack(sheet: string, tabs: SheetTab[]): Haystack {
  const text = tabs.map((t) => `${JSON.stringify(t.tab)}: ${JSON.stringify(t.rows)}`).join('\n');
  return textHaystack(`${sheet} sheet (every tab)`, text, true);
}

interface CellFind {
  where: string;
}

/**
 * A PIN in a cell, alone or in words ("PIN: 1234"), not part of a longer number, word or hex id
 * (a request's UUID, a timestamp's digits). Reported by place, never by value.
 */
function pinsInCells(pins: string[], tabs: SheetTab[]): CellFind[] {
  const patterns = pins.map((pin) => new RegExp(`(?<![0-9A-Za-z])${pin}(?![0-9A-Za-z])`));
  const finds: CellFind[] = [];
  for (const { sheet, tab, rows } of tabs) {
    const header = rows[0] ?? [];
    rows.forEach((cells, r) =>
      cells.forEach((cell, c) => {
        if (patterns.some((p) => p.test(cell)))
          finds.push({
            where: `${sheet} sheet, tab "${tab}", row ${r + 1}, column "${header[c] ?? c + 1}"`,
          });
      }),
    );
  }
  return finds;
}

/** Proves the sheet part finds a PIN planted in a cell of any tab, and no PIN by chance. */
async function sheetSelfCheck(): Promise<void> {
  const file = join(mkdtempSync(join(tmpdir(), 'kaizen-secrets-sheet-')), 'planted.xlsx');
  await createSpreadsheet(file, {
    [ACCESS_TAB]: [
      ['Timestamp', 'PIN', 'Comment'],
      [
        '2026-12-01T12:34:56.789Z',
        'set on the form, request 0a1b2c3d-e5f6-4a7b-8c9d-ab5678cd0e1f',
        'my PIN is 4321',
      ],
    ],
    'Current Users': [['PIN'], ['4321'], ['x15678']],
  });
  const tabs = await readSheet('planted', file);
  const found = pinsInCells(['4321'], tabs).length;
  const chance = pinsInCells(['5678'], tabs).length;
  const inHaystack = search([{ kind: 'PIN', value: '4321' }], [sheetHaystack('planted', tabs)]);
  if (tabs.length !== 2 || found !== 2 || chance !== 0 || inHaystack.length === 0) {
    throw new Error(
      `self-check: the sheet scan is broken (${tabs.length} tabs read, planted PIN in ${found} ` +
        `of 2 cells, ${chance} finds by chance, ${inHaystack.length} in the sheet's haystack)`,
    );
  }
}

/** Confirms a form request from its mailed link; its workflow must write it to its sheet. */
async function confirmRequest(stack: Stack, link: string): Promise<void> {
  const answer = await confirmByLink(link);
  if (answer.status !== 200) throw new Error(`/confirm answered ${answer.status}: ${answer.text}`);
  const requestId = requestIdOfToken(new URL(link).searchParams.get('token') ?? '');
  if (!requestId) throw new Error(`the confirmation link carries no request id: ${link}`);
  const outcome = await stack.client.workflow
    .getHandle<typeof registrationRequest>(formRequestWorkflowId(requestId))
    .result();
  if (outcome !== 'recorded') throw new Error(`the form request ended ${outcome}`);
}

/** Proves the search finds planted secrets in every form it claims to cover, and no more. */
function selfCheck(): void {
  const dir = mkdtempSync(join(tmpdir(), 'kaizen-secrets-check-'));
  const fake: Secret = {
    kind: 'temporary password',
    value: `Fake/${randomBytes(18).toString('base64')}+&=?`,
  };
  const pin: Secret = { kind: 'PIN', value: '1234' };
  const json = JSON.stringify({ password: fake.value, other: 'x' });
  const planted = (label: string, content: string, bareJsonPins = true) => {
    const file = join(dir, `${label.replace(/\W+/g, '-')}.txt`);
    writeFileSync(file, content);
    return fileHaystack(label, file, bareJsonPins)!;
  };
  const expectations: { haystack: Haystack; secret: Secret; found: boolean }[] = [
    { haystack: planted('plain', `line ${json} end`), secret: fake, found: true },
    {
      haystack: planted('url', `GET /?password=${encodeURIComponent(fake.value)}&x=1`),
      secret: fake,
      found: true,
    },
    ...[0, 1, 2, 3].map((lead) => ({
      haystack: planted(
        `base64 after ${lead} bytes`,
        `"data":"${Buffer.concat([randomBytes(lead), Buffer.from(json)]).toString(lead === 3 ? 'base64url' : 'base64')}"`,
      ),
      secret: fake,
      found: true,
    })),
    {
      haystack: planted('clean', `line ${JSON.stringify({ other: 'x' })}`),
      secret: fake,
      found: false,
    },
    { haystack: planted('pin json', '{"email":"a@b.org","pin":"1234"}'), secret: pin, found: true },
    { haystack: planted('pin form', 'name=A&pin=1234&x=1', false), secret: pin, found: true },
    { haystack: planted('pin bare', '{"args":["a@b.org","1234"]}'), secret: pin, found: true },
    {
      haystack: planted('pin by chance', 'time=2026-11-29T12:34:56.1234Z id=01a21234 "p":12345'),
      secret: pin,
      found: false,
    },
  ];
  const wrong = expectations.filter((e) => search([e.secret], [e.haystack]).length > 0 !== e.found);
  if (wrong.length > 0) {
    throw new Error(
      `self-check: the search is broken (${wrong
        .map((e) => `${e.haystack.name}: ${e.found ? 'missed' : 'false find'}`)
        .join(', ')})`,
    );
  }
  // A report names the kind, never a secret: not even one cut by the excerpt's edge.
  const other: Secret = { kind: 'new password', value: `Other-${randomUUID()}` };
  const finds = search(
    [fake, other],
    [planted('cut', `${other.value}${'z'.repeat(70)}${fake.value}`)],
  );
  const shown = finds.find((f) => f.excerpt.startsWith('<new password>z'));
  if (!shown || finds.some((f) => f.excerpt.includes(other.value.slice(-10))))
    throw new Error('self-check: a find would print a secret');
}

/** The token the set-password or reset mail to `email` carries. */
async function mailedToken(
  email: string,
  subject: RegExp,
): Promise<{ link: string; token: string }> {
  const mail = await eventually(`the mail "${subject.source}" to ${email}`, async () =>
    (await mailsTo(email)).find((m) => subject.test(m.Subject)),
  );
  const link = LINK.exec(await mailText(mail.ID))?.[1];
  if (!link) throw new Error(`the mail to ${email} carries no link`);
  return { link, token: new URL(link).searchParams.get('token')! };
}

/** The store's row for a workflow, read as an admin tool would: read-only, beside the API. */
function storeRow(
  database: string,
  workflowId: string,
): { user_id: string; token_hash: string; password_sealed: Buffer } | undefined {
  const db = new Database(database, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare('SELECT user_id, token_hash, password_sealed FROM tokens WHERE workflow_id = ?')
      .get(workflowId) as
      { user_id: string; token_hash: string; password_sealed: Buffer } | undefined;
  } finally {
    db.close();
  }
}

/** The temporary password and token waiting for a person; the mailed token must be the stored one. */
async function captureWaiting(
  stack: Stack,
  workflowId: string,
  email: string,
  subject: RegExp,
): Promise<{ temporary: string; link: string; token: string }> {
  const database = stack.env.KAIZEN_SETPASS__DATABASE!;
  const { link, token } = await mailedToken(email, subject);
  const row = await eventually(`the token store row of ${workflowId}`, async () =>
    storeRow(database, workflowId),
  );
  if (row.token_hash !== hashToken(token))
    throw new Error(`${email}: the mailed token is not the one in the store`);
  const temporary = new SecretBox(stack.config.secrets.setpass_key).decrypt(
    row.user_id,
    row.password_sealed,
  );
  return { temporary, link, token };
}

/** Sets a new password from a mailed link as the person would; Keystone must accept it. */
async function setPassword(
  stack: Stack,
  email: string,
  link: string,
  token: string,
  pin: string,
): Promise<string> {
  const password = `Rel-${randomUUID()}`;
  const session = await formSession(link);
  const answer = await postForm(
    new URL('./', link).toString(),
    { token, pin, password, confirm_password: password },
    session,
  );
  if (answer.status !== 200) throw new Error(`${email}: set-password answered ${answer.status}`);
  // Keystone revokes tokens by the second of a password change: let that second pass.
  await sleep(1100);
  const login = await keystoneLogin(stack.config, email, password);
  if (login.status !== 201) throw new Error(`${email}: Keystone login answered ${login.status}`);
  return password;
}

/** Distinct PINs, none a year of this era: a sheet's timestamps hold those as bare digits. */
function distinctPins(n: number): string[] {
  const pins = new Set<string>();
  while (pins.size < n) {
    const pin = randomInt(1000, 10000);
    if (pin < 1900 || pin >= 2100) pins.add(String(pin));
  }
  return [...pins];
}

interface History {
  workflowId: string;
  runId: string;
  /** `temporal workflow show --output json`, without a codec endpoint: payloads as stored. */
  json: string;
}

/** One history as `temporal workflow show --output json` prints it, with the CLI's other options. */
async function showHistory(
  stack: Stack,
  run: { workflowId: string; runId: string },
  options: string[] = [],
): Promise<string> {
  const { stdout } = await execFileAsync(
    temporalCli(),
    [
      'workflow',
      'show',
      '--workflow-id',
      run.workflowId,
      '--run-id',
      run.runId,
      '--output',
      'json',
      '--address',
      stack.config.temporal.address,
      '--namespace',
      stack.config.temporal.namespace,
      ...options,
    ],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  return stdout;
}

/** Every history on the task queue as the Temporal CLI exports it. */
async function exportHistories(stack: Stack, expected: number): Promise<History[]> {
  const queue = stack.env.KAIZEN_TEMPORAL__TASK_QUEUE!;
  // Visibility trails the workflows by a moment: wait until every one is listed.
  const runs = await eventually(`${expected} workflows listed on the task queue`, async () => {
    const found: { workflowId: string; runId: string }[] = [];
    for await (const w of stack.client.workflow.list({ query: `TaskQueue = "${queue}"` }))
      found.push({ workflowId: w.workflowId, runId: w.runId });
    return found.length >= expected ? found : undefined;
  });
  const histories: History[] = [];
  for (const run of runs) histories.push({ ...run, json: await showHistory(stack, run) });
  return histories;
}

function historyHaystacks({ workflowId, json }: History): Haystack[] {
  return [
    textHaystack(`history of ${workflowId} (CLI JSON)`, json, false),
    textHaystack(`history of ${workflowId} (decoded plain payloads)`, plainPayloads(json), true),
  ];
}

const fromBase64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');
const encodingOf = (payload: JsonPayload) => fromBase64(payload.metadata.encoding ?? '');

/**
 * Every payload under `node` in the codec protocol's JSON, which is how the CLI exports them:
 * inputs, results, signal and update arguments, failure details, memo, search attributes, the
 * user metadata (summary, details) of events.
 */
function payloadsIn(node: unknown, found: JsonPayload[] = []): JsonPayload[] {
  if (Array.isArray(node)) {
    for (const item of node) payloadsIn(item, found);
  } else if (node && typeof node === 'object') {
    const { metadata, data } = node as { metadata?: unknown; data?: unknown };
    const encoding = (metadata as { encoding?: unknown } | undefined)?.encoding;
    if (metadata && typeof metadata === 'object' && typeof encoding === 'string') {
      found.push({
        metadata: metadata as Record<string, string>,
        ...(typeof data === 'string' ? { data } : {}),
      });
    } else {
      for (const value of Object.values(node)) payloadsIn(value, found);
    }
  }
  return found;
}

/** The payloads of each event that has any, as the Web UI sends them to the codec endpoint. */
function eventPayloads(historyJson: string): JsonPayload[][] {
  const { events = [] } = JSON.parse(historyJson) as { events?: unknown[] };
  return events.map((event) => payloadsIn(event)).filter((payloads) => payloads.length > 0);
}

/** The text of every payload not encrypted by the codec (search attributes, anything leaked). */
function plainPayloads(historyJson: string): string {
  return payloadsIn(JSON.parse(historyJson))
    .filter((p) => encodingOf(p) !== ENCRYPTED_ENCODING && p.data !== undefined)
    .map((p) => fromBase64(p.data!))
    .join('\n');
}

/** A codec endpoint's request log, as the endpoint writes it. */
interface CodecLogEntry {
  method?: string;
  path?: string;
  status?: number;
  origin?: string | null;
}

/** An endpoint listening on a free loopback port. */
interface Endpoint {
  url: string;
  close(): Promise<void>;
}

/**
 * The same endpoint with a codec that decrypts and does not redact: what the real one would answer
 * if redaction broke. The scan must find the secrets in its answers.
 */
async function unredactedEndpoint(config: Config): Promise<Endpoint> {
  const previous = config.secrets.previous_codec_keys.map((k) => Buffer.from(k, 'base64'));
  const plain = new EncryptionCodec(config.secrets.codec_key, previous);
  const app = createCodecServer({
    codec: plain,
    namespace: config.temporal.namespace,
    allowedOrigins: config.codec.allowed_origins,
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** The origin of the local Web UI, whose browser calls the endpoint. */
const uiOrigin = () => new URL(process.env.KAIZEN_TEMPORAL_UI ?? 'http://127.0.0.1:8233').origin;

/**
 * POST /decode as the Web UI's browser does (JSON, X-Namespace, its Origin) or, without `origin`,
 * as the temporal CLI does. Throws unless every payload comes back, none of them still encrypted.
 */
async function decodeThrough(
  endpoint: string,
  namespace: string,
  payloads: JsonPayload[],
  origin?: string,
): Promise<{ body: string; payloads: JsonPayload[]; decrypted: number }> {
  const response = await fetch(`${endpoint}/decode`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-Namespace': namespace,
      ...(origin ? { Origin: origin } : {}),
    },
    body: JSON.stringify({ payloads }),
  });
  const body = await response.text();
  if (response.status !== 200) {
    // The endpoint's refusals name the problem, never a payload.
    throw new Error(`the codec endpoint answered /decode with ${response.status}: ${body}`);
  }
  if (origin && response.headers.get('access-control-allow-origin') !== origin)
    throw new Error(`the codec endpoint did not allow the Web UI's origin ${origin}`);
  const answer = (JSON.parse(body) as { payloads?: JsonPayload[] }).payloads ?? [];
  if (answer.length !== payloads.length) {
    throw new Error(`the codec endpoint answered ${answer.length} of ${payloads.length} payloads`);
  }
  let decrypted = 0;
  for (const [i, sent] of payloads.entries()) {
    if (encodingOf(sent) !== ENCRYPTED_ENCODING) continue;
    if (encodingOf(answer[i]!) === ENCRYPTED_ENCODING)
      throw new Error('the codec endpoint answered an encrypted payload still encrypted');
    decrypted += 1;
  }
  return { body, payloads: answer, decrypted };
}

/** The Web UI's CORS preflight before its first POST: the endpoint must let it through. */
async function preflight(endpoint: string, origin: string): Promise<void> {
  const response = await fetch(`${endpoint}/decode`, {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'content-type,x-namespace',
    },
  });
  if (response.status !== 204 || response.headers.get('access-control-allow-origin') !== origin)
    throw new Error(`the codec endpoint refused the Web UI's preflight: ${response.status}`);
}

/** Decoded payloads as a person reads them: metadata and data as text, one payload a line. */
function decodedText(payloads: JsonPayload[]): string {
  return payloads
    .map((p) => {
      const metadata = Object.fromEntries(
        Object.entries(p.metadata).map(([key, value]) => [key, fromBase64(value)]),
      );
      return `${JSON.stringify(metadata)} ${p.data === undefined ? '' : fromBase64(p.data)}`;
    })
    .join('\n');
}

/**
 * Every payload of every history through `endpoint` the way the Web UI asks: one POST per event.
 * The haystack holds the decoded text and the answers as sent (base64 forms).
 */
async function webUiAnswers(
  endpoint: string,
  namespace: string,
  histories: History[],
): Promise<{ haystacks: Haystack[]; posted: number; decrypted: number }> {
  const origin = uiOrigin();
  await preflight(endpoint, origin);
  const haystacks: Haystack[] = [];
  let posted = 0;
  let decrypted = 0;
  for (const h of histories) {
    const texts: string[] = [];
    const bodies: string[] = [];
    for (const payloads of eventPayloads(h.json)) {
      const answer = await decodeThrough(endpoint, namespace, payloads, origin);
      posted += payloads.length;
      decrypted += answer.decrypted;
      texts.push(decodedText(answer.payloads));
      bodies.push(answer.body);
    }
    haystacks.push(
      textHaystack(
        `codec endpoint answers of ${h.workflowId} (Web UI requests)`,
        [...texts, ...bodies].join('\n'),
        true,
      ),
    );
  }
  return { haystacks, posted, decrypted };
}

interface EndpointAnswers {
  /** The Web UI's requests: one haystack per history. */
  web: Haystack[];
  /** The CLI's history through the endpoint: its JSON and its decoded payloads, per history. */
  cli: Haystack[];
  /** Payloads the Web UI's way posted, and the encrypted ones among them that came back decrypted. */
  posted: number;
  webDecrypted: number;
  /** Encrypted payloads of the histories that the CLI showed decrypted. */
  cliDecrypted: number;
  /** Histories the CLI could not show through the endpoint: why, per workflow. */
  cliFailed: string[];
}

/**
 * Every history through a codec endpoint, both ways it is used: each event's payloads posted as
 * the Web UI's browser posts them, and each history shown by the temporal CLI with
 * --codec-endpoint (the CLI's own requests: no Origin).
 */
async function endpointAnswers(
  stack: Stack,
  endpoint: string,
  histories: History[],
): Promise<EndpointAnswers> {
  const web = await webUiAnswers(endpoint, stack.config.temporal.namespace, histories);
  const cli: Haystack[] = [];
  const cliFailed: string[] = [];
  let cliDecrypted = 0;
  for (const h of histories) {
    let json: string;
    try {
      json = await showHistory(stack, h, ['--codec-endpoint', endpoint]);
    } catch (err) {
      // Reported with the endpoint's refusals; the other histories are still scanned.
      const why = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
      cliFailed.push(`${h.workflowId}: ${why.split('\n')[0]!.slice(0, 200)}`);
      continue;
    }
    const before = payloadsIn(JSON.parse(h.json));
    const after = payloadsIn(JSON.parse(json));
    if (after.length !== before.length)
      throw new Error(`${h.workflowId}: the history changed between two exports`);
    for (const [i, p] of before.entries()) {
      if (encodingOf(p) !== ENCRYPTED_ENCODING) continue;
      if (encodingOf(after[i]!) === ENCRYPTED_ENCODING)
        throw new Error(`${h.workflowId}: the CLI showed a payload still encrypted`);
      cliDecrypted += 1;
    }
    cli.push(
      textHaystack(`codec endpoint answers of ${h.workflowId} (CLI JSON)`, json, false),
      textHaystack(
        `codec endpoint answers of ${h.workflowId} (CLI, decoded payloads)`,
        plainPayloads(json),
        true,
      ),
    );
  }
  return {
    web: web.haystacks,
    cli,
    posted: web.posted,
    webDecrypted: web.decrypted,
    cliDecrypted,
    cliFailed,
  };
}

interface CodecScan {
  haystacks: Haystack[];
  posted: number;
  webDecrypted: number;
  cliDecrypted: number;
  webRequests: number;
  cliRequests: number;
  /** Requests the endpoint refused, and histories the CLI could not show through it. */
  refused: string[];
  cliFailed: string[];
}

/** What the codec endpoint, started with the stack's settings, answers about these histories. */
async function scanCodecEndpoint(stack: Stack, histories: History[]): Promise<CodecScan> {
  const log: CodecLogEntry[] = [];
  const codec = await startCodecServer(stack.config, {
    port: 0,
    log: (message, fields) => log.push({ message, ...fields } as CodecLogEntry),
  });
  let answers: EndpointAnswers;
  try {
    answers = await endpointAnswers(stack, codec.url, histories);
  } finally {
    await codec.close();
  }
  // A refusal fails the scan, but the rest is still scanned: reported with its figures.
  const refused = log.filter((e) => e.status !== 200 && e.status !== 204);
  const reasons = [...new Set(refused.map((e) => JSON.stringify({ ...e, ms: undefined })))];
  // The requests arrived as each client sends them: the UI's with its Origin, the CLI's without.
  const decodes = log.filter((e) => e.path === '/decode' && e.method === 'POST');
  const webRequests = decodes.filter((e) => e.origin === uiOrigin()).length;
  const cliRequests = decodes.filter((e) => e.origin === null).length;
  if (webRequests === 0 || cliRequests === 0) {
    throw new Error(`the codec endpoint saw ${webRequests} Web UI and ${cliRequests} CLI requests`);
  }
  return {
    haystacks: [
      ...answers.web,
      ...answers.cli,
      textHaystack('codec endpoint log', log.map((e) => JSON.stringify(e)).join('\n'), true),
    ],
    posted: answers.posted,
    webDecrypted: answers.webDecrypted,
    cliDecrypted: answers.cliDecrypted,
    webRequests,
    cliRequests,
    refused: refused.length
      ? [`the codec endpoint refused ${refused.length} requests: ${reasons.join('; ')}`]
      : [],
    cliFailed: answers.cliFailed,
  };
}

/**
 * Proves the codec part can fail: the same payloads through an endpoint that decrypts without
 * redacting, read both ways, must show the scan every PIN and every set-password token of the run.
 * Returns how many of each kind the scan found there (temporary and chosen passwords never travel
 * in payloads).
 */
async function codecSelfCheck(
  stack: Stack,
  histories: History[],
  secrets: Secret[],
): Promise<{
  pins: string;
  tokens: string;
  confirmations: string;
  temporary: string;
  chosen: string;
}> {
  const endpoint = await unredactedEndpoint(stack.config);
  let answers: EndpointAnswers;
  try {
    answers = await endpointAnswers(stack, endpoint.url, histories);
  } finally {
    await endpoint.close();
  }
  const shown = (kind: Kind, haystacks: Haystack[]) => {
    const all = secrets.filter((s) => s.kind === kind);
    const seen = all.filter((s) => search([s], haystacks).length > 0).length;
    return { all: all.length, seen, complete: all.length > 0 && seen === all.length };
  };
  const missed = (['PIN', 'set-password token', 'confirmation token'] as const).flatMap((kind) =>
    (['web', 'cli'] as const).flatMap((way) => {
      const { all, seen, complete } = shown(kind, answers[way]);
      return complete ? [] : [`${way === 'web' ? 'Web UI' : 'CLI'}: ${kind}s ${seen}/${all}`];
    }),
  );
  if (missed.length > 0) {
    throw new Error(
      'self-check: an endpoint that did not redact would go unnoticed, the scan finds only ' +
        `${missed.join(', ')} in its answers`,
    );
  }
  const all = [...answers.web, ...answers.cli];
  const ratio = (kind: Kind) => {
    const { all: of, seen } = shown(kind, all);
    return `${seen}/${of}`;
  };
  return {
    pins: ratio('PIN'),
    tokens: ratio('set-password token'),
    confirmations: ratio('confirmation token'),
    temporary: ratio('temporary password'),
    chosen: ratio('new password'),
  };
}

/** What the Temporal dev server logged since `from` (a byte offset taken at the start). */
function logSince(file: string, from: number): string {
  const size = statSync(file).size;
  const start = size >= from ? from : 0; // rotated or truncated: all of it
  const buffer = Buffer.alloc(size - start);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, start);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8');
}

/** Ends whatever still runs on the scenario's task queue, so nothing outlives it. */
async function terminateRunning(stack: Stack): Promise<void> {
  const queue = stack.env.KAIZEN_TEMPORAL__TASK_QUEUE!;
  const query = `TaskQueue = "${queue}" AND ExecutionStatus = "Running"`;
  for await (const w of stack.client.workflow.list({ query })) {
    await stack.client.workflow
      .getHandle(w.workflowId, w.runId)
      .terminate('secrets-scan cleanup')
      .catch(() => undefined);
  }
}

export const secretsScan: Scenario = {
  name: 'secrets-scan',
  async run(mode, progress): Promise<ScenarioResult> {
    const n = mode === 'long' ? 10 : 3;
    selfCheck();
    await sheetSelfCheck();
    progress(
      'self-check passed: planted secrets are found in plain, URL, base64 and PIN forms, and a PIN in any cell of any tab of a sheet',
    );
    const stateDir = process.env.KAIZEN_STATE_DIR;
    if (!stateDir) throw new Error('KAIZEN_STATE_DIR is not set: source .state/services.env');
    const temporalLog = join(stateDir, 'logs', 'temporal.log');
    const logStart = statSync(temporalLog).size;

    const secrets: Secret[] = [];
    const haystacks: Haystack[] = [];
    let codec: CodecScan | undefined;
    let control: Awaited<ReturnType<typeof codecSelfCheck>> | undefined;
    // The request sheets of this run: the forms write their requests there, the poll reads them.
    const requestSheetFiles = await requestSheets('kaizen-secrets-sheets');
    const { accessFile, quotaFile } = requestSheetFiles;
    const stack = await startStack(requestSheetFiles.env);
    const database = stack.env.KAIZEN_SETPASS__DATABASE!;
    // The form's PIN never travels in a payload (only its HMAC): not for the codec self-check.
    const formOnly: Secret[] = [];
    const applicant = `${uniqueName('secrets-form')}@example.org`;
    let member: string;
    try {
      const pins = distinctPins(n + 2);
      const registrations: Registration[] = people(n, 'secrets').map((r, i) => ({
        ...r,
        pin: pins[i]!,
      }));
      await startAll(stack, registrations);
      const handles = registrations.map((r) =>
        stack.client.workflow.getHandle<typeof onboardUser>(onboardingWorkflowId(r)),
      );
      await eventually(
        'every onboarding to wait for its password',
        async () => {
          const steps = await Promise.all(
            handles.map((h) =>
              h.query(statusQuery).then(
                (s) => s.step,
                () => 'unknown',
              ),
            ),
          );
          return steps.every((s) => s === 'waiting-for-password') ? true : undefined;
        },
        5 * 60_000,
      );
      const waiting: { temporary: string; link: string; token: string }[] = [];
      for (const r of registrations) {
        const w = await captureWaiting(
          stack,
          onboardingWorkflowId(r),
          r.email,
          SET_PASSWORD_SUBJECT,
        );
        secrets.push(
          { kind: 'temporary password', value: w.temporary },
          { kind: 'set-password token', value: w.token },
          { kind: 'PIN', value: r.pin! },
        );
        waiting.push(w);
      }
      haystacks.push(...storeFiles(database, 'while people wait'));
      progress(`${n} onboardings wait for their password; temporary passwords and tokens captured`);

      for (const [i, r] of registrations.entries()) {
        const password = await setPassword(
          stack,
          r.email,
          waiting[i]!.link,
          waiting[i]!.token,
          r.pin!,
        );
        secrets.push({ kind: 'new password', value: password });
        const { outcome } = await handles[i]!.result();
        if (outcome !== 'completed') throw new Error(`${r.email}: onboarding ended ${outcome}`);
      }
      progress('passwords set; every onboarding completed');

      // The reset path: a new PIN from the form, a new temporary password, a new token.
      const person = registrations[0]!;
      const resetPin = pins[n]!;
      const resetUrl = new URL('reset', stack.env.KAIZEN_SETPASS__SETPASS_URL).toString();
      const answer = await postForm(
        resetUrl,
        { name: 'Reli Ability', email: person.email, confirm_email: person.email, pin: resetPin },
        await formSession(resetUrl),
      );
      if (answer.status !== 200) throw new Error(`/reset answered ${answer.status}`);
      const reset = await captureWaiting(
        stack,
        resetWorkflowId(person.email),
        person.email,
        RESET_SUBJECT,
      );
      secrets.push(
        { kind: 'temporary password', value: reset.temporary },
        { kind: 'set-password token', value: reset.token },
        { kind: 'PIN', value: resetPin },
      );
      haystacks.push(...storeFiles(database, 'while the reset waits'));
      const resetChosen = await setPassword(stack, person.email, reset.link, reset.token, resetPin);
      secrets.push({ kind: 'new password', value: resetChosen });
      const resetOutcome = await stack.client.workflow
        .getHandle<typeof resetPassword>(resetWorkflowId(person.email))
        .result();
      if (resetOutcome !== 'password-set') throw new Error(`the reset ended ${resetOutcome}`);
      progress('reset done by the form');

      // The request forms: a /register request with a PIN of its own, confirmed from its mail,
      // approved in the sheet, polled and onboarded with that PIN; a /quota-request by a member.
      const apiUrl = stack.env.KAIZEN_SETPASS__SETPASS_URL!;
      const formPin = pins[n + 1]!;
      const registered = await sendForm(
        new URL('register', apiUrl).toString(),
        registerFields(applicant, `Proj-${uniqueName('secrets-form')}`, {
          pin: formPin,
          pin_again: formPin,
        }),
      );
      if (registered.status !== 200)
        throw new Error(`/register answered ${registered.status}: ${registered.text}`);
      const registerLink = await confirmLinkFromMail(applicant);
      const formPinSecret: Secret = { kind: 'PIN', value: formPin };
      formOnly.push(formPinSecret);
      secrets.push(formPinSecret, {
        kind: 'confirmation token',
        value: new URL(registerLink).searchParams.get('token')!,
      });
      await confirmRequest(stack, registerLink);
      const { access } = requestSheetFiles;
      const rows = await access.readRows(ACCESS_TAB);
      const header = rows[0]!;
      const at = rows.findIndex((r) => r[header.indexOf(A.email)] === applicant);
      if (at < 1) throw new Error('the confirmed /register request has no row in the access sheet');
      await access.updateCells(ACCESS_TAB, at + 1, header.indexOf(A.approved) + 1, ['approved']);
      const report = await stack.client.workflow.execute<typeof pollRegistrations>(
        'pollRegistrations',
        { workflowId: `secrets-poll-${randomUUID()}`, taskQueue: stack.config.temporal.task_queue },
      );
      if (report.started !== 1)
        throw new Error(
          `the poll started ${report.started} onboardings: ${JSON.stringify(report)}`,
        );
      const formOnboarding = onboardingWorkflowId({
        email: '',
        project: '',
        sheetKey: requestKey(applicant, rows[at]![header.indexOf(A.timestamp)]!.trim()),
      });
      const formWaiting = await captureWaiting(
        stack,
        formOnboarding,
        applicant,
        SET_PASSWORD_SUBJECT,
      );
      secrets.push(
        { kind: 'temporary password', value: formWaiting.temporary },
        { kind: 'set-password token', value: formWaiting.token },
      );
      const formChosen = await setPassword(
        stack,
        applicant,
        formWaiting.link,
        formWaiting.token,
        formPin,
      );
      secrets.push({ kind: 'new password', value: formChosen });
      const formOutcome = await stack.client.workflow
        .getHandle<typeof onboardUser>(formOnboarding)
        .result();
      if (formOutcome.outcome !== 'completed')
        throw new Error(`the form's onboarding ended ${formOutcome.outcome}`);
      member = registrations[0]!.email;
      const quota = await sendForm(
        new URL('quota-request', apiUrl).toString(),
        quotaFields(member, registrations[0]!.project),
      );
      if (quota.status !== 200)
        throw new Error(`/quota-request answered ${quota.status}: ${quota.text}`);
      const quotaLink = await confirmLinkFromMail(member);
      secrets.push({
        kind: 'confirmation token',
        value: new URL(quotaLink).searchParams.get('token')!,
      });
      await confirmRequest(stack, quotaLink);
      progress(
        '/register confirmed, approved and onboarded with its PIN; /quota-request confirmed; exporting histories',
      );

      haystacks.push(...storeFiles(database, 'after the run'));
      // Onboardings and the reset, two form requests, the poll and the form's onboarding.
      const histories = await exportHistories(stack, n + 5);
      haystacks.push(...histories.flatMap(historyHaystacks));
      control = await codecSelfCheck(
        stack,
        histories,
        secrets.filter((s) => !formOnly.includes(s)),
      );
      progress(
        `codec self-check passed: without redaction its answers would show PINs ${control.pins}, ` +
          `tokens ${control.tokens}, confirmation tokens ${control.confirmations}, ` +
          `temporary passwords ${control.temporary}, new passwords ${control.chosen}`,
      );
      codec = await scanCodecEndpoint(stack, histories);
      haystacks.push(...codec.haystacks);
      progress(
        `codec endpoint: ${codec.webDecrypted} payloads decrypted in ${codec.webRequests} Web UI ` +
          `requests (${codec.posted} posted), ${codec.cliDecrypted} in ${codec.cliRequests} CLI requests`,
      );
    } finally {
      await terminateRunning(stack).catch(() => undefined);
      await stack.close();
    }
    haystacks.push(...storeFiles(database, 'after the API stopped'));
    haystacks.push(textHaystack('setpass API output', stack.api.output(), true));
    haystacks.push(textHaystack('worker output', stack.workerLogs(), true));
    haystacks.push(
      textHaystack('Temporal server log (this run)', logSince(temporalLog, logStart), true),
    );
    // Every tab of the request sheets, as they are after the run: the forms' rows, the poll's
    // marks, the rows of completed onboardings.
    const sheets = [
      ...(await readSheet('access', accessFile)),
      ...(await readSheet('quota', quotaFile)),
    ];
    haystacks.push(
      sheetHaystack(
        'access',
        sheets.filter((t) => t.sheet === 'access'),
      ),
      sheetHaystack(
        'quota',
        sheets.filter((t) => t.sheet === 'quota'),
      ),
    );
    const holds = (sheet: string, email: string) =>
      email !== '' &&
      sheets.some((t) => t.sheet === sheet && t.rows.some((r) => r.includes(email)));
    const pinCells = pinsInCells(
      secrets.filter((s) => s.kind === 'PIN').map((s) => s.value),
      sheets,
    );
    const cells = sheets.reduce((sum, t) => sum + t.rows.reduce((k, r) => k + r.length, 0), 0);

    // Where the bytes come from: an empty log or a missing store file shows up here.
    const groups = new Map<string, { files: number; bytes: number }>();
    for (const h of haystacks) {
      const group = h.name.replace(/ (of|while|after) .*$/, '');
      const g = groups.get(group) ?? { files: 0, bytes: 0 };
      groups.set(group, { files: g.files + 1, bytes: g.bytes + h.bytes });
    }
    progress(
      [...groups]
        .map(([group, g]) => `${group}: ${g.files} files, ${(g.bytes / 1024).toFixed(0)} kB`)
        .join('; '),
    );
    const finds = search(secrets, haystacks);
    const codecFinds = finds.filter((f) => f.haystack.startsWith('codec endpoint'));
    // A scan that decoded nothing through the endpoint proves nothing about it.
    const decoded = (codec?.webDecrypted ?? 0) + (codec?.cliDecrypted ?? 0);
    const failures = finds.map(
      (f) => `${f.kind} found in ${f.haystack} (${f.form}): …${f.excerpt}…`,
    );
    failures.push(...pinCells.map((f) => `a PIN of the run is in the ${f.where}`));
    // A scan of sheets without the forms' rows proves nothing about them.
    if (!holds('access', applicant) || !holds('quota', member)) {
      failures.push(
        `the sheets hold ${holds('access', applicant) ? 'the' : 'no'} /register row and ` +
          `${holds('quota', member) ? 'the' : 'no'} /quota-request row: the sheet scan proves nothing`,
      );
    }
    failures.push(...(codec?.refused ?? []));
    if (codec?.cliFailed.length) {
      failures.push(
        `temporal workflow show --codec-endpoint failed for ${codec.cliFailed.length} ` +
          `histor${codec.cliFailed.length === 1 ? 'y' : 'ies'}: ${codec.cliFailed.join('; ')}`,
      );
    }
    if (!codec?.webDecrypted || !codec.cliDecrypted) {
      failures.push(
        `the codec endpoint decrypted ${codec?.webDecrypted ?? 0} payloads for the Web UI and ` +
          `${codec?.cliDecrypted ?? 0} for the CLI: a scan of what it did not decode proves nothing`,
      );
    }
    const count = (kind: Kind) => secrets.filter((s) => s.kind === kind).length;
    const megabytes = haystacks.reduce((sum, h) => sum + h.bytes, 0) / 1024 / 1024;
    return {
      runs: 1,
      passed: failures.length === 0 ? 1 : 0,
      figures: {
        'self-check': 'passed',
        'temporary passwords': count('temporary password'),
        tokens: count('set-password token'),
        'confirmation tokens': count('confirmation token'),
        'new passwords': count('new password'),
        PINs: count('PIN'),
        haystacks: haystacks.length,
        MB: megabytes,
        found: finds.length,
        'sheet tabs': sheets.length,
        'sheet cells': cells,
        'PINs in sheet cells': pinCells.length,
        'codec payloads decoded': decoded,
        'codec requests': `${codec?.webRequests ?? 0} Web UI + ${codec?.cliRequests ?? 0} CLI`,
        'found in codec answers': codecFinds.length,
        'codec self-check': control
          ? `PINs ${control.pins}, tokens ${control.tokens} and confirmation tokens ${control.confirmations} found unredacted`
          : 'not run',
      },
      failures,
    };
  },
};
