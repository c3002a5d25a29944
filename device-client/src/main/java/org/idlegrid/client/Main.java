package org.idlegrid.client;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.idlegrid.client.eligibility.PauseFlag;
import org.idlegrid.client.net.CoordinatorException;
import org.idlegrid.client.status.ClientStatus;
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

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
        description = "ONNX Runtime threads per unit (default 0: the runtime's choice)")
    int threads;

    @Option(names = "--enrollment-token", paramLabel = "T",
        description = "an admin-issued enrollment token, if the coordinator requires one")
    String enrollmentToken;

    @Override
    public Integer call() throws Exception {
      ClientConfig config;
      try {
        config = ClientConfig.builder(coordinator, state.dir).policy(policy).name(name).owner(owner)
            .slots(slots).threads(threads).enrollmentToken(enrollmentToken).build();
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

  @Command(name = "status", mixinStandardHelpOptions = true, description = "Show what the running client is doing.")
  static final class Status implements Callable<Integer> {
    @CommandLine.Mixin
    StateDir state;

    @Override
    public Integer call() throws Exception {
      var s = StatusFile.read(state.dir);
      if (s.isEmpty()) {
        System.out.println("no client has run with state dir " + state.dir);
        return 3;
      }
      ClientStatus st = s.get();
      System.out.println(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(st));
      Duration age = Duration.between(Instant.parse(st.updatedAt()), Instant.now());
      if (PauseFlag.isPaused(state.dir)) {
        System.out.println("paused (resume with: idlegrid-client resume --state-dir " + state.dir + ")");
      }
      if (st.state() == ClientStatus.State.STOPPED || age.toSeconds() > 30) {
        System.out.println("not running (last update " + age.toSeconds() + " s ago)");
        return 3;
      }
      return 0;
    }
  }

  @Command(name = "pause", mixinStandardHelpOptions = true,
      description = "Stop working (a running unit stops within a second and is handed back) until resume.")
  static final class Pause implements Callable<Integer> {
    @CommandLine.Mixin
    StateDir state;

    @Override
    public Integer call() throws Exception {
      PauseFlag.pause(state.dir);
      System.out.println("paused: the client stops within a second and waits until resume");
      return 0;
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true, description = "Work again after pause.")
  static final class Resume implements Callable<Integer> {
    @CommandLine.Mixin
    StateDir state;

    @Override
    public Integer call() throws Exception {
      boolean was = PauseFlag.resume(state.dir);
      System.out.println(was ? "resumed" : "was not paused");
      return 0;
    }
  }
}
