import { existsSync, readFileSync } from 'node:fs';
import { isPasswordHash, parsePasswordHash } from '../core/password-hash.js';
import { compileProxyTrust, LEGACY_TRUE } from '../core/proxy-trust.js';
import { SETTINGS, type Config, type SettingSpec } from './settings.js';
import { unknownWhisprVariables } from './unknown-env.js';

export class ConfigError extends Error {}

export interface ConfigSources {
  /** CLI flags by flag name (e.g. { port: '9000' }). */
  flags?: Record<string, string | undefined>;
  env?: NodeJS.ProcessEnv;
  /** Path of a settings.json; when absent, ./settings.json is read if it exists. */
  file?: string;
  /** Values for tests and embedding, applied last. */
  overrides?: Partial<Config>;
}

export interface LoadedConfig {
  config: Config;
  /** Where each setting's effective value came from. */
  origin: Record<string, string>;
  /** The settings file that was read, if any. */
  file: string | undefined;
  /** What the operator should hear about but that does not stop the start (unknown WHISPR_* variables). */
  warnings: string[];
}

const DEFAULT_FILE = 'settings.json';
// Number() would also take hex, octal, binary and 'Infinity'; settings are plain decimals.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** defaults < settings file < environment (a WHISPR_* name before a generic one) < CLI flags < overrides */
export function loadConfig(sources: ConfigSources = {}): LoadedConfig {
  const env = sources.env ?? process.env;
  const values: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  for (const spec of SETTINGS) {
    values[spec.key] = spec.default;
    origin[spec.key] = 'default';
  }

  const filePath = sources.file ?? env.WHISPR_CONFIG ?? (existsSync(DEFAULT_FILE) ? DEFAULT_FILE : undefined);
  if (filePath !== undefined) {
    const fileValues = readSettingsFile(filePath);
    for (const spec of SETTINGS) {
      if (Object.hasOwn(fileValues, spec.key)) {
        values[spec.key] = coerce(spec, fileValues[spec.key], `${filePath}: ${spec.key}`);
        origin[spec.key] = filePath;
      }
    }
  }
  for (const spec of SETTINGS) {
    const name = spec.env.find((n) => env[n] !== undefined && env[n] !== '');
    if (name !== undefined) {
      values[spec.key] = coerce(spec, env[name], name);
      origin[spec.key] = `env ${name}`;
    }
    const flag = 'flag' in spec ? spec.flag : undefined;
    const flagValue = flag === undefined ? undefined : sources.flags?.[flag];
    if (flag !== undefined && flagValue !== undefined) {
      values[spec.key] = coerce(spec, flagValue, `--${flag}`);
      origin[spec.key] = `--${flag}`;
    }
  }
  for (const [key, value] of Object.entries(sources.overrides ?? {})) {
    const spec = SETTINGS.find((s) => s.key === key);
    if (spec === undefined) throw new ConfigError(`unknown setting "${key}"`);
    values[key] = coerce(spec, value, `override ${key}`);
    origin[key] = 'override';
  }
  const config = values as Config;
  checkTlsPair(config);
  checkBackends(config);
  checkAdminSecrets(config);
  return { config, origin, file: filePath, warnings: unknownWhisprVariables(env) };
}

