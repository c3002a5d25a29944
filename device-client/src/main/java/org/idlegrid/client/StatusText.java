package org.idlegrid.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/** The {@code status} command's human-readable form of a status. */
final class StatusText {
  private StatusText() {}

  static String of(JsonNode s) {
    StringBuilder b = new StringBuilder();
    line(b, "state", s.path("state").asText() + (s.path("paused").asBoolean() ? " (paused)" : ""));
    line(b, "reason", s.path("reason").asText());
    line(b, "policy", s.path("policy").asText());
    line(b, "device", s.path("deviceId").asText("-") + " at " + s.path("coordinator").asText());
    JsonNode u = s.path("currentUnit");
    if (u.isObject()) {
      line(b, "unit", u.path("unitId").asText() + " (assignment " + u.path("assignmentId").asText() + ", job "
          + u.path("jobId").asText() + ", " + u.path("records").asInt() + " records, since " + u.path("startedAt").asText()
          + ")" + (s.path("running").asInt() > 1 ? " and " + (s.path("running").asInt() - 1) + " more" : ""));
    } else {
      line(b, "unit", "none");
    }
    line(b, "outbox", s.path("outbox").asInt() + " result(s) waiting for upload");
    line(b, "results", s.path("resultsDone").asLong() + " done, " + s.path("unitsAborted").asLong() + " aborted");
    line(b, "credit", s.path("credit").isNumber() ? String.format(Locale.ROOT, "%.2f", s.path("credit").asDouble())
        : "not reported by the coordinator");
    line(b, "runtime", s.path("runtimeLoaded").asBoolean() ? "inference runtime loaded" : "no inference runtime loaded");
    JsonNode r = s.path("readings");
    if (r.isObject()) {
      JsonNode p = r.path("power");
      line(b, "power", p.path("state").asText() + (p.path("batteryPercent").isNumber()
          ? ", battery " + p.path("batteryPercent").asInt() + " %" : "") + (p.path("saver").asBoolean() ? ", saver on" : "")
          + " (" + p.path("detail").asText() + ")");
      JsonNode i = r.path("idle");
      line(b, "idle", i.path("idleSeconds").isNumber()
          ? i.path("idleSeconds").asLong() + " s since the last input (" + i.path("detail").asText() + ")"
          : "unknown (" + i.path("detail").asText() + ")");
      JsonNode l = r.path("load");
      line(b, "others' CPU", (l.path("othersCpu").isNumber()
          ? Math.round(l.path("othersCpu").asDouble() * 100) + " %" : "unknown (" + l.path("detail").asText() + ")")
          + (l.path("pressure").isNumber() ? ", pressure " + l.path("pressure").asDouble() + " %" : ""));
      JsonNode t = r.path("thermal");
      line(b, "temperature", t.path("celsius").isNumber()
          ? Math.round(t.path("celsius").asDouble()) + " °C" : "not told by the OS");
      if (r.path("metered").isBoolean()) {
        line(b, "metered", r.path("metered").asText());
      }
    }
    return b.toString().stripTrailing();
  }

  private static void line(StringBuilder b, String key, String value) {
    b.append(String.format(Locale.ROOT, "%-12s %s%n", key + ":", value));
  }
}
