/**
 * What every response must satisfy, whatever was sent: no 5xx, a 4xx body in
 * the fault format of the service that owns the path, and nothing in any body
 * that tells an attacker how the server is built (stack frames, file paths,
 * SQL, Fastify's internal error codes).
 */

export type Service = 'compute' | 'identity' | 'image' | 'network' | 'placement' | 'none';

export function serviceOf(path: string): Service {
  const first = path.split('?')[0]!.split('/').filter(Boolean)[0];
  switch (first) {
    case 'compute': case 'identity': case 'image': case 'network': case 'placement': return first;
    default: return 'none';
  }
}

const COMPUTE_FAULTS = new Set(['badRequest', 'unauthorized', 'forbidden', 'itemNotFound', 'badMethod', 'conflictingRequest',
  'overLimit', 'badMediaType', 'notImplemented', 'computeFault', 'serviceUnavailable', 'notAcceptable']);

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why this parsed body is not the service's fault format, or undefined when it is. */
export function faultFormatProblem(service: Service, status: number, body: unknown): string | undefined {
  switch (service) {
    case 'compute': {
      if (!isObj(body) || Object.keys(body).length !== 1) return 'not a one-key compute fault';
      const [name] = Object.keys(body);
      const inner = body[name!];
      if (!COMPUTE_FAULTS.has(name!)) return `unknown compute fault name ${name}`;
      if (!isObj(inner) || inner.code !== status || typeof inner.message !== 'string') return 'compute fault without code = status and message';
      return undefined;
    }
    case 'identity': {
      const e = isObj(body) ? body.error : undefined;
      if (!isObj(e) || e.code !== status || typeof e.message !== 'string' || typeof e.title !== 'string') return 'not {error:{code,message,title}}';
      return undefined;
    }
    case 'image': {
      // Glance's error body as renderFault('image') writes it: {code: "404 Not Found", title, message}.
      if (!isObj(body) || typeof body.code !== 'string' || !body.code.startsWith(`${status} `) || typeof body.title !== 'string' || typeof body.message !== 'string') {
        return 'not the image fault {code:"<status> <title>",title,message}';
      }
      return undefined;
    }
    case 'network': {
      const e = isObj(body) ? body.NeutronError : undefined;
      if (!isObj(e) || typeof e.type !== 'string' || typeof e.message !== 'string' || !('detail' in e)) return 'not {NeutronError:{type,message,detail}}';
      return undefined;
    }
    case 'placement': {
      const errs = isObj(body) ? body.errors : undefined;
      if (!Array.isArray(errs) || errs.length === 0 || !errs.every((e) => isObj(e) && e.status === status && typeof e.title === 'string' && typeof e.detail === 'string')) {
        return 'not {errors:[{status,title,detail}]}';
      }
      return undefined;
    }
    case 'none': {
      // A path no service owns may answer in any service's format, so long as it is an OpenStack fault.
      const services: Service[] = ['compute', 'identity', 'image', 'network', 'placement'];
      return services.some((s) => faultFormatProblem(s, status, body) === undefined) ? undefined : 'not an OpenStack fault of any service';
    }
  }
}

const LEAKS: Array<[string, RegExp]> = [
  ['stack trace', /\bat \S+ \((?:file:|node:|\/)[^)]*:\d+:\d+\)|\n\s+at \S/],
  ['filesystem path', /\/work\/|\/tmp\/|node_modules|\.m?js:|\.ts:/],
  ['SQL text', /SELECT |INSERT |UPDATE [a-z_]+ SET|SQLITE_|syntax error at or near|datatype mismatch|no such (table|column)/],
  ['Fastify error code', /FST_ERR/],
];

/** The kinds of internal detail this body gives away. */
export function leaks(text: string): string[] {
  return LEAKS.filter(([, re]) => re.test(text)).map(([name]) => name);
}

/** Why this response breaks the rules, or an empty list. */
export function responseProblems(method: string, path: string, status: number, text: string): string[] {
  const problems: string[] = [];
  // 501 is the deliberate answer of a feature not built yet (Nova's notImplemented), not a crash.
  const deliberate501 = status === 501 && (method === 'HEAD' || /"notImplemented"|Not Implemented/.test(text));
  if (status >= 500 && !deliberate501) problems.push(`${status} server error`);
  for (const leak of leaks(text)) problems.push(`body leaks a ${leak}`);
  if (status >= 400 && method !== 'HEAD') {
    let body: unknown;
    try { body = JSON.parse(text); } catch { problems.push(text.length === 0 ? 'empty fault body' : 'fault body is not JSON'); }
    if (body !== undefined) {
      const p = faultFormatProblem(serviceOf(path), status, body);
      if (p) problems.push(`fault format: ${p}`);
    }
  }
  return problems;
}
