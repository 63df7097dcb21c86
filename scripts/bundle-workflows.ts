// npm run bundle [-- FILE]: writes the workflow bundle for [temporal] workflow_bundle.
// Run it again after changing workflow code (the Docker image builds it).
import { DEFAULT_BUNDLE, writeWorkflowBundle } from '../lib/workflow-bundle';

const file = process.argv[2] ?? DEFAULT_BUNDLE;
writeWorkflowBundle(file).then(
  () => console.log(`workflow bundle written to ${file}; set [temporal] workflow_bundle = ${file}`),
  (err: unknown) => {
    console.error(`bundling the workflows failed: ${err instanceof Error ? err.message : err}`);
    process.exitCode = 1;
  },
);
