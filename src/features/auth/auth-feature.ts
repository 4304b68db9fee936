import { feature } from '../../app/feature.js';
import { authHttp } from './auth-http.js';
import { AuthService } from './auth-service.js';

/** Key-proof sign-in: POST /auth/challenge, then /auth/token (an Ed25519 signature or an opened sealed nonce). */
export const authFeature = feature({
  name: 'auth',
  needs: [],
  options: (config) => ({ challengeTtlSeconds: config.challenge_ttl_seconds }),
  async register({ app, platform }, { challengeTtlSeconds }) {
    const { challenges, tokens, verifier, now, ipLimit } = platform;
    await app.register(authHttp, { auth: new AuthService({ challenges, tokens, verifier, challengeTtlSeconds, now }), ipLimit });
    return { stats: () => ({ pending_challenges: challenges.size() }) };
  },
});
