import { Ajv, type Options } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

const COMMON: Options = { removeAdditional: true, useDefaults: true, allErrors: false, strictNumbers: true, strict: false };

/**
 * JSON bodies are validated as sent (a string is never coerced into a number, NaN/Infinity are
 * refused); query strings and path parameters are text on the wire, so they are coerced.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const bodies = new Ajv({ ...COMMON, coerceTypes: false });
  const params = new Ajv({ ...COMMON, coerceTypes: true });
  return ({ schema, httpPart }) => {
    if (httpPart !== 'body') return params.compile(schema as object);
    const validate = bodies.compile(schema as object);
    // A body schema whose fields are all optional also accepts a request with no body (Fastify passes null).
    if ((schema as { required?: unknown[] }).required?.length) return validate;
    const orNoBody = Object.assign(
      (data: unknown) => {
        if (data === null) return true;
        const valid = validate(data);
        orNoBody.errors = validate.errors;
        return valid;
      },
      { errors: validate.errors },
    );
    return orNoBody;
  };
}
