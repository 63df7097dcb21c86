import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { layersPlugin } from './eslint/layers.mjs';

export default tseslint.config(
  { ignores: ['node_modules/', '.state/', 'test-artifacts/', '.build/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test runs these itself; awaiting them at top level would serialise the files.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.ts'],
    plugins: { kaizen: layersPlugin(import.meta.dirname) },
    rules: { 'kaizen/layers': 'error' },
  },
  {
    // Workflow code is replayed: no I/O or Node built-ins, only the Temporal workflow API.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'node:*',
                'fs',
                'crypto',
                'http',
                'https',
                'net',
                'child_process',
                'os',
                'path',
              ],
              message: 'Workflows must stay deterministic: do I/O in an activity.',
            },
          ],
        },
      ],
      'no-console': 'error',
    },
  },
);
