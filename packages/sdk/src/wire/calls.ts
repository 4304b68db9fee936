/** Time-limited TURN credentials (coturn's TURN REST scheme), named for the key that asked. */
export interface TurnCredentials {
  urls: string[];
  username: string;
  credential: string;
  /** Seconds the credential stays valid. */
  ttl: number;
  /** Ready for `new RTCPeerConnection({ iceServers })`: STUN (if configured) and the TURN relay with the credential. */
  ice_servers: Array<{ urls: string | string[]; username?: string; credential?: string }>;
}
