import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// `npm run build` writes into the Python package; `runstone server` serves it at `/`, and the
// hashed files under /static-files/ (see src/runstone/server/routes/ui.py).
export default defineConfig({
  base: "/static-files/",
  plugins: [react()],
  build: {
    outDir: "../src/runstone/server/static",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
  },
  server: {
    // `npm run dev` next to `make run`: the API comes from the running server.
    proxy: {
      "/ajax-api": "http://127.0.0.1:5000",
      "/api": "http://127.0.0.1:5000",
    },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test-setup.ts"],
  },
});
