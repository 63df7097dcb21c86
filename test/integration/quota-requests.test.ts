// Quota change requests from the quota sheet (a local .xlsx), end to end on the real Temporal,
// Keystone, Nova, Cinder, Neutron and Mailpit.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { QuotaValues } from '../../shared/quota-keys';
import type { Config } from '../../config/schema';
import { DEFAULT_ACCESS_COLUMNS } from '../../shared/sheet-columns';
import { createSpreadsheet } from '../../clients/sheets/create-spreadsheet';
import { LocalSpreadsheetSource } from '../../clients/sheets/local-spreadsheet-source';
import { DEFAULT_QUOTA_COLUMNS as C } from '../../shared/sheet-columns';
import { requestKey } from '../../intake/sheet-layout';
import type { KeystoneClient } from '../../clients/keystone';
import { keystoneFromConfig } from '../../wiring/keystone-from-config';
import { quotaWorkflowId } from '../../shared/quota-change';
import type { pollRegistrations, updateQuota } from '../../workflows';
import {
  createKeystoneUser,
  eventually,
  keystoneLogin,
  mailsTo,
  mailText,
  uniqueName,
} from '../support/services';
import { startSystem, type TestSystem } from '../support/system';

const REQUESTS = 'Form Responses 1';
const PROCESSED = 'Processed Requests';
const HEADER = Object.values(C).filter((h) => h !== C.status);
/** Baseline quotas every test project starts from (not the services' own defaults). */
const BASELINE = { instances: 10, cores: 20, ram: 51200, volumes: 10, network: 5, port: 155 };

type Fields = Partial<Record<keyof typeof C, string>>;
function row(fields: Fields): string[] {
  const all: Fields = {
    approved: 'Approved',
    timestamp: new Date().toISOString(),
    firstName: 'Quota',
    lastName: 'Requester',
    ...fields,
  };
  return (Object.keys(C) as (keyof typeof C)[])
    .filter((k) => k !== 'status')
    .map((k) => all[k] ?? '');
}
const keyOf = (cells: string[]) =>
  requestKey(cells[HEADER.indexOf(C.email)]!, cells[HEADER.indexOf(C.timestamp)]!);

/** Reads or writes a project's quotas straight over REST, the way an operator would check. */
async function quotaApi(keystone: KeystoneClient, service: 'compute' | 'volumev3' | 'network') {
  const root = await keystone.endpoint(service, 'public', 'RegionOne');
  return service === 'network'
    ? { url: (id: string) => `${root}/v2.0/quotas/${id}`, wrapper: 'quota' }
    : { url: (id: string) => `${root}/os-quota-sets/${id}`, wrapper: 'quota_set' };
}
async function readAll(
  keystone: KeystoneClient,
  projectId: string,
): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  for (const service of ['compute', 'volumev3', 'network'] as const) {
    const api = await quotaApi(keystone, service);
    const response = await keystone.adminRequest({
      service,
      method: 'GET',
      url: api.url(projectId),
    });
    Object.assign(result, response.json<Record<string, Record<string, unknown>>>()[api.wrapper]);
  }
  return result;
}
function pick(values: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, values[k]]));
}

