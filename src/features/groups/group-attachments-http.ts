import { createReadStream } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { base64LengthFor, decodeBase64 } from '../../core/encoding.js';
import { ApiError, badRequest } from '../../core/errors.js';
import type { KeyAuthorizer } from '../auth/index.js';
import type { GroupAttachmentService } from './group-attachment-service.js';
import { F, actorOf, queryFields, readInput, required } from './group-input.js';

const tags = ['group attachments'];
const JSON_BLOB_FIELDS = ['blob', 'file_b64', 'file', 'blob_b64'] as const;

/** The uploaded bytes: a raw body (as the original client sends them), or base64 in a JSON field. */
function uploadedBytes(body: unknown): Buffer {
  // An empty body or field is no file either (it would store a zero-byte file under sha256('')).
  if (Buffer.isBuffer(body)) {
    if (body.length > 0) return body;
  } else if (body !== null && typeof body === 'object') {
    const field = JSON_BLOB_FIELDS.find((name) => typeof (body as Record<string, unknown>)[name] === 'string' && (body as Record<string, string>)[name] !== '');
    if (field !== undefined) return decodeBase64((body as Record<string, string>)[field] as string, field);
  }
  throw badRequest('NO_FILE', 'No file provided');
}

/** /groups/attachments: upload to a group, download by members of that group only. */
export const groupAttachmentsHttp: FastifyPluginAsync<{ attachments: GroupAttachmentService; authorizer: KeyAuthorizer; maxBytes: number }> = async (
  app,
  { attachments, authorizer, maxBytes },
) => {
  const rawLimit = maxBytes + 1024;
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: rawLimit }, (_request, body, done) => done(null, body));
  // The body is read (up to the limit) and dropped before the refusal: answering while the client
  // is still sending would reset its connection, and it would see EPIPE instead of the 415.
  app.addContentTypeParser(/^multipart\//, { parseAs: 'buffer', bodyLimit: rawLimit }, (_request, _body, done) =>
    done(new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the file as the raw request body or as base64 in JSON'), undefined),
  );
  // The original client posts the bytes with no Content-Type at all.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: rawLimit }, (_request, body, done) => done(null, body));

  app.post(
    '/attachments/upload',
    {
      bodyLimit: base64LengthFor(maxBytes) + 16_384,
      schema: {
        tags,
        summary: 'Upload a file to a group (members); raw body or JSON {blob: base64}',
        querystring: Type.Object({ group_id: Type.Optional(F.id), user_id: Type.Optional(F.key) }),
      },
    },
    async (request) => {
      const input = readInput(request);
      return attachments.upload(await actorOf(authorizer, request, input), required(input, 'group_id'), uploadedBytes(request.body));
    },
  );

  app.get(
    '/attachments/:att_id',
    {
      schema: {
        tags,
        summary: 'Download a group file (members of the group it was shared in)',
        params: Type.Object({ att_id: Type.String({ maxLength: 128 }) }),
        ...queryFields({ group_id: F.id, user_id: F.key }),
      },
    },
    async (request, reply) => {
      const input = readInput(request);
      const { att_id } = request.params as { att_id: string };
      const { path, size } = await attachments.pathFor(await actorOf(authorizer, request, input), required(input, 'group_id'), att_id.toLowerCase());
      return reply.type('application/octet-stream').header('Content-Length', size).send(createReadStream(path));
    },
  );
};
