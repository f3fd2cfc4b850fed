/** Nova's sanitize_hostname: a display name made into a valid DNS label. */
export function sanitizeHostname(name: string, fallback: string): string {
  let h = name.toLowerCase().replace(/[ _]/g, '-').replace(/[^a-z0-9.-]/g, '');
  h = h.replace(/^[.-]+/, '').slice(0, 63).replace(/[.-]+$/, '');
  return h.length > 0 ? h : fallback;
}
