/**
 * API microversions: `OpenStack-API-Version: <service> X.Y` (and Nova's legacy
 * `X-OpenStack-Nova-API-Version`). No header means the floor; `latest` means
 * the ceiling; out of range → 406; malformed → 400.
 */
import { BadRequest, NotAcceptable } from '../errors.js';

export class APIVersion {
  constructor(readonly major: number, readonly minor: number) {}

  static parse(text: string): APIVersion | null {
    const m = /^([1-9]\d*)\.(0|[1-9]\d*)$/.exec(text.trim());
    return m ? new APIVersion(Number(m[1]), Number(m[2])) : null;
  }

  compare(other: APIVersion): number {
    return this.major - other.major || this.minor - other.minor;
  }

  /** True when this version is `v` or newer, e.g. req.apiVersion.atLeast('2.37'). */
  atLeast(v: string): boolean {
    return this.compare(mustParse(v)) >= 0;
  }

  toString(): string {
    return `${this.major}.${this.minor}`;
  }
}

function mustParse(v: string): APIVersion {
  const parsed = APIVersion.parse(v);
  if (!parsed) throw new Error(`bad version literal ${v}`);
  return parsed;
}

export interface VersionRange {
  /** Service type in the OpenStack-API-Version header: compute, placement. */
  service: string;
  min: string;
  max: string;
  /** Legacy header name, e.g. x-openstack-nova-api-version. */
  legacyHeader?: string;
}

type Headers = Record<string, string | string[] | undefined>;

/** The version a request asked for, validated against the range. */
export function negotiateVersion(headers: Headers, range: VersionRange): APIVersion {
  const requested = requestedVersion(headers, range);
  const min = mustParse(range.min);
  const max = mustParse(range.max);
  if (requested === undefined) return min;
  if (requested.toLowerCase() === 'latest') return max;
  const v = APIVersion.parse(requested);
  if (!v) throw new BadRequest(`API Version String ${requested} is of invalid format. Must be of format MajorNum.MinorNum.`);
  if (v.compare(min) < 0 || v.compare(max) > 0) {
    throw new NotAcceptable(`Version ${requested} is not supported by the API. Minimum is ${range.min} and maximum is ${range.max}.`);
  }
  return v;
}

function requestedVersion(headers: Headers, range: VersionRange): string | undefined {
  const values = ([] as string[]).concat(headers['openstack-api-version'] ?? []);
  for (const value of values.flatMap((v) => v.split(','))) {
    const [service, version] = value.trim().split(/\s+/, 2);
    if (service?.toLowerCase() === range.service && version !== undefined) return version;
  }
  if (range.legacyHeader) {
    const legacy = headers[range.legacyHeader];
    if (typeof legacy === 'string' && legacy.length > 0) return legacy;
  }
  return undefined;
}

/** Response headers that echo the negotiated version. */
export function versionHeaders(v: APIVersion, range: VersionRange): Record<string, string> {
  const out: Record<string, string> = {
    'openstack-api-version': `${range.service} ${v}`,
    vary: range.legacyHeader ? `OpenStack-API-Version, ${legacyHeaderCase(range.legacyHeader)}` : 'OpenStack-API-Version',
  };
  if (range.legacyHeader) out[range.legacyHeader] = v.toString();
  return out;
}

function legacyHeaderCase(h: string): string {
  return h.replace(/(^|-)(\w)/g, (_m, sep: string, c: string) => sep + c.toUpperCase()).replace('Openstack', 'OpenStack');
}
