package org.idlegrid.coordinator.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The store's log is checkpointed beside it, not inside its commits, and stays bounded. */
class WalCheckpointerTest {
  @TempDir
  Path dir;

  @Test
  void everyCommitSurvivesAReopenWithTheLogCheckpointedBesideTheStore() throws Exception {
    Path db = dir.resolve("coordinator.db");
    try (Store store = SqliteStore.open(db)) {
      // a real store with its checkpointer running: 3,000 commits of a key each
      for (int i = 0; i < 3000; i++) {
        String name = "k" + i;
        store.transaction(tx -> tx.insertApiKey(name, "h" + name, Role.SUBMITTER, Instant.EPOCH));
      }
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM api_keys")) {
        rs.next();
        assertEquals(3000, rs.getInt(1));
      }
    }
    // closed: every commit is in the database file, nothing was lost on the way
    try (Store again = SqliteStore.open(db)) {
      assertTrue(again.transaction(tx -> tx.apiKeyByHash("hk2999")).isPresent());
    }
  }

  @Test
  @Timeout(30)
  void aPassiveRunCopiesTheLogAndABigLogIsThenTruncatedUnderTheStoresLock() throws Exception {
    Path db = dir.resolve("wal.db");
    String url = "jdbc:sqlite:" + db;
    try (Connection writer = DriverManager.getConnection(url); Statement w = writer.createStatement()) {
      w.execute("PRAGMA journal_mode = WAL");
      w.execute("PRAGMA wal_autocheckpoint = 0");
      w.execute("CREATE TABLE t (x BLOB)");
      for (int i = 0; i < 50; i++) {
        w.execute("INSERT INTO t VALUES (zeroblob(8192))");
      }
      Path wal = Path.of(db + "-wal");
      long before = Files.size(wal);
      assertTrue(before > 50 * 8192, "the writer's commits stay in the log: " + before);

      ReentrantLock storeLock = new ReentrantLock();
      WalCheckpointer c = new WalCheckpointer(DriverManager.getConnection(url), storeLock, 10);
      try {
        c.committed();
        // a passive run copies the log into the database but leaves the file
        c.runOnce();
        assertEquals(before, Files.size(wal));
        assertTrue(Files.size(db) > 50 * 8192, "the rows are in the database file now");
        // the log held more than 10 pages: the next run truncates it, and only under the store's lock
        storeLock.lock();
        Thread other = Thread.ofPlatform().start(c::runOnce);
        while (!storeLock.hasQueuedThread(other)) {
          Thread.onSpinWait(); // the truncation waits for the store's lock
        }
        assertEquals(before, Files.size(wal));
        storeLock.unlock();
        other.join();
        assertEquals(0, Files.size(wal));
        // nothing committed since: the next run does nothing
        w.execute("INSERT INTO t VALUES (zeroblob(8192))");
        c.runOnce();
        assertTrue(Files.size(wal) > 8192, "no commit was reported, so the log is left as it is");
      } finally {
        c.close();
      }
      try (ResultSet rs = w.executeQuery("SELECT COUNT(*) FROM t")) {
        rs.next();
        assertEquals(51, rs.getInt(1));
      }
    }
  }
}
