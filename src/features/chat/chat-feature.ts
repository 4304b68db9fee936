import { feature } from '../../app/feature.js';
import { registerChat } from './register-chat.js';

/** The chat-app dialect's sign-in, users and groups under /api (its events are the events feature). */
export const chatFeature = feature({
  name: 'chat',
  needs: ['chatEvents'],
  // Membership changes are announced only when asked for: the original server raised no events.
  options: (config) => ({ maxGroupMembers: config.max_group_members, keyUpdateEvents: config.chat_key_update_events }),
  async register({ app, platform }, { maxGroupMembers, keyUpdateEvents }, { chatEvents }) {
    const { storage, chatSignIn, now, onError } = platform;
    await registerChat(app, {
      config: { max_group_members: maxGroupMembers },
      auth: chatSignIn,
      users: storage.chatUsers,
      groups: storage.chatGroups,
      ...(keyUpdateEvents ? { events: chatEvents } : {}),
      now,
      onError,
    });
    return {};
  },
});
