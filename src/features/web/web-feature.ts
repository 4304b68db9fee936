import { feature } from '../../app/feature.js';
import { loadWebFiles, WEB_DIR } from './web-files.js';
import { webHttp } from './web-http.js';

/** Whispr Web: the end-to-end-encrypted browser client, served as static files at /app/ (it talks to this server's own API). */
export const webFeature = feature({
  name: 'web',
  needs: [],
  // The page tells the client this server's limits, so it can refuse what the server would (offline too: the page is kept).
  options: (config) => ({ dir: WEB_DIR, page: { ATTACHMENT_MAX_BYTES: String(config.attachment_max_size_bytes) } }),
  async register({ app, platform }, { dir, page }) {
    const files = loadWebFiles(dir, page);
    if (files === undefined) platform.log.info({ dir }, 'web client not built; /app answers 404 until `npm run build`');
    await app.register(webHttp, { files, dir });
    return {};
  },
});
