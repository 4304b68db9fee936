import type { Config } from '../config/settings.js';
import type { CleanupJob } from '../maintenance/cleanup-scheduler.js';
import type { AnyFeature, FeatureHost, Registered } from './feature.js';
import type { Services } from './services.js';

/** What the registered features add up to, for the composition root. */
export interface RegisteredFeatures {
  /** Every feature's figures, merged (the admin status and /metrics). */
  stats(): Promise<Record<string, unknown>>;
  /** Every feature's public figures, merged (/health). */
  health(): Record<string, unknown>;
  jobs: CleanupJob[];
  sweeps: Array<() => Promise<unknown>>;
  /** Every close hook, in reverse registration order; one failing never skips the others. */
  close(onError: (err: unknown) => void): Promise<void>;
}

/** Registers `features` in order, handing each the services it needs from those before it. */
export async function registerFeatures(
  features: readonly AnyFeature[],
  host: FeatureHost,
  config: Config,
  given: Partial<Services>,
): Promise<RegisteredFeatures> {
  const services: Partial<Services> = { ...given };
  const registered: Array<Registered<keyof Services>> = [];
  for (const feature of features) {
    const missing = feature.needs.filter((name) => services[name] === undefined);
    if (missing.length > 0) throw new Error(`feature ${feature.name} needs ${missing.join(', ')}, which no feature before it provides`);
    const needs = Object.fromEntries(feature.needs.map((name) => [name, services[name]])) as Pick<Services, keyof Services>;
    const handle = await feature.register(host, feature.options(config), needs);
    Object.assign(services, handle.provides);
    registered.push(handle);
  }
  return {
    async stats() {
      const figures = await Promise.all(registered.map((handle) => handle.stats?.() ?? {}));
      return Object.assign({}, ...figures) as Record<string, unknown>;
    },
    health() {
      return Object.assign({}, ...registered.map((handle) => handle.health?.() ?? {})) as Record<string, unknown>;
    },
    jobs: registered.flatMap((handle) => handle.jobs ?? []),
    sweeps: registered.flatMap((handle) => (handle.sweep === undefined ? [] : [handle.sweep])),
    async close(onError) {
      for (const handle of [...registered].reverse()) {
        try {
          await handle.close?.();
        } catch (err) {
          onError(err);
        }
      }
    },
  };
}
