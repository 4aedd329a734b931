/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';

// Cross-origin isolation: SharedArrayBuffer exists only when the page is served with
// COOP same-origin and COEP require-corp. Static hosts get them from public/coi-serviceworker.js.
const coiHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// Content-Security-Policy of the built page (docs/app.md, "Security"): scripts, workers and every
// fetch only from our own origin, never inline or eval'd; styles may be inline (React style
// attributes, CodeMirror's generated sheets). A share link's text is untrusted input: this policy
// is the second wall behind rendering it as text. The dev server has none: React's refresh preamble
// is an inline script.
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Puts the policy into the built index.html, so that any static host serves it too. */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'daxviz-csp',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP }, injectTo: 'head-prepend' }],
  };
}

export default defineConfig({
  plugins: [react(), contentSecurityPolicy()],
  server: { port: 5173, strictPort: true, headers: coiHeaders },
  preview: { port: 4173, strictPort: true, headers: coiHeaders },
  worker: { format: 'es' },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
  },
});
