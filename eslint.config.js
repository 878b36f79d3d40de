// Lint keeps the layers honest: data flows definitions → model → plan → engine → backend.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

function layer(files, group, message) {
  return {
    files: [files],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group, message }] }] },
  };
}

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'web/dist/**',
      'node_modules/**',
      'coverage/**',
      'bin/maelstrom.js',
      'eslint.config.js',
      'vitest.config.ts',
      'web/vite.config.ts',
      'test-results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/require-await': 'off',
    },
  },
  // Layer boundaries: each folder may import only the layers beneath it.
  layer('src/model/**', ['../*'], 'model imports nothing of ours outside model'),
  layer(
    'src/plan/**',
    [
      '**/load/**',
      '**/engine/**',
      '**/backends/**',
      '**/store/**',
      '**/server/**',
      '**/cli/**',
      '**/sim/**',
      '**/stages/**',
    ],
    'plan depends on model and expr only',
  ),
  layer(
    'src/engine/**',
    [
      '**/backends/sim/**',
      '**/backends/haproxy/**',
      '**/backends/prometheus/**',
      '**/store/sqlite*',
      '**/store/postgres*',
      '**/server/**',
      '**/cli/**',
      '**/sim/**',
      '**/plan/**',
      '**/stages/index*',
      '**/compose/**',
    ],
    'engine depends on interfaces, never on a concrete backend or store; it is handed its stages and plan compiler',
  ),
  layer(
    'src/compose/**',
    ['**/cli/**', '**/server/**', '**/main*'],
    'compose builds controllers for the CLI and the server, never the other way round',
  ),
  layer(
    'src/stages/**',
    [
      '**/backends/sim/**',
      '**/backends/haproxy/**',
      '**/backends/prometheus/**',
      '**/sim/**',
      '**/store/**',
      '**/server/**',
      '**/cli/**',
      '**/engine/**',
    ],
    'stages act only through the backend interface and never import the engine',
  ),
  layer(
    'src/{alerts,notify}/**',
    [
      '**/server/**',
      '**/cli/**',
      '**/compose/**',
      '**/sim/**',
      '**/backends/**',
      '**/stages/**',
      '**/plan/**',
      '**/store/sqlite*',
      '**/store/postgres*',
    ],
    'alerts and notifications talk to the engine through its Controller interface, never a concrete store or backend',
  ),
  layer('src/pacing/**', ['../*', '!../model', '!../model/**'], 'pacing is a pure layer: it imports only model'),
  layer('src/expr/**', ['../*', '!../model', '!../model/**'], 'expr is a pure layer: it imports only model'),
  layer('src/link/**', ['../*', '!../model', '!../model/**'], 'link is its own layer: it imports only model'),
  layer(
    'src/faults/**',
    ['../*', '!../model', '!../model/**', '!../expr', '!../expr/**', '!../sim', '!../sim/**'],
    'faults (properties, lineage, hypotheses, the search) is pure: it imports only model, expr and sim',
  ),
  layer(
    'src/report/**',
    ['**/drill/**', '**/backends/**', '**/store/**', '**/stages/**'],
    'the report reads plain data, never a live backend or the drill',
  ),
  layer(
    'src/schedule/**',
    ['**/server/**', '**/cli/**', '**/main*', '**/load/**'],
    'the schedules run on a controller: the server and the CLI call them, never the other way round',
  ),
  layer(
    'src/sim/**',
    ['**/engine/**', '**/stages/**', '**/store/**', '**/server/**', '**/cli/**', '**/backends/**'],
    'the simulator is a world, not a client of the engine',
  ),
  // The dashboard: React's rules of hooks, and the API's types from the model, never a copy of them. It may import
  // the model's types (erased from the bundle) and the rules of states.ts and roles.ts (which import nothing);
  // nothing else of src/, since it talks to the server only through the API.
  {
    files: ['web/src/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat.recommended,
  },
  {
    files: ['web/src/**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src/*', '**/src/**', '!**/src/model', '!**/src/model/**'],
              message: 'the dashboard talks to the server through the API only; it may use the model’s types',
            },
            {
              group: ['**/src/model/*', '!**/src/model/states', '!**/src/model/roles'],
              allowTypeImports: true,
              message:
                'import the model’s types with `import type` (zod stays out of the bundle); ' +
                'the rules of states.ts and roles.ts may be imported',
            },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/*.test.ts', 'test/**', 'bench/**', 'scripts/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
);
