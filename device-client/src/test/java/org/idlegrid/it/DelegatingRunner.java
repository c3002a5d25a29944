package org.idlegrid.it;

import org.idlegrid.client.runner.ModelRunner;

/** A test wrapper around the real runner: it closes the real one and reports its state. */
interface DelegatingRunner extends ModelRunner {
  ModelRunner real();

  @Override
  default void close() {
    real().close();
  }

  @Override
  default boolean loaded() {
    return real().loaded();
  }
}
