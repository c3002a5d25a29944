package org.idlegrid.coordinator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.idlegrid.coordinator.engine.Engine;
import org.idlegrid.coordinator.auth.Secrets;
import org.idlegrid.coordinator.blob.BlobStore;
import org.idlegrid.coordinator.http.ApiHandler;
import org.idlegrid.coordinator.http.Services;
import org.idlegrid.coordinator.scheduler.Scheduler;
import org.idlegrid.coordinator.store.Role;
import org.idlegrid.coordinator.store.SqliteStore;
import org.idlegrid.coordinator.store.Store;
import org.idlegrid.coordinator.transitioner.Heartbeats;
import org.idlegrid.coordinator.transitioner.Transitioner;
import org.idlegrid.coordinator.validator.Validator;
import org.idlegrid.signing.Ed25519;
import org.idlegrid.signing.KeyFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running coordinator: the embedding API for the CLI, tests and the demo.
 *
 * <pre>
 * try (Coordinator c = Coordinator.start(CoordinatorConfig.builder().dataDir(dir).build())) {
 *   URI api = c.baseUri();          // http://127.0.0.1:PORT/
 *   String admin = c.adminKey();    // also in DIR/admin.key
 * }
 * </pre>
 *
 * <p>Startup order matters for restart safety: the database is migrated, then deadlines that
 * passed while the coordinator was down are swept and units left VALIDATING are validated,
 * and only then does the HTTP server accept calls. Files in DIR: {@code coordinator.db} (SQLite),
 * {@code blobs/}, {@code coordinator.key} (Ed25519, PEM, mode 600), {@code admin.key} (mode 600).
 */
