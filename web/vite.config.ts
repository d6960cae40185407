import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// `npm run build:web` builds web/ into dist/web, which the server serves at / (src/http/web-app.ts).
// `npx vite --config web/vite.config.ts` serves it for development, with /api proxied to a
// server started by `npm start` on port 3000.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // No React plugin: esbuild's automatic JSX runtime is all the build needs.
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      onwarn(warning, warn) {
        // TanStack Query marks its hooks "use client" for React Server Components; a plain
        // browser bundle has nothing to do with that.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: { '/api': 'http://localhost:3000' },
  },
});
