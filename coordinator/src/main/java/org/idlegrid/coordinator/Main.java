package org.idlegrid.coordinator;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code java -jar idlegrid-coordinator.jar serve --data DIR --port P [...]}. */
@Command(name = "idlegrid-coordinator", mixinStandardHelpOptions = true, version = "idlegrid coordinator 0.1.0",
    description = "The idlegrid coordinator.", subcommands = {Main.Serve.class, org.idlegrid.coordinator.demo.DemoCommand.class})
public final class Main implements Callable<Integer> {

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }

  @Override
  public Integer call() {
    new CommandLine(this).usage(System.err);
    return 2;
  }

  @Command(name = "serve", mixinStandardHelpOptions = true,
      description = "Runs the coordinator; keeps its database, blobs and keys in --data.")
  static final class Serve implements Callable<Integer> {
    @Option(names = "--data", required = true, description = "data folder (database, blobs, keys)")
    Path data;

    @Option(names = "--port", defaultValue = "8080", description = "TCP port (default ${DEFAULT-VALUE}; 0 = any)")
    int port;

    @Option(names = "--host", defaultValue = "0.0.0.0", description = "interface to listen on (default ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--enrollment", defaultValue = "open",
        description = "open (anyone may enroll a device) or token (an admin-issued token per device)")
    String enrollment;

    @Option(names = "--assignment-timeout", defaultValue = "10m", description = "deadline of an assignment, e.g. 90s, 10m, 1h")
    String assignmentTimeout;

    @Option(names = "--silent-after", defaultValue = "2m", description = "a device that asks about its work "
        + "(every 30 s by default) and goes quiet this long is presumed gone: its replicas get another slot")
    String silentAfter;

    @Option(names = "--max-body", defaultValue = "16MiB", description = "largest JSON request body, e.g. 16MiB")
    String maxBody;

    @Option(names = "--max-upload", defaultValue = "1GiB", description = "largest model or file upload, e.g. 1GiB")
    String maxUpload;

    @Override
    public Integer call() throws Exception {
      CoordinatorConfig.Enrollment mode = switch (enrollment.toLowerCase(Locale.ROOT)) {
        case "open" -> CoordinatorConfig.Enrollment.OPEN;
        case "token" -> CoordinatorConfig.Enrollment.TOKEN;
        default -> throw new CommandLine.ParameterException(new CommandLine(this),
            "--enrollment must be open or token, got " + enrollment);
      };
      CoordinatorConfig config = CoordinatorConfig.builder().dataDir(data).host(host).port(port).enrollment(mode)
          .assignmentTimeout(parseDuration("--assignment-timeout", assignmentTimeout))
          .silentAfter(parseDuration("--silent-after", silentAfter))
          .maxJsonBytes(parseSize("--max-body", maxBody)).maxUploadBytes(parseSize("--max-upload", maxUpload))
          .build();
      Coordinator coordinator = Coordinator.start(config);
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        coordinator.close();
        stopped.countDown();
      }, "idlegrid-shutdown"));
      System.out.println("idlegrid coordinator listening on " + coordinator.baseUri() + " (admin key in "
          + data.resolve("admin.key") + ")");
      stopped.await();
      return 0;
    }
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(|b|k|kb|kib|m|mb|mib|g|gb|gib)", Pattern.CASE_INSENSITIVE);

  static Duration parseDuration(String option, String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    Matcher m = DURATION.matcher(t);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    }
    try {
      return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(option + " must be a duration like 90s, 10m or 1h, got \"" + text + "\"");
    }
  }

  static long parseSize(String option, String text) {
    Matcher m = SIZE.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(option + " must be a size like 16MiB, 512k or 1GiB, got \"" + text + "\"");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "", "b" -> n;
      case "k", "kb", "kib" -> n << 10;
      case "m", "mb", "mib" -> n << 20;
      default -> n << 30;
    };
  }
}
