/**
 * The console's static files: one stylesheet and one small script (progressive enhancement only: every
 * page works without it). Served from this folder, read once at start, with an ETag so browsers revalidate
 * cheaply (the build copies them beside the compiled code, so import.meta.dirname finds them either way).
 * Scripts must come from here: the CSP allows script-src 'self' and no inline script.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';

const FILES: Record<string, string> = {
  'console.css': 'text/css; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
};

export function registerAssets(app: FastifyInstance): void {
  for (const [name, type] of Object.entries(FILES)) {
    const body = fs.readFileSync(path.join(import.meta.dirname, name));
    const etag = `"${crypto.createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`;
    app.get(`/assets/${name}`, async (req, reply) => {
      void reply.header('etag', etag).header('cache-control', 'public, max-age=300, must-revalidate').type(type);
      if (req.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.send(body);
    });
  }
  // Browsers ask for it on every first visit; an empty answer keeps the console's error log clean.
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).header('cache-control', 'public, max-age=86400').send());
}
