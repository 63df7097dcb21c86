// The workflow code bundled ahead of time: a worker given the bundle starts faster and never
// loads webpack, which otherwise stays in its memory for the life of the process.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

export const DEFAULT_BUNDLE = '.build/workflows.js';

export async function writeWorkflowBundle(file: string): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: {
      info() {},
      warn: console.warn,
      error: console.error,
      debug() {},
      trace() {},
      log() {},
    },
  });
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, code);
}
