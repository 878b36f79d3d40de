// Lint keeps the layers honest: data flows definitions → model → plan → engine → backend.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['dist/**', 'web/dist/**', 'node_modules/**', 'coverage/**', 'bin/maelstrom.js', 'eslint.config.js', 'vitest.config.ts', 'web/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/require-await': 'off',
      'import-x/no-cycle': 'off',
      'import-x/no-restricted-paths': ['error', {
        zones: [
          { target: './src/model', from: './src', except: ['./model'], message: 'model imports nothing of ours' },
          { target: './src/plan', from: ['./src/engine', './src/backends', './src/store', './src/server', './src/cli', './src/sim'], message: 'plan depends on model and load only' },
          { target: './src/engine', from: ['./src/backends/sim', './src/backends/haproxy', './src/backends/prometheus', './src/store/sqlite', './src/store/postgres', './src/server', './src/cli', './src/sim'], message: 'engine depends on interfaces, never on a concrete backend or store' },
          { target: './src/stages', from: ['./src/backends/sim', './src/backends/haproxy', './src/backends/prometheus', './src/sim', './src/store', './src/server', './src/cli'], message: 'stages act only through the backend interface' },
          { target: './src/sim', from: ['./src/engine', './src/stages', './src/store', './src/server', './src/cli', './src/backends'], message: 'the simulator is a world, not a client of the engine' },
        ],
      }],
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
      'import-x/no-restricted-paths': 'off',
    },
  },
);
