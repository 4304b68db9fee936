/** Unix time in float seconds, as every Whispr wire timestamp is. */
export function nowSeconds(): number {
  return Date.now() / 1000;
}
