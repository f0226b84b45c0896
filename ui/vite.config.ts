import preact from "@preact/preset-vite";
import { defineConfig } from "vitest/config";

// The API serves dist/ at / (make run) and nginx does in compose: every asset under /assets/.
export default defineConfig({
  plugins: [preact()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    // No inline script or data: URL in the output: the CSP allows only files of this origin.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  server: { proxy: { "/api": "http://127.0.0.1:8041", "/s/": "http://127.0.0.1:8041" } },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
