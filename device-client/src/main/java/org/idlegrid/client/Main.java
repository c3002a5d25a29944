package org.idlegrid.client;

import java.net.URI;
import java.nio.file.Path;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.idlegrid.client.control.ControlClient;
import org.idlegrid.client.eligibility.PauseFlag;
import org.idlegrid.client.eligibility.Preferences;
import org.idlegrid.client.net.CoordinatorException;
import org.idlegrid.client.status.StatusFile;
import org.idlegrid.json.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code idlegrid-client run|status|pause|resume} (DESIGN.md, "Command line"). Sets
 * {@code ai.djl.offline=true} before anything can load DJL: the client never downloads models
 * or engines from a hub, it only runs what its coordinator signed.
 */
@Command(name = "idlegrid-client", mixinStandardHelpOptions = true, version = "idlegrid-client 0.1.0",
    description = "Runs signed idlegrid work units on this device while it is idle and on charge.",
    subcommands = {Main.Run.class, Main.Status.class, Main.Pause.class, Main.Resume.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  static {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
  }

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line without exiting (for tests). */
  public static int execute(String... args) {
    return new CommandLine(new Main()).execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  static final class StateDir {
    @Option(names = "--state-dir", required = true, paramLabel = "DIR",
        description = "the client's folder: key, enrollment, model cache, outbox, status")
    Path dir;
  }

  @Command(name = "run", mixinStandardHelpOptions = true,
      description = "Enroll (once) and work for a coordinator until stopped (SIGTERM / Ctrl-C).")
  static final class Run implements Callable<Integer> {
    @Option(names = "--coordinator", required = true, paramLabel = "URL", description = "the coordinator, e.g. http://host:8080")
    URI coordinator;

    @CommandLine.Mixin
    StateDir state;

    @Option(names = "--policy", defaultValue = ClientConfig.DEFAULT_POLICY, paramLabel = "POLICY",
        description = "idle-and-charging (default: only while idle and on AC power) or always (dedicated machines)")
    String policy;

    @Option(names = "--name", paramLabel = "N", description = "the device's name (default: the host name)")
    String name;

    @Option(names = "--owner", paramLabel = "O", description = "the owner (default: unique to this device)")
    String owner;

    @Option(names = "--slots", defaultValue = "1", paramLabel = "N", description = "units run at once (default 1)")
    int slots;

    @Option(names = "--threads", paramLabel = "N",
        description = "ONNX Runtime threads per unit (default 0: the runtime's choice)")
    Integer threads;

    @Option(names = "--idle-minutes", paramLabel = "MIN", description = "minutes without input before work starts (default 3)")
    String idleMinutes;

    @Option(names = "--require-ac", paramLabel = "BOOL", description = "work only on mains power (default true)")
    String requireAc;

    @Option(names = "--battery-floor", paramLabel = "PCT", description = "stop below this battery charge (default 50)")
    String batteryFloor;

    @Option(names = "--battery-resume-margin", paramLabel = "PCT",
        description = "resume only at floor + this (default 5)")
    String batteryResumeMargin;

    @Option(names = "--max-cpu-share", paramLabel = "SHARE",
        description = "other programs' CPU share (0..1 of all cores) above which work stops (default 0.25)")
    String maxCpuShare;

    @Option(names = "--max-temperature", paramLabel = "C", description = "CPU temperature limit in °C (default 85)")
    String maxTemperature;

    @Option(names = "--memory-mb", paramLabel = "MB", description = "the client's memory cap (default 0: none)")
    String memoryMb;

    @Option(names = "--cache-mb", paramLabel = "MB", description = "the model cache's disk cap (default 2048)")
    String cacheMb;

    @Option(names = "--windows", paramLabel = "HOURS",
        description = "when work may run, e.g. \"Mon-Fri 18:00-08:00; Sat,Sun 00:00-24:00\" (default: any time)")
    String windows;

    @Option(names = "--metered-off", paramLabel = "BOOL", description = "no work on a metered network (default true)")
    String meteredOff;

    @Option(names = "--enrollment-token", paramLabel = "T",
        description = "an admin-issued enrollment token, if the coordinator requires one")
    String enrollmentToken;

    @Override
    public Integer call() throws Exception {
      ClientConfig config;
      try {
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("idleMinutes", idleMinutes);
        flags.put("requireAc", requireAc);
        flags.put("batteryFloor", batteryFloor);
        flags.put("batteryResumeMargin", batteryResumeMargin);
        flags.put("maxCpuShare", maxCpuShare);
        flags.put("maxTemperatureC", maxTemperature);
        flags.put("memoryMb", memoryMb);
        flags.put("cacheDiskMb", cacheMb);
        flags.put("windows", windows);
        flags.put("meteredOff", meteredOff);
        flags.put("threads", threads == null ? null : threads.toString());
        Preferences prefs = Preferences.load(state.dir, flags);
        config = ClientConfig.builder(coordinator, state.dir).policy(policy).preferences(prefs).name(name).owner(owner)
            .slots(slots).enrollmentToken(enrollmentToken).build();
      } catch (IllegalArgumentException e) {
        System.err.println("error: " + e.getMessage());
        return 2;
      }
      DeviceClient client;
      try {
        client = DeviceClient.start(config);
      } catch (CoordinatorException e) {
        System.err.println("error: enrollment refused: " + e.getMessage());
        return 1;
      }
      Runtime.getRuntime().addShutdownHook(new Thread(client::close, "idlegrid-shutdown"));
      while (!client.awaitTermination(Duration.ofHours(1))) {
        // runs until a signal stops it
      }
      return 0;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true, description = "Show what the running client is doing and why.")
  static final class Status implements Callable<Integer> {
    @CommandLine.Mixin
    StateDir state;

    @Option(names = "--json", description = "print the full status as JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
      Optional<JsonNode> answer = ControlClient.send(state.dir, "status");
      if (answer.isPresent()) {
        JsonNode a = answer.get();
        if (!a.path("ok").asBoolean()) {
          System.err.println("error: " + a.path("error").asText() + ": " + a.path("message").asText());
          return 1;
        }
        JsonNode st = a.get("status");
        System.out.println(json ? Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(st) : StatusText.of(st));
        return 0;
      }
      var s = StatusFile.read(state.dir);
      if (s.isEmpty()) {
        System.out.println("no client has run with state dir " + state.dir);
        return 3;
      }
      JsonNode st = Json.toTree(s.get());
      System.out.println(json ? Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(st) : StatusText.of(st));
      System.out.println("not running (last status written " + s.get().updatedAt() + ")"
          + (PauseFlag.isPaused(state.dir) ? "; paused: it will start paused" : ""));
      return 3;
    }
  }

  @Command(name = "pause", mixinStandardHelpOptions = true,
      description = "Stop working (a running unit stops within a second and is handed back) until resume; "
          + "survives restarts.")
  static final class Pause implements Callable<Integer> {
    @CommandLine.Mixin
    StateDir state;

    @Override
    public Integer call() throws Exception {
      return toggle(state.dir, "pause");
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true, description = "Work again after pause.")
  static final class Resume implements Callable<Integer> {
    @CommandLine.Mixin
    StateDir state;

    @Override
    public Integer call() throws Exception {
      return toggle(state.dir, "resume");
    }
  }

  /** Through the running client's control channel; with none running, the flag file directly. */
  static int toggle(Path dir, String command) throws Exception {
    Optional<JsonNode> answer = ControlClient.send(dir, command);
    if (answer.isPresent()) {
      JsonNode a = answer.get();
      if (!a.path("ok").asBoolean()) {
        System.err.println("error: " + a.path("error").asText() + ": " + a.path("message").asText());
        return 1;
      }
      System.out.println(command.equals("pause")
          ? "paused: the client stops within a second and waits until resume"
          : "resumed");
      return 0;
    }
    if (command.equals("pause")) {
      PauseFlag.pause(dir);
      System.out.println("paused (no client is running: it will start paused)");
    } else {
      boolean was = PauseFlag.resume(dir);
      System.out.println(was ? "resumed (no client is running)" : "was not paused");
    }
    return 0;
  }
}
