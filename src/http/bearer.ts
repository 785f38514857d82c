/**
 * The token of an `Authorization: Bearer <token>` header, trimmed ('' when the header gives none), or null when the
 * header is missing or of another scheme. The scheme is read in any case (RFC 9110 §11.1).
 */
export function bearerToken(authorization: string | undefined): string | null {
  if (authorization === undefined || authorization.slice(0, 7).toLowerCase() !== 'bearer ') return null;
  return authorization.slice(7).trim();
}