public final class Coordinator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Coordinator.class);
  public static final String ADMIN_KEY_NAME = "admin";

  private final CoordinatorConfig config;
  private final Store store;
  private final Ed25519.KeyPair key;
  private final String adminKey;
  private final Transitioner transitioner;
  private final Validator validator;
  private final ApiHandler handler;
  private final Server server;
  private final ScheduledExecutorService sweeper;
  private final URI baseUri;

  private Coordinator(CoordinatorConfig config, Store store, Ed25519.KeyPair key, String adminKey,
      Transitioner transitioner, Validator validator, ApiHandler handler, Server server,
      ScheduledExecutorService sweeper, URI baseUri) {
    this.config = config;
    this.store = store;
    this.key = key;
    this.adminKey = adminKey;
    this.transitioner = transitioner;
    this.validator = validator;
    this.handler = handler;
    this.server = server;
    this.sweeper = sweeper;
    this.baseUri = baseUri;
  }

  /** Starts a coordinator on {@code config.dataDir()}; returns once {@code /healthz} would answer 200. */
  public static Coordinator start(CoordinatorConfig config) throws IOException {
    Path dir = config.dataDir();
    Files.createDirectories(dir);
    Ed25519.KeyPair key = KeyFiles.loadOrCreate(dir.resolve("coordinator.key"));
    Store store = SqliteStore.open(dir.resolve("coordinator.db"));
    Server server = null;
    ScheduledExecutorService sweeper = null;
    try {
      String adminKey = bootstrapAdminKey(store, dir.resolve("admin.key"), config);
      BlobStore blobs = new BlobStore(dir.resolve("blobs"));
      ApiHandler[] handlerRef = new ApiHandler[1];
      Runnable wake = () -> {
        if (handlerRef[0] != null) {
          handlerRef[0].workAvailable();
        }
      };
      Validator.Listener verdicts = new Validator.Listener() {
        @Override
        public void judged(String deviceId) {
          if (handlerRef[0] != null) {
            handlerRef[0].judged(deviceId);
          }
        }
        // a replica called off: its device learns it when it asks (GET /api/v1/assignments/{id})
      };
      Engine engine = Engine.create(store, blobs, key, config.clock(), config.assignmentTimeout(), config.trust(),
          config.random(), wake, verdicts, new Heartbeats(config.silentAfter()));
      Scheduler scheduler = engine.scheduler();
      Transitioner transitioner = engine.transitioner();
      Validator validator = engine.validator();
      int timedOut = transitioner.sweepDeadlines();
      int validated = validator.sweep();
      if (timedOut > 0 || validated > 0) {
        LOG.info("recovered: {} assignments timed out, {} units validated", timedOut, validated);
      }
      ApiHandler handler = new ApiHandler(new Services(store, blobs, scheduler, transitioner, validator, engine.trust(), key,
          config.clock(), config.enrollment() == CoordinatorConfig.Enrollment.TOKEN, config.maxJsonBytes(),
          config.maxUploadBytes(), config.maxWait()));
      handlerRef[0] = handler;

      QueuedThreadPool pool = new QueuedThreadPool(200, 8);
      pool.setName("idlegrid-http");
      server = new Server(pool);
      HttpConfiguration http = new HttpConfiguration();
      http.setSendServerVersion(false);
      ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
      connector.setHost(config.host());
      connector.setPort(config.port());
      connector.setIdleTimeout(config.maxWait().toMillis() + 30_000);
      server.addConnector(connector);
      server.setHandler(handler);
      server.setStopTimeout(0);
      server.start();
      int port = connector.getLocalPort();
      String host = config.host().equals("0.0.0.0") || config.host().equals("::") ? "127.0.0.1" : config.host();
      URI baseUri = URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/");

      sweeper = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("idlegrid-sweeper").factory());
      long every = config.sweepInterval().toMillis();
      sweeper.scheduleWithFixedDelay(() -> {
        try {
          transitioner.sweepDeadlines();
        } catch (RuntimeException e) {
          LOG.warn("deadline sweep failed: {}", e.toString());
        }
      }, every, every, TimeUnit.MILLISECONDS);
      LOG.info("coordinator listening on {}:{} (data {}, key {}, enrollment {})", config.host(), port, dir,
          key.keyId(), config.enrollment());
      return new Coordinator(config, store, key, adminKey, transitioner, validator, handler, server, sweeper, baseUri);
    } catch (Exception e) {
      if (sweeper != null) {
        sweeper.shutdownNow();
      }
      if (server != null) {
        try {
          server.stop();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      store.close();
      if (e instanceof IOException io) {
        throw io;
      }
      if (e instanceof RuntimeException re) {
        throw re;
      }
      throw new IOException("cannot start the coordinator: " + e.getMessage(), e);
    }
  }

  /**
   * The first start writes a fresh admin key to {@code admin.key} (mode 600) and stores its hash.
   * The file is written first: a crash in between leaves a file whose key is registered on the
   * next start. If the database has an admin key and the file is gone, the key is not recreated.
   */
  private static String bootstrapAdminKey(Store store, Path file, CoordinatorConfig config) throws IOException {
    boolean registered = store.transaction(tx -> tx.apiKey(ADMIN_KEY_NAME).isPresent());
    if (Files.exists(file)) {
      String key = Files.readString(file, StandardCharsets.UTF_8).trim();
      if (!registered) {
        store.transaction(tx -> tx.insertApiKey(ADMIN_KEY_NAME, Secrets.hash(key), Role.ADMIN,
            Instant.ofEpochMilli(config.clock().millis())));
      }
      return key;
    }
    if (registered) {
      LOG.warn("{} is missing; the admin key stored in the database stays valid", file);
      return null;
    }
    String key = Secrets.newSecret(Secrets.API_KEY_PREFIX);
    try {
      KeyFiles.writeSecret(file, key + "\n");
    } catch (FileAlreadyExistsException e) {
      return bootstrapAdminKey(store, file, config);
    }
    store.transaction(tx -> tx.insertApiKey(ADMIN_KEY_NAME, Secrets.hash(key), Role.ADMIN,
        Instant.ofEpochMilli(config.clock().millis())));
    LOG.info("wrote a new admin key to {}", file);
    return key;
  }

  public int port() {
    return baseUri.getPort();
  }

  /** {@code http://host:port/} (127.0.0.1 when listening on every interface). */
  public URI baseUri() {
    return baseUri;
  }

  /** The admin API key (the content of DIR/admin.key); null if that file was deleted. */
  public String adminKey() {
    return adminKey;
  }

  /** The coordinator's public key (what devices verify assignments with). */
  public Ed25519.PublicKey publicKey() {
    return key.publicKey();
  }

  public CoordinatorConfig config() {
    return config;
  }

  /** Runs the deadline sweep now (it also runs every sweepInterval); returns how many assignments timed out. */
  public int sweepDeadlines() {
    return transitioner.sweepDeadlines();
  }

  /** Devices currently parked in a long poll. */
  public int waitingDevices() {
    return handler.waitingDevices();
  }

  Store store() {
    return store;
  }

  @Override
  public void close() {
    sweeper.shutdownNow();
    handler.close(); // parked long polls get their 204 first
    try {
      server.stop(); // no graceful wait: every acknowledged change is committed already
    } catch (Exception e) {
      LOG.warn("stopping the HTTP server: {}", e.toString());
    }
    store.close();
    LOG.info("coordinator stopped");
  }
}
