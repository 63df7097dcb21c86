// docker-compose.yml merged with deploy/compose.test.yml for one test's stack: ports, settings
// and secrets in a temporary folder, and the file rendered for docker-compose 1.29 on the host
// network (test/support/compose-stack.ts runs it).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './run-command';
import {
  distinctFreePorts,
  portRange,
  PORT_NAMES,
  writeStackFolder,
  type CodecAuthSettings,
  type PortName,
} from './stack-folder';
import type { TestCertificate } from './test-tls';

/** KAIZEN_STACK_PROJECT (or prepareStack's `project`): another name lets two stacks share the engine. */
export const PROJECT = process.env.KAIZEN_STACK_PROJECT ?? 'kaizen-test';

interface ComposeService {
  image?: string;
  network_mode?: string;
  ports?: unknown;
  profiles?: string[];
  command?: string[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}

export interface Stack {
  project: string;
  dir: string;
  /** The rendered compose file `compose` runs (an upgrade renders another). */
  file: string;
  ports: Record<PortName, number>;
  codecKey: string;
  setpassKey: string;
  /** The `tls` service's certificate (the test's own CA). */
  tls: TestCertificate;
  /** How browsers reach the Web UI and the codec endpoint (through `tls`). */
  uiOrigin: string;
  codecUrl: string;
  /** The services `up` starts (the Web UI and `tls` only with an admins' window). */
  services: string[];
  /** The images the stack runs, for the preconditions. */
  images: string[];
}

/**
 * docker-compose.yml merged with deploy/compose.test.yml (`docker-compose config`), then what an
 * override cannot say to docker-compose 1.29: no `ports` (it refuses them with the host network
 * and cannot remove them), and temporal-schema's script given the database's address here
 * instead of postgresql:5432 (the rest of the script runs as written).
 */
export async function renderCompose(
  dir: string,
  ports: Record<PortName, number>,
  variables: Record<string, string>,
  withUi = false,
): Promise<{ file: ComposeFile; path: string }> {
  const env: Record<string, string> = { ...variables, KAIZEN_STACK_DIR: dir };
  for (const name of PORT_NAMES) env[`KAIZEN_STACK_${name}_PORT`] = String(ports[name]);
  const merged = await runCommand(
    'docker-compose',
    ['-f', 'docker-compose.yml', '-f', 'deploy/compose.test.yml', 'config'],
    { env },
  );
  assert.equal(merged.code, 0, `docker-compose config: ${merged.stderr}`);
  // docker-compose 1.29 prints YAML only; PyYAML comes with it (python3-yaml).
  const json = await runCommand(
    'python3',
    ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'],
    { input: merged.stdout },
  );
  assert.equal(json.code, 0, `YAML to JSON: ${json.stderr}`);
  const file = JSON.parse(json.stdout) as ComposeFile;

  for (const [name, service] of Object.entries(file.services)) {
    assert.equal(service.network_mode, 'host', `${name} runs on the host network`);
    delete service.ports;
    if (withUi) delete service.profiles;
  }
  const schema = file.services['temporal-schema'];
  const database = '--ep postgresql -u temporal -p 5432 ';
  const script = schema?.command?.[0] ?? '';
  assert.equal(script.split(database).length, 2, `temporal-schema's script names ${database}once`);
  schema!.command = [script.replace(database, `--ep 127.0.0.1 -u temporal -p ${ports.PG} `)];
  const image = (variables.KAIZEN_APP_IMAGE ?? 'default').replace(/[^\w.-]/g, '-');
  const path = join(dir, `compose-${image}.json`);
  writeFileSync(path, JSON.stringify(file, null, 1));
  return { file, path };
}

/** The admins' window: the Web UI's login at a test's OIDC provider, the codec's bearer rules. */
export interface AdminsWindow {
  issuer: string;
  clientId: string;
  clientSecret: string;
  codec: CodecAuthSettings;
}

export interface StackOptions {
  /** Default PROJECT (KAIZEN_STACK_PROJECT). */
  project?: string;
  /**
   * Turns on the Web UI and `tls` (profile `ui` of the override); called once the ports are
   * known, to start what the UI logs in with (its redirect URI is `${uiOrigin}/auth/sso/callback`).
   */
  adminsWindow?: (urls: { uiOrigin: string; codecUrl: string }) => Promise<AdminsWindow>;
  /** The app services' image (default: KAIZEN_APP_IMAGE, else kaizen-onboarding:test). */
  appImage?: string;
  /** The text settings.ini is made from (default: today's example_settings.ini). */
  exampleSettings?: string;
}

export async function prepareStack(options: StackOptions = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'kaizen-stack-'));
  const project = options.project ?? PROJECT;
  const ports = await distinctFreePorts(portRange(project));
  const uiOrigin = `https://127.0.0.1:${ports.UI_TLS}`;
  const codecUrl = `https://127.0.0.1:${ports.CODEC_TLS}`;
  const window = await options.adminsWindow?.({ uiOrigin, codecUrl });
  const keys = await writeStackFolder(dir, ports, window?.codec, options.exampleSettings);
  // What operators put in .env (deploy/compose.env.example).
  const variables: Record<string, string> = window
    ? {
        KAIZEN_OIDC_ISSUER: window.issuer,
        KAIZEN_UI_OIDC_CLIENT_ID: window.clientId,
        KAIZEN_UI_OIDC_CLIENT_SECRET: window.clientSecret,
        KAIZEN_UI_ORIGIN: uiOrigin,
        KAIZEN_CODEC_URL: codecUrl,
      }
    : {};
  if (options.appImage) variables.KAIZEN_APP_IMAGE = options.appImage;
  const { file, path } = await renderCompose(dir, ports, variables, window !== undefined);
  const services = Object.entries(file.services)
    .filter(([, s]) => !s.profiles?.length)
    .map(([name]) => name);
  const images = [
    ...new Set(services.map((name) => file.services[name]!.image).filter((i) => i !== undefined)),
  ];
  return { project, dir, file: path, ports, ...keys, uiOrigin, codecUrl, services, images };
}
