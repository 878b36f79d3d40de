// Lint keeps the layers honest: data flows definitions → model → plan → engine → backend.
import js from '@eslint/js';
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
      'web/**',
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
    ],
    'engine depends on interfaces, never on a concrete backend or store',
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
  layer('src/pacing/**', ['../*', '!../model', '!../model/**'], 'pacing is a pure layer: it imports only model'),
  layer('src/expr/**', ['../*', '!../model', '!../model/**'], 'expr is a pure layer: it imports only model'),
  layer('src/link/**', ['../*', '!../model', '!../model/**'], 'link is its own layer: it imports only model'),
  layer(
    'src/report/**',
    ['**/drill/**', '**/backends/**', '**/store/**', '**/stages/**'],
    'the report reads plain data, never a live backend or the drill',
  ),
  layer(
    'src/sim/**',
    ['**/engine/**', '**/stages/**', '**/store/**', '**/server/**', '**/cli/**', '**/backends/**'],
    'the simulator is a world, not a client of the engine',
  ),
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
