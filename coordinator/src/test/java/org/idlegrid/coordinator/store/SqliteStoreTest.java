package org.idlegrid.coordinator.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** The conformance suite on SQLite, plus what is SQLite's own: WAL and the CHECK constraints. */
class SqliteStoreTest extends StoreConformanceTest {
  @Override
  protected Store open(Path dir) {
    return SqliteStore.open(dir.resolve("coordinator.db"));
  }

  @Test
  void databaseIsInWalModeAndStatesAreCheckedBySchema() throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("coordinator.db"));
        Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("PRAGMA journal_mode")) {
        rs.next();
        assertEquals("wal", rs.getString(1));
      }
      assertThrows(java.sql.SQLException.class, () -> st.executeUpdate(
          "INSERT INTO devices (id, token_hash, public_key, owner_key, state, enrolled_at) "
              + "VALUES ('x', 'h', 'p', 'o', 'HAPPY', 0)"));
    }
  }
}
