/** What one setting is: its key, kind, default, where it is read from, its bounds and what it means. */
export type SettingKind = 'string' | 'int' | 'float' | 'bool' | 'list' | 'proxies' | 'enum';

export interface SettingSpec<K extends SettingKind = SettingKind> {
  /** Key in settings.json (the original Whispr's snake_case names where they exist). */
  key: string;
  kind: K;
  default: unknown;
  /** Environment variables, first match wins: the WHISPR_* name first, then the generic names the original servers read. */
  env: readonly string[];
  /** CLI flag without the leading dashes, if the setting has one. */
  flag?: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
  /** Part of the limits table (user-visible quotas and caps). */
  limit?: boolean;
  /** Never printed in clear by check-config. */
  secret?: boolean;
  description: string;
}

/** Seconds in a day, for the retention settings. */
export const DAY = 86_400;
