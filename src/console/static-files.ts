/**
 * noVNC's page and scripts for the noVNC proxy's plain GETs (websockify's
 * --web): files under one directory, nothing outside it, no listings.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
  '.ogg': 'audio/ogg', '.mp3': 'audio/mpeg', '.woff': 'font/woff', '.woff2': 'font/woff2', '.ttf': 'font/ttf',
};

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'Only GET and HEAD are served here.\n');
  let rel: string;
  try {
    rel = decodeURIComponent(new URL(req.url ?? '/', 'http://proxy').pathname);
  } catch {
    return reply(res, 400, 'Malformed path.\n');
  }
  const file = path.resolve(root, `.${path.posix.normalize(rel)}`);
  if (rel.includes('\0') || (file !== root && !file.startsWith(root + path.sep))) return reply(res, 404, 'Not found.\n');
  fs.stat(file, (err, st) => {
    if (err || !st.isFile()) {
      // The whole web root missing is the operator's to fix; say what to install.
      if (!fs.existsSync(root)) return reply(res, 404, `noVNC is not installed: ${root} is missing (apt-get install novnc, or set [DEFAULT] web).\n`);
      return reply(res, 404, 'Not found.\n');
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream', 'content-length': st.size });
    if (req.method === 'HEAD') return void res.end();
    const stream = fs.createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  });
}
