/**
 * `kilonova image build-test-guest`: builds the test guest and registers it
 * with a running cloud's image API, as Glance holds UEC images — a kernel
 * (aki), a ramdisk (ari) and a disk whose kernel_id/ramdisk_id name them. It is
 * an ordinary API client (Keystone token, Glance v2), using the credentials in
 * clouds.yaml, so it works against any Kilonova, local or not.
 */
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import YAML from 'yaml';
import { passwordAuthBody, type PasswordAuth } from '../compute/clients/keystone-session.js';

export type CloudAuth = PasswordAuth;

export class RegistrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistrationError';
  }
}

/** One cloud's auth section from a clouds.yaml file. */
export function readCloudAuth(cloudsYaml: string, cloud: string): CloudAuth {
  let doc: { clouds?: Record<string, { auth?: Record<string, string> }> };
  try {
    doc = YAML.parse(fs.readFileSync(cloudsYaml, 'utf8')) as typeof doc;
  } catch (err) {
    throw new RegistrationError(`cannot read ${cloudsYaml}: ${(err as Error).message} (start the cloud first, or pass --clouds-yaml)`);
  }
  const auth = doc?.clouds?.[cloud]?.auth;
  if (!auth?.auth_url || !auth.username || !auth.password) throw new RegistrationError(`${cloudsYaml} has no usable cloud "${cloud}"`);
  return {
    authUrl: auth.auth_url, username: auth.username, password: auth.password, projectName: auth.project_name ?? auth.username,
    userDomainName: auth.user_domain_name ?? 'Default', projectDomainName: auth.project_domain_name ?? 'Default',
  };
}

interface Session {
  token: string;
  imageUrl: string;
}

async function authenticate(auth: CloudAuth): Promise<Session> {
  const res = await fetch(`${auth.authUrl.replace(/\/$/, '')}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: passwordAuthBody(auth),
  });
  const token = res.headers.get('x-subject-token');
  const body = (await res.json().catch(() => ({}))) as { token?: { catalog?: Array<{ type: string; endpoints: Array<{ interface: string; url: string }> }> } };
  if (res.status !== 201 || !token) throw new RegistrationError(`authentication at ${auth.authUrl} failed (HTTP ${res.status})`);
  const image = body.token?.catalog?.find((s) => s.type === 'image')?.endpoints.find((e) => e.interface === 'public');
  if (!image) throw new RegistrationError('the service catalog has no public image endpoint');
  return { token, imageUrl: image.url.replace(/\/$/, '') };
}

async function call(s: Session, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<any> {
  const res = await fetch(`${s.imageUrl}${path}`, {
    method,
    headers: { 'x-auth-token': s.token, ...(body !== undefined ? { 'content-type': contentType } : {}) },
    body: body === undefined ? undefined : contentType === 'application/json' ? JSON.stringify(body) : new Uint8Array(body as Buffer),
  });
  const text = await res.text();
  if (res.status >= 400) throw new RegistrationError(`${method} ${path}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

function md5(file: string): string {
  return createHash('md5').update(fs.readFileSync(file)).digest('hex');
}

/**
 * The image with this name and content, uploading it unless an active one
 * with the same checksum exists already (so registering twice reuses it).
 */
async function ensureImage(s: Session, spec: { name: string; file: string; diskFormat: string; containerFormat: string; visibility: string; properties?: Record<string, string> }): Promise<{ id: string; reused: boolean }> {
  const checksum = md5(spec.file);
  const existing = (await call(s, 'GET', `/v2/images?name=${encodeURIComponent(spec.name)}`)) as { images: Array<{ id: string; checksum: string | null; status: string }> };
  const same = existing.images.find((i) => i.status === 'active' && i.checksum === checksum);
  if (same) return { id: same.id, reused: true };
  const created = (await call(s, 'POST', '/v2/images', {
    name: spec.name, disk_format: spec.diskFormat, container_format: spec.containerFormat, visibility: spec.visibility, ...(spec.properties ?? {}),
  })) as { id: string };
  try {
    await call(s, 'PUT', `/v2/images/${created.id}/file`, fs.readFileSync(spec.file), 'application/octet-stream');
  } catch (err) {
    await call(s, 'DELETE', `/v2/images/${created.id}`).catch(() => undefined);
    throw err;
  }
  return { id: created.id, reused: false };
}

export interface RegisteredTestGuest {
  kernelId: string;
  ramdiskId: string;
  imageId: string;
  reused: boolean;
}

export async function registerTestGuest(auth: CloudAuth, files: { kernelPath: string; ramdiskPath: string; diskPath: string; diskFormat: string }, opts: { name: string; visibility: 'public' | 'private' }): Promise<RegisteredTestGuest> {
  const s = await authenticate(auth);
  const kernel = await ensureImage(s, { name: `${opts.name}-kernel`, file: files.kernelPath, diskFormat: 'aki', containerFormat: 'aki', visibility: opts.visibility });
  const ramdisk = await ensureImage(s, { name: `${opts.name}-ramdisk`, file: files.ramdiskPath, diskFormat: 'ari', containerFormat: 'ari', visibility: opts.visibility });
  const disk = await ensureImage(s, {
    name: opts.name, file: files.diskPath, diskFormat: files.diskFormat, containerFormat: 'bare', visibility: opts.visibility,
    properties: { kernel_id: kernel.id, ramdisk_id: ramdisk.id, os_distro: 'kilonova-test-guest' },
  });
  return { kernelId: kernel.id, ramdiskId: ramdisk.id, imageId: disk.id, reused: kernel.reused && ramdisk.reused && disk.reused };
}