describe('quota change requests from the quota sheet', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kaizen-quota-'));
  const quotaFile = join(dir, 'quota-requests.xlsx');
  const accessFile = join(dir, 'registrations.xlsx');
  const sheet = new LocalSpreadsheetSource(quotaFile);
  let system: TestSystem;
  let config: Config;
  let client: Client;
  let keystone: KeystoneClient;

  before(async () => {
    await createSpreadsheet(accessFile, {
      'Form Responses 1': [Object.values(DEFAULT_ACCESS_COLUMNS)],
      'Current Users': [Object.values(DEFAULT_ACCESS_COLUMNS)],
    });
    await createSpreadsheet(quotaFile, { [REQUESTS]: [HEADER], [PROCESSED]: [HEADER] });
    system = await startSystem({
      KAIZEN_INTAKE__SOURCE: 'local',
      KAIZEN_INTAKE__LOCAL_FILE: accessFile,
      KAIZEN_QUOTA_SHEET__LOCAL_FILE: quotaFile,
      KAIZEN_QUOTA_SHEET__REVERT_NOTICE: '5s',
      KAIZEN_EMAIL_DEFAULTS__ADMIN_EMAIL: `${uniqueName('quota-admins')}@example.org`,
    });
    ({ config, client } = system);
    keystone = keystoneFromConfig(config);
  });
  after(() => system.close());

  /** A project with the baseline quotas and two members: the requester and a colleague. */
  async function projectWithMembers() {
    const name = uniqueName('quota-proj');
    const projectId = (
      await keystone.request('POST', '/projects', { project: { name, domain_id: 'default' } })
    ).json<{ project: { id: string } }>().project.id;
    const role = (await keystone.findRoleByName(config.auth.member_role))!;
    const members = [
      `${uniqueName('requester')}@example.org`,
      `${uniqueName('colleague')}@example.org`,
    ];
    const password = `Quota-${randomUUID()}`;
    for (const email of members) {
      const userId = await createKeystoneUser(config, { name: email, password });
      await keystone.request('PUT', `/projects/${projectId}/users/${userId}/roles/${role.id}`);
    }
    const set = async (service: 'compute' | 'volumev3' | 'network', values: QuotaValues) => {
      const api = await quotaApi(keystone, service);
      await keystone.adminRequest({
        service,
        method: 'PUT',
        url: api.url(projectId),
        body: { [api.wrapper]: values },
      });
    };
    await set('compute', { instances: 10, cores: 20, ram: 51200 });
    await set('volumev3', { volumes: 10 });
    await set('network', { network: 5, port: 155 });
    return { name, projectId, requester: members[0]!, colleague: members[1]!, password };
  }

  const poll = () =>
    client.workflow.execute<typeof pollRegistrations>('pollRegistrations', {
      workflowId: `test-poll-${randomUUID()}`,
      taskQueue: system.taskQueue,
    });
  const addRows = async (rows: string[][]) => {
    for (const cells of rows) await sheet.appendRow(REQUESTS, cells);
  };
  const statusOf = async (key: string) => {
    const rows = await sheet.readRows(REQUESTS);
    const at = rows[0]!.indexOf(C.status);
    return rows.find((r) => keyOf(r) === key)?.[at] ?? '';
  };
  const handleFor = (key: string) =>
    client.workflow.getHandle<typeof updateQuota>(
      quotaWorkflowId({ sheetKey: key, email: '', fullName: '', project: '', changes: {} }),
    );

  test('an approved row is applied on all three services, mailed old -> new to the members, and moved', async () => {
    const p = await projectWithMembers();
    // No port value and two more networks: the port rule adds 2 x 12 instances + 5.
    const cells = row({
      email: p.requester,
      project: p.name,
      duration: 'Permanent',
      instances: '12',
      cores: '40',
      ram: '100',
      network: '7',
      volumes: '15',
    });
    await addRows([cells]);
    const report = await poll();
    assert.equal(report.quotas?.started, 1);

    const result = await handleFor(keyOf(cells)).result();
    assert.equal(result.step, 'completed');
    const expected = { instances: 12, cores: 40, ram: 102_400, volumes: 15, network: 7, port: 184 };
    assert.deepEqual(pick(await readAll(keystone, p.projectId), Object.keys(expected)), expected);
    assert.deepEqual(
      Object.fromEntries(result.changes.map((c) => [c.key, [c.old, c.new]])),
      Object.fromEntries(
        Object.entries(expected).map(([k, v]) => [k, [BASELINE[k as keyof typeof BASELINE], v]]),
      ),
    );

    const [mail] = await eventually('the quota mail', async () => {
      const found = await mailsTo(p.requester);
      return found.length > 0 ? found : undefined;
    });
    const colleagueCopy = await mailsTo(p.colleague, 'cc');
    assert.equal(colleagueCopy.length, 1, 'every member is in copy');
    assert.equal(colleagueCopy[0]!.ID, mail!.ID, 'one message, the colleague in Cc');
    const text = await mailText(mail!.ID);
    assert.match(text, /ram \(MB\)\s+51200 -> 102400/);
    assert.match(text, /port\s+155 -> 184/);
    assert.match(text, /In force until: no end date/);

    const processed = await sheet.readRows(PROCESSED);
    assert.ok(
      processed.some((r) => keyOf(r) === keyOf(cells)),
      'row in "Processed Requests"',
    );
    assert.ok(!(await sheet.readRows(REQUESTS)).some((r) => keyOf(r) === keyOf(cells)));
    // Polling again starts nothing: the row is gone and the workflow id is taken.
    assert.equal((await poll()).quotas?.started, 0);
  });

  test('a temporary change reverts at its end date, with a notice before', async () => {
    const p = await projectWithMembers();
    const endsAt = new Date(Date.now() + 12_000);
    endsAt.setMilliseconds(0);
    const cells = row({
      email: p.requester,
      project: p.name,
      duration: 'Temporary',
      endDate: endsAt.toISOString().replace('.000Z', 'Z'),
      cores: '64',
      gigabytes: '2000',
    });
    await addRows([cells]);
    await poll();
    const handle = handleFor(keyOf(cells));
    await eventually('the change applied', async () =>
      (await readAll(keystone, p.projectId)).cores === 64 ? true : undefined,
    );
    assert.equal((await readAll(keystone, p.projectId)).gigabytes, 2000);

    const result = await handle.result();
    assert.ok(
      result.revertedAt && Date.parse(result.revertedAt) >= endsAt.getTime(),
      'not before the end date',
    );
    const after = await readAll(keystone, p.projectId);
    assert.equal(after.cores, 20);
    assert.equal(after.gigabytes, 1000, 'back to the value read before the change');
    const subjects = await eventually('three mails to the members', async () => {
      const found = (await mailsTo(p.colleague, 'cc')).map((m) => m.Subject);
      return found.length >= 3 ? found.sort() : undefined;
    });
    assert.equal(subjects.length, 3);
    assert.match(subjects.join('\n'), /changed/);
    assert.match(subjects.join('\n'), /end on/);
    assert.match(subjects.join('\n'), /have ended/);
  });

  test('bad values and an unknown project: rows marked, admins told, nothing applied', async () => {
    const p = await projectWithMembers();
    const before = pick(await readAll(keystone, p.projectId), Object.keys(BASELINE));
    const nonNumeric = row({ email: p.requester, project: p.name, cores: 'lots', volumes: '30' });
    const negative = row({ email: p.colleague, project: p.name, instances: '-5' });
    const unknown = row({
      email: `${uniqueName('lost')}@example.org`,
      project: uniqueName('no-such-project'),
      cores: '8',
    });
    await addRows([nonNumeric, negative, unknown]);
    const report = await poll();
    assert.equal(report.quotas?.invalid, 2);
    assert.equal(report.quotas?.started, 1);
    assert.match(await statusOf(keyOf(nonNumeric)), /^invalid: "cores" must be a whole number/);
    assert.match(await statusOf(keyOf(negative)), /^invalid: "instances" must not be negative/);
    await assert.rejects(handleFor(keyOf(unknown)).result());
    assert.match(await statusOf(keyOf(unknown)), /^failed: project ".*" does not exist/);

    const adminMails = await eventually('two admin mails', async () => {
      const found = await mailsTo(config.email_defaults.admin_email);
      return found.length >= 2 ? found : undefined;
    });
    const subjects = adminMails.map((m) => m.Subject).join('\n');
    assert.match(subjects, /approved requests that cannot be processed/);
    assert.match(subjects, /quota request of .* could not be completed/);
    const invalidMail = adminMails.find((m) => m.Subject.includes('cannot be processed'))!;
    assert.match(
      await mailText(invalidMail.ID),
      /"cores" must be a whole number[\s\S]*"instances" must not be negative/,
    );

    assert.deepEqual(pick(await readAll(keystone, p.projectId), Object.keys(BASELINE)), before);
    const again = await poll();
    assert.deepEqual(again.quotas?.newlyInvalid, [], 'told once, not at every poll');
    assert.equal(again.quotas?.waitingForAdmin, 1);
  });

  test("a member's own token cannot set its project's quotas", async () => {
    const p = await projectWithMembers();
    const login = await keystoneLogin(config, p.requester, p.password, p.projectId);
    assert.equal(login.status, 201);
    const token = login.token!;
    for (const service of ['compute', 'volumev3', 'network'] as const) {
      const api = await quotaApi(keystone, service);
      // Cinder's URL carries the caller's project (the catalog's is the admin project's).
      const url = api.url(p.projectId).replace(/\/v3\/[0-9a-f]+\//, `/v3/${p.projectId}/`);
      const attempt = await fetch(url, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-auth-token': token },
        body: JSON.stringify({
          [api.wrapper]: {
            [service === 'network' ? 'port' : service === 'compute' ? 'cores' : 'volumes']: 999,
          },
        }),
      });
      assert.equal(attempt.status, 403, `${service} refuses a member`);
      const read = await fetch(url, { headers: { 'x-auth-token': token } });
      assert.equal(read.status, 200, `${service} lets a member read`);
    }
    assert.deepEqual(pick(await readAll(keystone, p.projectId), ['cores', 'volumes', 'port']), {
      cores: 20,
      volumes: 10,
      port: 155,
    });
  });
});
