import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// The console is served by the server at /ui/; `make ui` builds it into
// dist/, which the Go package beside this file embeds.
export default defineConfig({
  base: "/ui/",
  plugins: [preact()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // One small CSS file and a few JS chunks; no inline modulepreload
    // polyfill (the CSP allows no inline script, and every browser the
    // console supports has modulepreload).
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: true,
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: {
      "/v1": { target: "http://127.0.0.1:8080", ws: true },
      "/metrics": "http://127.0.0.1:8080",
      "/health": "http://127.0.0.1:8080",
    },
  },
});
