import type { Config } from '../config/settings.js';
import type { WsGateway } from '../http/ws-gateway.js';
import type { CleanupScheduler, JobStatus } from '../maintenance/cleanup-scheduler.js';
import type { Platform } from './platform.js';
import type { RegisteredFeatures } from './register-features.js';

/** What the status is made of once the server is assembled. */
export interface AssembledParts {
  features: RegisteredFeatures;
  cleanup: CleanupScheduler;
}

/**
 * The running server's figures: the admin status, /metrics and /health read them. Each of those is
 * built before the features register (the admin feature itself needs the status), so the parts
 * made later are handed over once, by `assembled()`; a read before that is a wiring mistake.
 */
export class ServerStatus {
  private parts: AssembledParts | undefined;

  constructor(
    private readonly config: Config,
    private readonly platform: Platform,
    private readonly gateway: WsGateway,
  ) {}

  assembled(parts: AssembledParts): void {
    this.parts = parts;
  }

  /** Every figure: the admin status (admin token) and /metrics. */
  readonly details = async (): Promise<Record<string, unknown>> => {
    const { features, cleanup } = this.assembledParts();
    const { config, platform, gateway } = this;
    return {
      active_connections: gateway.connectionCount(),
      security: config.security,
      storage: platform.storage.kind,
      bus: config.bus,
      node_id: platform.nodeId,
      signature_backend: platform.verifier.backend,
      websocket_connections: gateway.countsByDialect(),
      queued_user_events: await platform.storage.userQueues.depth(),
      ...(await features.stats()),
      cleanup: cleanup.snapshot(),
    };
  };

  /** What public /health may say (the rooms figures only). */
  readonly published = (): Record<string, unknown> => this.assembledParts().features.health();

  readonly cleanup = (): Record<string, JobStatus> => this.assembledParts().cleanup.snapshot();

  private assembledParts(): AssembledParts {
    if (this.parts === undefined) throw new Error('server status read before the server was assembled');
    return this.parts;
  }
}
