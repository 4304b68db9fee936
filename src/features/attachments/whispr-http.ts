import { createReadStream } from 'node:fs';
import type { FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import { Type } from 'typebox';
import { HEX_KEY_PATTERN, base64LengthFor } from '../../core/encoding.js';
import { bearerToken } from '../../http/bearer-token.js';
import type { KeyAuthorizer } from '../auth/index.js';
import type { AttachmentService, SignedUpload } from './attachment-service.js';

export interface AttachmentHttpOptions {
  attachments: AttachmentService;
  authorizer: KeyAuthorizer;
  ipLimit: onRequestHookHandler;
  maxBytes: number;
}

const HexKey = Type.String({ pattern: HEX_KEY_PATTERN });
const DownloadQuery = Type.Object({ recipient: HexKey });
const DownloadParams = Type.Object({ att_id: Type.String({ maxLength: 128 }) });

/** The original Whispr attachment routes: POST /upload, GET /download/{id}, GET /download/raw/{id}. */
export const attachmentHttp: FastifyPluginAsync<AttachmentHttpOptions> = async (app, { attachments, authorizer, ipLimit, maxBytes }) => {
  app.post(
    '/upload',
    {
      onRequest: ipLimit,
      // Refused from Content-Length before reading when far over the limit.
      bodyLimit: base64LengthFor(maxBytes) + 16_384,
      schema: {
        summary: 'Upload an attachment for one recipient (signature over the raw bytes)',
        tags: ['attachments'],
        body: Type.Object({
          to: HexKey,
          from_: HexKey,
          enc_pub: HexKey,
          blob: Type.String({ description: 'base64 file bytes' }),
          signature: Type.String({ maxLength: 200 }),
          name: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
          size: Type.Integer({ minimum: 0 }),
          sha256: Type.String({ maxLength: 64 }),
        }),
        response: { 200: Type.Object({ att_id: Type.String(), status: Type.Literal('ok') }) },
      },
    },
    async (request) => {
      const { att_id } = await attachments.upload(request.body as SignedUpload);
      return { att_id, status: 'ok' as const };
    },
  );

  app.get(
    '/download/:att_id',
    {
      schema: {
        summary: 'Download an attachment addressed to the recipient, as base64 JSON',
        tags: ['attachments'],
        params: DownloadParams,
        querystring: DownloadQuery,
        response: {
          200: Type.Object({
            att_id: Type.String(),
            blob: Type.String(),
            name: Type.Union([Type.String(), Type.Null()]),
            size: Type.Integer(),
            from: Type.String(),
            to: Type.String(),
          }),
        },
      },
    },
    async (request) => {
      const { att_id } = request.params as { att_id: string };
      const { recipient } = request.query as { recipient: string };
      await authorizer.authorize(bearerToken(request.headers), recipient);
      const grant = await attachments.find(att_id, recipient);
      const bytes = await attachments.read(grant);
      return { att_id: grant.att_id, blob: bytes.toString('base64'), name: grant.name, size: grant.size, from: grant.sender, to: grant.recipient };
    },
  );

  app.get(
    '/download/raw/:att_id',
    {
      schema: {
        summary: 'Download an attachment addressed to the recipient, as raw bytes',
        tags: ['attachments'],
        params: DownloadParams,
        querystring: DownloadQuery,
      },
    },
    async (request, reply) => {
      const { att_id } = request.params as { att_id: string };
      const { recipient } = request.query as { recipient: string };
      await authorizer.authorize(bearerToken(request.headers), recipient);
      const grant = await attachments.find(att_id, recipient);
      const path = await attachments.pathOf(grant);
      return reply.type('application/octet-stream').header('Content-Length', grant.size).send(createReadStream(path));
    },
  );
};
