import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/settings.js';
import type { WsGateway } from '../http/ws-gateway.js';
import type { CleanupJob } from '../maintenance/cleanup-scheduler.js';
import type { Platform } from './platform.js';
import type { Services } from './services.js';

/** Where a feature registers: the HTTP app, the one WebSocket gateway, and the shared platform. */
export interface FeatureHost {
  app: FastifyInstance;
  gateway: WsGateway;
  platform: Platform;
}

/** What a registered feature hands back to the composition root. */
export interface Registered<Provides extends keyof Services = never> {
  /** The services later features may use (see `needs`). */
  provides?: Pick<Services, Provides>;
  /** Figures for the admin status and /metrics, merged into one object (never public: they tell who is connected or waited for). */
  stats?: () => Promise<Record<string, unknown>> | Record<string, unknown>;
  /** Figures anyone may read in /health: only what a dialect publishes by design (the rooms protocol's stats). */
  health?: () => Record<string, unknown>;
  /** TTL cleanups, run by the one scheduler. */
  jobs?: readonly CleanupJob[];
  /** Cluster mode: re-checks what a lost wake-up or a dead node may have left undelivered. */
  sweep?: () => Promise<unknown>;
  /** At shutdown, after the listener stopped, in reverse registration order. */
  close?: () => Promise<void> | void;
}

/**
 * Every feature has this one shape: its own typed slice of the configuration, the services of
 * earlier features it needs (checked at startup against the registration order), and register.
 */
export interface Feature<Options, Needs extends keyof Services = never, Provides extends keyof Services = never> {
  readonly name: string;
  readonly needs: readonly Needs[];
  options(config: Config): Options;
  register(host: FeatureHost, options: Options, needs: Pick<Services, Needs>): Promise<Registered<Provides>> | Registered<Provides>;
}

/** A feature of any options and services, as the composition root's list holds them. */
export type AnyFeature = Feature<unknown, keyof Services, keyof Services>;

/** Erases a feature's types for the list (each was type-checked where it was defined). */
export const feature = <O, N extends keyof Services, P extends keyof Services>(definition: Feature<O, N, P>): AnyFeature => definition as unknown as AnyFeature;
