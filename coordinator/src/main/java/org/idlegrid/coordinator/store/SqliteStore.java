package org.idlegrid.coordinator.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;
import org.flywaydb.core.Flyway;
import org.sqlite.SQLiteConfig;

/**
 * The embedded store: one SQLite database in WAL mode.
 *
 * <p>Invariants and why they hold:
 * <ul>
 *   <li>One connection, one lock: SQLite has a single writer anyway, so transactions run one at a
 *       time under {@link #lock}; a transaction is short (claim work, accept a result, grade a
 *       unit) and never does network I/O. A nested {@link #transaction} call joins the outer one.</li>
 *   <li>Durability: {@code synchronous=NORMAL} in WAL mode loses nothing when the process dies
 *       (only a power cut can drop the last commits); the log is checkpointed by
 *       {@link WalCheckpointer}, off the lock; {@code foreign_keys=ON} and
 *       {@code busy_timeout} are set on the connection.</li>
 *   <li>The schema comes from Flyway migrations in {@code db/migration}, applied on open.</li>
 *   <li>Every state change is {@code UPDATE ... WHERE id = ? AND state = ?} and returns whether
 *       one row changed.</li>
 *   <li>One process owns the database. That lets job rows be cached ({@link #jobCache}): the
 *       only statement that changes what a {@link Rows.Job} holds is {@code transitionJob}, which
 *       drops its entry; a rollback drops them all (an entry read inside the rolled-back
 *       transaction may show what it undid). Counters beside the row ({@code units_valid},
 *       {@code verifying_since}) are not in it and are always read from the table. Model rows
 *       never change once inserted (no statement updates or deletes them), so they are cached
 *       the same way ({@link #modelCache}), also emptied on rollback.</li>
 * </ul>
 */
public final class SqliteStore implements Store {
  private final Connection conn;
  private final ReentrantLock lock;
  private final Map<String, PreparedStatement> statements = new HashMap<>();
  /** Each statement's result columns by name, read once (see {@link Row}). */
  private final Map<String, Map<String, Integer>> columns = new HashMap<>();
  /**
   * Job rows by id, read through (see the invariants above): every poll, result and verdict reads
   * its job, and nothing in {@link Rows.Job} changes but its state, finish time and error.
   */
  private final Map<String, Rows.Job> jobCache = new HashMap<>();
  /** Model rows by id, read through: every claim reads its models, which never change. */
  private final Map<String, Rows.Model> modelCache = new HashMap<>();
  private final SqliteTx tx = new SqliteTx();
  /** Checkpoints the log off the lock; null for the unsynchronized store (no log). */
  private final WalCheckpointer checkpointer;
  private volatile boolean closed;

  private SqliteStore(Connection conn, ReentrantLock lock, WalCheckpointer checkpointer) {
    this.conn = conn;
    this.lock = lock;
    this.checkpointer = checkpointer;
  }

  /** Opens (creating and migrating if needed) the database file {@code file}. */
  public static SqliteStore open(Path file) {
    return open(file, true);
  }

  /**
   * For simulations and benchmarks of the engine only: {@code synchronous=OFF}, so commits never
   * wait for the disk and a crash of the machine (not of the process) may lose recent commits.
   */
  public static SqliteStore openUnsynchronized(Path file) {
    return open(file, false);
  }

