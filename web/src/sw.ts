// The service worker: keeps the app's files so /app/ opens without a network after the first visit.
// The build fills in the cache name (one per build) and the files to keep.
declare const WHISPR_CACHE: string;
declare const WHISPR_FILES: string[];

// The DOM library has no service-worker types; these are the few used here.
interface LifecycleEvent extends Event {
  waitUntil(work: Promise<unknown>): void;
}
interface FetchRequestEvent extends Event {
  readonly request: Request;
  respondWith(response: Promise<Response>): void;
}
interface WorkerScope {
  readonly registration: { readonly scope: string };
  readonly clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (event: LifecycleEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchRequestEvent) => void): void;
}

const worker = self as unknown as WorkerScope;
const scope = new URL(worker.registration.scope);
const SHELL = new URL('./', scope).href;

worker.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(WHISPR_CACHE)
      .then((cache) => cache.addAll(WHISPR_FILES.map((file) => new URL(file, scope).href)))
      .then(() => worker.skipWaiting()),
  );
});

worker.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== WHISPR_CACHE).map((name) => caches.delete(name))))
      .then(() => worker.clients.claim()),
  );
});

worker.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  // The page: the network's newest when it answers, else the kept one. Hashed files never change: kept first.
  if (event.request.mode === 'navigate') event.respondWith(fetch(event.request).catch(async () => (await caches.match(SHELL)) ?? Response.error()));
  else event.respondWith(caches.match(event.request).then((kept) => kept ?? fetch(event.request)));
});
