/**
 * Loads configuration: defaults, then the INI file, then KILONOVA_<SECTION>__<OPTION>
 * environment variables, then command-line overrides. Any unknown option or bad
 * value is a ConfigError whose message is one line naming where it came from.
 */
import fs from 'node:fs';
import path from 'node:path';
import ini from 'ini';
import { OPTIONS, type Config, type OptionSpec } from './options.js';

export class ConfigError extends Error {}

type RawValue = string | number | boolean | string[];
export type Overrides = Partial<Record<string, Partial<Record<string, RawValue>>>>;

export interface LoadOptions {
  /** Path of kilonova.conf; when absent, ./kilonova.conf is used if it exists. */
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: Overrides;
}

const ENV_PREFIX = 'KILONOVA_';

export function loadConfig(opts: LoadOptions = {}): Config {
  const conf: Record<string, Record<string, unknown>> = {};
  for (const [section, specs] of Object.entries(OPTIONS)) {
    conf[section] = {};
    for (const [name, spec] of Object.entries(specs as Record<string, OptionSpec>)) {
      conf[section][name] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
    }
  }

  let configFile = opts.configFile;
  if (!configFile && fs.existsSync('kilonova.conf')) configFile = 'kilonova.conf';
  if (configFile) {
    let text: string;
    try {
      text = fs.readFileSync(configFile, 'utf8');
    } catch {
      throw new ConfigError(`${configFile}: cannot read the configuration file`);
    }
    const parsed = ini.parse(text) as Record<string, unknown>;
    for (const [key, value] of Object.entries(parsed)) {
      if (value !== null && typeof value === 'object') {
        for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
          assign(conf, key, name, v, `${configFile}: [${key}] ${name}`);
        }
      } else {
        // ini puts options that come before any section header at the top level.
        assign(conf, 'DEFAULT', key, value, `${configFile}: [DEFAULT] ${key}`);
      }
    }
  }

  const env = opts.env ?? process.env;
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith(ENV_PREFIX) || value === undefined) continue;
    const rest = key.slice(ENV_PREFIX.length);
    const sep = rest.indexOf('__');
    if (sep < 0) continue; // other KILONOVA_* variables (e.g. test switches) are not options
    const section = rest.slice(0, sep);
    const sectionName = section === 'DEFAULT' ? 'DEFAULT' : section.toLowerCase();
    assign(conf, sectionName, rest.slice(sep + 2).toLowerCase(), value, `environment ${key}`);
  }

  for (const [section, values] of Object.entries(opts.overrides ?? {})) {
    for (const [name, v] of Object.entries(values ?? {})) {
      if (v !== undefined) assign(conf, section, name, v, `command line: [${section}] ${name}`);
    }
  }

  const result = conf as unknown as Config;
  if (configFile) result.configFile = path.resolve(configFile);
  return result;
}

function assign(conf: Record<string, Record<string, unknown>>, section: string, name: string, value: unknown, where: string): void {
  // Own properties only: "constructor" or "toString" must be unknown, not Object's.
  const all = OPTIONS as Record<string, Record<string, OptionSpec>>;
  const specs = Object.hasOwn(all, section) ? all[section] : undefined;
  if (!specs) throw new ConfigError(`${where}: unknown section [${section}]`);
  const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
  if (!spec) throw new ConfigError(`${where}: unknown option "${name}" in section [${section}]`);
  conf[section][name] = coerce(spec, value, where);
}

function coerce(spec: OptionSpec, value: unknown, where: string): RawValue {
  const text = Array.isArray(value) ? value.join(',') : String(value).trim();
  // JSON quoting keeps a value with a newline (possible from the environment) on the message's one line.
  const shown = JSON.stringify(text);
  let out: RawValue;
  switch (spec.type) {
    case 'string':
      out = text;
      break;
    case 'int': {
      if (!/^-?\d+$/.test(text)) throw new ConfigError(`${where}: ${shown} is not an integer`);
      out = Number(text);
      break;
    }
    case 'float': {
      const n = Number(text);
      if (text === '' || !Number.isFinite(n)) throw new ConfigError(`${where}: ${shown} is not a number`);
      out = n;
      break;
    }
    case 'bool': {
      const t = text.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(t)) out = true;
      else if (['false', '0', 'no', 'off'].includes(t)) out = false;
      else throw new ConfigError(`${where}: ${shown} is not a boolean (true/false)`);
      break;
    }
    case 'list':
      out = text === '' ? [] : text.split(',').map((s) => s.trim()).filter(Boolean);
      break;
  }
  if (typeof out === 'number') {
    if (spec.min !== undefined && out < spec.min) throw new ConfigError(`${where}: ${out} is below the minimum ${spec.min}`);
    if (spec.max !== undefined && out > spec.max) throw new ConfigError(`${where}: ${out} is above the maximum ${spec.max}`);
  }
  if (spec.choices && typeof out === 'string' && !spec.choices.includes(out)) {
    throw new ConfigError(`${where}: ${JSON.stringify(out)} is not one of ${spec.choices.join(', ')}`);
  }
  return out;
}

/** The database URL, defaulting to a SQLite file in state_path. */
export function databaseUrl(conf: Config): string {
  return conf.database.connection || `sqlite:///${path.resolve(conf.DEFAULT.state_path, 'kilonova.db')}`;
}
