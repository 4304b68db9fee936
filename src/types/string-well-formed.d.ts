// ES2024 String.prototype.isWellFormed exists on Node 20; the ES2023 lib we target (for Node 20) lacks its type.
declare global {
  interface String {
    isWellFormed(): boolean;
  }
}
export {};
