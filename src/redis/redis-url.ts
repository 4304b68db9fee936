/** The Redis URL with the configured password filled in when the URL carries none (REDIS_PASSWORD). */
export function redisUrlWithPassword(url: string, password: string): string {
  const parsed = new URL(url);
  if (password !== '' && parsed.password === '') parsed.password = password;
  return parsed.toString();
}
