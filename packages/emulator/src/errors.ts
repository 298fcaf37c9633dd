// Service errors as KVS returns them over REST-JSON: an HTTP status, the error's name in the
// x-amzn-ErrorType header and `{"message": …}` as the body (the shape the AWS SDK v3 clients and
// @kvs-ts/api's serviceErrorFromResponse read). Names and statuses follow the KVS API reference
// ("Errors" of each action, e.g. CreateStream, PutMedia, GetMedia).

/** An error answered to the client as an AWS service error. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

export const notFound = (what: string): ApiError =>
  new ApiError(404, 'ResourceNotFoundException', `The requested stream is not found or not active. ${what}`.trim());
export const invalidArgument = (message: string): ApiError => new ApiError(400, 'InvalidArgumentException', message);
export const resourceInUse = (message: string): ApiError => new ApiError(400, 'ResourceInUseException', message);
export const versionMismatch = (message: string): ApiError => new ApiError(400, 'VersionMismatchException', message);
export const clientLimit = (message = 'Rate exceeded'): ApiError =>
  new ApiError(400, 'ClientLimitExceededException', message);
export const connectionLimit = (message: string): ApiError =>
  new ApiError(400, 'ConnectionLimitExceededException', message);
export const notAuthorized = (message: string): ApiError => new ApiError(401, 'NotAuthorizedException', message);

/** SigV4 failures: all HTTP 403, with the messages AWS's front end uses. */
export const missingToken = (): ApiError =>
  new ApiError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
export const unrecognizedClient = (): ApiError =>
  new ApiError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
export const invalidSignature = (message?: string): ApiError =>
  new ApiError(
    403,
    'InvalidSignatureException',
    message ??
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  );
export const expiredToken = (): ApiError =>
  new ApiError(403, 'ExpiredTokenException', 'The security token included in the request is expired');