function readSettingsFile(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`settings file ${path}: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`settings file ${path}: expected a JSON object`);
  }
  const known = new Set<string>(SETTINGS.map((s) => s.key));
  const unknown = Object.keys(parsed).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new ConfigError(`settings file ${path}: unknown setting(s) ${unknown.join(', ')}`);
  return parsed as Record<string, unknown>;
}

/** Turns a raw value (string from env/flags, JSON value from the file) into the setting's type. */
function coerce(spec: SettingSpec, raw: unknown, source: string): unknown {
  const fail = (expected: string): never => {
    throw new ConfigError(`setting "${spec.key}" (from ${source}): expected ${expected}, got ${JSON.stringify(raw)}`);
  };
  switch (spec.kind) {
    case 'int':
    case 'float': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && DECIMAL.test(raw.trim()) ? Number(raw) : NaN;
      const range = `between ${spec.min ?? '-inf'} and ${spec.max ?? 'inf'}`;
      if (!Number.isFinite(n) || (spec.kind === 'int' && !Number.isInteger(n))) fail(`${spec.kind === 'int' ? 'an integer' : 'a number'} ${range}`);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) fail(`a value ${range}`);
      return n;
    }
    case 'bool':
      return asBool(raw) ?? fail('true or false');
    case 'list':
      return asList(raw) ?? fail('a comma-separated list');
    case 'proxies': {
      // The former boolean values still work (true: proxies on this machine only, see core/proxy-trust.ts).
      const legacy = asBool(raw);
      if (legacy !== undefined) return legacy ? [LEGACY_TRUE] : [];
      const entries = asList(raw);
      const expected = 'false, true, or a comma-separated list of proxy addresses, CIDR ranges or loopback|linklocal|uniquelocal';
      if (entries === undefined) return fail(expected);
      try {
        compileProxyTrust(entries);
      } catch {
        return fail(expected);
      }
      return entries;
    }
    case 'enum':
      if (typeof raw === 'string' && spec.choices?.includes(raw)) return raw;
      return fail(`one of ${spec.choices?.join('|')}`);
    case 'string':
      if (typeof raw === 'string') return raw;
      return fail('a string');
  }
}

function asBool(raw: unknown): boolean | undefined {
  if (typeof raw === 'boolean') return raw;
  const s = String(raw).toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off'].includes(s)) return false;
  return undefined;
}

function asList(raw: unknown): string[] | undefined {
  if (Array.isArray(raw) && raw.every((x) => typeof x === 'string')) return raw;
  if (typeof raw === 'string')
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  return undefined;
}

/** A cluster setting that cannot work is refused at startup, not at the first request. */
export function checkBackends(config: Pick<Config, 'storage' | 'database_url' | 'bus' | 'jwt_secret' | 'inbox_backend'>): void {
  if (config.storage === 'postgres' && config.database_url === '') {
    throw new ConfigError('setting "database_url" (DATABASE_URL, --database-url) is required with storage=postgres');
  }
  // Several nodes: a token issued by one must be accepted by the others, so none may generate its own secret.
  if (config.bus === 'redis' && config.jwt_secret === '') {
    throw new ConfigError('setting "jwt_secret" (WHISPR_JWT_SECRET) is required with bus=redis: every node must sign and check tokens with the same secret');
  }
  if (config.inbox_backend === 'redis' && config.bus !== 'redis') {
    throw new ConfigError('setting "inbox_backend"=redis needs bus=redis (the Redis at redis_url)');
  }
}

/** Both tls_cert and tls_key, or neither: a half-configured TLS setup is refused. */
export function checkTlsPair(config: Pick<Config, 'tls_cert' | 'tls_key'>): void {
  const cert = config.tls_cert !== '';
  const key = config.tls_key !== '';
  if (cert && !key) throw new ConfigError('setting "tls_key" (WHISPR_TLS_KEY, --tls-key) is required when tls_cert is set: set both or neither');
  if (key && !cert) throw new ConfigError('setting "tls_cert" (WHISPR_TLS_CERT, --tls-cert) is required when tls_key is set: set both or neither');
}

/** Defaults of the original analytics backend, its .env example and common placeholders. */
const WELL_KNOWN_SECRETS = [
  'change_this_secret_key',
  'your_secret_key',
  'change-me',
  'changeme',
  'change_me',
  'secret',
  'jwt_secret',
  'supersecret',
  'admin_secret',
];
const WELL_KNOWN_PASSWORDS = [
  'admin',
  'password',
  'changeme',
  'change_me',
  'change-me',
  'secret',
  'whispr',
  'administrator',
  'admin123',
  'admin1234',
  'password1',
  'password123',
  '12345678',
  '123456789',
  'qwertyui',
  'letmein1',
];
const MIN_JWT_SECRET = 32;
const MIN_PASSWORD = 8;

/** Fragments of placeholder values ("change_this_secret_key_in_production", "your-secret-here"). */
const PLACEHOLDERS = ['changeme', 'change-me', 'change_me', 'change_this', 'change-this', 'your_secret', 'your-secret'];

const isWellKnown = (value: string, known: readonly string[]) => {
  const v = value.toLowerCase();
  return known.includes(v) || PLACEHOLDERS.some((p) => v.includes(p)) || new Set(v).size < 6;
};

/**
 * The admin API is enabled by admin_password; it then needs a strong analytics_jwt_secret and a
 * password that is no well-known default. A default would let anyone forge admin tokens or log in.
 */
export function checkAdminSecrets(config: Pick<Config, 'admin_username' | 'admin_password' | 'analytics_jwt_secret'>): void {
  const { admin_username: user, admin_password: password, analytics_jwt_secret: secret } = config;
  if (password === '') return;
  const refuse = (message: string): never => {
    throw new ConfigError(`${message} (or leave admin_password, ADMIN_PASSWORD, empty to keep the admin API off)`);
  };
  if (user.trim() === '') refuse('setting "admin_username" (ADMIN_USERNAME) must not be empty when admin_password is set');
  if (secret === '') refuse('setting "analytics_jwt_secret" (ANALYTICS_JWT_SECRET) is required when admin_password is set (e.g. openssl rand -hex 32)');
  if (secret.length < MIN_JWT_SECRET)
    refuse(`setting "analytics_jwt_secret" (ANALYTICS_JWT_SECRET) must be at least ${MIN_JWT_SECRET} characters (e.g. openssl rand -hex 32)`);
  if (isWellKnown(secret, WELL_KNOWN_SECRETS))
    refuse('setting "analytics_jwt_secret" (ANALYTICS_JWT_SECRET) is a well-known default or placeholder: generate one (e.g. openssl rand -hex 32)');
  if (secret === password) refuse('setting "analytics_jwt_secret" (ANALYTICS_JWT_SECRET) must differ from admin_password');
  if (isPasswordHash(password)) {
    if (parsePasswordHash(password) === undefined)
      refuse('setting "admin_password" (ADMIN_PASSWORD) looks like a scrypt hash but is malformed: copy it whole from `whispr hash-password`');
    return;
  }
  if (password.length < MIN_PASSWORD) refuse(`setting "admin_password" (ADMIN_PASSWORD) must be at least ${MIN_PASSWORD} characters`);
  if (password.toLowerCase() === user.toLowerCase() || isWellKnown(password, WELL_KNOWN_PASSWORDS)) {
    refuse('setting "admin_password" (ADMIN_PASSWORD) is a well-known default (such as "admin", "password" or "changeme"): choose your own');
  }
}
