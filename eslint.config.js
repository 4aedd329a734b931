// ESLint flat config. The rule that matters most here: the engine (src/engine/**) is pure.
// It must run the same in Node (tests, command line) and in the Web Worker, so it may not
// import React, zustand, D3, worker glue or anything that touches the DOM.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const engineForbiddenImports = {
  paths: [
    { name: 'react', message: 'The engine is pure: no React in src/engine.' },
    { name: 'react-dom', message: 'The engine is pure: no React in src/engine.' },
    { name: 'zustand', message: 'The engine is pure: no zustand in src/engine.' },
    { name: 'd3', message: 'The engine is pure: no D3 in src/engine.' },
    { name: 'comlink', message: 'The engine is pure: worker glue lives in src/worker.' },
    { name: 'fs', message: 'The engine runs in the browser too: no Node built-ins.' },
    { name: 'path', message: 'The engine runs in the browser too: no Node built-ins.' },
    { name: 'worker_threads', message: 'The engine runs in the browser too: no Node built-ins.' },
  ],
  patterns: [
    { group: ['react/*', 'react-dom/*', 'zustand/*', 'd3-*', 'comlink/*'], message: 'The engine is pure: no UI or worker libraries.' },
    { group: ['**/app/**', '**/worker/**', '**/panels/**', '**/store/**', '**/ui/**'], message: 'The engine may not import from the UI or worker layers.' },
    { group: ['node:*'], message: 'The engine runs in the browser too: no Node built-ins.' },
  ],
};

const engineForbiddenGlobals = ['window', 'document', 'self', 'navigator', 'localStorage', 'sessionStorage',
  'postMessage', 'importScripts', 'Worker', 'requestAnimationFrame', 'location', 'fetch', 'process']
  .map((name) => ({ name, message: `The engine is pure: '${name}' belongs to the DOM, the worker or Node.` }));

export default tseslint.config(
  { ignores: ['dist/**', 'dist-static/**', 'dist-bench/**', 'node_modules/**', 'public/**', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    languageOptions: { globals: { ...globals.es2022 } },
    rules: {
      'no-restricted-imports': ['error', engineForbiddenImports],
      'no-restricted-globals': ['error', ...engineForbiddenGlobals],
    },
  },
);
