// Preloaded with --require: this process reports Node.js 20.20.2, to test the refusal of an unsupported runtime.
Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '20.20.2' } });
