import { feature } from '../../app/feature.js';
import { loadWebFiles, WEB_DIR } from './web-files.js';
import { webHttp } from './web-http.js';

/** Whispr Web: the end-to-end-encrypted browser client, served as static files at /app/ (it talks to this server's own API). */
export const webFeature = feature({
  name: 'web',
  needs: [],
  options: () => ({ dir: WEB_DIR }),
  async register({ app, platform }, { dir }) {
    const files = loadWebFiles(dir);
    if (files === undefined) platform.log.info({ dir }, 'web client not built; /app answers 404 until `npm run build`');
    await app.register(webHttp, { files, dir });
    return {};
  },
});
