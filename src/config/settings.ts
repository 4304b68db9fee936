/**
 * Every setting Whispr understands, in one table. The loader, `whispr check-config` and the
 * README's configuration table are all driven from this list, so they cannot drift apart.
 */
import { CALL_SETTINGS } from './settings/calls.js';
import { EVENT_SETTINGS } from './settings/events.js';
import { GROUP_SETTINGS } from './settings/groups.js';
import { IDENTITY_SETTINGS } from './settings/identities.js';
import { OPERATIONS_SETTINGS } from './settings/operations.js';
import { SENDING_SETTINGS } from './settings/sending.js';
import { SERVER_SETTINGS } from './settings/server.js';
import { SOCKET_SETTINGS } from './settings/sockets.js';
import type { SettingSpec } from './settings/setting-spec.js';

export type { SettingKind, SettingSpec } from './settings/setting-spec.js';

/** In the order the README's table and `whispr check-config` list them. */
export const SETTINGS = [
  ...SERVER_SETTINGS,
  ...SENDING_SETTINGS,
  ...GROUP_SETTINGS,
  ...SOCKET_SETTINGS,
  ...CALL_SETTINGS,
  ...IDENTITY_SETTINGS,
  ...EVENT_SETTINGS,
  ...OPERATIONS_SETTINGS,
] as const satisfies readonly SettingSpec[];

type Spec = (typeof SETTINGS)[number];
type ValueOf<S extends Spec> = S['kind'] extends 'int' | 'float'
  ? number
  : S['kind'] extends 'bool'
    ? boolean
    : S['kind'] extends 'list' | 'proxies'
      ? string[]
      : S extends { choices: readonly (infer C)[] }
        ? C
        : string;

/** The effective configuration, keyed by the settings.json names. */
export type Config = { [S in Spec as S['key']]: ValueOf<S> };
