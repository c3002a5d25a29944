package org.idlegrid.coordinator.http;

import java.util.Arrays;
import java.util.Locale;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.idlegrid.coordinator.auth.Secrets;
import org.idlegrid.coordinator.store.DeviceState;
import org.idlegrid.coordinator.store.Role;
import org.idlegrid.coordinator.store.Rows;
import org.idlegrid.coordinator.store.Store;

/**
 * {@code Authorization: Bearer <secret>}: the secret's sha256 is looked up among API keys and
 * device tokens. No header or an unknown secret is 401; a known caller of the wrong kind is 403;
 * a banned device is 403 everywhere. Secrets are never logged or echoed.
 */
final class Auth {
  private final Store store;

  Auth(Store store) {
    this.store = store;
  }

  Principal require(Request request, Principal.Kind... allowed) {
    String header = request.getHeaders().get(HttpHeader.AUTHORIZATION);
    if (header == null || header.isBlank()) {
      throw new ApiError(401, "unauthorized", "this call needs an \"Authorization: Bearer <key>\" header");
    }
    String[] parts = header.trim().split("\\s+", 2);
    if (parts.length != 2 || !parts[0].toLowerCase(Locale.ROOT).equals("bearer") || parts[1].isBlank()) {
      throw new ApiError(401, "unauthorized", "the Authorization header must be \"Bearer <key>\"");
    }
    String token = parts[1].trim();
    String hash = Secrets.hash(token);
    // the secret's prefix says which table to look in first (one lookup instead of two on every
    // device request); the other table is still asked, since an admin key file may hold any text
    boolean deviceFirst = token.startsWith(Secrets.DEVICE_TOKEN_PREFIX);
    Principal p = store.transaction(tx -> {
      Principal found = deviceFirst ? device(tx, hash) : null;
      if (found == null) {
        Rows.ApiKey key = tx.apiKeyByHash(hash).orElse(null);
        if (key != null) {
          return new Principal(key.role() == Role.ADMIN ? Principal.Kind.ADMIN : Principal.Kind.SUBMITTER, key.name(),
              null);
        }
      }
      return found != null || deviceFirst ? found : device(tx, hash);
    });
    if (p == null) {
      throw new ApiError(401, "unauthorized", "the key or device token is not valid (revoked, or never issued)");
    }
    if (!Arrays.asList(allowed).contains(p.kind())) {
      throw new ApiError(403, "forbidden", "this call is for " + describe(allowed) + ", not for a "
          + p.kind().name().toLowerCase(Locale.ROOT));
    }
    if (p.kind() == Principal.Kind.DEVICE && p.device().state() == DeviceState.BANNED) {
      throw new ApiError(403, "device-banned", "this device is banned"
          + (p.device().stateReason() == null ? "" : ": " + p.device().stateReason()));
    }
    return p;
  }

  private static Principal device(Store.Tx tx, String hash) {
    return tx.callerByTokenHash(hash).map(d -> new Principal(Principal.Kind.DEVICE, d.id(), d)).orElse(null);
  }

  private static String describe(Principal.Kind[] kinds) {
    return String.join(" or ", Arrays.stream(kinds).map(k -> switch (k) {
      case ADMIN -> "an admin key";
      case SUBMITTER -> "a submitter key";
      case DEVICE -> "an enrolled device";
    }).toList());
  }
}
