/**
 * oslo.messaging's message envelope (version 2.0): the wire body is
 * {"oslo.version": "2.0", "oslo.message": "<the message, JSON-encoded>"}.
 * The bus moves opaque strings, so the inner message is the string the upper
 * layer gave, unchanged; a body that arrives without an envelope (sent by an
 * older or foreign publisher) is handed up as it came.
 */
const VERSION_KEY = 'oslo.version';
const MESSAGE_KEY = 'oslo.message';
export const ENVELOPE_VERSION = '2.0';

export function wrap(body: string): string {
  return JSON.stringify({ [VERSION_KEY]: ENVELOPE_VERSION, [MESSAGE_KEY]: body });
}

export function unwrap(raw: string): string {
  if (!raw.startsWith('{')) return raw;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return raw;
  }
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const env = parsed as Record<string, unknown>;
    if (typeof env[VERSION_KEY] === 'string' && typeof env[MESSAGE_KEY] === 'string') return env[MESSAGE_KEY] as string;
  }
  return raw;
}
