import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The collector serves dist/ at `/`; `npm run dev --workspace dashboard` proxies the API to a collector on 4318.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 600 },
  server: { proxy: { '/api': 'http://127.0.0.1:4318', '/-': 'http://127.0.0.1:4318' } },
});
