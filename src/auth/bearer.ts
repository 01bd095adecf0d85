/**
 * The token of an `Authorization: Bearer <token>` value (HTTP header or graphql-ws `connectionParams`), or undefined
 * when the value has another shape. The one parser for both transports.
 */
export function bearerToken(value: string): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(value.trim())?.[1];
}
