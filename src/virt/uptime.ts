/**
 * The host uptime line Nova's drivers return: what `uptime` prints
 * (" 10:27:06 up 2 days,  3:04,  0 users,  load average: 0.00, 0.01, 0.05"),
 * which clients show as it is.
 */
export function uptimeLine(now: Date, upSeconds: number, load: readonly number[]): string {
  const clock = now.toISOString().slice(11, 19);
  const total = Math.max(0, Math.floor(upSeconds));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const since = hours === 0 ? `${minutes} min` : `${hours}:${String(minutes).padStart(2, '0')}`;
  const up = days > 0 ? `${days} day${days === 1 ? '' : 's'}, ${since.padStart(5)}` : since.padStart(5);
  const averages = [0, 1, 2].map((i) => (load[i] ?? 0).toFixed(2)).join(', ');
  return ` ${clock} up ${up},  0 users,  load average: ${averages}`;
}
