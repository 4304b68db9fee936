import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type ConfigSources } from '../../src/config/load-config.js';
import { SETTINGS } from '../../src/config/settings.js';

const dir = mkdtempSync(join(tmpdir(), 'whispr-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** Writes a settings file and returns its path. */
function settingsFile(content: unknown): string {
  const path = join(dir, `settings-${++n}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The original server's settings.json keys. */
const SEED = { max_messages_per_recipient: 20, max_messages_per_second: 10, message_ttl_seconds: 60, attachment_max_size_bytes: 10_485_760 };

/** loadConfig's ConfigError message, failing the test if it loads or throws anything else. */
function configError(sources: ConfigSources): string {
  try {
    loadConfig({ env: {}, ...sources });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('without sources gives every documented default', () => {
    const { config, origin } = loadConfig({ env: {}, file: settingsFile({}) });
    for (const spec of SETTINGS) expect((config as unknown as Record<string, unknown>)[spec.key], spec.key).toEqual(spec.default);
    expect(config).toMatchObject({ host: '127.0.0.1', port: 8000, security: 'strict', max_messages_per_recipient: 1000 });
    expect(new Set(Object.values(origin))).toEqual(new Set(['default']));
  });

  it("reads the original server's settings.json keys", () => {
    const file = settingsFile(SEED);
    const { config, origin } = loadConfig({ env: {}, file });
    expect(config).toMatchObject(SEED);
    expect(origin.message_ttl_seconds).toBe(file);
    expect(origin.port).toBe('default');
  });

  it('precedence: defaults < file < env < flags < overrides', () => {
    const file = settingsFile({ ...SEED, port: 7001, security: 'compat', host: '0.0.0.0' });
    const { config, origin } = loadConfig({
      file,
      env: { MAX_MESSAGES_PER_SECOND: '25', MESSAGE_TTL_SECONDS: '120', WHISPR_PORT: '7002', WHISPR_HOST: '127.0.0.2' },
      flags: { port: '7003', host: '127.0.0.3' },
      overrides: { host: '127.0.0.4' },
    });
    expect(config.max_messages_per_recipient).toBe(20); // file only
    expect(config.attachment_max_size_bytes).toBe(10_485_760); // file only
    expect(config.security).toBe('compat'); // file over default
    expect(config.max_messages_per_second).toBe(25); // env over file
    expect(config.message_ttl_seconds).toBe(120); // env over file
    expect(config.port).toBe(7003); // flag over env over file
    expect(config.host).toBe('127.0.0.4'); // override over everything
    expect(config.log_level).toBe('info'); // default
    expect(origin).toMatchObject({
      max_messages_per_recipient: file,
      max_messages_per_second: 'env MAX_MESSAGES_PER_SECOND',
      port: '--port',
      host: 'override',
      log_level: 'default',
    });
  });

  it('env aliases: the seed name and the WHISPR_ name both work, the WHISPR_ name first', () => {
    expect(loadConfig({ env: { WHISPR_MAX_MESSAGES_PER_SECOND: '3.5' }, file: settingsFile({}) }).config.max_messages_per_second).toBe(3.5);
    expect(loadConfig({ env: { MAX_MESSAGES_PER_SECOND: '4' }, file: settingsFile({}) }).config.max_messages_per_second).toBe(4);
    const both = loadConfig({ env: { MAX_MESSAGES_PER_SECOND: '4', WHISPR_MAX_MESSAGES_PER_SECOND: '5' }, file: settingsFile({}) });
    expect(both.config.max_messages_per_second).toBe(5);
    expect(both.origin.max_messages_per_second).toBe('env WHISPR_MAX_MESSAGES_PER_SECOND');
    const redis = loadConfig({ env: { REDIS_URL: 'redis://generic:6379', WHISPR_REDIS_URL: 'redis://whispr:6379' }, file: settingsFile({}) });
    expect(redis.config.redis_url).toBe('redis://whispr:6379');
    expect(loadConfig({ env: { WHISPR_PORT: '9100' }, file: settingsFile({}) }).config.port).toBe(9100);
    // An empty variable counts as unset.
    expect(loadConfig({ env: { WHISPR_PORT: '' }, file: settingsFile({}) }).config.port).toBe(8000);
  });

  it('every setting lists its WHISPR_ name before any generic one', () => {
    for (const spec of SETTINGS) {
      const first = spec.env.findIndex((name) => !name.startsWith('WHISPR_'));
      expect(
        spec.env.slice(first === -1 ? spec.env.length : first).some((name) => name.startsWith('WHISPR_')),
        spec.key,
      ).toBe(false);
    }
  });

  it('warns about a WHISPR_ variable no setting reads, suggesting the near name, and keeps the default', () => {
    const loaded = loadConfig({
      env: { WHISPR_PROT: '9000', WHISPR_PORT_X_Y_Z_UNRELATED: '1', WHISPR_HOST: '127.0.0.1', PATH: '/bin' },
      file: settingsFile({}),
    });
    expect(loaded.config.port).toBe(8000);
    expect(loaded.warnings).toHaveLength(2);
    expect(loaded.warnings[0]).toContain('WHISPR_PORT_X_Y_Z_UNRELATED');
    expect(loaded.warnings[0]).not.toContain('did you mean');
    expect(loaded.warnings[1]).toContain('unknown environment variable WHISPR_PROT');
    expect(loaded.warnings[1]).toContain('did you mean WHISPR_PORT?');
    // Known names, WHISPR_CONFIG and generic variables are no cause for a warning.
    expect(loadConfig({ env: { WHISPR_CONFIG: settingsFile({}), REDIS_URL: 'redis://x:1', HOME: '/' } }).warnings).toEqual([]);
  });

  it('WHISPR_CONFIG names the settings file; an explicit file wins over it', () => {
    const viaEnv = settingsFile({ max_messages_per_recipient: 7 });
    const explicit = settingsFile({ max_messages_per_recipient: 8 });
    expect(loadConfig({ env: { WHISPR_CONFIG: viaEnv } }).config.max_messages_per_recipient).toBe(7);
    expect(loadConfig({ env: { WHISPR_CONFIG: viaEnv }, file: explicit }).config.max_messages_per_recipient).toBe(8);
  });

  it('typed values: booleans, lists and floats from env strings', () => {
    const { config } = loadConfig({
      env: { WHISPR_TRUST_PROXY: 'yes', WHISPR_CORS_ORIGINS: 'https://a.example, https://b.example,', WHISPR_CLOCK_SKEW_SECONDS: '2.5' },
      file: settingsFile({}),
    });
    expect(config.trust_proxy).toEqual(['true']);
    expect(config.cors_origins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.clock_skew_seconds).toBe(2.5);
  });

  it('trust_proxy: the former booleans still load, and so do proxy addresses, CIDR ranges and names', () => {
    const trust = (value: unknown) => loadConfig({ file: settingsFile({ trust_proxy: value }) }).config.trust_proxy;
    expect(trust(true)).toEqual(['true']);
    expect(trust(false)).toEqual([]);
    expect(trust('10.0.0.2, 172.16.0.0/12,loopback')).toEqual(['10.0.0.2', '172.16.0.0/12', 'loopback']);
    expect(trust(['::1', 'uniquelocal'])).toEqual(['::1', 'uniquelocal']);
    expect(configError({ file: settingsFile({ trust_proxy: '10.0.0.300' }) })).toContain('trust_proxy');
    expect(configError({ file: settingsFile({ trust_proxy: 2 }) })).toContain('CIDR');
  });

  describe('bad values throw a ConfigError naming the setting and where it came from', () => {
    it('port "abc" (flag)', () => {
      const message = configError({ file: settingsFile({}), flags: { port: 'abc' } });
      expect(message).toContain('"port"');
      expect(message).toContain('--port');
      expect(message).toContain('"abc"');
    });

    it('port 70000 (env)', () => {
      const message = configError({ file: settingsFile({}), env: { WHISPR_PORT: '70000' } });
      expect(message).toContain('"port"');
      expect(message).toContain('WHISPR_PORT');
      expect(message).toContain('65535');
    });

    it('a fractional integer, a negative TTL and an empty string for a number', () => {
      expect(configError({ file: settingsFile({ max_messages_per_recipient: 1.5 }) })).toContain('max_messages_per_recipient');
      expect(configError({ file: settingsFile({ message_ttl_seconds: -1 }) })).toContain('message_ttl_seconds');
      expect(configError({ file: settingsFile({}), flags: { port: ' ' } })).toContain('port');
    });

    it('security "loose"', () => {
      const message = configError({ file: settingsFile({ security: 'loose' }) });
      expect(message).toContain('"security"');
      expect(message).toContain('strict|compat');
      expect(configError({ file: settingsFile({}), env: { WHISPR_SECURITY: 'loose' } })).toContain('WHISPR_SECURITY');
    });

    it('a boolean that is not one', () => {
      expect(configError({ file: settingsFile({}), env: { WHISPR_TRUST_PROXY: 'maybe' } })).toContain('trust_proxy');
    });

    it('an unknown key in the file (a typo is not silently ignored)', () => {
      const file = settingsFile({ ...SEED, max_message_per_recipient: 5 });
      const message = configError({ file });
      expect(message).toContain('max_message_per_recipient');
      expect(message).toContain(file);
    });

    it('a file that is not JSON, not an object, or missing', () => {
      const notJson = settingsFile('{ "port": 8000, }');
      expect(configError({ file: notJson })).toContain(notJson);
      const array = settingsFile([1, 2]);
      expect(configError({ file: array })).toContain('expected a JSON object');
      const missing = join(dir, 'nope.json');
      expect(configError({ file: missing })).toContain(missing);
    });

    it('an unknown override', () => {
      expect(configError({ file: settingsFile({}), overrides: { prot: 1 } as never })).toContain('prot');
    });
  });
});

describe('number syntax', () => {
  it('takes plain decimals only: hex, binary, Infinity and overflow are refused', () => {
    for (const port of ['0x1f90', '0b1', 'Infinity', '1e309']) {
      expect(() => loadConfig({ env: { WHISPR_PORT: port } }), port).toThrow(ConfigError);
    }
    expect(loadConfig({ env: { WHISPR_PORT: '8080' } }).config.port).toBe(8080);
  });
});

describe('cluster settings', () => {
  const load = (env: Record<string, string>, flags: Record<string, string> = {}) => loadConfig({ env, file: undefined, flags });

  it('reads storage, bus and their URLs from the seed variables and the flags', () => {
    const { config } = load(
      { DATABASE_URL: 'postgres://whispr@db:5432/whispr', REDIS_URL: 'redis://cache:6379', REDIS_PASSWORD: 'pw', WHISPR_JWT_SECRET: 'x'.repeat(32) },
      { storage: 'postgres', bus: 'redis' },
    );
    expect(config).toMatchObject({
      storage: 'postgres',
      database_url: 'postgres://whispr@db:5432/whispr',
      bus: 'redis',
      redis_url: 'redis://cache:6379',
      redis_password: 'pw',
    });
  });

  it.each([
    ['postgres without a database URL', { WHISPR_STORAGE: 'postgres' }, /database_url/],
    ['a Redis bus without a shared token secret', { WHISPR_BUS: 'redis' }, /jwt_secret.*bus=redis/],
    ['the Redis inbox without the Redis bus', { WHISPR_INBOX_BACKEND: 'redis' }, /inbox_backend/],
    ['an unknown storage', { WHISPR_STORAGE: 'mysql' }, /storage/],
  ])('refuses %s', (_name, env, message) => {
    expect(() => load(env)).toThrow(ConfigError);
    expect(() => load(env)).toThrow(message);
  });
});
