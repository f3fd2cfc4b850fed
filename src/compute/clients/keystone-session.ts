/**
 * What keystoneauth's Session and password plugin do for Nova's service
 * clients: authenticate as the service user (project-scoped), find a
 * service's endpoint in the token's catalog (or take endpoint_override), keep
 * the token until shortly before it expires, and authenticate once more when a
 * service answers 401. Calls made for a user send the user's token with the
 * service token in X-Service-Token, as Nova's [service_user] mode does.
 */
import type { Readable } from 'node:stream';
import type { Config } from '../../conf/options.js';
import { sendRequest, type ServiceResponse } from './http-transport.js';
import { remoteFault } from './remote-fault.js';

/** Keystone v3 password authentication, scoped to a project (names, as keystoneauth's options give them). */
export interface PasswordAuth {
  authUrl: string;
  username: string;
  password: string;
  projectName: string;
  userDomainName: string;
  projectDomainName: string;
}

/** The body of POST /v3/auth/tokens for a password, scoped to the project. */
export function passwordAuthBody(auth: PasswordAuth): string {
  return JSON.stringify({
    auth: {
      identity: { methods: ['password'], password: { user: { name: auth.username, domain: { name: auth.userDomainName }, password: auth.password } } },
      scope: { project: { name: auth.projectName, domain: { name: auth.projectDomainName } } },
    },
  });
}

export interface KeystoneAuthOptions extends PasswordAuth {
  regionName: string;
  validInterfaces: readonly string[];
  endpointOverride: string;
  timeoutMs: number;
}

type KeystoneauthSection = Config['glance'];

/** The session options of one nova.conf section ([glance], [neutron], [placement]). */
export function keystoneAuthOptions(section: KeystoneauthSection): KeystoneAuthOptions {
  return {
    authUrl: section.auth_url, username: section.username, password: section.password, projectName: section.project_name,
    userDomainName: section.user_domain_name, projectDomainName: section.project_domain_name, regionName: section.region_name,
    validInterfaces: section.valid_interfaces, endpointOverride: section.endpoint_override, timeoutMs: section.timeout * 1000,
  };
}

/** keystoneauth renews a token this long before it expires, so no request carries one that dies on the way. */
const STALE_TOKEN_MS = 30_000;

interface CatalogEntry {
  type: string;
  endpoints: Array<{ interface: string; region?: string; region_id?: string; url: string }>;
}

interface ServiceToken {
  token: string;
  expiresAt: number;
  catalog: CatalogEntry[];
}

export interface SessionRequest {
  /** A path under the service's endpoint, with its query string. */
  path: string;
  method?: string;
  json?: unknown;
  /** A stream sent as the body (image data); such a request is not repeated after a 401. */
  stream?: Readable;
  headers?: Record<string, string>;
  /** The user this call is made for (their token); absent or empty: the service user alone. */
  userToken?: string;
  /** Whose fault wording a failure takes. */
  service: 'image' | 'network' | 'placement';
}

export class KeystoneSession {
  private current: Promise<ServiceToken> | undefined;

  constructor(private readonly opts: KeystoneAuthOptions) {}

  /** The service user's token, authenticating when there is none or it is about to expire. */
  async token(): Promise<string> {
    return (await this.serviceToken()).token;
  }

  /** Forget the token (the next request authenticates again). */
  invalidate(): void {
    this.current = undefined;
  }

  /** The base URL of a service type: endpoint_override, else the catalog's by region and valid_interfaces. */
  async endpoint(serviceType: string): Promise<string> {
    if (this.opts.endpointOverride) return this.opts.endpointOverride.replace(/\/+$/, '');
    const { catalog } = await this.serviceToken();
    const service = catalog.find((s) => s.type === serviceType);
    const inRegion = (service?.endpoints ?? []).filter((e) => !this.opts.regionName || (e.region_id ?? e.region) === this.opts.regionName);
    for (const iface of this.opts.validInterfaces) {
      const found = inRegion.find((e) => e.interface === iface);
      if (found) return found.url.replace(/\/+$/, '');
    }
    throw new Error(`the service catalog has no ${serviceType} endpoint (interfaces ${this.opts.validInterfaces.join(', ')}${this.opts.regionName ? `, region ${this.opts.regionName}` : ''})`);
  }

