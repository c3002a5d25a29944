package org.idlegrid.coordinator.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints the store's write-ahead log from a connection and a thread of its own, so that the
 * store's single lock is never held while the database file is written and synced.
 *
 * <p>Why: with SQLite's automatic checkpoint, the commit that takes the log past 1,000 pages
 * copies the log into the database and syncs it, inside {@link SqliteStore#transaction}, so under
 * the store's lock. In the dispatch benchmark (2,000 devices over loopback HTTP) one commit in
 * about 200 did so, for 16.5 ms on average: 7.6 s of the 26 s the lock was held.
 *
 * <p>Invariants:
 * <ul>
 *   <li>The store's connection runs with {@code wal_autocheckpoint=0}: it never checkpoints
 *       itself. Durability is unchanged: in WAL mode with {@code synchronous=NORMAL} a commit is
 *       in the log when it returns, whoever checkpoints it later.</li>
 *   <li>Every {@link #PERIOD_MS}, if something was committed since the last run, this thread runs a
 *       {@code PASSIVE} checkpoint without the store's lock: it copies what the log holds and syncs
 *       the database while the store goes on writing (SQLite lets one checkpointer run beside the
 *       writer).</li>
 *   <li>Bounded log: a passive checkpoint never catches up with a writer that never pauses (what
 *       was written meanwhile is left for the next one), and SQLite starts the log over only once
 *       it is all copied. So when the log still holds more than {@link #TRUNCATE_PAGES} pages
 *       after a passive run, the next run takes the store's lock and truncates it: the rest to copy
 *       is small by then (the passive runs copied the bulk), so the lock is held for one short
 *       copy and sync, not one per thousand pages.</li>
 *   <li>A failed checkpoint is logged and retried at the next period; nothing is lost, the log
 *       just grows until one succeeds. {@link #close} stops the thread before the store's
 *       connection closes (the last connection to close checkpoints what is left).</li>
 * </ul>
 */
final class WalCheckpointer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WalCheckpointer.class);
  static final long PERIOD_MS = 100;
  /** About 40 MB of log at SQLite's 4 KiB pages. */
  static final int TRUNCATE_PAGES = 10_000;

  private final Connection conn;
  private final ReentrantLock storeLock;
  private final int truncatePages;
  private final ScheduledExecutorService thread;
  private final AtomicLong commits = new AtomicLong();
  private long checkpointed;
  private boolean truncateNext;

  /** Not started: {@link #runOnce} runs one period's work (tests). */
  WalCheckpointer(Connection conn, ReentrantLock storeLock, int truncatePages) {
    this.conn = conn;
    this.storeLock = storeLock;
    this.truncatePages = truncatePages;
    this.thread = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().daemon().name("idlegrid-checkpointer").factory());
  }

  /** Opens its own connection to {@code url} and starts checkpointing every {@link #PERIOD_MS}. */
  static WalCheckpointer start(String url, Properties connectionConfig, ReentrantLock storeLock) throws SQLException {
    WalCheckpointer c = new WalCheckpointer(DriverManager.getConnection(url, connectionConfig), storeLock, TRUNCATE_PAGES);
    c.thread.scheduleWithFixedDelay(c::runOnce, PERIOD_MS, PERIOD_MS, TimeUnit.MILLISECONDS);
    return c;
  }

  /**
   * The store committed a transaction (called under the store's lock; cheap). Read-only ones
   * count too: telling them apart would cost a call into SQLite per commit, and a passive
   * checkpoint with nothing new in the log copies nothing.
   */
  void committed() {
    commits.incrementAndGet();
  }

  /** One period: nothing if nothing was committed since, else a passive checkpoint or a truncation. */
  void runOnce() {
    long seen = commits.get();
    if (seen == checkpointed && !truncateNext) {
      return;
    }
    try {
      if (truncateNext) {
        storeLock.lock();
        try {
          checkpoint("TRUNCATE");
        } finally {
          storeLock.unlock();
        }
        truncateNext = false;
      } else {
        truncateNext = checkpoint("PASSIVE") > truncatePages;
      }
      checkpointed = seen;
    } catch (SQLException | RuntimeException e) {
      // caught whatever it is: an exception escaping a scheduled task would end its schedule
      LOG.warn("WAL checkpoint failed (retried in {} ms): {}", PERIOD_MS, e.getMessage());
    }
  }

  /** Runs a checkpoint; the pages in the log (the pragma's second column). */
  private int checkpoint(String mode) throws SQLException {
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
      rs.next();
      return rs.getInt(2);
    }
  }

  @Override
  public void close() {
    thread.shutdown();
    try {
      if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
        LOG.warn("the WAL checkpointer did not stop within 10 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      conn.close();
    } catch (SQLException e) {
      LOG.warn("closing the checkpointer's connection failed: {}", e.getMessage());
    }
  }
}
