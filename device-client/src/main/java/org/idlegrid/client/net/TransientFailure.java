package org.idlegrid.client.net;

/**
 * The coordinator could not be reached or kept answering 5xx/429 for every attempt allowed: try
 * again later.
 */
public class TransientFailure extends RuntimeException {
  public TransientFailure(String message, Throwable cause) {
    super(message, cause);
  }
}