  /**
   * One request to a service; a 2xx response is returned, anything else is
   * thrown as the fault the in-process service would raise. A 401 renews the
   * service token and repeats the request once (not when its body was a stream).
   */
  async request(serviceType: string, req: SessionRequest): Promise<ServiceResponse> {
    let res = await this.send(serviceType, req);
    if (res.status === 401 && !req.stream) {
      await res.drain();
      this.invalidate();
      res = await this.send(serviceType, req);
    }
    if (res.ok) return res;
    throw await remoteFault(res, req.service);
  }

  private async send(serviceType: string, req: SessionRequest): Promise<ServiceResponse> {
    const [base, serviceToken] = await Promise.all([this.endpoint(serviceType), this.token()]);
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    if (req.userToken) {
      headers['x-auth-token'] = req.userToken;
      headers['x-service-token'] = serviceToken;
    } else {
      headers['x-auth-token'] = serviceToken;
    }
    let body: string | Readable | undefined = req.stream;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] ??= 'application/json';
    }
    const timeoutMs = this.opts.timeoutMs;
    return sendRequest({
      url: `${base}${req.path}`, method: req.method ?? 'GET', headers, body, timeoutMs, timedOut: () => new RemoteTimeout(serviceType, timeoutMs),
    });
  }

  private serviceToken(): Promise<ServiceToken> {
    const have = this.current;
    if (have) {
      return have.then((t) => (t.expiresAt - Date.now() > STALE_TOKEN_MS ? t : this.authenticate()));
    }
    return this.authenticate();
  }

  private authenticate(): Promise<ServiceToken> {
    const pending = this.passwordAuth();
    this.current = pending;
    pending.catch(() => { if (this.current === pending) this.current = undefined; });
    return pending;
  }

  private async passwordAuth(): Promise<ServiceToken> {
    const o = this.opts;
    const res = await sendRequest({
      url: `${o.authUrl.replace(/\/+$/, '').replace(/\/v3$/, '')}/v3/auth/tokens`, method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: passwordAuthBody(o), timeoutMs: o.timeoutMs, timedOut: () => new RemoteTimeout('identity', o.timeoutMs),
    });
    const token = res.header('x-subject-token');
    if (res.status !== 201 || !token) {
      await res.drain();
      // The operator's mistake, not the user's: said in the log, with no secret in it.
      throw new ServiceAuthFailed(o.authUrl, o.username, res.status);
    }
    const body = await res.json() as { token?: { expires_at?: string; catalog?: CatalogEntry[] } };
    const expiresAt = Date.parse(body.token?.expires_at ?? '');
    return { token, expiresAt: Number.isFinite(expiresAt) ? expiresAt : Date.now() + STALE_TOKEN_MS * 2, catalog: body.token?.catalog ?? [] };
  }
}

/**
 * The service user could not authenticate: this host's configuration is
 * wrong, not the caller's token, so it is no 401 to the user (the API shows
 * it as its internal error) and its message, for the log, names no secret.
 */
export class ServiceAuthFailed extends Error {
  constructor(authUrl: string, username: string, status: number) {
    super(`the service user ${username} could not authenticate at ${authUrl} (HTTP ${status})`);
    this.name = 'ServiceAuthFailed';
  }
}

/** A service gave no answer in [section] timeout seconds. */
export class RemoteTimeout extends Error {
  constructor(serviceType: string, timeoutMs: number) {
    super(`the ${serviceType} service did not answer within ${timeoutMs / 1000} s`);
    this.name = 'RemoteTimeout';
  }
}