  private static SqliteStore open(Path file, boolean durable) {
    String url = "jdbc:sqlite:" + file.toAbsolutePath();
    SQLiteConfig config = new SQLiteConfig();
    if (durable) {
      config.setJournalMode(SQLiteConfig.JournalMode.WAL);
      config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
    } else {
      // one process, one connection, nothing to survive a crash: a journal in memory, the file
      // locked for good (no shared-memory index), and a page cache of up to 1 GiB
      config.setJournalMode(SQLiteConfig.JournalMode.MEMORY);
      config.setSynchronous(SQLiteConfig.SynchronousMode.OFF);
      config.setLockingMode(SQLiteConfig.LockingMode.EXCLUSIVE);
      config.setCacheSize(-1_048_576);
      config.setTempStore(SQLiteConfig.TempStore.MEMORY);
    }
    config.enforceForeignKeys(true);
    config.setBusyTimeout(10_000);
    Connection c = null;
    try {
      Flyway.configure().dataSource(url, "", "").locations("classpath:db/migration").load().migrate();
      c = DriverManager.getConnection(url, config.toProperties());
      ReentrantLock lock = new ReentrantLock();
      WalCheckpointer checkpointer = null;
      if (durable) {
        // checkpoints run beside the store, not inside its commits (WalCheckpointer)
        try (var st = c.createStatement()) {
          st.execute("PRAGMA wal_autocheckpoint = 0");
        }
        checkpointer = WalCheckpointer.start(url, config.toProperties(), lock);
      }
      c.setAutoCommit(false);
      return new SqliteStore(c, lock, checkpointer);
    } catch (SQLException e) {
      if (c != null) {
        try {
          c.close();
        } catch (SQLException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw new StoreException("cannot open the database " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public <T> T transaction(Function<Tx, T> work) {
    if (lock.isHeldByCurrentThread()) {
      return work.apply(tx);
    }
    lock.lock();
    try {
      if (closed) {
        throw new StoreException("the store is closed", null);
      }
      T result;
      try {
        result = work.apply(tx);
        conn.commit();
        if (checkpointer != null) {
          checkpointer.committed();
        }
      } catch (RuntimeException | Error e) {
        rollbackQuietly(e);
        throw e;
      } catch (SQLException e) {
        rollbackQuietly(e);
        throw new StoreException("commit failed: " + e.getMessage(), e);
      }
      return result;
    } finally {
      lock.unlock();
    }
  }

  private void rollbackQuietly(Throwable cause) {
    jobCache.clear();
    modelCache.clear();
    try {
      conn.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  @Override
  public void close() {
    // first the checkpointer: it may be waiting for the lock to truncate the log
    WalCheckpointer c = checkpointer;
    if (c != null) {
      c.close();
    }
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      for (PreparedStatement ps : statements.values()) {
        try {
          ps.close();
        } catch (SQLException ignored) {
          // closing anyway
        }
      }
      try {
        conn.rollback();
        conn.close();
      } catch (SQLException e) {
        throw new StoreException("close failed: " + e.getMessage(), e);
      }
    } finally {
      lock.unlock();
    }
  }

  // ------------------------------------------------------------------ JDBC helpers

  private PreparedStatement ps(String sql, Object... args) throws SQLException {
    PreparedStatement ps = statements.get(sql);
    if (ps == null) {
      ps = conn.prepareStatement(sql);
      statements.put(sql, ps);
    }
    // Every parameter is bound on every call, so the statement's old bindings need no clearing.
    // And they must not be cleared: sqlite3_clear_bindings expires a statement whose plan may
    // depend on a bound value (a partial index), and SQLite then prepares it again on the next
    // step: measured, that made a claim's queries 3-5x slower than the queries themselves.
    if (ps.getParameterMetaData().getParameterCount() != args.length) {
      throw new IllegalArgumentException(sql + " takes " + ps.getParameterMetaData().getParameterCount()
          + " parameters, got " + args.length);
    }
    for (int i = 0; i < args.length; i++) {
      Object a = args[i];
      if (a == null) {
        ps.setNull(i + 1, Types.NULL);
      } else if (a instanceof Instant t) {
        ps.setLong(i + 1, t.toEpochMilli());
      } else if (a instanceof Enum<?> e) {
        ps.setString(i + 1, e.name());
      } else {
        ps.setObject(i + 1, a);
      }
    }
    return ps;
  }

  private int update(String sql, Object... args) {
    try {
      return ps(sql, args).executeUpdate();
    } catch (SQLException e) {
      throw new StoreException(e.getMessage(), e);
    }
  }

  interface RowMapper<T> {
    T map(Row rs) throws SQLException;
  }

  private <T> List<T> query(String sql, RowMapper<T> mapper, Object... args) {
    try (ResultSet rs = ps(sql, args).executeQuery()) {
      List<T> out = new ArrayList<>();
      if (!rs.next()) {
        return out;
      }
      Map<String, Integer> names = columns.get(sql);
      if (names == null) {
        names = Row.columnsOf(rs);
        columns.put(sql, names);
      }
      Row row = new Row(rs, names);
      do {
        out.add(mapper.map(row));
      } while (rs.next());
      return out;
    } catch (SQLException e) {
      throw new StoreException(e.getMessage(), e);
    }
  }

  private <T> Optional<T> one(String sql, RowMapper<T> mapper, Object... args) {
    List<T> rows = query(sql, mapper, args);
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  private static Instant instant(Row rs, String col) throws SQLException {
    long v = rs.getLong(col);
    return rs.wasNull() ? null : Instant.ofEpochMilli(v);
  }

  private static Long nullableLong(Row rs, String col) throws SQLException {
    long v = rs.getLong(col);
    return rs.wasNull() ? null : v;
  }

  private static Integer nullableInt(Row rs, String col) throws SQLException {
    int v = rs.getInt(col);
    return rs.wasNull() ? null : v;
  }

  private static Double nullableDouble(Row rs, String col) throws SQLException {
    double v = rs.getDouble(col);
    return rs.wasNull() ? null : v;
  }

  private static String placeholders(int n) {
    return String.join(",", java.util.Collections.nCopies(n, "?"));
  }

  private static final RowMapper<Rows.ApiKey> API_KEY =
      rs -> new Rows.ApiKey(rs.getString("name"), Role.valueOf(rs.getString("role")), instant(rs, "created_at"));

  private static final RowMapper<Rows.Device> DEVICE = rs -> new Rows.Device(
      rs.getString("id"), rs.getString("token_hash"), rs.getString("public_key"), rs.getString("name"),
      rs.getString("owner"), rs.getString("owner_key"), rs.getString("platform"), rs.getString("engines"),
      DeviceState.valueOf(rs.getString("state")), rs.getString("state_reason"), instant(rs, "enrolled_at"),
      instant(rs, "last_seen"), rs.getLong("results_returned"), rs.getLong("results_valid"),
      rs.getLong("results_invalid"), rs.getDouble("credit"));

  private static final RowMapper<Rows.Model> MODEL = rs -> new Rows.Model(
      rs.getString("id"), rs.getString("name"), rs.getString("engine"), rs.getLong("bytes"),
      rs.getString("format"), rs.getString("input_spec"), rs.getString("owner"), instant(rs, "created_at"));

  private static final RowMapper<Rows.Job> JOB = rs -> new Rows.Job(
      rs.getString("id"), rs.getLong("seq"), rs.getString("owner"), rs.getString("name"),
      rs.getString("model_id"), rs.getString("input_blob"), rs.getLong("record_count"), rs.getInt("unit_size"),
      rs.getInt("priority"), rs.getInt("replicas"), rs.getInt("quorum"), rs.getInt("max_replicas"),
      rs.getString("compare"), JobState.valueOf(rs.getString("state")), instant(rs, "created_at"),
      instant(rs, "finished_at"), rs.getString("error"), rs.getInt("adaptive") == 1, rs.getInt("homogeneous") == 1);

  private static final RowMapper<Rows.Unit> UNIT = rs -> new Rows.Unit(
      rs.getString("id"), rs.getString("job_id"), rs.getInt("idx"), rs.getLong("record_start"),
      rs.getLong("record_end"), rs.getLong("byte_start"), rs.getLong("byte_end"),
      UnitState.valueOf(rs.getString("state")), rs.getInt("priority"), rs.getLong("job_seq"),
      rs.getString("model_id"), rs.getInt("needed"), rs.getString("canonical"), nullableInt(rs, "quorum"),
      UnitAcceptance.valueOf(rs.getString("acceptance")), rs.getString("hr_class"));

  private static final RowMapper<Rows.Assignment> ASSIGNMENT = rs -> {
    String outcome = rs.getString("outcome");
    return new Rows.Assignment(
        rs.getString("id"), rs.getString("unit_id"), rs.getString("job_id"), rs.getString("device_id"),
        rs.getString("owner_key"), AssignmentState.valueOf(rs.getString("state")),
        outcome == null ? null : AssignmentOutcome.valueOf(outcome), instant(rs, "issued_at"),
        instant(rs, "deadline"), instant(rs, "finished_at"), rs.getString("outputs"),
        nullableLong(rs, "elapsed_ms"), nullableDouble(rs, "energy_j"), rs.getString("reason"),
        AssignmentKind.valueOf(rs.getString("kind")), rs.getString("network"), rs.getInt("trusted") == 1);
  };

  private static final RowMapper<Rows.DeviceTrust> TRUST = rs -> new Rows.DeviceTrust(
      rs.getString("id"), rs.getInt("trust_streak"), instant(rs, "trusted_since"), instant(rs, "last_check_at"),
      instant(rs, "last_failed_at"), rs.getLong("checks_failed"), rs.getLong("results_errored"),
      rs.getLong("results_timed_out"), rs.getString("network"), rs.getString("engine_versions"),
      rs.getString("platform_class"), rs.getDouble("on_trust_risk"));

  private static final RowMapper<Rows.LedgerEntry> LEDGER = rs -> new Rows.LedgerEntry(
      rs.getLong("seq"), rs.getString("device_id"), rs.getString("owner_key"), rs.getString("unit_id"),
      rs.getString("assignment_id"), rs.getDouble("amount"), LedgerReason.valueOf(rs.getString("reason")),
      instant(rs, "at"));

  /** A row from {@code cache}, or read and kept there (a row that is not there is not remembered). */
  private static <T> Optional<T> readThrough(Map<String, T> cache, String id, Supplier<Optional<T>> read) {
    T cached = cache.get(id);
    if (cached != null) {
      return Optional.of(cached);
    }
    Optional<T> row = read.get();
    if (row.isPresent()) {
      if (cache.size() >= JOB_CACHE) {
        cache.clear();
      }
      cache.put(id, row.get());
    }
    return row;
  }

  /**
   * A model's wait per record for scheduling (V10), over {@code model_costs mc}: the larger of the
   * devices' compute time and the turnaround the coordinator observed.
   */
  private static final String MODEL_WAIT = "MAX(COALESCE(mc.turnaround_ms_per_record, 0), mc.ms_per_record)";
  /**
   * A straggle wait's scale for job {@code j} ({@link Rows.StraggleWait}): its endgame wait
   * while its units not yet valid are at most the endgame share of its units and at most the
   * endgame's units, else 1. Takes three parameters: the share, the units and the wait.
   */
  private static final String ENDGAME_SCALE = "(CASE WHEN j.units_total - j.units_valid <= MIN(? * j.units_total, ?) "
      + "THEN ? ELSE 1 END) ";

  /** How many job (and model) rows {@link #jobCache} ({@link #modelCache}) holds at most (then it starts over). */
  static final int JOB_CACHE = 1024;
  /**
   * How many straggling units a backup search reads at most: past this many that the device may
   * not take (placement, trust) it gives up until its next idle poll rather than read every one.
   */
  static final int BACKUP_SCAN = 512;
  /**
   * The backup search reads this many of the oldest stragglers first, and all BACKUP_SCAN only if
   * none of these will do: the query sorts what passes its filters, so it checks every unit it
   * read (placement probes included) even when the oldest would do. At 100,000 devices that was
   * 1.5 ms a search; the oldest few usually do.
   */
  static final int BACKUP_FIRST = 16;
  /**
   * How many of the riskiest holders an audit search tries at a time; it gives up after a page
   * in which some holder stayed (one this device may not audit, by placement).
   */
  static final int AUDIT_HOLDERS = 8;
  /**
   * An assignment {@code x} that audits its unit: out and not written off, or returned. A unit
   * whose audit was lost or written off may be audited again.
   */
  private static final String AUDITED = "x.kind = 'AUDIT' AND ((x.state = 'ISSUED' AND x.written_off = 0) "
      + "OR x.state = 'RETURNED')";
  /**
   * A holder's ({@code h.device_id = ?}) results that still rest on trust: VALID, on trust (an
   * audit that passed made the unit REPLICATED), of a RUNNING or COMPLETED job. Ends in a
   * condition, so that more can follow with AND.
   */
  private static final String ON_TRUST_OF_HOLDER = "assignments h INDEXED BY assignments_votes "
      + "JOIN units u ON u.id = h.unit_id JOIN jobs j ON j.id = u.job_id "
      + "WHERE h.device_id = ? AND h.outcome = 'VALID' AND h.kind = 'ON_TRUST' AND u.state = 'VALID' "
      + "AND u.acceptance = 'ON_TRUST' AND j.state IN ('RUNNING', 'COMPLETED') ";
  /** A risk halved; below 1e-9 it is 0, so that devices_risk holds only devices with some risk. */
  private static final String HALVED = "CASE WHEN on_trust_risk / 2 < 1e-9 THEN 0 ELSE on_trust_risk / 2 END";
  private static final String UNIT_COLUMNS = "u.id, u.job_id, u.idx, u.record_start, u.record_end, u.byte_start, "
      + "u.byte_end, u.state, u.priority, u.job_seq, u.model_id, u.needed, u.canonical, u.quorum, u.acceptance, "
      + "u.hr_class";

  // ------------------------------------------------------------------ the transaction's operations

  private final class SqliteTx implements Tx {
    @Override
    public boolean insertApiKey(String name, String keyHash, Role role, Instant now) {
      return update("INSERT OR IGNORE INTO api_keys (name, key_hash, role, created_at) VALUES (?, ?, ?, ?)",
          name, keyHash, role, now) == 1;
    }

    @Override
    public Optional<Rows.ApiKey> apiKeyByHash(String keyHash) {
      return one("SELECT name, role, created_at FROM api_keys WHERE key_hash = ?", API_KEY, keyHash);
    }

    @Override
    public Optional<Rows.ApiKey> apiKey(String name) {
      return one("SELECT name, role, created_at FROM api_keys WHERE name = ?", API_KEY, name);
    }

    @Override
    public boolean deleteApiKey(String name) {
      return update("DELETE FROM api_keys WHERE name = ?", name) == 1;
    }

    @Override
    public int countApiKeys(Role role) {
      return one("SELECT COUNT(*) FROM api_keys WHERE role = ?", rs -> rs.getInt(1), role).orElse(0);
    }

    @Override
    public void insertEnrollmentToken(String tokenHash, String createdBy, Instant now) {
      update("INSERT INTO enrollment_tokens (token_hash, created_by, created_at) VALUES (?, ?, ?)",
          tokenHash, createdBy, now);
    }

    @Override
    public boolean useEnrollmentToken(String tokenHash, String deviceId, Instant now) {
      return update("UPDATE enrollment_tokens SET used_at = ?, used_by = ? WHERE token_hash = ? AND used_at IS NULL",
          now, deviceId, tokenHash) == 1;
    }

    @Override
    public void insertDevice(Rows.Device d) {
      update("INSERT INTO devices (id, token_hash, public_key, name, owner, owner_key, platform, engines, state, "
              + "state_reason, enrolled_at, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          d.id(), d.tokenHash(), d.publicKey(), d.name(), d.owner(), d.ownerKey(), d.platformJson(),
          d.enginesJson(), d.state(), d.stateReason(), d.enrolledAt(), d.lastSeen());
    }

    @Override
    public Optional<Rows.Device> device(String id) {
      return one("SELECT * FROM devices WHERE id = ?", DEVICE, id);
    }

    @Override
    public Optional<DeviceState> deviceState(String id) {
      return one("SELECT state FROM devices WHERE id = ?", rs -> DeviceState.valueOf(rs.getString(1)), id);
    }

    @Override
    public Optional<Rows.Caller> callerByTokenHash(String tokenHash) {
      return one("SELECT id, public_key, state, state_reason FROM devices WHERE token_hash = ?",
          rs -> new Rows.Caller(rs.getString("id"), rs.getString("public_key"),
              DeviceState.valueOf(rs.getString("state")), rs.getString("state_reason")), tokenHash);
    }

    @Override
    public List<Rows.Device> devices() {
      return query("SELECT * FROM devices ORDER BY enrolled_at, id", DEVICE);
    }

    @Override
    public boolean transitionDevice(String id, DeviceState from, DeviceState to, String reason) {
      return update("UPDATE devices SET state = ?, state_reason = ? WHERE id = ? AND state = ?",
          to, reason, id, from) == 1;
    }

    @Override
    public void touchDevice(String id, Instant now) {
      update("UPDATE devices SET last_seen = ? WHERE id = ?", now, id);
    }

    @Override
    public void addDeviceCounts(String id, int returned, int valid, int invalid, double credit) {
      update("UPDATE devices SET results_returned = results_returned + ?, results_valid = results_valid + ?, "
          + "results_invalid = results_invalid + ?, credit = credit + ? WHERE id = ?",
          returned, valid, invalid, credit, id);
    }

    @Override
    public boolean insertModel(Rows.Model m) {
      return update("INSERT OR IGNORE INTO models (id, name, engine, bytes, format, input_spec, owner, created_at) "
              + "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          m.id(), m.name(), m.engine(), m.bytes(), m.format(), m.inputSpecJson(), m.owner(), m.createdAt()) == 1;
    }

    @Override
    public Optional<Rows.Model> model(String id) {
      return readThrough(modelCache, id, () -> one("SELECT * FROM models WHERE id = ?", MODEL, id));
    }

    @Override
    public Optional<Rows.Model> modelByName(String name) {
      return one("SELECT m.* FROM model_names n JOIN models m ON m.id = n.model_id WHERE n.name = ? "
          + "ORDER BY n.created_at DESC, n.rowid DESC LIMIT 1", MODEL, name);
    }

    @Override
    public void nameModel(String name, String modelId, Instant now) {
      update("INSERT INTO model_names (name, model_id, created_at) VALUES (?, ?, ?) "
          + "ON CONFLICT (name, model_id) DO UPDATE SET created_at = excluded.created_at", name, modelId, now);
    }

    @Override
    public List<Rows.Model> models() {
      return query("SELECT * FROM models ORDER BY created_at DESC, rowid DESC", MODEL);
    }

    @Override
    public void recordUpload(String hex, String owner, String kind, Long records, Instant now) {
      update("INSERT OR IGNORE INTO uploads (blob, owner, kind, records, created_at) VALUES (?, ?, ?, ?, ?)",
          hex, owner, kind, records, now);
    }

    @Override
    public Optional<Long> uploadedFile(String hex, String owner) {
      if (owner == null) {
        return one("SELECT records FROM uploads WHERE blob = ? AND kind = 'FILE' LIMIT 1", rs -> rs.getLong(1), hex);
      }
      return one("SELECT records FROM uploads WHERE blob = ? AND owner = ? AND kind = 'FILE'",
          rs -> rs.getLong(1), hex, owner);
    }

    @Override
    public boolean hasUpload(String hex, String owner) {
      return one("SELECT 1 FROM uploads WHERE blob = ? AND owner = ? LIMIT 1", rs -> true, hex, owner).isPresent();
    }

    @Override
    public boolean deviceMayReadBlob(String deviceId, String hex) {
      return one("SELECT 1 FROM assignments a JOIN jobs j ON j.id = a.job_id WHERE a.device_id = ? "
              + "AND (j.model_id = ? OR j.input_blob = ?) LIMIT 1",
          rs -> true, deviceId, "sha256:" + hex, hex).isPresent();
    }

    @Override
    public long insertJob(Rows.Job j) {
      update("INSERT INTO jobs (id, owner, name, model_id, input_blob, record_count, unit_size, priority, replicas, "
              + "quorum, max_replicas, compare, state, created_at, finished_at, error, adaptive, homogeneous) "
              + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          j.id(), j.owner(), j.name(), j.modelId(), j.inputBlob(), j.recordCount(), j.unitSize(), j.priority(),
          j.replicas(), j.quorum(), j.maxReplicas(), j.compareJson(), j.state(), j.createdAt(), j.finishedAt(),
          j.error(), j.adaptive() ? 1 : 0, j.homogeneous() ? 1 : 0);
      return one("SELECT seq FROM jobs WHERE id = ?", rs -> rs.getLong(1), j.id()).orElseThrow();
    }

    @Override
    public Optional<Rows.Job> job(String id) {
      return readThrough(jobCache, id, () -> one("SELECT * FROM jobs WHERE id = ?", JOB, id));
    }

    @Override
    public List<Rows.Job> jobs(String owner, Long beforeSeq, int limit) {
      long before = beforeSeq == null ? Long.MAX_VALUE : beforeSeq;
      if (owner == null) {
        return query("SELECT * FROM jobs WHERE seq < ? ORDER BY seq DESC LIMIT ?", JOB, before, limit);
      }
      return query("SELECT * FROM jobs WHERE owner = ? AND seq < ? ORDER BY seq DESC LIMIT ?", JOB, owner, before, limit);
    }

    @Override
    public boolean transitionJob(String id, JobState from, JobState to, Instant now, String error) {
      jobCache.remove(id);
      return update("UPDATE jobs SET state = ?, finished_at = ?, error = COALESCE(?, error) WHERE id = ? AND state = ?",
          to, to.isFinal() ? now : null, error, id, from) == 1;
    }

    @Override
    public Rows.JobProgress jobProgress(String jobId) {
      return one("SELECT COUNT(*) AS total, "
              + "COALESCE(SUM(state = 'VALID'), 0) AS valid, "
              + "COALESCE(SUM(state IN ('IN_PROGRESS', 'VALIDATING')), 0) AS in_progress, "
              + "COALESCE(SUM(state = 'FAILED'), 0) AS failed, "
              + "COALESCE(SUM(CASE WHEN state = 'VALID' THEN record_end - record_start ELSE 0 END), 0) AS done, "
              + "(SELECT COUNT(*) FROM assignments a JOIN units v ON v.id = a.unit_id "
              + "  WHERE a.job_id = ? AND a.state = 'RETURNED' AND a.kind <> 'KNOWN_ANSWER' AND v.state = 'VALID') AS returned "
              + "FROM units WHERE job_id = ? AND idx >= 0",
          rs -> new Rows.JobProgress(rs.getInt("total"), rs.getInt("valid"), rs.getInt("in_progress"),
              rs.getInt("failed"), rs.getLong("done"), rs.getLong("returned")),
          jobId, jobId).orElseThrow();
    }

    @Override
    public int unitsValid(String jobId) {
      return one("SELECT units_valid FROM jobs WHERE id = ?", rs -> rs.getInt(1), jobId).orElse(0);
    }

    @Override
    public boolean addValidUnit(String jobId) {
      update("UPDATE jobs SET units_valid = units_valid + 1 WHERE id = ?", jobId);
      return one("SELECT units_valid >= units_total FROM jobs WHERE id = ?", rs -> rs.getBoolean(1), jobId)
          .orElse(false);
    }

    @Override
    public void insertUnits(List<Rows.Unit> units) {
      for (Rows.Unit u : units) {
        update("INSERT INTO units (id, job_id, idx, record_start, record_end, byte_start, byte_end, state, priority, "
                + "job_seq, model_id, needed, canonical, quorum, acceptance, hr_class) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            u.id(), u.jobId(), u.idx(), u.recordStart(), u.recordEnd(), u.byteStart(), u.byteEnd(), u.state(),
            u.priority(), u.jobSeq(), u.modelId(), u.needed(), u.canonicalJson(), u.quorum(),
            u.acceptance() == null ? UnitAcceptance.REPLICATED : u.acceptance(), u.hrClass());
        update("UPDATE jobs SET units_total = units_total + 1 WHERE id = ?", u.jobId());
      }
    }

    @Override
    public Optional<Rows.Unit> unit(String id) {
      return one("SELECT " + UNIT_COLUMNS + " FROM units u WHERE u.id = ?", UNIT, id);
    }

    @Override
    public List<Rows.Unit> units(String jobId, int fromIdx, int limit) {
      return query("SELECT " + UNIT_COLUMNS + " FROM units u WHERE u.job_id = ? AND u.idx >= ? ORDER BY u.idx LIMIT ?",
          UNIT, jobId, fromIdx, limit);
    }

    @Override
    public boolean transitionUnit(String id, UnitState from, UnitState to) {
      return update("UPDATE units SET state = ? WHERE id = ? AND state = ?", to, id, from) == 1;
    }

    @Override
    public boolean takeReplicaSlot(String unitId) {
      return update("UPDATE units SET needed = needed - 1 WHERE id = ? AND needed > 0 "
          + "AND state IN ('PENDING', 'IN_PROGRESS')", unitId) == 1;
    }

    @Override
    public boolean addReplicaSlots(String unitId, int n, List<UnitState> states) {
      if (n <= 0 || states.isEmpty()) {
        return false;
      }
      Object[] args = new Object[2 + states.size()];
      args[0] = n;
      args[1] = unitId;
      for (int i = 0; i < states.size(); i++) {
        args[2 + i] = states.get(i);
      }
      return update("UPDATE units SET needed = needed + ? WHERE id = ? AND state IN ("
          + placeholders(states.size()) + ")", args) == 1;
    }

    @Override
    public void setCanonical(String unitId, String canonicalJson) {
      update("UPDATE units SET canonical = ? WHERE id = ?", canonicalJson, unitId);
    }

    @Override
    public List<String> unitIdsInState(UnitState state, int limit) {
      return query("SELECT id FROM units WHERE state = ? LIMIT ?", rs -> rs.getString(1), state, limit);
    }

    @Override
    public List<String> unitIdsWithUngradedResults(int limit) {
      return query("SELECT DISTINCT unit_id FROM assignments WHERE state = 'RETURNED' AND outcome IS NULL LIMIT ?",
          rs -> rs.getString(1), limit);
    }

    @Override
    public List<Rows.Unit> dispatchCandidates(Rows.Placement p, List<String> modelIds, int limit) {
      if (!p.needTrustedPeer()) {
        return dispatchCandidates(p, modelIds, limit, false);
      }
      // fresh units first (V6): units held only by untrusted devices, which this device may not
      // take, would otherwise be walked past on every poll
      List<Rows.Unit> fresh = dispatchCandidates(p, modelIds, limit, true);
      if (fresh.size() >= limit) {
        return fresh;
      }
      Map<String, Rows.Unit> all = new java.util.LinkedHashMap<>();
      fresh.forEach(u -> all.put(u.id(), u));
      for (Rows.Unit u : dispatchCandidates(p, modelIds, limit, false)) {
        if (all.size() >= limit) {
          break;
        }
        all.putIfAbsent(u.id(), u);
      }
      return List.copyOf(all.values());
    }

    private List<Rows.Unit> dispatchCandidates(Rows.Placement p, List<String> modelIds, int limit, boolean freshOnly) {
      List<Object> args = new ArrayList<>();
      StringBuilder sql = new StringBuilder("SELECT " + UNIT_COLUMNS + " FROM units u "
          + (freshOnly ? "INDEXED BY units_fresh " : "") + "JOIN jobs j ON j.id = u.job_id "
          + "WHERE u.needed > 0 AND u.state " + (freshOnly ? "= 'PENDING' " : "IN ('PENDING', 'IN_PROGRESS') ")
          + "AND j.state IN ('QUEUED', 'RUNNING') ");
      if (modelIds != null) {
        if (modelIds.isEmpty()) {
          return List.of();
        }
        sql.append("AND u.model_id IN (").append(placeholders(modelIds.size())).append(") ");
        args.addAll(modelIds);
      }
      // index probes per candidate: same device, same owner, same network
      sql.append("AND ").append(placementFree(p, args)).append(' ');
      sql.append("AND (j.homogeneous = 0 OR u.hr_class IS NULL OR u.hr_class = ?) ");
      args.add(p.platformClass() == null ? "" : p.platformClass());
      if (p.needTrustedPeer()) {
        sql.append("AND (NOT EXISTS (SELECT 1 FROM assignments a WHERE a.unit_id = u.id AND a.kind <> 'KNOWN_ANSWER' "
            + "AND (a.state = 'ISSUED' OR (a.state = 'RETURNED' AND (a.outcome IS NULL OR a.outcome = 'VALID')))) "
            + "OR EXISTS (SELECT 1 FROM assignments a WHERE a.unit_id = u.id AND a.trusted = 1 "
            + "AND (a.state = 'ISSUED' OR (a.state = 'RETURNED' AND (a.outcome IS NULL OR a.outcome = 'VALID'))))) ");
      }
      sql.append("ORDER BY u.priority DESC, u.job_seq, u.idx LIMIT ?");
      args.add(limit);
      return query(sql.toString(), UNIT, args.toArray());
    }

    @Override
    public boolean hasDispatchableWork() {
      return one("SELECT 1 FROM units u JOIN jobs j ON j.id = u.job_id WHERE u.needed > 0 "
          + "AND u.state IN ('PENDING', 'IN_PROGRESS') AND j.state IN ('QUEUED', 'RUNNING') LIMIT 1",
          rs -> true).isPresent();
    }

    // ---------------------------------------------------------------- V2: trust, units, ledger

    @Override
    public Optional<Rows.DeviceTrust> deviceTrust(String id) {
      return one("SELECT * FROM devices WHERE id = ?", TRUST, id);
    }

    @Override
    public Optional<Rows.QuarantineCounts> quarantineCounts(String id) {
      return one("SELECT state, results_returned, results_valid, results_invalid, results_errored, results_timed_out "
          + "FROM devices WHERE id = ?", rs -> new Rows.QuarantineCounts(DeviceState.valueOf(rs.getString("state")),
              rs.getLong("results_returned"), rs.getLong("results_valid"), rs.getLong("results_invalid"),
              rs.getLong("results_errored"), rs.getLong("results_timed_out")), id);
    }

    @Override
    public Optional<Rows.Claimant> claimant(String id) {
      return one("SELECT id, owner_key, state, trust_streak, network, platform_class, pace FROM devices WHERE id = ?",
          rs -> {
            double pace = rs.getDouble("pace");
            Double measured = rs.wasNull() ? null : pace;
            return new Rows.Claimant(rs.getString("id"), rs.getString("owner_key"),
                DeviceState.valueOf(rs.getString("state")), rs.getInt("trust_streak"), rs.getString("network"),
                rs.getString("platform_class"), measured);
          }, id);
    }

    @Override
    public void resultReturned(String id, double paceSample) {
      if (Double.isNaN(paceSample)) {
        update("UPDATE devices SET results_returned = results_returned + 1 WHERE id = ?", id);
      } else {
        update("UPDATE devices SET results_returned = results_returned + 1, "
            + "pace = CASE WHEN pace IS NULL THEN ? ELSE pace + (? - pace) / 4 END WHERE id = ?",
            paceSample, paceSample, id);
      }
    }

    @Override
    public void setDeviceNetwork(String id, String network) {
      update("UPDATE devices SET network = ? WHERE id = ? AND network IS NOT ?", network, id, network);
    }

    @Override
    public void setDevicePlatform(String id, String engineVersionsJson, String platformClass) {
      update("UPDATE devices SET engine_versions = ?, platform_class = ? WHERE id = ?", engineVersionsJson,
          platformClass, id);
    }

    @Override
    public void trustPassed(String id, Instant now, int threshold) {
      update("UPDATE devices SET trust_streak = trust_streak + 1, last_check_at = ?, "
          + "trusted_since = CASE WHEN trusted_since IS NULL AND trust_streak + 1 >= ? THEN ? ELSE trusted_since END "
          + "WHERE id = ?", now, threshold, now, id);
    }

    @Override
    public void modelPassed(String deviceId, String modelId) {
      update("INSERT INTO device_models (device_id, model_id, streak) VALUES (?, ?, 1) "
          + "ON CONFLICT (device_id, model_id) DO UPDATE SET streak = streak + 1", deviceId, modelId);
    }

    @Override
    public int modelStreak(String deviceId, String modelId) {
      return one("SELECT streak FROM device_models WHERE device_id = ? AND model_id = ?", rs -> rs.getInt(1),
          deviceId, modelId).orElse(0);
    }

    @Override
    public Map<String, Integer> modelStreaks(String deviceId) {
      Map<String, Integer> out = new java.util.TreeMap<>();
      for (Object[] row : query("SELECT model_id, streak FROM device_models WHERE device_id = ?",
          rs -> new Object[] {rs.getString(1), rs.getInt(2)}, deviceId)) {
        out.put((String) row[0], (Integer) row[1]);
      }
      return out;
    }

    @Override
    public void trustReset(String id, Instant now) {
      update("UPDATE devices SET trust_streak = 0, trusted_since = NULL, last_check_at = ?, last_failed_at = ?, "
          + "checks_failed = checks_failed + 1, on_trust_risk = 0, audits_all_out = 0 WHERE id = ?", now, now, id);
      update("UPDATE device_models SET streak = 0 WHERE device_id = ?", id);
    }

    @Override
    public void onTrustAccepted(String deviceId) {
      update("UPDATE devices SET on_trust_risk = on_trust_risk + 1, audits_all_out = 0 WHERE id = ?", deviceId);
    }

    @Override
    public void halveRisk(String deviceId) {
      update("UPDATE devices SET on_trust_risk = " + HALVED + " WHERE id = ? AND on_trust_risk > 0", deviceId);
    }

    @Override
    public boolean awaitingClosingAudits(String jobId, double riskBudget) {
      // from the risky devices (few, once the closing audits are under way) to their votes
      return one("SELECT 1 FROM devices d INDEXED BY devices_risk "
          + "JOIN assignments a INDEXED BY assignments_votes ON a.device_id = d.id AND a.outcome = 'VALID' "
          + "JOIN units u ON u.id = a.unit_id WHERE d.on_trust_risk > 0 AND d.audits_all_out = 0 "
          + "AND d.on_trust_risk > ? AND d.state = 'ACTIVE' AND a.job_id = ? AND a.kind = 'ON_TRUST' "
          + "AND u.state = 'VALID' AND u.acceptance = 'ON_TRUST' "
          + "AND NOT EXISTS (SELECT 1 FROM assignments x WHERE x.unit_id = u.id AND " + AUDITED + ") LIMIT 1",
          rs -> true, riskBudget, jobId).isPresent()
          // an audit of one of its units still out (its holder's risk was halved in advance)
          || one("SELECT 1 FROM assignments INDEXED BY assignments_audits_out WHERE state = 'ISSUED' "
              + "AND kind = 'AUDIT' AND written_off = 0 AND job_id = ? LIMIT 1", rs -> true, jobId).isPresent();
    }

    @Override
    public int auditsOut() {
      return one("SELECT COUNT(*) FROM assignments INDEXED BY assignments_audits_out WHERE state = 'ISSUED' "
          + "AND kind = 'AUDIT' AND written_off = 0", rs -> rs.getInt(1)).orElse(0);
    }

    @Override
    public int writeOffStragglingAudits(Instant now, Rows.StraggleWait wait) {
      List<String> ids = query("SELECT a.id FROM assignments a INDEXED BY assignments_audits_out "
          + "JOIN units u ON u.id = a.unit_id JOIN jobs j ON j.id = u.job_id "
          + "LEFT JOIN model_costs mc ON mc.model_id = u.model_id "
          + "WHERE a.state = 'ISSUED' AND a.kind = 'AUDIT' AND a.written_off = 0 "
          + "AND a.issued_at <= ? - " + ENDGAME_SCALE + "* COALESCE(? * " + MODEL_WAIT
          + " * MAX(1, u.record_end - u.record_start), ?)",
          rs -> rs.getString(1), now.toEpochMilli(), wait.endgameShare(), wait.endgameUnits(), wait.endgameWait(),
          wait.factor(), wait.fallbackMs());
      // (read in this transaction: each is still out and not written off)
      for (String id : ids) {
        giveRiskBack(id);
        update("UPDATE assignments SET written_off = 1 WHERE id = ?", id);
      }
      return ids.size();
    }

    /**
     * Audit {@code auditId} ends without a result or is written off: its holder gets back the risk
     * halved when it was issued ({@link #insertAssignment}); nothing if it was written off before.
     */
    private void giveRiskBack(String auditId) {
      // (its unit may be audited again: the holder has something to audit, see V7)
      update("UPDATE devices SET on_trust_risk = on_trust_risk * 2, audits_all_out = 0 WHERE id IN (SELECT h.device_id "
          + "FROM assignments x JOIN assignments h ON h.unit_id = x.unit_id WHERE x.id = ? AND x.kind = 'AUDIT' "
          + "AND x.written_off = 0 AND h.kind = 'ON_TRUST' AND h.outcome = 'VALID')", auditId);
    }

    @Override
    public void auditPassed(String auditId, String holderId) {
      // the holder's risk was halved when the audit was issued, unless it was written off since
      update("UPDATE devices SET on_trust_risk = " + HALVED + " WHERE id = ? AND on_trust_risk > 0 "
          + "AND EXISTS (SELECT 1 FROM assignments WHERE id = ? AND written_off = 1)", holderId, auditId);
    }

    @Override
    public boolean verifying(String jobId) {
      return one("SELECT 1 FROM jobs WHERE id = ? AND state = 'RUNNING' AND verifying_since IS NOT NULL "
          + "AND units_valid >= units_total", rs -> true, jobId).isPresent();
    }

    @Override
    public void setVerifyingSince(String jobId, Instant now) {
      update("UPDATE jobs SET verifying_since = ? WHERE id = ? AND state = 'RUNNING'", now, jobId);
    }

    @Override
    public Map<String, Instant> jobsVerifying() {
      Map<String, Instant> out = new java.util.LinkedHashMap<>();
      for (Object[] row : query("SELECT id, verifying_since FROM jobs WHERE verifying_since IS NOT NULL "
          + "AND state = 'RUNNING' AND units_valid >= units_total ORDER BY verifying_since",
          rs -> new Object[] {rs.getString(1), Instant.ofEpochMilli(rs.getLong(2))})) {
        out.put((String) row[0], (Instant) row[1]);
      }
      return out;
    }

    @Override
    public void addDeviceFailures(String id, int errored, int timedOut) {
      update("UPDATE devices SET results_errored = results_errored + ?, results_timed_out = results_timed_out + ? "
          + "WHERE id = ?", errored, timedOut, id);
    }

    @Override
    public int[] countActiveAndTrusted(int threshold) {
      return one("SELECT COUNT(*), COALESCE(SUM(trust_streak >= ?), 0) FROM devices WHERE state = 'ACTIVE'",
          rs -> new int[] {rs.getInt(1), rs.getInt(2)}, threshold).orElse(new int[] {0, 0});
    }

    @Override
    public List<Rows.Assignment> validVotesOfDevice(String deviceId) {
      return query("SELECT a.* FROM assignments a JOIN units u ON u.id = a.unit_id WHERE a.device_id = ? "
          + "AND a.outcome = 'VALID' AND a.kind <> 'KNOWN_ANSWER' AND u.state = 'VALID' ORDER BY a.finished_at",
          ASSIGNMENT, deviceId);
    }

    @Override
    public boolean regradeAssignment(String id, AssignmentOutcome from, AssignmentOutcome to) {
      return update("UPDATE assignments SET outcome = ? WHERE id = ? AND state = 'RETURNED' AND outcome = ?",
          to, id, from) == 1;
    }

    @Override
    public void insertLedger(Rows.LedgerEntry e) {
      update("INSERT INTO credit_ledger (device_id, owner_key, unit_id, assignment_id, amount, reason, at) "
          + "VALUES (?, ?, ?, ?, ?, ?, ?)", e.deviceId(), e.ownerKey(), e.unitId(), e.assignmentId(), e.amount(),
          e.reason(), e.at());
    }

    @Override
    public double creditOfAssignment(String assignmentId) {
      return one("SELECT COALESCE(SUM(amount), 0) FROM credit_ledger WHERE assignment_id = ?",
          rs -> rs.getDouble(1), assignmentId).orElse(0.0);
    }

    @Override
    public List<Rows.LedgerEntry> ledgerOfDevice(String deviceId) {
      return query("SELECT * FROM credit_ledger WHERE device_id = ? ORDER BY seq", LEDGER, deviceId);
    }

    @Override
    public Optional<Double> modelCost(String modelId) {
      return one("SELECT ms_per_record FROM model_costs WHERE model_id = ?", rs -> rs.getDouble(1), modelId);
    }

    @Override
    public Optional<Double> modelWait(String modelId) {
      return one("SELECT " + MODEL_WAIT + " FROM model_costs mc WHERE model_id = ?", rs -> rs.getDouble(1), modelId);
    }

    @Override
    public void addModelCost(String modelId, double msPerRecord) {
      addModelCost(modelId, msPerRecord, Double.NaN);
    }

    @Override
    public void addModelCost(String modelId, double msPerRecord, double turnaroundMsPerRecord) {
      // an exponentially weighted mean of per-unit medians: one unit moves it by at most 1/16
      Double turnaround = Double.isFinite(turnaroundMsPerRecord) ? turnaroundMsPerRecord : null;
      update("INSERT INTO model_costs (model_id, ms_per_record, samples, turnaround_ms_per_record) "
          + "VALUES (?, ?, 1, ?) "
          + "ON CONFLICT (model_id) DO UPDATE SET samples = samples + 1, "
          + "ms_per_record = ms_per_record + (excluded.ms_per_record - ms_per_record) / MIN(samples + 1, 16), "
          + "turnaround_ms_per_record = CASE WHEN excluded.turnaround_ms_per_record IS NULL THEN turnaround_ms_per_record "
          + "WHEN turnaround_ms_per_record IS NULL THEN excluded.turnaround_ms_per_record "
          + "ELSE turnaround_ms_per_record + (excluded.turnaround_ms_per_record - turnaround_ms_per_record) "
          + "/ MIN(samples + 1, 16) END",
          modelId, msPerRecord, turnaround);
    }

    @Override
    public void removeValidUnit(String jobId) {
      update("UPDATE jobs SET units_valid = units_valid - 1 WHERE id = ? AND units_valid > 0", jobId);
    }

    @Override
    public long returnedResultsOfJob(String jobId) {
      return one("SELECT COUNT(*) FROM assignments a JOIN units v ON v.id = a.unit_id WHERE a.job_id = ? "
          + "AND a.state = 'RETURNED' AND a.kind <> 'KNOWN_ANSWER' AND v.state = 'VALID'",
          rs -> rs.getLong(1), jobId).orElse(0L);
    }

    @Override
    public void setUnitAcceptance(String unitId, Integer quorum, UnitAcceptance acceptance) {
      update("UPDATE units SET quorum = ?, acceptance = ? WHERE id = ?", quorum, acceptance, unitId);
    }

    @Override
    public void setNeeded(String unitId, int n) {
      update("UPDATE units SET needed = ? WHERE id = ?", Math.max(0, n), unitId);
    }

    @Override
    public boolean pinHrClass(String unitId, String hrClass) {
      update("UPDATE units SET hr_class = ? WHERE id = ? AND hr_class IS NULL", hrClass, unitId);
      return one("SELECT hr_class = ? FROM units WHERE id = ?", rs -> rs.getBoolean(1), hrClass, unitId).orElse(false);
    }

    @Override
    public boolean reopenUnit(String unitId, int needed) {
      return update("UPDATE units SET state = 'IN_PROGRESS', canonical = NULL, quorum = NULL, "
          + "acceptance = 'REPLICATED', needed = ? WHERE id = ? AND state = 'VALID'", Math.max(0, needed), unitId) == 1;
    }

    @Override
    public Optional<Rows.Unit> auditCandidate(Rows.Placement p, double minRisk) {
      // riskiest first, from the devices with some risk and something to audit (devices_risk);
      // a holder found with nothing to audit leaves the index, so the next page is read only
      // while a whole page left it (each holder leaves once: the cost is paid once, not per poll)
      while (true) {
        List<String> holders = query("SELECT id FROM devices INDEXED BY devices_risk WHERE on_trust_risk > 0 "
                + "AND audits_all_out = 0 AND on_trust_risk > ? AND id <> ? "
                + "ORDER BY on_trust_risk DESC, id LIMIT " + AUDIT_HOLDERS,
            rs -> rs.getString(1), minRisk, p.deviceId());
        boolean allLeft = true;
        for (String holder : holders) {
          List<Object> args = new ArrayList<>();
          args.add(holder);
          args.add(p.platformClass() == null ? "" : p.platformClass());
          String free = placementFree(p, args);
          Optional<Rows.Unit> unit = one("SELECT " + UNIT_COLUMNS + " FROM " + ON_TRUST_OF_HOLDER
              + "AND NOT EXISTS (SELECT 1 FROM assignments x WHERE x.unit_id = u.id AND " + AUDITED + ") "
              + "AND (j.homogeneous = 0 OR u.hr_class = ?) AND " + free
              + " ORDER BY h.finished_at DESC, h.rowid DESC LIMIT 1", UNIT, args.toArray());
          if (unit.isPresent()) {
            return unit;
          }
          if (one("SELECT 1 FROM " + ON_TRUST_OF_HOLDER + "LIMIT 1", rs -> true, holder).isEmpty()) {
            // nothing of its work rests on trust any more (all audited, re-opened, or its job
            // ended): its risk, a sum over such results, is 0; no idle poll need look at it again
            update("UPDATE devices SET on_trust_risk = 0 WHERE id = ?", holder);
          } else if (one("SELECT 1 FROM " + ON_TRUST_OF_HOLDER + "AND NOT EXISTS (SELECT 1 FROM assignments x "
              + "WHERE x.unit_id = u.id AND " + AUDITED + ") LIMIT 1", rs -> true, holder).isEmpty()) {
            // each of its results on trust has an audit out: no idle poll can audit it until one
            // is lost or it gets another result on trust (V7)
            update("UPDATE devices SET audits_all_out = 1 WHERE id = ?", holder);
          } else {
            allLeft = false; // this device may not audit it (placement): it stays for others
          }
        }
        if (holders.size() < AUDIT_HOLDERS || !allLeft) {
          return Optional.empty();
        }
      }
    }

    @Override
    public boolean hasClosingAudits(double minRisk) {
      return one("SELECT 1 FROM devices INDEXED BY devices_risk WHERE on_trust_risk > 0 AND audits_all_out = 0 "
          + "AND on_trust_risk > ? AND state = 'ACTIVE' LIMIT 1", rs -> true, minRisk).isPresent();
    }

    @Override
    public Optional<Rows.Unit> backupCandidate(Rows.Placement p, boolean trusted, Instant now, Rows.StraggleWait wait) {
      // No unit straggles before the shortest wait of any model (shortened while a job is in its
      // endgame): only units whose newest replica out was issued before that are read, oldest
      // first (units_straggling; at most BACKUP_SCAN of them, so an idle poll costs the same
      // however many devices are working).
      long shortestWait = wait.shortest(cheapestWait(), inEndgame(wait));
      // how many units might straggle, counted up to BACKUP_FIRST + 1 on the index alone: most
      // idle polls find none and stop here, without the query's joins and probes
      int straggling = mightStraggle(now, shortestWait, BACKUP_FIRST + 1);
      if (straggling == 0) {
        return Optional.empty();
      }
      Optional<Rows.Unit> oldest = backupAmong(BACKUP_FIRST, p, trusted, now, wait, shortestWait);
      return oldest.isPresent() || straggling <= BACKUP_FIRST ? oldest
          : backupAmong(BACKUP_SCAN, p, trusted, now, wait, shortestWait);
    }

    @Override
    public boolean hasStragglers(Instant now, Rows.StraggleWait wait) {
      return mightStraggle(now, wait.shortest(cheapestWait(), inEndgame(wait)), 1) > 0;
    }

    /** Is some RUNNING job in its endgame (jobs_running: a handful of rows, however many jobs ended)? */
    private boolean inEndgame(Rows.StraggleWait wait) {
      return wait.endgameWait() < 1 && one("SELECT 1 FROM jobs INDEXED BY jobs_running WHERE state = 'RUNNING' "
          + "AND units_total - units_valid <= MIN(? * units_total, ?) LIMIT 1", rs -> true, wait.endgameShare(),
          wait.endgameUnits()).isPresent();
    }

    @Override
    public int reissueOverdue(Instant now, double factor, long minMs, int limit) {
      double cheapest = cheapestWait();
      if (!(cheapest > 0) || !(factor > 0)) {
        return 0; // nothing measured: no unit is overdue before its deadline
      }
      // the oldest stragglers first (units_straggling), each checked against its own model's time
      return update("UPDATE units SET needed = 1 WHERE state = 'IN_PROGRESS' AND needed = 0 AND id IN ("
          + "SELECT u.id FROM (SELECT id FROM units INDEXED BY units_straggling WHERE state = 'IN_PROGRESS' "
          + "AND needed = 0 AND last_issued_at <= ? ORDER BY last_issued_at LIMIT ?) s JOIN units u ON u.id = s.id "
          + "JOIN jobs j ON j.id = u.job_id JOIN model_costs mc ON mc.model_id = u.model_id "
          + "WHERE j.state = 'RUNNING' AND u.acceptance = 'REPLICATED' "
          + "AND u.last_issued_at <= ? - MAX(?, ? * " + MODEL_WAIT + " * MAX(1, u.record_end - u.record_start)))",
          now.toEpochMilli() - Math.max(minMs, (long) (factor * cheapest)), limit, now.toEpochMilli(), minMs, factor);
    }

    /** The smallest wait per record of any model measured (0 if none is). */
    private double cheapestWait() {
      return one("SELECT MIN(" + MODEL_WAIT + ") FROM model_costs mc", rs -> rs.getDouble(1)).orElse(0.0);
    }

    /** Units that may straggle (all replicas out, the newest issued {@code shortestWait} ago), up to {@code limit}. */
    private int mightStraggle(Instant now, long shortestWait, int limit) {
      return one("SELECT COUNT(*) FROM (SELECT 1 FROM units INDEXED BY units_straggling "
          + "WHERE state = 'IN_PROGRESS' AND needed = 0 AND last_issued_at <= ? LIMIT " + limit + ")",
          rs -> rs.getInt(1), now.toEpochMilli() - shortestWait).orElse(0);
    }

    /** The oldest straggler the device may back up, among the {@code scan} oldest. */
    private Optional<Rows.Unit> backupAmong(int scan, Rows.Placement p, boolean trusted, Instant now,
        Rows.StraggleWait wait, long shortestWait) {
      List<Object> args = new ArrayList<>();
      StringBuilder sql = new StringBuilder("SELECT " + UNIT_COLUMNS + " FROM (SELECT id FROM units "
          + "INDEXED BY units_straggling WHERE state = 'IN_PROGRESS' AND needed = 0 AND last_issued_at <= ? "
          + "ORDER BY last_issued_at LIMIT " + scan + ") s JOIN units u ON u.id = s.id "
          + "JOIN jobs j ON j.id = u.job_id LEFT JOIN model_costs mc ON mc.model_id = u.model_id "
          + "WHERE j.state = 'RUNNING' "
          + "AND u.last_issued_at <= ? - " + ENDGAME_SCALE + "* COALESCE(? * " + MODEL_WAIT
          + " * MAX(1, u.record_end - u.record_start), ?) ");
      args.add(now.toEpochMilli() - shortestWait);
      args.add(now.toEpochMilli());
      args.add(wait.endgameShare());
      args.add(wait.endgameUnits());
      args.add(wait.endgameWait());
      args.add(wait.factor());
      args.add(wait.fallbackMs());
      if (!trusted) {
        sql.append("AND u.acceptance = 'REPLICATED' ");
      }
      sql.append("AND ").append(placementFree(p, args))
          .append(" AND (j.homogeneous = 0 OR u.hr_class IS NULL OR u.hr_class = ?) ");
      args.add(p.platformClass() == null ? "" : p.platformClass());
      if (p.needTrustedPeer()) {
        sql.append("AND EXISTS (SELECT 1 FROM assignments a WHERE a.unit_id = u.id AND a.trusted = 1 "
            + "AND a.kind <> 'KNOWN_ANSWER' AND a.state = 'RETURNED' AND (a.outcome IS NULL OR a.outcome = 'VALID')) ");
      }
      sql.append("ORDER BY u.last_issued_at LIMIT 1");
      return one(sql.toString(), UNIT, args.toArray());
    }

    /**
     * The placement rule as SQL over a candidate unit {@code u}, for work: no assignment of it
     * that is out or returned a result is held by this device, its owner or (when known) its
     * network. An assignment that ended without a result (timed out, aborted, errored) leaves no
     * vote behind, so it does not bar its device: in a small fleet, a unit whose replicas were
     * lost on every device the rule allows would otherwise never be finished.
     */
    private static String placementFree(Rows.Placement p, List<Object> args) {
      return placementFree(p, args, "a.state IN ('ISSUED', 'RETURNED') AND ");
    }

    /**
     * The placement rule for a known-answer check: no assignment of it at all, whatever became
     * of it, is held by this device, its owner or its network (a device that was once sent the
     * unit could recognise the check).
     */
    private static String neverHeld(Rows.Placement p, List<Object> args) {
      return placementFree(p, args, "");
    }

    /**
     * Three probes, each on its own index ((device_id, unit_id), (owner_key, unit_id), (network,
     * unit_id)): one probe of the unit's assignments would read every check on a unit used as a
     * known answer. Adds the parameters to {@code args} in the fragment's order.
     */
    private static String placementFree(Rows.Placement p, List<Object> args, String which) {
      args.add(p.deviceId());
      args.add(p.ownerKey());
      String free = "NOT EXISTS (SELECT 1 FROM assignments a WHERE " + which + "a.device_id = ? AND a.unit_id = u.id) "
          + "AND NOT EXISTS (SELECT 1 FROM assignments a WHERE " + which + "a.owner_key = ? AND a.unit_id = u.id)";
      if (p.network() == null) {
        return free;
      }
      args.add(p.network());
      return free + " AND NOT EXISTS (SELECT 1 FROM assignments a WHERE " + which
          + "a.network = ? AND a.unit_id = u.id)";
    }

    // ---------------------------------------------------------------- V3: supplied known answers

    @Override
    public void insertKnownAnswer(Rows.Unit u, String recordJson, Instant now) {
      if (u.idx() >= 0 || u.state() != UnitState.VALID || u.needed() != 0 || u.canonicalJson() == null) {
        throw new IllegalArgumentException("a known-answer unit has idx < 0, state VALID, needed 0 and a canonical");
      }
      update("INSERT INTO units (id, job_id, idx, record_start, record_end, byte_start, byte_end, state, priority, "
              + "job_seq, model_id, needed, canonical, quorum, acceptance, hr_class) "
              + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          u.id(), u.jobId(), u.idx(), u.recordStart(), u.recordEnd(), u.byteStart(), u.byteEnd(), u.state(),
          u.priority(), u.jobSeq(), u.modelId(), 0, u.canonicalJson(), null, UnitAcceptance.REPLICATED, null);
      update("INSERT INTO known_answers (unit_id, job_id, model_id, record, created_at) VALUES (?, ?, ?, ?, ?)",
          u.id(), u.jobId(), u.modelId(), recordJson, now);
    }

    @Override
    public Optional<String> knownAnswerRecord(String unitId) {
      return one("SELECT record FROM known_answers WHERE unit_id = ?", rs -> rs.getString(1), unitId);
    }

    @Override
    public int countKnownAnswers(String jobId) {
      return one("SELECT COUNT(*) FROM known_answers WHERE job_id = ?", rs -> rs.getInt(1), jobId).orElse(0);
    }

    @Override
    public Optional<Rows.Unit> suppliedKnownAnswer(Rows.Placement p, String modelId, int skip) {
      List<Object> args = new ArrayList<>();
      args.add(modelId);
      String free = neverHeld(p, args);
      args.add(skip);
      // in the order they were supplied (known_answers_by_model holds them so): the scan stops at
      // the answer it wants instead of probing the placement rule for every one and sorting
      return one("SELECT " + UNIT_COLUMNS + " FROM known_answers k JOIN units u ON u.id = k.unit_id "
          + "WHERE k.model_id = ? AND u.state = 'VALID' AND u.canonical IS NOT NULL AND " + free + " "
          + "ORDER BY k.rowid LIMIT 1 OFFSET ?", UNIT, args.toArray());
    }

    @Override
    public Vetting suppliedCheck(String deviceId) {
      int v = one("SELECT COALESCE(MAX(CASE WHEN a.state = 'RETURNED' AND (a.outcome IS NULL OR a.outcome = 'VALID') "
          + "THEN 2 WHEN a.state = 'ISSUED' THEN 1 ELSE 0 END), 0) FROM assignments a "
          + "JOIN known_answers k ON k.unit_id = a.unit_id WHERE a.device_id = ? AND a.kind = 'KNOWN_ANSWER'",
          rs -> rs.getInt(1), deviceId).orElse(0);
      return Vetting.values()[v];
    }

    @Override
    public int unjudged(String deviceId) {
      // assignments_by_device (device_id, state): the device's rows in two states only
      return one("SELECT COUNT(*) FROM assignments WHERE device_id = ? AND state IN ('ISSUED', 'RETURNED') "
          + "AND (state = 'ISSUED' OR outcome IS NULL) AND kind <> 'KNOWN_ANSWER'", rs -> rs.getInt(1), deviceId)
          .orElse(0);
    }

    @Override
    public Optional<Rows.Unit> knownAnswerSource(Rows.Placement p, String modelId, int skip) {
      List<Object> args = new ArrayList<>();
      args.add(modelId);
      String free = neverHeld(p, args);
      args.add(skip);
      return one("SELECT " + UNIT_COLUMNS + " FROM units u WHERE u.model_id = ? AND u.state = 'VALID' "
          + "AND u.acceptance = 'REPLICATED' AND u.canonical IS NOT NULL AND " + free + " "
          + "ORDER BY u.rowid DESC LIMIT 1 OFFSET ?", UNIT, args.toArray());
    }

    @Override
    public void insertAssignment(Rows.Assignment a) {
      update("INSERT INTO assignments (id, unit_id, job_id, device_id, owner_key, state, outcome, issued_at, deadline, "
              + "kind, network, trusted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          a.id(), a.unitId(), a.jobId(), a.deviceId(), a.ownerKey(), a.state(), a.outcome(), a.issuedAt(),
          a.deadline(), a.kind() == null ? AssignmentKind.REPLICA : a.kind(), a.network(), a.trusted() ? 1 : 0);
      if (a.state() == AssignmentState.ISSUED && a.kind() != AssignmentKind.KNOWN_ANSWER) {
        update("UPDATE units SET last_issued_at = MAX(COALESCE(last_issued_at, 0), ?) WHERE id = ?", a.issuedAt(),
            a.unitId());
      }
      if (a.kind() == AssignmentKind.AUDIT) {
        // the holder's risk is halved as if the audit will pass (V5), so that idle devices spread
        // their audits over the risky devices; a lost audit doubles it back (endAssignment)
        update("UPDATE devices SET on_trust_risk = " + HALVED + " WHERE on_trust_risk > 0 "
            + "AND id IN (SELECT device_id FROM assignments WHERE unit_id = ? AND kind = 'ON_TRUST' "
            + "AND outcome = 'VALID')", a.unitId());
      }
    }

    /** units.last_issued_at after one of the unit's replicas stopped being out (not for a check). */
    private void outstandingChanged(String assignmentId) {
      update("UPDATE units SET last_issued_at = (SELECT MAX(a.issued_at) FROM assignments a WHERE a.unit_id = units.id "
          + "AND a.state = 'ISSUED' AND a.kind <> 'KNOWN_ANSWER') "
          + "WHERE id = (SELECT unit_id FROM assignments WHERE id = ? AND kind <> 'KNOWN_ANSWER')", assignmentId);
    }

    @Override
    public Optional<Rows.Assignment> assignment(String id) {
      return one("SELECT * FROM assignments WHERE id = ?", ASSIGNMENT, id);
    }

    @Override
    public List<Rows.Assignment> assignmentsOfUnit(String unitId) {
      return query("SELECT * FROM assignments WHERE unit_id = ? ORDER BY issued_at, rowid", ASSIGNMENT, unitId);
    }

    @Override
    public List<Rows.Assignment> assignmentsToDecide(String unitId) {
      // the condition is written as the partial index assignments_deciding's, so that it is used
      return query("SELECT * FROM assignments INDEXED BY assignments_deciding WHERE unit_id = ? "
          + "AND (kind <> 'KNOWN_ANSWER' OR (state = 'RETURNED' AND outcome IS NULL)) ORDER BY issued_at, rowid",
          ASSIGNMENT, unitId);
    }

    @Override
    public int liveResults(String unitId) {
      return one("SELECT COUNT(*) FROM assignments INDEXED BY assignments_deciding WHERE unit_id = ? "
          + "AND kind <> 'KNOWN_ANSWER' AND state = 'RETURNED' AND outcome IS NOT 'WITHDRAWN'",
          rs -> rs.getInt(1), unitId).orElse(0);
    }

    @Override
    public boolean hasReplicaOutOrReturned(String unitId) {
      return one("SELECT 1 FROM assignments INDEXED BY assignments_deciding WHERE unit_id = ? "
          + "AND kind <> 'KNOWN_ANSWER' AND state IN ('ISSUED', 'RETURNED') LIMIT 1", rs -> true, unitId).isPresent();
    }

    @Override
    public boolean recordResult(String id, String outputsJson, long elapsedMs, Double energyJ, Instant now) {
      boolean done = update("UPDATE assignments SET state = 'RETURNED', outputs = ?, elapsed_ms = ?, energy_j = ?, "
          + "finished_at = ? WHERE id = ? AND state = 'ISSUED'", outputsJson, elapsedMs, energyJ, now, id) == 1;
      if (done) {
        outstandingChanged(id);
      }
      return done;
    }

    @Override
    public boolean endAssignment(String id, AssignmentState to, String reason, Instant now) {
      if (to == AssignmentState.ISSUED || to == AssignmentState.RETURNED) {
        throw new IllegalArgumentException("endAssignment ends an assignment without a result, not " + to);
      }
      boolean done = update("UPDATE assignments SET state = ?, reason = ?, finished_at = ? WHERE id = ? "
          + "AND state = 'ISSUED'", to, reason, now, id) == 1;
      if (done) {
        outstandingChanged(id);
        giveRiskBack(id); // (if it was an audit)
      }
      return done;
    }

    @Override
    public boolean gradeAssignment(String id, AssignmentOutcome outcome) {
      return update("UPDATE assignments SET outcome = ? WHERE id = ? AND state = 'RETURNED' AND outcome IS NULL",
          outcome, id) == 1;
    }

    @Override
    public List<Rows.Assignment> expiredAssignments(Instant now, int limit) {
      return query("SELECT * FROM assignments WHERE state = 'ISSUED' AND deadline <= ? ORDER BY deadline LIMIT ?",
          ASSIGNMENT, now, limit);
    }

    @Override
    public List<Rows.Assignment> issuedAssignmentsOfDevice(String deviceId) {
      return query("SELECT * FROM assignments WHERE device_id = ? AND state = 'ISSUED'", ASSIGNMENT, deviceId);
    }

    @Override
    public List<Rows.Assignment> issuedAssignmentsOfJob(String jobId) {
      return query("SELECT * FROM assignments WHERE job_id = ? AND state = 'ISSUED'", ASSIGNMENT, jobId);
    }
  }
}
