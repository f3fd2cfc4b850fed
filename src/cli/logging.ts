import pino, { type Logger } from 'pino';
import type { Config } from '../conf/options.js';

export function createLogger(conf: Config, opts: { quiet?: boolean } = {}): Logger {
  const level = opts.quiet ? 'silent' : conf.DEFAULT.debug ? 'debug' : 'info';
  const dest = conf.DEFAULT.log_file
    ? pino.destination({ dest: conf.DEFAULT.log_file, mkdir: true, sync: false })
    : pino.destination({ dest: 2, sync: false });
  return pino({ level, base: { host: conf.DEFAULT.host }, timestamp: pino.stdTimeFunctions.isoTime }, dest);
}
