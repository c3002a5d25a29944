package org.idlegrid.coordinator.engine;

import java.time.Clock;
import java.time.Duration;
import java.util.random.RandomGenerator;
import org.idlegrid.coordinator.assimilator.Assimilator;
import org.idlegrid.coordinator.blob.BlobStore;
import org.idlegrid.coordinator.scheduler.Scheduler;
import org.idlegrid.coordinator.store.Store;
import org.idlegrid.coordinator.transitioner.Transitioner;
import org.idlegrid.coordinator.trust.Trust;
import org.idlegrid.coordinator.trust.TrustPolicy;
import org.idlegrid.coordinator.validator.Validator;
import org.idlegrid.signing.Ed25519;

/**
 * The coordinator's engine without HTTP: scheduler, transitioner, validator, assimilator and
 * trust over one {@link Store}, wired the way the running coordinator wires them. The HTTP layer,
 * the tests and the fleet simulator all drive this same object.
 *
 * @param workAvailable called when work may have appeared (to wake long polls); may be a no-op
 */
public record Engine(Store store, Scheduler scheduler, Transitioner transitioner, Validator validator, Trust trust) {

  public static Engine create(Store store, BlobStore blobs, Ed25519.KeyPair key, Clock clock,
      Duration assignmentTimeout, TrustPolicy policy, RandomGenerator random, Runnable workAvailable) {
    Trust trust = new Trust(policy, random, clock, workAvailable);
    Scheduler scheduler = new Scheduler(store, blobs, key, clock, assignmentTimeout, trust);
    // a finished job waits for its closing audits at most three assignment timeouts
    Assimilator assimilator = new Assimilator(clock, policy, assignmentTimeout.multipliedBy(3), workAvailable);
    Transitioner transitioner = new Transitioner(store, clock, trust, assimilator, workAvailable);
    Validator validator = new Validator(store, assimilator, trust, workAvailable);
    return new Engine(store, scheduler, transitioner, validator, trust);
  }
}
