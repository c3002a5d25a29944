package org.idlegrid.coordinator.http;

/** An answer other than success: the HTTP status, a stable code and a message saying how to fix it. */
final class ApiError extends RuntimeException {
  final int status;
  final String code;

  ApiError(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  static ApiError badRequest(String message) {
    return new ApiError(400, "malformed-request", message);
  }

  static ApiError invalid(String code, String message) {
    return new ApiError(422, code, message);
  }

  static ApiError notFound(String message) {
    return new ApiError(404, "not-found", message);
  }

  static ApiError conflict(String code, String message) {
    return new ApiError(409, code, message);
  }
}
