package org.idlegrid.coordinator.engine;

import java.time.Clock;
import java.time.Duration;
import java.util.random.RandomGenerator;
import org.idlegrid.coordinator.assimilator.Assimilator;
import org.idlegrid.coordinator.blob.BlobStore;
import org.idlegrid.coordinator.scheduler.Scheduler;
import org.idlegrid.coordinator.store.Store;
import org.idlegrid.coordinator.transitioner.Heartbeats;
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
 * <p>Signals leave the engine after the change they announce is committed (each may be a
 * no-op): {@code workAvailable} when work may have appeared (a job, a lost replica, a
 * disagreement, a job waiting for closing audits), to wake long polls; and the validator's
 * {@link Validator.Listener}: a device one of whose results was graded (to wake it if the
 * stranger throttle held it back, {@link Scheduler#waitsForVerdict}), and a replica called off
 * because its unit was decided without it. {@link Heartbeats} (fed by the device API: who asks
 * about its work) tells the transitioner's sweep which devices went silent mid-unit.
 */
public record Engine(Store store, Scheduler scheduler, Transitioner transitioner, Validator validator, Trust trust) {

  public static Engine create(Store store, BlobStore blobs, Ed25519.KeyPair key, Clock clock,
      Duration assignmentTimeout, TrustPolicy policy, RandomGenerator random, Runnable workAvailable) {
    return create(store, blobs, key, clock, assignmentTimeout, policy, random, workAvailable, Validator.Listener.NONE,
        new Heartbeats(Heartbeats.DEFAULT_SILENT_AFTER));
  }

  public static Engine create(Store store, BlobStore blobs, Ed25519.KeyPair key, Clock clock,
      Duration assignmentTimeout, TrustPolicy policy, RandomGenerator random, Runnable workAvailable,
      Validator.Listener listener, Heartbeats heartbeats) {
    Trust trust = new Trust(policy, random, clock, workAvailable);
    Scheduler scheduler = new Scheduler(store, blobs, key, clock, assignmentTimeout, trust);
    // a finished job waits for its closing audits at most three assignment timeouts
    Assimilator assimilator = new Assimilator(clock, trust, assignmentTimeout.multipliedBy(3), workAvailable);
    Transitioner transitioner = new Transitioner(store, clock, trust, assimilator, workAvailable, heartbeats);
    Validator validator = new Validator(store, assimilator, trust, clock, workAvailable, listener);
    return new Engine(store, scheduler, transitioner, validator, trust);
  }
}
