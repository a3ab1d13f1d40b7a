// Vite builds the UI into dist/, which "servio serve" serves (--web-root).
// Preact's automatic JSX runtime through esbuild/oxc: no framework plugin needed.
import { defineConfig } from "vite";

export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    assetsInlineLimit: 0,
  },
  server: {
    // "npm run dev" against a servio on :8080
    proxy: { "/api": "http://127.0.0.1:8080" },
  },
});
