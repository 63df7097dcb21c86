// Temporal's time-skipping test server for workflow tests, run from the jars that
// scripts/install-test-server.sh fetched from Maven Central: the SDK's own default would
// download a prebuilt binary from the web, which this machine cannot reach.
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { SearchAttributeType } from '@temporalio/common';
import {
  TestWorkflowEnvironment,
  type TimeSkippingTestWorkflowEnvironmentOptions,
} from '@temporalio/testing';
import { searchAttributes } from '../../shared/onboarding';

/** Keep in step with TEST_SERVER_VERSION's default in scripts/install-test-server.sh. */
const DEFAULT_TEST_SERVER_VERSION = '1.38.0';

/**
 * The test server's executable wrapper: $KAIZEN_TEST_SERVER if set, else where
 * scripts/install-test-server.sh puts it ($KAIZEN_CACHE_DIR, default ~/.cache/kaizen-onboarding).
 */
export function testServerPath(): string {
  const fromEnv = process.env.KAIZEN_TEST_SERVER;
  if (fromEnv) return fromEnv;
  const cacheDir = process.env.KAIZEN_CACHE_DIR || join(homedir(), '.cache', 'kaizen-onboarding');
  const version = process.env.TEMPORAL_TEST_SERVER_VERSION || DEFAULT_TEST_SERVER_VERSION;
  return join(cacheDir, `temporal-test-server-${version}`, 'temporal-test-server');
}

/**
 * A TestWorkflowEnvironment on a fresh time-skipping test server (a JVM on a free port).
 * Call `env.teardown()` when done: it stops the server.
 *
 * The SDK allows the server 5 s to answer after it is spawned, a fixed limit that no option
 * changes; the install script's class-data-sharing archive brings the JVM's start-up to
 * about 0.3 s, so the limit holds even on a loaded 2-core machine.
 */
export async function timeSkippingEnv(
  client: TimeSkippingTestWorkflowEnvironmentOptions['client'] = {},
): Promise<TestWorkflowEnvironment> {
  const path = testServerPath();
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(
      `Temporal test server not found at ${path}: run scripts/install-test-server.sh ` +
        '(or set KAIZEN_TEST_SERVER to the wrapper it prints)',
    );
  }
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path } },
    client,
  });
  // The product's search attributes, as scripts/services.sh registers them on the dev server.
  const { IndexedValueType } = temporal.api.enums.v1;
  const indexed = {
    [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
    [SearchAttributeType.DATETIME]: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  } as Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType>;
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(
      Object.values(searchAttributes).map((key) => [key.name, indexed[key.type]]),
    ),
  });
  return env;
}
