package org.idlegrid.coordinator.http;

import java.time.Clock;
import java.time.Duration;
import org.idlegrid.coordinator.blob.BlobStore;
import org.idlegrid.coordinator.scheduler.Scheduler;
import org.idlegrid.coordinator.store.Store;
import org.idlegrid.coordinator.transitioner.Transitioner;
import org.idlegrid.coordinator.validator.Validator;
import org.idlegrid.signing.Ed25519;

/** What the HTTP layer works with; built by the Coordinator. */
public record Services(
    Store store,
    BlobStore blobs,
    Scheduler scheduler,
    Transitioner transitioner,
    Validator validator,
    org.idlegrid.coordinator.trust.Trust trust,
    Ed25519.KeyPair coordinatorKey,
    Clock clock,
    boolean tokenEnrollment,
    long maxJsonBytes,
    long maxUploadBytes,
    Duration maxWait) {}
