/**
 * The plain-text error page webob writes for Nova's metadata API and
 * Neutron's metadata agent alike: the status line, the explanation, an empty
 * detail. Guests' tools print it as it is, so both sides write it one way.
 */
export const TEXT_PLAIN = 'text/plain; charset=UTF-8';

const STATUS_TEXT: Record<number, [string, string]> = {
  400: ['Bad Request', 'The server could not comply with the request since it is either malformed or otherwise incorrect.'],
  403: ['Forbidden', 'Access was denied to this resource.'],
  404: ['Not Found', 'The resource could not be found.'],
  409: ['Conflict', 'There was a conflict when trying to complete your request.'],
  500: ['Internal Server Error', 'The server has either erred or is incapable of performing the requested operation.'],
};

/** The status (anything unlisted becomes 500) and its page. */
export function errorPage(status: number, explanation?: string): { status: number; body: string } {
  const known = STATUS_TEXT[status] ? status : 500;
  const [title, fallback] = STATUS_TEXT[known]!;
  return { status: known, body: `${known} ${title}\n\n${explanation ?? fallback}\n\n   ` };
}

export const UNKNOWN_ERROR = 'An unknown error has occurred. Please try your request again.';
