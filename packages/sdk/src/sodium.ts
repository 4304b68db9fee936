import sodium from 'libsodium-wrappers';

// libsodium.js (libsodium compiled to WebAssembly by its author) runs in Node and browsers alike.
// Waiting here once lets every other module call it synchronously.
await sodium.ready;

export { sodium };
